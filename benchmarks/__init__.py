"""Benchmarks: per-scheme throughput, L1 gas and latency (``l2lab bench``)."""
