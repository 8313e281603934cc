"""Contract classes as Ethereum sees them: selectors, ABI JSON, events, deploy data.

A contract is a Python class whose methods carry their Solidity-style
signature (``@external("deposit(uint256)")``). From those signatures come the
4-byte selectors calls are dispatched by, the standard ABI JSON that web3 or
eth-abi clients encode calls with, and the event topics logs are filtered by,
so the bytes on the wire (and therefore the calldata gas) are what a real
Ethereum contract would see.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_abi.grammar import TupleType, normalize, parse

from primitives.keccak import keccak256

ERROR_SELECTOR = keccak256(b"Error(string)")[:4]
DEPLOY_MAGIC = b"L2LAB\x00"  # deploy data and code marker prefix


class Revert(Exception):
    """Execution reverted: state writes of the reverted call are undone, gas is kept.

    ``data`` is what the revert returns to the caller: by default Solidity's
    ``Error(string)`` encoding of ``reason``, so web3 and eth_call show it.
    """

    def __init__(self, reason: str, data: bytes | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.data = data if data is not None else encode_revert_reason(reason)


ZERO_ADDRESS = "0x" + "00" * 20


def same_address(a: str, b: str) -> bool:
    """Two addresses are one, whatever their checksum casing."""
    return int(a, 16) == int(b, 16)


def encode_revert_reason(reason: str) -> bytes:
    """Solidity's ``Error(string)`` revert payload."""
    return ERROR_SELECTOR + abi_encode(["string"], [reason])


def selector(signature: str) -> bytes:
    """The 4-byte function selector of a canonical signature."""
    return keccak256(signature.encode())[:4]


def _split_top(inner: str) -> list[str]:
    """Split a parameter list on commas outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i].strip())
            start = i + 1
    tail = inner[start:].strip()
    if tail or parts:
        parts.append(tail)
    return parts


def canonical_type(type_str: str) -> str:
    """Normalise and validate an ABI type (``uint`` -> ``uint256``); raise naming it."""
    try:
        parsed = parse(normalize(type_str.strip()))
        parsed.validate()
    except Exception as exc:  # eth-abi raises several parse/validation errors
        raise TypeError(f"bad ABI type {type_str!r}: {exc}") from None
    return parsed.to_type_str()


def param_type(param: dict[str, Any]) -> str:
    """The canonical type string of an ABI JSON parameter, tuples spelled out: ``(uint256,bytes)[]``."""
    t = param["type"]
    if t.startswith("tuple"):
        return "(" + ",".join(param_type(c) for c in param.get("components", [])) + ")" + t[5:]
    return str(t)


def method_names() -> dict[bytes, str]:
    """The method name of every 4-byte selector of every registered contract class."""
    names: dict[bytes, str] = {}
    for cls in REGISTRY.values():
        for entry in cls.abi():
            if entry.get("type") == "function":
                signature = f"{entry['name']}({','.join(param_type(p) for p in entry['inputs'])})"
                names.setdefault(selector(signature), entry["name"])
    return names


def parse_signature(signature: str) -> tuple[str, list[str]]:
    """``"f(uint256,address)"`` -> ``("f", ["uint256", "address"])``, validated."""
    sig = signature.strip()
    if "(" not in sig or not sig.endswith(")"):
        raise TypeError(f"bad signature {signature!r}: expected name(type,...)")
    name, inner = sig.split("(", 1)
    if not name.isidentifier():
        raise TypeError(f"bad signature {signature!r}: {name!r} is not a name")
    return name, [canonical_type(t) for t in _split_top(inner[:-1])]


def parse_types(types: str | Sequence[str] | None) -> list[str]:
    """Return types given as ``"uint256"``, ``"uint256,address"`` or a list."""
    if types is None:
        return []
    if isinstance(types, str):
        text = types.strip()
        if text.startswith("(") and text.endswith(")") and _split_top(text[1:-1]) != [text[1:-1]]:
            text = text[1:-1]  # "(a,b)" written as a list of returns
        return [canonical_type(t) for t in _split_top(text)]
    return [canonical_type(t) for t in types]


def abi_param(name: str, type_str: str) -> dict[str, Any]:
    """One ABI JSON parameter; tuple types are spelled out as components."""
    parsed = parse(type_str)
    if isinstance(parsed, TupleType):
        suffix = "".join(f"[{d[0] if d else ''}]" for d in (parsed.arrlist or []))
        return {
            "name": name,
            "type": "tuple" + suffix,
            "components": [abi_param("", c.to_type_str()) for c in parsed.components],
        }
    return {"name": name, "type": type_str}


def _is_dynamic_for_topic(type_str: str) -> bool:
    """Indexed values of these types are stored as the keccak of their encoding."""
    return type_str in ("string", "bytes") or type_str.endswith("]") or type_str.startswith("(")


@dataclass(frozen=True)
class EventSpec:
    """An event's name, parameters and topic 0."""

    name: str
    types: tuple[str, ...]
    names: tuple[str, ...]
    indexed: tuple[bool, ...]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def topic0(self) -> bytes:
        return keccak256(self.signature.encode())

    def encode(self, args: Sequence[Any]) -> tuple[list[bytes], bytes]:
        """Topics and data of one emission; raises TypeError naming a bad argument."""
        if len(args) != len(self.types):
            raise TypeError(f"event {self.name} takes {len(self.types)} values, got {len(args)}")
        topics = [self.topic0]
        data_types, data_values = [], []
        for t, n, idx, v in zip(self.types, self.names, self.indexed, args, strict=True):
            try:
                if idx:
                    if t in ("string", "bytes"):
                        raw = v.encode() if isinstance(v, str) else bytes(v)
                        topics.append(keccak256(raw))
                    elif _is_dynamic_for_topic(t):
                        topics.append(keccak256(abi_encode([t], [v])))
                    else:
                        topics.append(abi_encode([t], [v]))
                else:
                    data_types.append(t)
                    data_values.append(v)
            except Exception as exc:
                raise TypeError(f"event {self.name}: bad value for {n} ({t}): {exc}") from None
        try:
            data = abi_encode(data_types, data_values)
        except Exception as exc:
            raise TypeError(f"event {self.name}: bad data values: {exc}") from None
        return topics, data

    def abi(self) -> dict[str, Any]:
        inputs = []
        for t, n, idx in zip(self.types, self.names, self.indexed, strict=True):
            p = abi_param(n, t)
            p["indexed"] = idx
            inputs.append(p)
        return {"type": "event", "name": self.name, "inputs": inputs, "anonymous": False}


def event(declaration: str) -> EventSpec:
    """Declare an event: ``event("Deposited(address indexed who, uint256 amount)")``."""
    decl = declaration.strip()
    if "(" not in decl or not decl.endswith(")"):
        raise TypeError(f"bad event declaration {declaration!r}")
    name, inner = decl.split("(", 1)
    types, names, indexed = [], [], []
    for i, part in enumerate(_split_top(inner[:-1])):
        words = part.split()
        if not words:
            raise TypeError(f"bad event declaration {declaration!r}: empty parameter")
        is_idx = "indexed" in words[1:]
        rest = [w for w in words[1:] if w != "indexed"]
        types.append(canonical_type(words[0]))
        names.append(rest[0] if rest else f"arg{i}")
        indexed.append(is_idx)
    if sum(indexed) > 3:
        raise TypeError(f"event {name}: at most 3 indexed parameters")
    return EventSpec(name.strip(), tuple(types), tuple(names), tuple(indexed))


@dataclass(frozen=True)
class MethodSpec:
    """A callable entry point of a contract: what it takes, returns and may do."""

    name: str
    types: tuple[str, ...]
    arg_names: tuple[str, ...]
    returns: tuple[str, ...]
    mutability: str  # "nonpayable" | "payable" | "view"
    func: Callable[..., Any]

    @property
    def signature(self) -> str:
        return f"{self.name}({','.join(self.types)})"

    @property
    def selector(self) -> bytes:
        return selector(self.signature)

    @property
    def payable(self) -> bool:
        return self.mutability == "payable"

    @property
    def is_view(self) -> bool:
        return self.mutability == "view"

    def abi(self, kind: str = "function") -> dict[str, Any]:
        entry: dict[str, Any] = {"type": kind}
        if kind == "function":
            entry["name"] = self.name
        entry["inputs"] = [abi_param(n, t) for n, t in zip(self.arg_names, self.types, strict=True)]
        if kind == "function":
            entry["outputs"] = [abi_param("", t) for t in self.returns]
        entry["stateMutability"] = self.mutability
        return entry


def _arg_names(func: Callable[..., Any], n_types: int, where: str) -> tuple[str, ...]:
    params = list(inspect.signature(func).parameters)[2:]  # after self, ctx
    if len(params) != n_types:
        raise TypeError(f"{where}: signature has {n_types} arguments, the function {len(params)}")
    return tuple(params)


def external(signature: str, returns: str | Sequence[str] | None = None, payable: bool = False):
    """Mark a method callable by transactions and other contracts."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        name, types = parse_signature(signature)
        func._l2lab_method = MethodSpec(  # type: ignore[attr-defined]
            name, tuple(types), _arg_names(func, len(types), signature), tuple(parse_types(returns)),
            "payable" if payable else "nonpayable", func,
        )
        return func

    return wrap


def view(signature: str, returns: str | Sequence[str] | None = None):
    """Mark a read-only method: any state change inside it reverts."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        name, types = parse_signature(signature)
        func._l2lab_method = MethodSpec(  # type: ignore[attr-defined]
            name, tuple(types), _arg_names(func, len(types), signature), tuple(parse_types(returns)),
            "view", func,
        )
        return func

    return wrap


def constructor(*types: str, payable: bool = False):
    """Mark the method run once at deployment, with its ABI argument types."""

    def wrap(func: Callable[..., Any]) -> Callable[..., Any]:
        canon = tuple(canonical_type(t) for t in types)
        func._l2lab_constructor = MethodSpec(  # type: ignore[attr-defined]
            "constructor", canon, _arg_names(func, len(canon), f"constructor{canon}"), (),
            "payable" if payable else "nonpayable", func,
        )
        return func

    return wrap


class Contract:
    """Base class of every L1 contract.

    Subclasses keep *no* state in attributes: everything persistent goes
    through ``ctx.sload``/``ctx.sstore`` so a revert can undo it. An instance
    only knows its own ``address``. Set ``RECEIVES_ETH = True`` to accept
    plain ETH transfers (empty calldata), like a Solidity ``receive()``.
    """

    RECEIVES_ETH = False
    _methods: dict[bytes, MethodSpec] = {}
    _constructor: MethodSpec | None = None
    _events: dict[str, EventSpec] = {}

    def __init__(self, address: str) -> None:
        self.address = address

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        methods: dict[bytes, MethodSpec] = {}
        events: dict[str, EventSpec] = {}
        ctor = None
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                spec = getattr(value, "_l2lab_method", None)
                if spec is not None:
                    methods[spec.selector] = spec
                cspec = getattr(value, "_l2lab_constructor", None)
                if cspec is not None:
                    ctor = cspec
                if isinstance(value, EventSpec):
                    events[attr] = value
        cls._methods, cls._events, cls._constructor = methods, events, ctor

    @classmethod
    def abi(cls) -> list[dict[str, Any]]:
        """Standard Ethereum ABI JSON: constructor, functions, events."""
        out: list[dict[str, Any]] = []
        if cls._constructor is not None:
            out.append(cls._constructor.abi("constructor"))
        out.extend(m.abi() for m in sorted(cls._methods.values(), key=lambda m: m.signature))
        out.extend(e.abi() for e in cls._events.values())
        if cls.RECEIVES_ETH:
            out.append({"type": "receive", "stateMutability": "payable"})
        return out

    @classmethod
    def method(cls, name_or_selector: str | bytes) -> MethodSpec:
        """A method's spec by name, signature or selector; KeyError if absent."""
        if isinstance(name_or_selector, bytes):
            return cls._methods[name_or_selector]
        for m in cls._methods.values():
            if name_or_selector in (m.name, m.signature):
                return m
        raise KeyError(f"{cls.__name__} has no method {name_or_selector!r}")

    @classmethod
    def code(cls) -> bytes:
        """The marker ``eth_getCode`` returns for this contract (its deposit is charged)."""
        return DEPLOY_MAGIC + cls.__name__.encode()


REGISTRY: dict[str, type[Contract]] = {}


def register(cls: type[Contract]) -> type[Contract]:
    """Make a contract class deployable by name; the same name twice is an error.

    Re-registering the same class (or one from the same module and qualname,
    as when a module is reloaded) replaces it.
    """
    if not (isinstance(cls, type) and issubclass(cls, Contract)):
        raise TypeError(f"register: {cls!r} is not a Contract subclass")
    old = REGISTRY.get(cls.__name__)
    if old is not None and (old.__module__, old.__qualname__) != (cls.__module__, cls.__qualname__):
        raise ValueError(f"a contract named {cls.__name__!r} is already registered ({old.__module__})")
    REGISTRY[cls.__name__] = cls
    return cls


def get_contract_class(name: str) -> type[Contract]:
    """The registered class called ``name``; KeyError naming it if unknown."""
    try:
        return REGISTRY[name]
    except KeyError:
        raise KeyError(f"unknown contract {name!r}") from None


def deploy_data(contract: str | type[Contract], *args: Any) -> bytes:
    """Creation-transaction data for a registered contract.

    Layout: ``b"L2LAB\\x00" + abi.encode(["string", "bytes"], [name, ctor_args])``
    where ``ctor_args`` is the ABI encoding of the constructor's arguments.
    """
    cls = contract if isinstance(contract, type) else get_contract_class(contract)
    if cls.__name__ not in REGISTRY:
        register(cls)
    types = list(cls._constructor.types) if cls._constructor else []
    if len(args) != len(types):
        raise TypeError(f"{cls.__name__} constructor takes {len(types)} arguments, got {len(args)}")
    return DEPLOY_MAGIC + abi_encode(["string", "bytes"], [cls.__name__, abi_encode(types, list(args))])


def bytecode(contract: str | type[Contract]) -> bytes:
    """What web3 takes as a contract's ``bytecode``: deploy data without arguments.

    ``w3.eth.contract(abi=Cls.abi(), bytecode=bytecode(Cls)).constructor(*args)``
    appends the ABI-encoded arguments, and the runtime reads them from there.
    """
    name = contract if isinstance(contract, str) else contract.__name__
    if not isinstance(contract, str) and name not in REGISTRY:
        register(contract)
    return DEPLOY_MAGIC + abi_encode(["string", "bytes"], [name, b""])
