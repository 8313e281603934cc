"""``l2lab zk``: verify snarkjs-format Groth16 proofs, prove with a snarkjs proving key
(``prove KEY.zkey WITNESS.wtns PROOF.json PUBLIC.json``, as rapidsnark does), export its
verifying key, prove an example, hash with Poseidon, write a development powers-of-tau
file for snarkjs.

``example`` saves its proving key (``proving_key.l2pk``, format in
``primitives/snark/setup.py``) and ``--key`` reuses it, so the setup runs once.

Every failure is one line on stderr and a non-zero exit code: 1 for a proof
that does not verify or input that is malformed, 2 for bad usage.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _fail(command: str, message: str, code: int = 1) -> int:
    print(f"l2lab zk {command}: {message}", file=sys.stderr)
    return code


def run_verify(args: argparse.Namespace) -> int:
    from primitives.snark import groth16, snarkjs

    try:
        vk = snarkjs.load_vk(args.vk)
        proof = snarkjs.load_proof(args.proof)
        public = snarkjs.load_public(args.public)
        ok = groth16.verify(vk, public, proof)
    except ValueError as exc:  # InvalidProof is a ValueError
        return _fail("verify", str(exc))
    if not ok:
        return _fail("verify", "proof is INVALID: the pairing check failed")
    print("proof is valid")
    return 0


def run_prove(args: argparse.Namespace) -> int:
    import time

    from primitives.snark import snarkjs, zkey

    start = time.perf_counter()
    try:
        key = zkey.read_zkey(args.zkey)
        witness = zkey.read_wtns(args.wtns)
        loaded = time.perf_counter()
        proof, public = zkey.prove_zkey(key, witness)
    except ValueError as exc:  # ZkeyError and WtnsError are ValueErrors
        return _fail("prove", str(exc))
    proved = time.perf_counter()
    try:
        snarkjs.write_json(args.proof, snarkjs.proof_to_json(proof))
        snarkjs.write_json(args.public, snarkjs.public_to_json(public))
    except OSError as exc:
        return _fail("prove", f"cannot write {exc.filename}: {exc.strerror or exc}")
    print(f"proved in {proved - loaded:.2f} s (reading and checking the key and witness: {loaded - start:.2f} s)")
    print(f"  {key.n_vars} variables, {key.n_public} public, domain 2^{key.domain_size.bit_length() - 1}; "
          f"wrote {args.proof} and {args.public}")
    return 0


def run_export_vk(args: argparse.Namespace) -> int:
    from primitives.snark import snarkjs, zkey

    try:
        vk = zkey.read_zkey(args.zkey).verifying_key()
    except ValueError as exc:
        return _fail("export-vk", str(exc))
    try:
        snarkjs.write_json(args.vk, snarkjs.vk_to_json(vk))
    except OSError as exc:
        return _fail("export-vk", f"cannot write {args.vk}: {exc.strerror or exc}")
    inputs = "input" if vk.n_public == 1 else "inputs"
    print(f"wrote the verifying key ({vk.n_public} public {inputs}) to {args.vk}")
    return 0


def _parse_field_elements(words: list[str]) -> list[int]:
    from primitives.snark.r1cs import R

    out = []
    for word in words:
        try:
            value = int(word, 0)
        except ValueError:
            raise ValueError(f"not an integer: {word!r}") from None
        if not 0 <= value < R:
            raise ValueError(f"not a field element in [0, R): {word}")
        out.append(value)
    return out


def run_poseidon(args: argparse.Namespace) -> int:
    from primitives.snark.poseidon import MAX_INPUTS, poseidon

    try:
        inputs = _parse_field_elements(args.inputs)
        if not 1 <= len(inputs) <= MAX_INPUTS:
            raise ValueError(f"Poseidon takes 1 to {MAX_INPUTS} inputs, got {len(inputs)}")
    except ValueError as exc:
        return _fail("poseidon", str(exc), 2)
    print(poseidon(inputs))
    return 0


def run_example(args: argparse.Namespace) -> int:
    from primitives.snark import examples, groth16, snarkjs
    from primitives.snark import setup as keys
    from primitives.snark.poseidon import MAX_INPUTS

    try:
        preimage = _parse_field_elements(args.preimage)
        if not 1 <= len(preimage) <= MAX_INPUTS:
            raise ValueError(f"the preimage takes 1 to {MAX_INPUTS} inputs, got {len(preimage)}")
    except ValueError as exc:
        return _fail("example", str(exc), 2)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return _fail("example", f"--out {out} exists and is not a directory")
    circuit = examples.poseidon_preimage(preimage)
    r1cs = circuit.compile()
    witness = circuit.witness()
    key_path = out / f"proving_key{keys.KEY_SUFFIX}"
    if args.key is not None:
        # Reuse a saved setup: the file must be for this very circuit (same number of inputs).
        try:
            pk, vk = keys.load_keys(args.key, r1cs)
        except ValueError as exc:
            return _fail("example", str(exc))
        setup_note = f"reused the keys in {args.key}"
    else:
        pk, vk = groth16.setup(r1cs, args.seed.encode("utf-8", "surrogateescape"))
        setup_note = f"wrote the proving key to {key_path} (reuse it with --key)"
    proof = groth16.prove(pk, r1cs, witness)
    public = r1cs.public_inputs(witness)
    try:
        out.mkdir(parents=True, exist_ok=True)
        if args.key is None:
            keys.save_keys(key_path, pk, vk, r1cs)
        snarkjs.write_json(out / "verification_key.json", snarkjs.vk_to_json(vk))
        snarkjs.write_json(out / "proof.json", snarkjs.proof_to_json(proof))
        snarkjs.write_json(out / "public.json", snarkjs.public_to_json(public))
    except OSError as exc:
        return _fail("example", f"cannot write to {out}: {exc.strerror or exc}")
    print(f"proved knowledge of a Poseidon preimage of {public[0]}")
    print(f"  {r1cs.n_constraints} constraints, {r1cs.n_wires} wires; {setup_note}")
    print(f"  wrote verification_key.json, proof.json, public.json to {out}")
    print(f"  check with: l2lab zk verify {out}/verification_key.json {out}/proof.json {out}/public.json")
    return 0


def run_ptau(args: argparse.Namespace) -> int:
    from primitives.snark import ptau

    try:
        power = int(args.power)
        if not 1 <= power <= ptau.MAX_POWER:
            raise ValueError
    except ValueError:
        return _fail("ptau", f"--power must be an integer in [1, {ptau.MAX_POWER}], got {args.power!r}", 2)
    out = Path(args.out)
    if out.is_dir():
        return _fail("ptau", f"{out} is a directory; give a file name such as {out}/pot{power}_dev.ptau")
    try:
        ptau.write_ptau(out, power, args.seed.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        return _fail("ptau", f"cannot write {out}: {exc.strerror or exc}")
    print(f"wrote {out}: prepared powers of tau for circuits up to 2^{power} rows")
    print("  DEVELOPMENT ONLY: its secrets derive from the public seed; anyone can forge proofs with it")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("zk", help="Groth16 proofs (snarkjs format) and Poseidon")
    sub = p.add_subparsers(dest="zk_command", metavar="ZK_COMMAND")
    p.set_defaults(func=lambda _args: (p.print_help(), 2)[1])

    v = sub.add_parser("verify", help="verify a Groth16 proof: VK PROOF PUBLIC (snarkjs JSON)")
    v.add_argument("vk", help="verification_key.json")
    v.add_argument("proof", help="proof.json")
    v.add_argument("public", help="public.json")
    v.set_defaults(func=run_verify)

    pr = sub.add_parser("prove", help="prove with a snarkjs proving key: KEY.zkey WITNESS.wtns PROOF.json PUBLIC.json")
    pr.add_argument("zkey", help="a Groth16 .zkey from snarkjs (groth16 setup, zkey contribute)")
    pr.add_argument("wtns", help="the full witness, a .wtns file")
    pr.add_argument("proof", help="proof.json to write")
    pr.add_argument("public", help="public.json to write")
    pr.set_defaults(func=run_prove)

    x = sub.add_parser("export-vk", help="write the verifying key of a .zkey as snarkjs' verification_key.json")
    x.add_argument("zkey", help="a Groth16 .zkey")
    x.add_argument("vk", help="verification_key.json to write")
    x.set_defaults(func=run_export_vk)

    e = sub.add_parser("example", help="prove knowledge of a Poseidon preimage; write the JSON files and the proving key")
    e.add_argument("--out", required=True, help="directory for verification_key.json, proof.json, public.json, proving_key.l2pk")
    e.add_argument("--preimage", nargs="+", default=["1", "2"], help="the private inputs (default: 1 2)")
    e.add_argument("--seed", default="l2lab zk example",
                   help="seed of the development setup (public: anyone with it can forge proofs)")
    e.add_argument("--key", metavar="FILE", default=None,
                   help="reuse a proving_key.l2pk written by an earlier run instead of running the setup")
    e.set_defaults(func=run_example)

    t = sub.add_parser("ptau", help="write a prepared .ptau for snarkjs from a public seed (development only)")
    t.add_argument("--power", required=True, help="log2 of the largest circuit (constraints + public inputs)")
    t.add_argument("--out", required=True, help="the .ptau file to write")
    t.add_argument("--seed", default="l2lab dev ptau", help="public seed of tau, alpha and beta")
    t.set_defaults(func=run_ptau)

    h = sub.add_parser("poseidon", help="print poseidon([X, Y, ...]) in decimal")
    h.add_argument("inputs", nargs="+", metavar="X", help="field elements, decimal or 0x-hex")
    h.set_defaults(func=run_poseidon)
