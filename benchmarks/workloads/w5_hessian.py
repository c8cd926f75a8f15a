"""W5 Hessian of the Rosenbrock function, x float64 of length 100.

``f(x) = sum(100*(x[1:] - x[:-1]**2)**2 + (1 - x[:-1])**2)``; the Hessian is
tridiagonal, which the hand-derived peers exploit and the autodiff peers do not
know: they build it as a 100x100 dense matrix by forward-over-reverse or
reverse-over-reverse differentiation.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.harness import Case, Missing, Peer, to_numpy
from benchmarks.peers import optional
from benchmarks.peers.standard import standard_peers

NAME = "W5"
TITLE = "W5 Hessian of the Rosenbrock function (float64, n=100)"
SEED = 5
N = 100


def rosen(x):
    """The workload in NumPy; traced by tracegrad."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def numpy_hessian(x: np.ndarray) -> np.ndarray:
    """The hand-derived (tridiagonal) Hessian as a dense matrix; float64: the reference."""
    n = x.shape[0]
    diag = np.zeros(n, dtype=x.dtype)
    diag[:-1] = 1200.0 * x[:-1] ** 2 - 400.0 * x[1:] + 2.0
    diag[1:] += 200.0
    off = -400.0 * x[:-1]
    hess = np.zeros((n, n), dtype=x.dtype)
    i = np.arange(n)
    hess[i, i] = diag
    hess[i[:-1], i[1:]] = off
    hess[i[1:], i[:-1]] = off
    return hess


def make_inputs() -> dict[str, np.ndarray]:
    return {"x": np.random.default_rng(SEED).uniform(-2.0, 2.0, N)}


# --- peers -------------------------------------------------------------------------


def build_numpy(inputs):
    x = inputs["x"]
    return lambda: (numpy_hessian(x),)


def _numba_hessian(x):
    n = x.shape[0]
    hess = np.zeros((n, n), dtype=x.dtype)
    for i in range(n - 1):
        hess[i, i] += 1200.0 * x[i] * x[i] - 400.0 * x[i + 1] + 2.0
        hess[i + 1, i + 1] += 200.0
        hess[i, i + 1] = hess[i + 1, i] = -400.0 * x[i]
    return hess


def build_numba(inputs):
    kernel = optional.numba_jit(_numba_hessian)
    x = inputs["x"]
    return lambda: (kernel(x),)


def _torch_rosen(torch):
    return lambda x: torch.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def build_torch(inputs):
    torch = optional.torch()
    f, x = _torch_rosen(torch), torch.from_numpy(inputs["x"])
    return lambda: (torch.autograd.functional.hessian(f, x),)


def build_torch_compile(inputs):
    torch = optional.fresh_torch_compile()
    f, x = torch.compile(torch.func.hessian(_torch_rosen(torch))), torch.from_numpy(inputs["x"])
    return lambda: (f(x),)


def build_jax(inputs):
    jax = optional.jax()
    jnp = jax.numpy
    f = jax.jit(jax.hessian(
        lambda x: jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)))
    x = jax.device_put(inputs["x"])
    return lambda: (jax.block_until_ready(f(x)),)


def build_tracegrad(tg, backend, inputs):
    f = tg.compile(tg.hessian(rosen), backend=backend)
    x = inputs["x"]
    return lambda: (f(x),)


def build_tracegrad_dynamic(tg, inputs):
    # Reverse over reverse, one row per backward pass, as torch.autograd.functional.hessian.
    if not hasattr(tg.autograd, "grad"):
        raise Missing("tracegrad has no tg.autograd.grad (higher-order gradients) yet")
    x_np = inputs["x"]

    def step():
        x = tg.tensor(x_np, requires_grad=True)
        (g,) = tg.autograd.grad(rosen(x), x, create_graph=True)
        rows = [tg.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(x_np.size)]
        return (np.stack([to_numpy(r) for r in rows]),)
    return step


def peers() -> list[Peer]:
    return standard_peers(sys.modules[__name__], static_needs=("compile", "hessian"),
                          dynamic_needs=("tensor", "autograd"))


def cases(quick: bool) -> list[Case]:
    return [Case(
        workload=NAME, label=f"n={N}", make_inputs=make_inputs,
        reference=lambda inp: (numpy_hessian(inp["x"]),),
        peers=peers(), dtype=np.float64, outputs=("hessian",),
        warmup=2 if quick else 3, repeats=20 if quick else 50,
        budget_s=2.0 if quick else 10.0,
    )]
