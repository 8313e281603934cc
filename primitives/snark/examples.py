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
from primitives.snark.gadgets.poseidon import poseidon as poseidon_gadget
from primitives.snark.poseidon import poseidon
from primitives.snark.r1cs import Circuit


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


@dataclass(frozen=True)
class SignedUpdate:
    """A leaf replaced in a Poseidon Merkle tree, authorised by the owner's signature on the new leaf."""

    old_root: int
    new_root: int
    old_leaf: int
    new_leaf: int
    index: int
    siblings: tuple[int, ...]
    public_key: tuple[int, int]
    signature: eddsa.Signature


def signed_update_sample(depth: int = 4, private_key: bytes = b"l2lab example key......32 bytes!") -> SignedUpdate:
    """A deterministic valid update in a tree of ``depth`` levels."""
    siblings = tuple(poseidon([1000 + level]) for level in range(depth))
    index = 5 % (1 << depth)
    old_leaf, new_leaf = poseidon([1, 2]), poseidon([1, 3])
    signature = eddsa.sign_poseidon(private_key, new_leaf)
    return SignedUpdate(
        old_root=merkle.root_from_path(old_leaf, index, siblings),
        new_root=merkle.root_from_path(new_leaf, index, siblings),
        old_leaf=old_leaf,
        new_leaf=new_leaf,
        index=index,
        siblings=siblings,
        public_key=eddsa.prv_to_pub(private_key),
        signature=signature,
    )


def signed_update(u: SignedUpdate | None, depth: int) -> Circuit:
    """Public old and new roots; private leaves, path and a signature over the new leaf."""
    c = Circuit()
    old_root = c.public(u.old_root if u else None)
    new_root = c.public(u.new_root if u else None)
    old_leaf = c.private(u.old_leaf if u else None)
    new_leaf = c.private(u.new_leaf if u else None)
    bits = [c.private((u.index >> i) & 1 if u else None) for i in range(depth)]
    siblings = [c.private(u.siblings[i] if u else None) for i in range(depth)]
    a, s, r8 = eddsa_gadget.signature_inputs(c, u.public_key if u else None, u.signature if u else None)
    eddsa_gadget.verify(c, new_leaf, a, s, r8)
    computed = merkle.update_path(c, old_leaf, new_leaf, bits, siblings, old_root)
    c.assert_equal(computed, new_root, "new_root")
    return c
