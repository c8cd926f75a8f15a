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


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """Compile into a fresh cache directory, not the user's ~/.cache/tracegrad."""
    old = os.environ.get("TRACEGRAD_CACHE_DIR")
    path = tmp_path_factory.mktemp("tgcache")
    os.environ["TRACEGRAD_CACHE_DIR"] = str(path)
    yield path
    if old is None:
        os.environ.pop("TRACEGRAD_CACHE_DIR", None)
    else:
        os.environ["TRACEGRAD_CACHE_DIR"] = old
