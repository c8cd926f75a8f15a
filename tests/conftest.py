"""Fixtures shared by the whole test suite.

The suite runs on the NumPy interpreter backend by default (set before tracegrad is
imported): Numba compiles cost about a second each, so the op-by-op matrix runs on
the interpreter and tests/codegen compiles a representative set for the CPU backend
with ``backend="cpu"``. Tiered execution is off (``TRACEGRAD_TIERED=0``): a test of
the CPU backend must run compiled code from its first call, not the interpreter
that answers while a program compiles; tests/runtime/test_tiered.py turns it on.
"""

import os

os.environ.setdefault("TRACEGRAD_BACKEND", "numpy")
os.environ.setdefault("TRACEGRAD_TIERED", "0")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so that every test sees the same random inputs."""
    return np.random.default_rng(0)
