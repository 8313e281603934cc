"""SHA-256 (FIPS 180-4) in a circuit, for binding bytes hashed on L1 to a proof.

A rollup posts its batch pubdata as calldata and L1 hashes it with the
SHA-256 precompile; :func:`sha256` recomputes that digest from the
pubdata's bits inside the circuit, and :func:`digest_field` packs it into
one field element, a public input the verifier contract can compare with
the precompile's output.

Representation. A 32-bit word is a list of 32 bits, least significant
first, so rotations and shifts are free re-indexing. A bit is either a
Python int, a constant known when the circuit is built (the IV, the round
constants, the padding, and everything computed from them alone), or a
linear combination constrained to be 0 or 1. Operations on constants fold
away: a XOR with a constant is a negation or nothing, a Ch or Maj with a
constant input is linear or one product. The padding depends only on the
message length, which is fixed when the circuit is built.

Costs, with every input variable:

* XOR of three bits (Σ0, Σ1, σ0, σ1): ``t = x*y`` and ``u = (x+y-2t)*z``,
  two constraints, giving ``x+y-2t+z-2u``; where a shift brings in a zero,
  a XOR of two bits, one constraint. Bit 31 of a Σ or σ word is free: the
  word only ever enters sums mod 2^32, where ``2^31 * (x+y+z)`` and
  ``2^31 * (x^y^z)`` agree, so that bit is left as the plain sum.
* ``Ch(e, f, g) = g + e*(f-g)``: one constraint.
* ``Maj(a, b, c) = (a AND b) + c * (a XOR b)``, where ``a XOR b = a+b-2ab``
  comes with the AND. Round t's pair (a, b) is round t+1's (b, c), so
  even rounds compute the pair and both rounds reuse it: 1.5 constraints
  per bit and round on average.
* A sum of words mod 2^32: the words enter one linear combination (Σ, Ch
  and Maj are linear combinations of bits, so they add for free) and the
  prover decomposes it into as many bits as its largest possible value
  needs, 32 plus the carries, which are dropped. ``n`` bits cost ``n``
  constraints and no separate sum check: the top bit is not allocated but
  defined as ``(sum - lower bits) / 2^(n-1)``, and its booleanity,
  ``rest * (rest - 2^(n-1)) == 0`` with ``rest = sum - lower bits``, is
  the sum check. Every bound stays below 2^36, far under R, so the
  decomposition is exact. The constant parts of all the summands are
  added up and reduced mod 2^32 first, which keeps the carries few.
* The new ``e = d + T1`` is one decomposition, and the new ``a`` another:
  ``T1 + T2 = new e - d + T2``, and ``new e + (2^32 - d) + Σ0 + Maj``
  spans five words' worth where ``T1 + T2`` spans nine, so it needs 35
  bits instead of 36. T1 itself is never decomposed.
* Words read only inside sums are never decomposed: the schedule's W62 and
  W63 (read by rounds 62 and 63), round 63's ``a`` and ``e`` (read by the
  feed-forward), and between blocks the chaining words 3 and 7 (the next
  block's first ``d`` and ``h``) while they fit in 34 bits. Each costs a
  carry bit or a few where it is added instead of a decomposition.

A 64-byte block with every bit variable, in the middle of a message:
48 schedule words at 60 + 53 for σ0 and σ1 plus 35 for the sum (the last
two words skip the sum): 7,034; 64 rounds at 62 + 32 + 62 + 48 for Σ1, Ch,
Σ0 and Maj: 13,056; the sums for ``e`` and ``a`` of rounds 0..62 at 35
each, 36 for round 62's ``e``, which adds the unreduced W62: 4,411; the
feed-forward of six words: 204. Total 24,705. Counts by block (pinned by
``tests/test_sha256_gadget.py``):

* the first block of a longer message (the IV is constant): 24,385
* a later block: 24,705 or 24,706, and one in four 24,776 (it reduces
  the chaining words 3 and 7)
* the last block, holding the length and at most 55 message bytes: at
  most 24,525 (a whole one-block message of 55 bytes: 24,200)
* a padding-only block, the last one when the message ends less than 9
  bytes before a block boundary or on it; its schedule is constant:
  17,735 to 17,741
* a message of constant bits, the empty one included: 0

So no block costs more than ``MAX_CONSTRAINTS_PER_BLOCK`` = 24,800;
circomlib's ``Sha256`` spends about 29,400 per block.
"""

from __future__ import annotations

from collections.abc import Sequence

from primitives.snark.r1cs import LC, Circuit, R

Bit = LC | int
Word = list[Bit]

MAX_CONSTRAINTS_PER_BLOCK = 24_800
"""No compression block of :func:`sha256` costs more constraints than this."""

DIGEST_FIELD_BITS = 253
""":func:`digest_field` keeps this many top bits of the digest: 2^253 < R."""

_MASK = (1 << 32) - 1

_IV = (
    0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A,
    0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19,
)  # fmt: skip

_K = (
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
)  # fmt: skip


# ---------------------------------------------------------------- plain helpers


def message_bits(data: bytes) -> list[int]:
    """The bits of ``data`` in the order :func:`sha256` takes them: bytes in order, each MSB first."""
    return [(byte >> (7 - i)) & 1 for byte in data for i in range(8)]


def bits_to_bytes(bits: Sequence[int]) -> bytes:
    """The inverse of :func:`message_bits`: groups of 8 bits, MSB first, into bytes."""
    if len(bits) % 8:
        raise ValueError(f"{len(bits)} bits are not a whole number of bytes")
    out = bytearray()
    for i in range(0, len(bits), 8):
        byte = 0
        for b in bits[i : i + 8]:
            if b not in (0, 1):
                raise ValueError(f"not a bit: {b!r}")
            byte = byte << 1 | b
        out.append(byte)
    return bytes(out)


def digest_to_field(digest: bytes) -> int:
    """The field element :func:`digest_field` computes: the digest's top 253 bits.

    ``int.from_bytes(digest, "big") >> 3`` is below 2^253 < R, so distinct
    truncated digests stay distinct field elements (no reduction mod R).
    """
    if len(digest) != 32:
        raise ValueError(f"a SHA-256 digest has 32 bytes, got {len(digest)}")
    return int.from_bytes(digest, "big") >> (256 - DIGEST_FIELD_BITS)


# ---------------------------------------------------------------- bit operations


def _lin(c: Circuit, const: int, *pairs: tuple[int, Bit]) -> LC:
    """``const + sum(k * x)`` as a combination, built in one pass (the hot path of the gadget)."""
    terms: dict[int, int] = {0: const} if const else {}
    get = terms.get
    value: int | None = const
    for k, x in pairs:
        if isinstance(x, int):
            terms[0] = get(0, 0) + k * x
            if value is not None:
                value += k * x
            continue
        for var, coeff in x.terms.items():
            terms[var] = get(var, 0) + k * coeff
        xv = x.value
        value = None if value is None or xv is None else value + k * xv
    out = {var: coeff % R for var, coeff in terms.items() if coeff % R}
    return LC(c, out, None if value is None else value % R)


def _product(c: Circuit, a: LC, b: LC, name: str) -> LC:
    """A new signal constrained to ``a * b`` (both non-constant)."""
    out = c.private(None if a.value is None or b.value is None else a.value * b.value % R)
    c.constrain(a, b, out, name)
    return out


def _not(x: Bit) -> Bit:
    return 1 - x if isinstance(x, int) else _lin(x.circuit, 1, (-1, x))  # type: ignore[arg-type]


def _xor2(c: Circuit, x: Bit, y: Bit, name: str) -> Bit:
    if isinstance(x, int):
        return y if x == 0 else _not(y)
    if isinstance(y, int):
        return x if y == 0 else _not(x)
    # x + y - 2xy, written out: the gadget's most frequent operation.
    xv, yv = x.value, y.value
    t = _product(c, x, y, name)
    terms = dict(x.terms)
    for var, k in y.terms.items():
        k = (terms.get(var, 0) + k) % R
        if k:
            terms[var] = k
        else:
            del terms[var]
    (t_var,) = t.terms
    terms[t_var] = R - 2
    return LC(c, terms, None if t.value is None else (xv + yv - 2 * t.value) % R)  # type: ignore[operator]


def _xor3(c: Circuit, x: Bit, y: Bit, z: Bit, name: str) -> Bit:
    flip = 0
    var: list[LC] = []
    for b in (x, y, z):
        if isinstance(b, int):
            flip ^= b
        else:
            var.append(b)
    if not var:
        return flip
    out: Bit = var[0]
    for n, b in enumerate(var[1:]):
        out = _xor2(c, out, b, f"{name}.xor{n}")
    return _not(out) if flip else out


def _ch(c: Circuit, e: Bit, f: Bit, g: Bit, name: str) -> Bit:
    """``e ? f : g``."""
    if isinstance(e, int):
        return f if e else g
    if isinstance(f, int) and isinstance(g, int):
        if f == g:
            return f
        return e if f else _not(e)
    return _lin(c, 0, (1, g), (1, _product(c, e, _lin(c, 0, (1, f), (-1, g)), name)))


def _times(c: Circuit, x: Bit, y: Bit, name: str) -> Bit:
    """``x AND y``: one product, free when a bit is constant."""
    if isinstance(x, int):
        return y if x else 0
    if isinstance(y, int):
        return x if y else 0
    return _product(c, x, y, name)


def _pair(c: Circuit, u: Bit, v: Bit, name: str) -> tuple[Bit, Bit]:
    """``(u AND v, u XOR v)`` for the price of the AND."""
    both = _times(c, u, v, name)
    if isinstance(u, int) or isinstance(v, int):
        return both, _xor2(c, u, v, name)  # free
    return both, _lin(c, 0, (1, u), (1, v), (-2, both))


def _maj(c: Circuit, pair: tuple[Bit, Bit], z: Bit, name: str) -> Bit:
    """The majority of ``z`` and two bits given as ``(AND, XOR)``: ``AND + z * XOR``.

    If the two bits agree they decide, and their AND is the answer; if they
    differ, ``z`` decides. At most one of the two terms is 1.
    """
    both, either = pair
    tie = _times(c, z, either, name)
    if isinstance(tie, int) and isinstance(both, int):
        return both + tie
    if isinstance(tie, int) and not tie:
        return both
    if isinstance(both, int) and not both:
        return tie
    return _lin(c, 0, (1, both), (1, tie))


# ---------------------------------------------------------------- sums of words


class _Sum:
    """An integer given as a linear combination of bits, not yet reduced mod 2^32.

    ``terms`` (coefficients not yet reduced mod R) and ``value`` cover the
    variable part, which is at most ``bound``; ``const`` is the constant
    part, which may be reduced mod 2^32 whenever it is convenient since only
    the value mod 2^32 matters.
    """

    __slots__ = ("terms", "value", "bound", "const")

    def __init__(self, terms: dict[int, int], value: int | None, bound: int, const: int) -> None:
        self.terms = terms
        self.value = value
        self.bound = bound
        self.const = const

    def lc(self, c: Circuit) -> LC:
        """The whole sum, constant part included, as a combination."""
        terms: dict[int, int] = {}
        for var, k in self.terms.items():
            if var == 0:
                k += self.const
            k %= R
            if k:
                terms[var] = k
        if self.const and 0 not in self.terms:
            terms[0] = self.const
        return LC(c, terms, None if self.value is None else (self.value + self.const) % R)


def _add(words: Sequence[Word | _Sum], const: int = 0) -> _Sum:
    """The sum of ``words`` and ``const`` as a single linear combination (free)."""
    acc: dict[int, int] = {}
    value: int | None = 0
    bound = 0
    for word in words:
        if isinstance(word, _Sum):
            for var, k in word.terms.items():
                acc[var] = acc.get(var, 0) + k
            bound += word.bound
            const += word.const
            value = None if value is None or word.value is None else value + word.value
            continue
        for i, b in enumerate(word):
            if isinstance(b, int):
                const += b << i
                continue
            w = 1 << i
            for var, k in b.terms.items():
                acc[var] = acc.get(var, 0) + k * w
            bound += w
            value = None if value is None or b.value is None else value + b.value * w
    return _Sum(acc, value, bound, const & _MASK)


def _neg(x: Word | _Sum) -> _Sum:
    """A sum congruent to ``-x`` mod 2^32 whose variable part is ``bound - x`` (never negative).

    For a reduced word that is ``NOT x + 1``.
    """
    s = x if isinstance(x, _Sum) else _add([x])
    terms = {var: -k for var, k in s.terms.items()}
    terms[0] = terms.get(0, 0) + s.bound
    value = None if s.value is None else s.bound - s.value
    return _Sum(terms, value, s.bound, (-s.bound - s.const) & _MASK)


def _span(words: Sequence[Word | _Sum]) -> int:
    """The bit length of the largest value ``_add(words)`` can take (without building it)."""
    bound = const = 0
    for word in words:
        if isinstance(word, _Sum):
            bound += word.bound
            const += word.const
            continue
        for i, b in enumerate(word):
            if isinstance(b, int):
                const += b << i
            else:
                bound += 1 << i
    return (bound + (const & _MASK)).bit_length()


def _size(s: _Sum) -> int:
    """How many bits the sum's largest possible value needs."""
    return (s.bound + s.const).bit_length()


def _bit_signals(c: Circuit, total: LC, n: int, name: str) -> list[LC]:
    """The ``n`` low bits of ``total``'s value as new signals, each constrained boolean."""
    bits = c.hints(lambda v: [(v >> i) & 1 for i in range(n)], n, total)
    for i, b in enumerate(bits):
        (var,) = b.terms
        c.constrain(b, LC(c, {var: 1, 0: R - 1}, None), 0, f"{name}.bit{i}")  # b * (b - 1) == 0
    return bits


def _reduce(c: Circuit, s: _Sum, name: str) -> Word:
    """The sum's 32 low bits, each a constrained boolean signal; carries are dropped."""
    total = s.lc(c)
    if total.is_constant():
        k = total.constant_value() & _MASK
        return [(k >> i) & 1 for i in range(32)]
    n = _size(s)
    if n <= 32:  # no carries: every bit is a signal, and one constraint checks the sum
        bits = _bit_signals(c, total, n, name)
        c.assert_equal(_add([list(bits)]).lc(c), total, f"{name}.sum")
        return [*bits, *[0] * (32 - n)]
    low = _bit_signals(c, total, n - 1, name)
    # The top bit is top = (total - low bits) / 2^(n-1), and top * (top - 1) == 0
    # is stated as rest * (rest - 2^(n-1)) == 0 with rest = total - low bits.
    rest = dict(total.terms)
    for i, b in enumerate(low):
        (var,) = b.terms
        rest[var] = (rest.get(var, 0) - (1 << i)) % R
    rest = {var: k for var, k in rest.items() if k}
    shifted = dict(rest)
    shifted[0] = (shifted.get(0, 0) - (1 << (n - 1))) % R
    c.constrain(LC(c, rest, None), LC(c, shifted, None), 0, f"{name}.bit{n - 1}")
    out: Word = [*low[:32]]
    return out


def _sigma(c: Circuit, x: Word, r: tuple[int, int, int], shift: bool, name: str) -> _Sum:
    """``ROTR^r0(x) ^ ROTR^r1(x) ^ ROTR^r2(x)``, or ``SHR^r2`` last, as a sum of bits.

    Every use of a Σ or σ word is a sum mod 2^32, where bit 31 only counts
    mod 2: ``2^31 * (x + y + z)`` and ``2^31 * (x ^ y ^ z)`` differ by a
    multiple of 2^32. So bit 31 is left as the plain sum of its inputs, a
    free linear combination, and bits 0..30 are real XORs.
    """
    r0, r1, r2 = r

    def inputs(i: int) -> tuple[Bit, Bit, Bit]:
        last = (x[i + r2] if i + r2 < 32 else 0) if shift else x[(i + r2) % 32]
        return x[(i + r0) % 32], x[(i + r1) % 32], last

    low: Word = [_xor3(c, *inputs(i), f"{name}.{i}") for i in range(31)]
    low.append(0)
    tops: list[Word] = [[*[0] * 31, b] for b in inputs(31)]
    return _add([low, *tops])


def _word(x: Word | _Sum) -> Word:
    if not isinstance(x, list):
        raise TypeError("a word read bit by bit must already be reduced")
    return x


# ---------------------------------------------------------------- the hash


def _compress(
    c: Circuit, state: list[Word | _Sum], block: list[Word], last: bool
) -> list[Word | _Sum]:
    """One compression: ``state`` plus the rounds over ``block`` (16 words), mod 2^32."""
    w: list[Word | _Sum] = list(block)
    for t in range(16, 64):
        with c.scope(f"w{t}"):
            s0 = _sigma(c, _word(w[t - 15]), (7, 18, 3), True, "s0")
            s1 = _sigma(c, _word(w[t - 2]), (17, 19, 10), True, "s1")
            total = _add([s1, w[t - 7], s0, w[t - 16]])
            # W62 and W63 only enter the sums of rounds 62 and 63.
            w.append(total if t >= 62 else _reduce(c, total, "add"))
    a, b, c_, e, f, g = (_word(state[i]) for i in (0, 1, 2, 4, 5, 6))
    d, h = state[3], state[7]  # read only inside sums
    for t in range(64):
        with c.scope(f"round{t}"):
            s1 = _sigma(c, e, (6, 11, 25), False, "S1")
            ch = [_ch(c, e[i], f[i], g[i], f"ch.{i}") for i in range(32)]
            s0 = _sigma(c, a, (2, 13, 22), False, "S0")
            # Maj needs the AND and XOR of two of its bits. Round t's pair (a, b)
            # is round t+1's (b, c), so every second round computes a pair
            # (one product per bit) and both rounds use it (one more each).
            if t % 2 == 0:
                pairs = [_pair(c, a[i], b[i], f"maj.pair{i}") for i in range(32)]
                maj = [_maj(c, pairs[i], c_[i], f"maj.{i}") for i in range(32)]
            else:
                maj = [_maj(c, pairs[i], a[i], f"maj.{i}") for i in range(32)]
            t1 = _add([h, s1, ch, w[t]], _K[t])
            t1_t2: list[Word | _Sum] = [t1, s0, maj]
            if t == 63:  # round 63's a and e only enter the feed-forward
                last_a, last_e = _add(t1_t2), _add([d, t1])
                break
            e_bits = _reduce(c, _add([d, t1]), "e")
            # T1 = new e - d mod 2^32: new e + (2^32 - d) spans two words'
            # worth, T1's summands six.
            alt: list[Word | _Sum] = [e_bits, _neg(d), s0, maj]
            a_bits = _reduce(c, _add(min(alt, t1_t2, key=_span)), "a")
            h, g, f, e = g, f, e, e_bits
            d, c_, b, a = c_, b, a, a_bits
    final: list[Word | _Sum] = [last_a, a, b, c_, last_e, e, f, g]
    out: list[Word | _Sum] = []
    with c.scope("out"):
        for i, (x, y) in enumerate(zip(state, final, strict=True)):
            total = _add([x, y])
            # Chaining words 3 and 7 are the next block's d and h, which are only
            # summed: they stay unreduced while the sum fits in 34 bits.
            keep = not last and i in (3, 7) and _size(total) <= 34
            out.append(total if keep else _reduce(c, total, f"h{i}"))
    return out


def _const_word(v: int) -> Word:
    return [(v >> i) & 1 for i in range(32)]


def _as_bit(x: LC | int) -> Bit:
    if isinstance(x, LC) and not x.is_constant():
        return x
    k = x.constant_value() if isinstance(x, LC) else x
    if isinstance(k, bool) or k not in (0, 1):
        raise ValueError(f"a constant message bit must be 0 or 1, got {k!r}")
    return k


def sha256(c: Circuit, bits: Sequence[LC]) -> list[LC]:
    """The SHA-256 digest of the message whose bits are ``bits``, as 256 bits MSB first.

    ``bits`` are the message's bytes in order, each most significant bit
    first (:func:`message_bits`); their number, a multiple of 8, is fixed
    when the circuit is built, so the padding is constant. The caller
    guarantees that every input bit is constrained to be 0 or 1: this gadget
    does not check it (a non-boolean input makes the digest meaningless).

    Every returned bit is constrained boolean (a signal, or a constant when
    the digest does not depend on any signal), and
    ``bits_to_bytes([b.value for b in out]) == hashlib.sha256(msg).digest()``.
    The constraints are the same whether or not the inputs carry values.
    """
    if len(bits) % 8:
        raise ValueError(f"the message must be whole bytes, got {len(bits)} bits")
    n = len(bits)
    padded: list[Bit] = [_as_bit(b) for b in bits]
    padded.append(1)
    padded.extend([0] * ((447 - n) % 512))
    padded.extend((n >> (63 - i)) & 1 for i in range(64))
    blocks = len(padded) // 512
    state: list[Word | _Sum] = [_const_word(v) for v in _IV]
    with c.scope("sha256"):
        for k in range(blocks):
            chunk = padded[512 * k : 512 * (k + 1)]
            # Big-endian words, each turned least significant bit first.
            words = [chunk[32 * j : 32 * (j + 1)][::-1] for j in range(16)]
            with c.scope(f"block{k}"):
                state = _compress(c, state, words, k == blocks - 1)
    out: list[LC] = []
    for word in state:
        out.extend(b if isinstance(b, LC) else c.const(b) for b in reversed(_word(word)))
    return out


def digest_field(c: Circuit, digest_bits: Sequence[LC]) -> LC:
    """The digest's top 253 bits as one field element: a free linear combination.

    Equals :func:`digest_to_field` of the digest, ``int.from_bytes(d, "big") >> 3``.
    Dropping three bits keeps the value below 2^253 < R (the BN254 scalar
    field modulus), so it is never reduced: one field element holds the
    truncated digest exactly. To expose it, equate it to a public signal
    (one constraint); the verifier computes the same value from the
    precompile's output.
    """
    if len(digest_bits) != 256:
        raise ValueError(f"a SHA-256 digest has 256 bits, got {len(digest_bits)}")
    acc: dict[int, int] = {}
    value: int | None = 0
    for j, b in enumerate(digest_bits[:DIGEST_FIELD_BITS]):
        w = 1 << (DIGEST_FIELD_BITS - 1 - j)
        for var, k in b.terms.items():
            acc[var] = (acc.get(var, 0) + k * w) % R
        value = None if value is None or b.value is None else value + b.value * w
    return LC(c, {var: k for var, k in acc.items() if k}, None if value is None else value % R)
