"""Rank-1 constraint systems written as ordinary Python.

A circuit is built by calling methods on a :class:`Circuit`: allocate public
and private signals, combine them into linear combinations with ``+``, ``-``
and ``*``, and add named constraints ``A * B == C``. Every signal carries its
value alongside when one is known, so the same code that states the
constraints also computes the witness; values that are not a deterministic
function of earlier ones (bits, inverses) come from *hints*.

Building without values (``value=None`` everywhere) gives the same constraint
system, which is all a trusted setup needs.

Wire order follows the convention snarkjs and circom use: wire 0 is the
constant one, then the public signals, then the private ones. Signals may be
allocated in any order; :meth:`Circuit.compile` assigns the wires.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from itertools import repeat
from operator import mul

from primitives.snark import kernels
from primitives.snark.field import R  # every signal and coefficient lives modulo R
from primitives.snark.kernels import FrWords

Terms = dict[int, int]


class ConstraintError(ValueError):
    """A witness breaks a constraint; the message names the constraint."""

    def __init__(self, index: int, name: str, detail: str = "") -> None:
        self.index = index
        self.name = name
        super().__init__(f"constraint {index} ({name!r}) does not hold" + (f": {detail}" if detail else ""))


class MissingValue(ValueError):
    """A witness was requested from a circuit built without some signal's value."""


class LC:
    """A linear combination ``sum(coeff * signal)`` over the field, with its value.

    Variable 0 is the constant one, so ``LC`` also represents constants. The
    value is ``None`` when any signal it uses has no known value.
    """

    __slots__ = ("circuit", "terms", "value")

    def __init__(self, circuit: Circuit | None, terms: Terms, value: int | None) -> None:
        self.circuit = circuit
        self.terms = terms
        self.value = value

    # -- inspection --------------------------------------------------------
    def is_constant(self) -> bool:
        """True when the combination uses no signal besides the constant one."""
        return all(var == 0 for var in self.terms)

    def constant_value(self) -> int:
        """The value of a constant combination."""
        return self.terms.get(0, 0)

    def __repr__(self) -> str:
        return f"LC({self.terms!r}, value={self.value!r})"

    # -- arithmetic ----------------------------------------------------------
    def _combine(self, other: LC | int, sign: int) -> LC:
        other = as_lc(other, self.circuit)
        terms = dict(self.terms)
        for var, coeff in other.terms.items():
            c = (terms.get(var, 0) + sign * coeff) % R
            if c:
                terms[var] = c
            else:
                terms.pop(var, None)
        value = None if self.value is None or other.value is None else (self.value + sign * other.value) % R
        return LC(self.circuit or other.circuit, terms, value)

    def __add__(self, other: LC | int) -> LC:
        return self._combine(other, 1)

    def __radd__(self, other: int) -> LC:
        return self._combine(other, 1)

    def __sub__(self, other: LC | int) -> LC:
        return self._combine(other, -1)

    def __rsub__(self, other: int) -> LC:
        return as_lc(other, self.circuit)._combine(self, -1)

    def __neg__(self) -> LC:
        return self.scale(-1)

    def scale(self, k: int) -> LC:
        """This combination times the constant ``k``: free, no constraint."""
        k %= R
        if k == 0:
            return LC(self.circuit, {}, 0)
        terms = {var: coeff * k % R for var, coeff in self.terms.items()}
        return LC(self.circuit, terms, None if self.value is None else self.value * k % R)

    def __mul__(self, other: LC | int) -> LC:
        if isinstance(other, int):
            return self.scale(other)
        circuit = self.circuit or other.circuit
        if circuit is None:  # both constants
            return self.scale(other.constant_value())
        return circuit.mul(self, other, "mul")

    def __rmul__(self, other: int) -> LC:
        return self.scale(other)


def as_lc(x: LC | int, circuit: Circuit | None = None) -> LC:
    """An integer as a constant combination; a combination unchanged."""
    if isinstance(x, LC):
        return x
    if isinstance(x, bool) or not isinstance(x, int):
        raise TypeError(f"expected a linear combination or an int, got {type(x).__name__}")
    k = x % R
    return LC(circuit, {0: k} if k else {}, k)


class Entries:
    """One matrix of a constraint system (A, B or C), packed as parallel columns.

    Entry ``e`` adds ``table[ids[e]] * w[wires[e]]`` to row ``rows[e]``;
    the rows never decrease, so a constraint's entries sit together, in the
    order its linear combination listed them. ``table`` (the system's
    distinct coefficients: a circuit has few) is shared by the three
    matrices, so an entry costs 12 bytes.
    """

    __slots__ = ("ids", "rows", "wires")

    def __init__(self) -> None:
        self.rows = array("I")
        self.wires = array("I")
        self.ids = array("I")

    def __len__(self) -> int:
        return len(self.rows)

    def starts(self, n_rows: int) -> list[int]:
        """``starts[j]``: the first entry of row j (``starts[n_rows]`` is the entry count)."""
        rows = self.rows
        return [bisect_left(rows, j) for j in range(n_rows)] + [len(rows)]


class _Table:
    """The distinct coefficients, each stored once: ``id_of`` interns a value."""

    __slots__ = ("index", "values")

    def __init__(self) -> None:
        self.values: list[int] = []
        self.index: dict[int, int] = {}

    def id_of(self, v: int) -> int:
        i = self.index.get(v)
        if i is None:
            i = self.index[v] = len(self.values)
            self.values.append(v)
        return i


def _append_row(m: Entries, table: _Table, j: int, row: Terms) -> None:
    m.rows.extend(repeat(j, len(row)))
    m.wires.extend(row.keys())
    m.ids.extend(map(table.id_of, row.values()))


class R1CS:
    """A compiled constraint system: wire 0 is one, then ``n_public`` public wires.

    Each constraint is a triple of sparse rows and holds when
    ``<A, w> * <B, w> == <C, w>`` modulo R. The rows are kept packed
    (:class:`Entries`, 12 bytes an entry, coefficients stored once), so a
    circuit of millions of constraints fits in memory; :attr:`constraints`
    unpacks them into ``{wire: coeff}`` dicts for code that reads them one
    by one, and :meth:`evaluate` computes every row's value in one kernel
    call per matrix.
    """

    def __init__(self, n_wires: int, n_public: int, constraints: Iterable[tuple[Terms, Terms, Terms]] = (),
                 names: list[str] | None = None) -> None:
        self.n_wires = n_wires
        self.n_public = n_public
        self.names: list[str] = list(names) if names is not None else []
        self.matrices = (Entries(), Entries(), Entries())
        table = _Table()
        n = 0
        for j, con in enumerate(constraints):
            for m, row in zip(self.matrices, con, strict=True):
                _append_row(m, table, j, row)
            n = j + 1
        self.n_constraints = n
        self.table = table.values
        self._table_words: FrWords | None = None

    @classmethod
    def packed(cls, n_wires: int, n_public: int, n_constraints: int, matrices: tuple[Entries, Entries, Entries],
               table: list[int], names: list[str]) -> R1CS:
        """A system from already packed matrices (what :meth:`Circuit.compile` hands over)."""
        out = cls(n_wires, n_public, (), names)
        out.matrices, out.table, out.n_constraints = matrices, table, n_constraints
        return out

    def iter_constraints(self) -> Iterator[tuple[Terms, Terms, Terms]]:
        """Every constraint as ``{wire: coeff}`` rows, one at a time."""
        t = self.table
        cols = [(m.wires, m.ids, m.starts(self.n_constraints)) for m in self.matrices]
        for j in range(self.n_constraints):
            yield tuple(  # type: ignore[misc]
                {wires[e]: t[ids[e]] for e in range(st[j], st[j + 1])} for wires, ids, st in cols
            )

    @property
    def constraints(self) -> list[tuple[Terms, Terms, Terms]]:
        """Every constraint unpacked (a new list each call: large systems use the packed matrices)."""
        return list(self.iter_constraints())

    def table_words(self) -> FrWords:
        if self._table_words is None:
            self._table_words = FrWords.from_ints(self.table)
        return self._table_words

    def evaluate(self, witness: Sequence[int]) -> tuple[FrWords, FrWords, FrWords]:
        """``<A_j, w>``, ``<B_j, w>``, ``<C_j, w>`` for every constraint j, packed (the prover needs them too)."""
        check_witness_shape(self, witness)
        w = witness if isinstance(witness, FrWords) else FrWords.from_ints(witness)
        t = self.table_words()
        a, b, c = (kernels.fr_rows(self.n_constraints, m.rows, m.wires, m.ids, t, w) for m in self.matrices)
        return a, b, c

    def check(self, witness: Sequence[int]) -> tuple[FrWords, FrWords, FrWords]:
        """Raise unless ``witness`` satisfies every constraint; return the row values.

        Run before proving, so a bad witness is reported by the name of the
        constraint it breaks instead of as a proof that does not verify.
        """
        a, b, c = self.evaluate(witness)
        i = first_nonzero(kernels.fr_mul_sub(a, b, c))
        if i is not None:
            name = self.names[i] if i < len(self.names) else "?"
            raise ConstraintError(i, name, f"{a[i]} * {b[i]} != {c[i]}")
        return a, b, c

    def public_inputs(self, witness: Sequence[int]) -> list[int]:
        """The public signals of a witness, in wire order (as in public.json)."""
        return list(witness[1 : 1 + self.n_public])


_ZERO_CHUNK = bytes(1 << 16)


def first_nonzero(words: FrWords) -> int | None:
    """The index of the first nonzero packed word, or None when all are zero."""
    buf = memoryview(words.buf)
    step = len(_ZERO_CHUNK)
    for off in range(0, len(buf), step):
        chunk = buf[off : off + step]
        if chunk != _ZERO_CHUNK[: len(chunk)]:
            for k in range(0, len(chunk), 32):
                if any(chunk[k : k + 32]):
                    return (off + k) // 32
    return None


def check_witness_shape(r1cs: R1CS, witness: Sequence[int]) -> None:
    """Reject a witness of the wrong length, non-canonical values, or w[0] != 1."""
    if len(witness) != r1cs.n_wires:
        raise ValueError(f"witness has {len(witness)} values, the circuit has {r1cs.n_wires} wires")
    if witness[0] != 1:
        raise ValueError("witness[0] must be 1 (the constant-one wire)")
    for i, v in enumerate(witness):
        if not isinstance(v, int) or not 0 <= v < R:
            raise ValueError(f"witness value {i} is not a field element in [0, R): {v!r}")


def dot(row: Terms, witness: Sequence[int]) -> int:
    """The value of a sparse row against a witness."""
    return sum(map(mul, row.values(), map(witness.__getitem__, row.keys()))) % R


class Circuit:
    """A circuit under construction: signals, their values and named constraints."""

    def __init__(self, record: bool = True) -> None:
        """``record=False`` computes values only: the constraints are counted, not kept (a witness
        for a system compiled once elsewhere, in a fraction of the memory)."""
        self._public: list[bool] = [True]  # variable 0, the constant one, sits before the publics
        self._values: list[int | None] = [1]
        self._record = record
        self._matrices = (Entries(), Entries(), Entries())  # variables, not wires, until compile()
        self._table = _Table()
        self._n_constraints = 0
        self._names: list[str] = []
        self._scope: list[str] = []
        self._wire_of: list[int] | None = None
        self._compiled: R1CS | None = None

    # -- signals ---------------------------------------------------------------
    def _new_var(self, value: int | None, public: bool) -> LC:
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"a signal value must be an int, got {type(value).__name__}")
            value %= R
        if self._wire_of is not None:
            raise RuntimeError("the circuit was compiled; allocate every signal before compile()")
        var = len(self._values)
        self._values.append(value)
        self._public.append(public)
        return LC(self, {var: 1}, value)

    def public(self, value: int | None = None) -> LC:
        """A public input: the verifier sees its value."""
        return self._new_var(value, True)

    def private(self, value: int | None = None) -> LC:
        """A private input: known only to the prover."""
        return self._new_var(value, False)

    def const(self, k: int) -> LC:
        """The constant ``k`` as a combination bound to this circuit."""
        return as_lc(k, self)

    def hint(self, fn: Callable[..., int], *args: LC | int) -> LC:
        """A private signal whose value ``fn`` computes from the values of ``args``.

        The hint states no constraint: the caller must constrain the result,
        since a dishonest prover may put any value there.
        """
        return self.hints(lambda *v: [fn(*v)], 1, *args)[0]

    def hints(self, fn: Callable[..., Iterable[int]], n: int, *args: LC | int) -> list[LC]:
        """Like :meth:`hint` for a function that returns ``n`` values."""
        lcs = [as_lc(a, self) for a in args]
        if any(lc.value is None for lc in lcs):
            return [self.private(None) for _ in range(n)]
        values = [int(v) for v in fn(*(lc.value for lc in lcs))]
        if len(values) != n:
            raise ValueError(f"hint returned {len(values)} values, expected {n}")
        return [self.private(v) for v in values]

    @property
    def recording(self) -> bool:
        """Whether constraints are kept (False: values only, constraints counted)."""
        return self._record

    def count_constraints(self, n: int) -> None:
        """Count ``n`` constraints a values-only gadget states without building them (``record=False`` only)."""
        if self._record:
            raise RuntimeError("a recording circuit keeps its constraints: state them with constrain()")
        self._n_constraints += n

    # -- constraints -------------------------------------------------------------
    @contextmanager
    def scope(self, name: str) -> Iterator[None]:
        """Prefix the names of the constraints added inside, e.g. ``merkle.level3``."""
        self._scope.append(name)
        try:
            yield
        finally:
            self._scope.pop()

    def _qualified(self, name: str) -> str:
        return ".".join([*self._scope, name])

    def constrain(self, a: LC | int, b: LC | int, c: LC | int, name: str) -> None:
        """Add the constraint ``a * b == c`` under ``name``."""
        if self._wire_of is not None:
            raise RuntimeError("the circuit was compiled; add every constraint before compile()")
        a, b, c = as_lc(a, self), as_lc(b, self), as_lc(c, self)
        j = self._n_constraints
        self._n_constraints = j + 1
        if self._record:
            for m, lc in zip(self._matrices, (a, b, c), strict=True):
                _append_row(m, self._table, j, lc.terms)
            self._names.append(self._qualified(name))

    def mul(self, a: LC | int, b: LC | int, name: str = "mul") -> LC:
        """``a * b`` as a new signal; free when either factor is a constant."""
        a, b = as_lc(a, self), as_lc(b, self)
        if a.is_constant():
            return b.scale(a.constant_value())
        if b.is_constant():
            return a.scale(b.constant_value())
        value = None if a.value is None or b.value is None else a.value * b.value % R
        out = self._new_var(value, False)
        self.constrain(a, b, out, name)
        return out

    def assert_equal(self, a: LC | int, b: LC | int, name: str) -> None:
        """``a == b``, stated as ``(a - b) * 1 == 0``."""
        a = as_lc(a, self)
        self.constrain(a - b, 1, 0, name)

    def assert_bool(self, x: LC, name: str) -> None:
        """``x`` is 0 or 1, stated as ``x * (x - 1) == 0``."""
        self.constrain(x, x - 1, 0, name)

    # -- output ----------------------------------------------------------------
    @property
    def n_constraints(self) -> int:
        return self._n_constraints

    def _wire_map(self) -> list[int]:
        if self._wire_of is None:
            order = [v for v, p in enumerate(self._public) if p] + [v for v, p in enumerate(self._public) if not p]
            wire_of = [0] * len(order)
            for wire, var in enumerate(order):
                wire_of[var] = wire
            self._wire_of = wire_of
        return self._wire_of

    def compile(self) -> R1CS:
        """The constraint system with wires in snarkjs order; the circuit is then frozen.

        The packed rows move into the system (the circuit keeps its values
        for :meth:`witness`), so compiling costs no second copy.
        """
        if self._compiled is not None:
            return self._compiled
        if not self._record:
            raise RuntimeError("this circuit was built with record=False: it has values, not constraints")
        wire_of = self._wire_map()
        for m in self._matrices:
            m.wires = array("I", map(wire_of.__getitem__, m.wires))
        n_public = sum(self._public) - 1
        out = R1CS.packed(len(self._values), n_public, self._n_constraints, self._matrices, self._table.values,
                          self._names)
        self._matrices, self._names, self._compiled = (Entries(), Entries(), Entries()), [], out
        return out

    def witness(self) -> list[int]:
        """Every signal's value in wire order; raises if any value is unknown."""
        wire_of = self._wire_map()
        out = [0] * len(self._values)
        for var, value in enumerate(self._values):
            if value is None:
                raise MissingValue(f"signal {var} has no value: build the circuit with all inputs to get a witness")
            out[wire_of[var]] = value
        return out

    def wire(self, signal: LC) -> int:
        """The wire index of a single allocated signal (for tests that tamper with witnesses)."""
        vars_ = [v for v in signal.terms if v != 0]
        if len(vars_) != 1 or signal.terms[vars_[0]] != 1 or 0 in signal.terms:
            raise ValueError("wire() takes a single allocated signal, not a combination")
        return self._wire_map()[vars_[0]]
