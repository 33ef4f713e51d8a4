"""Benchmarks: `python -m bench all` (see bench/common.py for the scenario interface)."""
