"""W3 polynomial fit: 2000 SGD steps of a cubic fitted to sin on [-pi, pi], float32.

x = linspace(-pi, pi, 2000), y = sin(x), features xx = [x, x^2, x^3],
``y_hat = xx @ w + b``, ``loss = sum((y_hat - y)**2)``, SGD with lr 1e-6. Each call
is one step on a tiny problem, so the time per step is dominated by per-call
overhead (dispatch, argument handling, launching) rather than arithmetic. The
peer makes 2000 calls in all (first call, warm-up and timed steps); the loss of
its last step is reported as the final loss.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.harness import Case, Peer
from benchmarks.peers import optional
from benchmarks.peers.standard import standard_peers
from benchmarks.peers.torch_sgd import sgd_step

NAME = "W3"
TITLE = "W3 polynomial fit: one SGD step of a cubic on 2000 points (float32), 2000 steps"
SEED = 3
LR = 1e-6
STEPS = 2000
WARMUP = 10


def loss(w, b, xx, y):
    """The workload in NumPy; traced by tracegrad, run eagerly on its tensors."""
    return np.sum((xx @ w + b - y) ** 2)


def numpy_loss_and_grads(w, b, xx, y):
    """Loss and hand-derived gradients; float64: the reference."""
    diff = xx @ w + b - y
    grad = 2.0 * diff
    return np.sum(diff * diff), xx.T @ grad, np.sum(grad)


def make_inputs() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = np.linspace(-np.pi, np.pi, 2000, dtype=np.float32)
    return {
        "xx": np.stack([x, x**2, x**3], axis=1),
        "y": np.sin(x),
        "w": rng.standard_normal(3, dtype=np.float32),
        "b": rng.standard_normal((), dtype=np.float32),
    }


def reference(inputs):
    return numpy_loss_and_grads(inputs["w"], inputs["b"], inputs["xx"], inputs["y"])


def reference_final_loss(steps: int = STEPS) -> float:
    """The loss at the last of `steps` SGD steps, in float64 (a note under the table)."""
    inputs = {k: np.asarray(v, np.float64) for k, v in make_inputs().items()}
    w, b = inputs["w"], inputs["b"]
    for _ in range(steps):
        value, gw, gb = numpy_loss_and_grads(w, b, inputs["xx"], inputs["y"])
        w, b = w - LR * gw, b - LR * gb
    return float(value)


# --- peers -------------------------------------------------------------------------


def build_numpy(inputs):
    xx, y, w = inputs["xx"], inputs["y"], inputs["w"]
    state = {"b": inputs["b"]}

    def step():
        value, gw, gb = numpy_loss_and_grads(w, state["b"], xx, y)
        w[...] -= LR * gw
        state["b"] = state["b"] - LR * gb
        return value, gw, gb
    return step


def _numba_step(xx, y, w, b, lr):
    gw0 = gw1 = gw2 = gb = value = np.float32(0)
    for i in range(xx.shape[0]):
        diff = xx[i, 0] * w[0] + xx[i, 1] * w[1] + xx[i, 2] * w[2] + b[()] - y[i]
        value += diff * diff
        g = 2 * diff
        gw0 += g * xx[i, 0]
        gw1 += g * xx[i, 1]
        gw2 += g * xx[i, 2]
        gb += g
    gw = np.array([gw0, gw1, gw2], dtype=w.dtype)
    w -= lr * gw
    b[()] -= lr * gb
    return value, gw, gb


def build_numba(inputs):
    kernel = optional.numba_jit(_numba_step)
    xx, y, w, b = inputs["xx"], inputs["y"], inputs["w"], inputs["b"]
    lr = np.float32(LR)
    return lambda: kernel(xx, y, w, b, lr)



def _torch_loss(torch):
    return lambda w, b, xx, y: torch.sum((xx @ w + b - y) ** 2)


def build_torch(inputs):
    torch = optional.torch()
    return sgd_step(torch, _torch_loss(torch), inputs, ("w", "b"), LR)


def build_torch_compile(inputs):
    torch = optional.fresh_torch_compile()
    return sgd_step(torch, torch.compile(_torch_loss(torch)), inputs, ("w", "b"), LR)


def build_jax(inputs):
    jax = optional.jax()
    jnp = jax.numpy

    @jax.jit
    def train(w, b, xx, y):
        value, (gw, gb) = jax.value_and_grad(
            lambda w, b: jnp.sum((xx @ w + b - y) ** 2), argnums=(0, 1))(w, b)
        return value, gw, gb, w - LR * gw, b - LR * gb

    state = {k: jax.device_put(v) for k, v in inputs.items()}

    def step():
        value, gw, gb, state["w"], state["b"] = jax.block_until_ready(
            train(state["w"], state["b"], state["xx"], state["y"]))
        return value, gw, gb
    return step


def build_tracegrad(tg, backend, inputs):
    value_and_grad = tg.value_and_grad(loss, argnums=(0, 1))

    def train(w, b, xx, y):
        value, (gw, gb) = value_and_grad(w, b, xx, y)
        # a flat tuple: the step unpacks it as it is
        return value, gw, gb, w - LR * gw, b - LR * gb

    f = tg.compile(train, backend=backend)
    state = dict(inputs)

    def step():
        value, gw, gb, state["w"], state["b"] = f(
            state["w"], state["b"], state["xx"], state["y"])
        return value, gw, gb
    return step


def build_tracegrad_dynamic(tg, inputs):
    # The PyTorch idiom: leaf tensors, zero_grad / backward / optimizer step.
    xx, y = tg.tensor(inputs["xx"]), tg.tensor(inputs["y"])
    w, b = (tg.tensor(inputs[k], requires_grad=True) for k in ("w", "b"))
    opt = tg.optim.SGD([w, b], lr=LR)

    def step():
        opt.zero_grad()
        value = loss(w, b, xx, y)
        value.backward()
        opt.step()
        return value, w.grad, b.grad
    return step


def peers() -> list[Peer]:
    return standard_peers(sys.modules[__name__], dynamic_needs=("tensor", "optim"))


def final_loss(last, calls: int) -> dict[str, str]:
    return {"final loss": f"{float(last[0]):.6g}", "steps": str(calls)}


def cases(quick: bool) -> list[Case]:
    return [Case(
        workload=NAME, label=f"{STEPS} steps", make_inputs=make_inputs,
        reference=reference, peers=peers(), dtype=np.float32,
        outputs=("loss", "grad w", "grad b"),
        # 1 first call + WARMUP + timed = STEPS calls in all, unless the budget runs out.
        warmup=WARMUP, repeats=STEPS - 1 - WARMUP, budget_s=10.0 if quick else 60.0,
        extras=final_loss,
        notes=[f"float64 NumPy reference: final loss {reference_final_loss():.6g} "
               f"after {STEPS} steps (the final loss is the loss at the last step)."],
    )]
