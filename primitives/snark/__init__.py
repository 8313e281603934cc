"""zk-SNARK building blocks over BN254: field, hashes, curves, circuits and proofs."""
