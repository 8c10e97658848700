"""Benchmarks: each prints a table; run one as ``python -m benchmarks.NAME`` from the checkout."""
