"""Why a call's gas on the toy L1 may differ from its Solidity twin's by more than 10 %, one line each.

The toy L1 meters what dominates L2 costs (calldata, storage, keccak,
precompiles, logs) and leaves EVM execution itself (ABI decoding, memory,
jumps, arithmetic) unmetered; a twin pays for all of it. These are the calls
where that, or deployment, passes 10 % in the schemes' scenarios and demos,
by contract and method; the differential tests (``tests/test_evm_*.py``) and
``l2lab evm demos`` print them beside the numbers.
"""

from __future__ import annotations

DEPLOY = ("the toy L1 deploys a Python class by name (no code to store); the EVM pays 200 gas per byte of the "
          "twin's runtime code and runs its constructor")

GAS_NOTES: dict[str, dict[str, str]] = {
    "OptimisticRollup": {
        "deploy": DEPLOY,
        "submit_batch": "EVM computation and memory to walk the batch calldata (per entry about 140 opcodes: kind, "
                        "size, copy, two keccaks, the Merkle frontier) and to hold its transactions for the data "
                        "hash; the toy L1 meters only the keccaks",
        "repropose_batch": "the same calldata walk as submit_batch, on a smaller call (no deposit checks, and the "
                           "batch data hashed once)",
        "prove_fraud": "EVM computation: ABI decoding of eight dynamic arguments, witnesses parsed into memory, the "
                       "4 x depth sparse-Merkle path loops and the EIP-712 digest, none of which the toy L1 meters",
    },
    "BisectionRollup": {
        "bisect": "not the accounting but the clock: a move rewrites the dispute's clock word at 2,900 gas instead "
                  "of 100 when a second has ticked since the last move, which can happen on one L1 and not the "
                  "other (both follow the wall clock)",
        "choose": "as bisect: the clock word is rewritten when a second ticked between moves on one L1 only",
        "prove_step": "as prove_fraud: witness parsing and sparse-Merkle loops in EVM computation (in the rollup's "
                      "StepJudge, whose STATICCALL and argument copy cost about what its immutables save in SLOADs)",
    },
    "RootChain": {
        "challenge_exit": "the refused call only: formatting its reason (an EIP-55 address: a keccak, two 40-step "
                          "loops, memory) is unmetered on the toy L1",
        "start_deposit_exit": "the refused call only: formatting its reason (a decimal, a state name, memory) is "
                              "unmetered on the toy L1",
        "respond_to_non_canonical_challenge": "EVM execution the toy L1 does not meter: the 218-byte transaction "
                                              "checked, the 16-level Merkle loop, the phase checks (about 2,000 "
                                              "opcodes); the refused call also formats its reason",
        "challenge_in_flight_exit_not_canonical": "EVM execution the toy L1 does not meter: two 218-byte "
                                                  "transactions checked and compared, a Merkle loop when the "
                                                  "competitor is included (about 2,500 opcodes)",
        "challenge_piggybacked_output_spent": "EVM execution the toy L1 does not meter: two 218-byte transactions "
                                              "checked and the 16-level Merkle loop (about 2,500 opcodes)",
    },
}
# A bisection rollup is an optimistic rollup: its calls share the base contract's notes.
GAS_NOTES["BisectionRollup"] = {**GAS_NOTES["OptimisticRollup"], **GAS_NOTES["BisectionRollup"]}


REFUSED = ("a refused call: its reason text (decimals, checksummed addresses, memory; the root chain's from a "
           "call to its reasons contract) is EVM work the toy L1 does not meter, weighed against a call that did "
           "little else")


def gas_note(method: str, contract: str | None = None, ok: bool = True) -> str | None:
    """The note for ``method`` (of ``contract``, or of any twin that has one), or for any refused call without
    one of its own; None when there is none."""
    if method == "deploy":
        return DEPLOY
    if contract is not None:
        note = GAS_NOTES.get(contract, {}).get(method)
    else:
        note = next((notes[method] for notes in GAS_NOTES.values() if method in notes), None)
    return note if note is not None or ok else REFUSED
