"""Fixtures shared by the whole test suite."""

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded random generator, so that every test sees the same random inputs."""
    return np.random.default_rng(0)
