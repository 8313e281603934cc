"""Small example circuits: what the CLI proves, the tests check and the benchmark times.

Each builder takes its inputs as plain ints (or ``None`` everywhere, to get
the bare constraint system for a setup) and returns the :class:`Circuit`;
``*_sample`` functions give deterministic valid inputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from primitives.snark import eddsa
from primitives.snark.gadgets import eddsa as eddsa_gadget
from primitives.snark.gadgets import merkle
from primitives.snark.gadgets.bits import from_bits, range_check
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.poseidon import poseidon
from primitives.snark.r1cs import Circuit, R


def poseidon_preimage(preimage: Sequence[int | None]) -> Circuit:
    """Knowledge of a Poseidon preimage: public ``hash``, private inputs."""
    c = Circuit()
    known = all(x is not None for x in preimage)
    digest = c.public(poseidon(list(preimage)) if known else None)  # type: ignore[arg-type]
    xs = [c.private(x) for x in preimage]
    c.assert_equal(poseidon_gadget(c, xs), digest, "preimage.hash")
    return c


def poseidon_chain(seed: int | None, length: int) -> Circuit:
    """``length`` chained Poseidon(2) hashes: public start and end, 240 constraints per link.

    A workload of a chosen size for benchmarks (130 links: about 31,000 constraints).
    """
    c = Circuit()
    end = None
    if seed is not None:
        end = seed
        for i in range(length):
            end = poseidon([end, i])
    start = c.public(seed)
    out = c.public(end)
    node = start
    for i in range(length):
        with c.scope(f"link{i}"):
            node = poseidon_gadget(c, [node, i])
    c.assert_equal(node, out, "chain.end")
    return c


def eddsa_check(msg: int | None, public_key: tuple[int, int] | None, signature: eddsa.Signature | None) -> Circuit:
    """One EdDSA-Poseidon signature check, the message public, key and signature private."""
    c = Circuit()
    m = c.public(msg)
    a, s, r8 = eddsa_gadget.signature_inputs(c, public_key, signature)
    eddsa_gadget.verify(c, m, a, s, r8)
    return c


BALANCE_BITS = 128
"""A balance is below 2^128, so it is a number and not a field element standing for a negative one."""
NONCE_BITS = 64
"""A leaf's nonce is below 2^64 when spent, so ``nonce + 1`` never wraps round to a used nonce."""
EXAMPLE_DOMAIN = int.from_bytes(b"l2lab example rollup", "big")
"""The ``domain`` of the sample update: names the tree a signature is for."""


def account_leaf(public_key: tuple[int, int], balance: int, nonce: int) -> int:
    """A leaf of the example tree: ``poseidon([Ax, Ay, balance, nonce])``, the owner's BabyJubJub key first."""
    return poseidon([public_key[0], public_key[1], balance, nonce])


def update_message(domain: int, index: int, nonce: int, new_balance: int) -> int:
    """What the owner signs to set leaf ``index``'s balance: ``poseidon([domain, index, nonce, new_balance])``.

    ``domain`` names the rollup (the tree), so a signature for one is worthless on another.
    """
    return poseidon([domain, index, nonce, new_balance])


@dataclass(frozen=True)
class SignedUpdate:
    """One account leaf rewritten by its owner: the inputs of :func:`signed_update`.

    ``old_root``, ``new_root`` and ``domain`` are the public claim; the rest is
    the prover's witness. :func:`sign_update` builds an honest one; a test may
    pair any claim with any witness to show the circuit refuses it.
    """

    old_root: int
    new_root: int
    domain: int
    index: int
    siblings: tuple[int, ...]
    public_key: tuple[int, int]
    old_balance: int
    new_balance: int
    nonce: int
    signature: eddsa.Signature

    @property
    def old_leaf(self) -> int:
        return account_leaf(self.public_key, self.old_balance, self.nonce)

    @property
    def new_leaf(self) -> int:
        return account_leaf(self.public_key, self.new_balance, (self.nonce + 1) % R)  # as the circuit computes it


def sign_update(
    private_key: bytes,
    *,
    domain: int,
    index: int,
    siblings: Sequence[int],
    old_balance: int,
    new_balance: int,
    nonce: int,
) -> SignedUpdate:
    """The owner of ``private_key``, whose leaf sits at ``index``, sets its balance to ``new_balance``.

    The roots are those of the tree the ``siblings`` describe, before and after.
    """
    for name, value, bits in (("old_balance", old_balance, BALANCE_BITS), ("new_balance", new_balance, BALANCE_BITS),
                              ("nonce", nonce, NONCE_BITS)):
        if not 0 <= value < 1 << bits:
            raise ValueError(f"{name} must be in [0, 2^{bits}), got {value}")
    public_key = eddsa.prv_to_pub(private_key)
    siblings = tuple(siblings)
    return SignedUpdate(
        old_root=merkle.root_from_path(account_leaf(public_key, old_balance, nonce), index, siblings),
        new_root=merkle.root_from_path(account_leaf(public_key, new_balance, nonce + 1), index, siblings),
        domain=domain,
        index=index,
        siblings=siblings,
        public_key=public_key,
        old_balance=old_balance,
        new_balance=new_balance,
        nonce=nonce,
        signature=eddsa.sign_poseidon(private_key, update_message(domain, index, nonce, new_balance)),
    )


def signed_update_sample(depth: int = 4, private_key: bytes = b"l2lab example key......32 bytes!") -> SignedUpdate:
    """A deterministic valid update in a tree of ``depth`` levels: leaf 5 goes from 100 to 70 at nonce 3."""
    return sign_update(
        private_key,
        domain=EXAMPLE_DOMAIN,
        index=5 % (1 << depth),
        siblings=[poseidon([1000 + level]) for level in range(depth)],
        old_balance=100,
        new_balance=70,
        nonce=3,
    )


def signed_update(u: SignedUpdate | None, depth: int) -> Circuit:
    """An account's owner changes its balance; public ``old_root``, ``new_root``, ``domain``.

    A satisfying witness shows there are an index ``i < 2^depth``, a key
    ``A``, balances ``b, b' < 2^128``, a nonce ``n < 2^64`` and a Merkle path
    such that

    * the leaf ``poseidon([Ax, Ay, b, n])`` sits at ``i`` under ``old_root``;
    * ``new_root`` is that tree with the leaf at ``i`` replaced by
      ``poseidon([Ax, Ay, b', n + 1])``: same key, nonce one higher;
    * ``(R8, S)`` is an EdDSA-Poseidon signature by ``A`` of
      ``poseidon([domain, i, n, b'])`` (checked as in ``gadgets/eddsa.py``).

    The signer's key is the one inside the old leaf, so only a leaf's owner
    can change it; the signed message names the tree, the leaf and the nonce,
    so a signature is good for one update only: not on another tree (domain),
    another leaf (index), or again after the update (the nonce has moved on).

    What it does not prove: that ``b'`` came from anywhere. The owner may set
    any balance; this is an authorisation example, not a transfer, and a
    rollup built on it would add a conservation rule. The verifier must also
    check the public inputs themselves: ``domain`` is its own, ``old_root``
    its current state. The index, the key and the balances are not public
    inputs, though anyone who holds the whole tree learns them from the roots.
    """
    c = Circuit()
    old_root = c.public(u.old_root if u else None)
    new_root = c.public(u.new_root if u else None)
    domain = c.public(u.domain if u else None)
    old_balance = c.private(u.old_balance if u else None)
    new_balance = c.private(u.new_balance if u else None)
    nonce = c.private(u.nonce if u else None)
    bits = [c.private((u.index >> i) & 1 if u else None) for i in range(depth)]
    siblings = [c.private(u.siblings[i] if u else None) for i in range(depth)]
    a, s, r8 = eddsa_gadget.signature_inputs(c, u.public_key if u else None, u.signature if u else None)
    with c.scope("ranges"):
        with c.scope("old_balance"):
            range_check(c, old_balance, BALANCE_BITS)
        with c.scope("new_balance"):
            range_check(c, new_balance, BALANCE_BITS)
        with c.scope("nonce"):
            range_check(c, nonce, NONCE_BITS)
    with c.scope("old_leaf"):
        old_leaf = poseidon_gadget(c, [a[0], a[1], old_balance, nonce])
    with c.scope("new_leaf"):
        new_leaf = poseidon_gadget(c, [a[0], a[1], new_balance, nonce + 1])
    with c.scope("message"):
        msg = poseidon_gadget(c, [domain, from_bits(bits), nonce, new_balance])
    eddsa_gadget.verify(c, msg, a, s, r8)
    # update_path constrains every path bit to be 0 or 1, so from_bits(bits) above is the index.
    computed = merkle.update_path(c, old_leaf, new_leaf, bits, siblings, old_root)
    c.assert_equal(computed, new_root, "new_root")
    return c
