"""Benchmarks and measurement scripts for digits-edge (``digits-bench`` and friends)."""
