"""W4 softmax regression: mean cross-entropy written with logsumexp, value and gradients.

X float32 (10000, 784) (pixel-like values in [0, 1)), 10 classes given one-hot,
W (784, 10), b (10,). ``z = X @ W + b``; ``loss = mean(logsumexp(z) - sum(Y*z))``
with logsumexp taken stably around the row maximum.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.harness import Case, Peer
from benchmarks.peers import optional
from benchmarks.peers.standard import standard_peers
from benchmarks.peers.tracegrad_peers import flat

NAME = "W4"
TITLE = "W4 softmax regression: mean cross-entropy via logsumexp, value and gradients (float32)"
SEED = 4
N, D, K = 10000, 784, 10


def loss(W, b, X, Y):
    """The workload in NumPy; traced by tracegrad, run eagerly on its tensors."""
    z = X @ W + b
    m = np.max(z, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True))
    return np.mean(lse - np.sum(Y * z, axis=1, keepdims=True))


def numpy_value_and_grads(W, b, X, Y):
    """Loss and hand-derived gradients (softmax minus one-hot); float64: the reference."""
    z = X @ W + b
    m = np.max(z, axis=1, keepdims=True)
    e = np.exp(z - m)
    s = np.sum(e, axis=1, keepdims=True)
    value = np.mean(m + np.log(s) - np.sum(Y * z, axis=1, keepdims=True))
    G = (e / s - Y) / X.shape[0]
    return value, X.T @ G, np.sum(G, axis=0)


def make_inputs(n: int = N) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    labels = rng.integers(0, K, n)
    return {
        "X": rng.random((n, D), dtype=np.float32),
        "Y": np.eye(K, dtype=np.float32)[labels],
        "W": 0.01 * rng.standard_normal((D, K), dtype=np.float32),
        "b": 0.01 * rng.standard_normal(K, dtype=np.float32),
    }


def reference(inputs):
    return numpy_value_and_grads(inputs["W"], inputs["b"], inputs["X"], inputs["Y"])


# --- peers -------------------------------------------------------------------------


def _args(inputs):
    return inputs["W"], inputs["b"], inputs["X"], inputs["Y"]


def build_numpy(inputs):
    args = _args(inputs)
    return lambda: numpy_value_and_grads(*args)


def _numba_value_and_grads(W, b, X, Y):
    n, k = X.shape[0], W.shape[1]
    z = np.dot(X, W)
    G = np.empty_like(z)
    gb = np.zeros(k, dtype=W.dtype)
    total = 0.0
    for i in range(n):
        m = z[i, 0] + b[0]
        for j in range(k):
            z[i, j] += b[j]
            m = max(m, z[i, j])
        s = 0.0
        picked = 0.0
        for j in range(k):
            G[i, j] = np.exp(z[i, j] - m)
            s += G[i, j]
            picked += Y[i, j] * z[i, j]
        total += m + np.log(s) - picked
        for j in range(k):
            G[i, j] = (G[i, j] / s - Y[i, j]) / n
            gb[j] += G[i, j]
    return total / n, np.dot(X.T, G), gb


def build_numba(inputs):
    kernel = optional.numba_jit(_numba_value_and_grads)
    args = _args(inputs)
    return lambda: kernel(*args)


def _torch_step(torch, fn, inputs):
    W, b = (torch.from_numpy(inputs[k]).requires_grad_(True) for k in ("W", "b"))
    X, Y = (torch.from_numpy(inputs[k]) for k in ("X", "Y"))

    def step():
        W.grad = b.grad = None
        value = fn(W, b, X, Y)
        value.backward()
        return value.detach(), W.grad, b.grad
    return step


def _torch_loss(torch):
    def fn(W, b, X, Y):
        z = X @ W + b
        return torch.mean(torch.logsumexp(z, dim=1) - torch.sum(Y * z, dim=1))
    return fn


def build_torch(inputs):
    torch = optional.torch()
    return _torch_step(torch, _torch_loss(torch), inputs)


def build_torch_compile(inputs):
    torch = optional.fresh_torch_compile()
    return _torch_step(torch, torch.compile(_torch_loss(torch)), inputs)


def build_jax(inputs):
    jax = optional.jax()
    jnp = jax.numpy

    def jloss(W, b, X, Y):
        z = X @ W + b
        return jnp.mean(jax.nn.logsumexp(z, axis=1) - jnp.sum(Y * z, axis=1))

    f = jax.jit(jax.value_and_grad(jloss, argnums=(0, 1)))
    args = [jax.device_put(a) for a in _args(inputs)]
    return lambda: flat(jax.block_until_ready(f(*args)))


def build_tracegrad(tg, backend, inputs):
    f = tg.compile(tg.value_and_grad(loss, argnums=(0, 1)), backend=backend)
    args = _args(inputs)
    return lambda: flat(f(*args))


def build_tracegrad_dynamic(tg, inputs):
    X, Y = tg.tensor(inputs["X"]), tg.tensor(inputs["Y"])

    def step():
        W = tg.tensor(inputs["W"], requires_grad=True)
        b = tg.tensor(inputs["b"], requires_grad=True)
        value = loss(W, b, X, Y)
        value.backward()
        return value, W.grad, b.grad
    return step


def peers() -> list[Peer]:
    return standard_peers(sys.modules[__name__])


def case(n: int, quick: bool) -> Case:
    """W4 with `n` examples."""
    return Case(
        workload=NAME, label=f"X {n}x{D}", make_inputs=lambda: make_inputs(n),
        reference=reference, peers=peers(), dtype=np.float32,
        outputs=("loss", "grad W", "grad b"),
        warmup=2 if quick else 3, repeats=10 if quick else 30,
        budget_s=2.0 if quick else 10.0,
    )


def cases(quick: bool) -> list[Case]:
    return [case(N, quick)]
