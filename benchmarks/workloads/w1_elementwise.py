"""W1 elementwise chain: ``loss(x) = sum(sin(x)*exp(-x*x) + tanh(x)*x)``, value and gradient.

float64, n = 1e6 (and 1e7 outside ``--quick``). Memory-bound: a fused kernel reads
x once and writes the gradient once, so the bandwidth floor is 16 bytes per element.
"""

from __future__ import annotations

import math
import sys

import numpy as np

from benchmarks.harness import Case, Peer
from benchmarks.peers import optional
from benchmarks.peers.standard import standard_peers
from benchmarks.peers.tracegrad_peers import flat

try:  # numba's parallel loop; plain range where Numba is absent (its row is then missing)
    from numba import prange
except ImportError:  # pragma: no cover
    prange = range

NAME = "W1"
TITLE = "W1 elementwise chain: value and gradient of sum(sin(x)*exp(-x*x) + tanh(x)*x)"
SEED = 1


def loss(x):
    """The workload in NumPy; traced by tracegrad, run eagerly on its tensors."""
    return np.sum(np.sin(x) * np.exp(-x * x) + np.tanh(x) * x)


def numpy_value_and_grad(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The value and hand-derived gradient; in float64 this is the reference."""
    s, e, t = np.sin(x), np.exp(-x * x), np.tanh(x)
    value = np.sum(s * e + t * x)
    grad = (np.cos(x) - 2.0 * x * s) * e + t + x * (1.0 - t * t)
    return value, grad


def make_inputs(n: int) -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(SEED).standard_normal(n)}


# --- peers -------------------------------------------------------------------------


def build_numpy(inputs):
    x = inputs["x"]
    return lambda: numpy_value_and_grad(x)


def _numba_value_and_grad(x, grad):
    total = 0.0
    for i in prange(x.size):
        xi = x[i]
        s, e, t = math.sin(xi), math.exp(-xi * xi), math.tanh(xi)
        total += s * e + t * xi
        grad[i] = (math.cos(xi) - 2.0 * xi * s) * e + t + xi * (1.0 - t * t)
    return total


def build_numba(inputs):
    kernel = optional.numba_jit(_numba_value_and_grad, parallel=True)
    x = inputs["x"]

    def step():
        grad = np.empty_like(x)
        return kernel(x, grad), grad
    return step


def _torch_loss(torch):
    return lambda x: torch.sum(torch.sin(x) * torch.exp(-x * x) + torch.tanh(x) * x)


def _torch_step(torch, fn, x_np):
    x = torch.from_numpy(x_np).requires_grad_(True)

    def step():
        x.grad = None
        value = fn(x)
        value.backward()
        return value.detach(), x.grad
    return step


def build_torch(inputs):
    torch = optional.torch()
    return _torch_step(torch, _torch_loss(torch), inputs["x"])


def build_torch_compile(inputs):
    torch = optional.fresh_torch_compile()
    return _torch_step(torch, torch.compile(_torch_loss(torch)), inputs["x"])


def build_jax(inputs):
    jax = optional.jax()
    jnp = jax.numpy
    f = jax.jit(jax.value_and_grad(
        lambda x: jnp.sum(jnp.sin(x) * jnp.exp(-x * x) + jnp.tanh(x) * x)))
    x = jax.device_put(inputs["x"])
    return lambda: jax.block_until_ready(f(x))


def build_tracegrad(tg, backend, inputs):
    f = tg.compile(tg.value_and_grad(loss), backend=backend)
    x = inputs["x"]
    return lambda: flat(f(x))


def build_tracegrad_dynamic(tg, inputs):
    x_np = inputs["x"]

    def step():
        x = tg.tensor(x_np, requires_grad=True)
        value = loss(x)
        value.backward()
        return value, x.grad
    return step


def peers() -> list[Peer]:
    return standard_peers(sys.modules[__name__])


def case(n: int, quick: bool) -> Case:
    """W1 at size `n`."""
    return Case(
        workload=NAME, label=f"n={n:.0e}".replace("e+0", "e"),
        make_inputs=lambda: make_inputs(n),
        reference=lambda inp: numpy_value_and_grad(inp["x"]),
        peers=peers(), dtype=np.float64, outputs=("value", "grad"),
        warmup=2 if quick else 3, repeats=10 if quick else 30,
        budget_s=2.0 if quick else 10.0,
        floor_bytes=16 * n,  # read x, write the gradient: 8 + 8 bytes per element
    )


def cases(quick: bool) -> list[Case]:
    return [case(10**6, quick)] + ([] if quick else [case(10**7, quick)])
