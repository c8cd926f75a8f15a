"""W2 MLP training step (the classic two-layer example), float32.

``y_pred = relu(x @ w1) @ w2``, ``loss = sum((y_pred - y)**2)``, gradients of w1 and
w2 and an SGD update with lr 1e-6 (see `learning_rate` for N=4096), all in one call.
N=64, D_in=1000, H=100, D_out=10; also N=4096 outside ``--quick``. Each step returns
the loss and the gradients it applied, which are checked; the weights it updated
stay in the peer.
"""

from __future__ import annotations

import sys

import numpy as np

from benchmarks.harness import Case, Peer
from benchmarks.peers import optional
from benchmarks.peers.standard import standard_peers
from benchmarks.peers.torch_sgd import sgd_step

NAME = "W2"
TITLE = "W2 MLP training step: relu(x @ w1) @ w2, squared error, SGD (float32)"
SEED = 2
LR = 1e-6
D_IN, H, D_OUT = 1000, 100, 10


def loss(w1, w2, x, y):
    """The workload in NumPy; traced by tracegrad, run eagerly on its tensors."""
    y_pred = np.maximum(x @ w1, 0) @ w2
    return np.sum((y_pred - y) ** 2)


def numpy_loss_and_grads(w1, w2, x, y):
    """Loss and hand-derived gradients (the classic NumPy example); float64: the reference."""
    h = x @ w1
    h_relu = np.maximum(h, 0)
    diff = h_relu @ w2 - y
    value = np.sum(diff * diff)
    grad_y = 2.0 * diff
    grad_w2 = h_relu.T @ grad_y
    grad_h = (grad_y @ w2.T) * (h > 0)
    grad_w1 = x.T @ grad_h
    return value, grad_w1, grad_w2


def make_inputs(n: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(SEED)
    f32 = np.float32
    return {
        "x": rng.standard_normal((n, D_IN), dtype=f32),
        "y": rng.standard_normal((n, D_OUT), dtype=f32),
        "w1": rng.standard_normal((D_IN, H), dtype=f32),
        "w2": rng.standard_normal((H, D_OUT), dtype=f32),
    }


def reference(inputs):
    return numpy_loss_and_grads(inputs["w1"], inputs["w2"], inputs["x"], inputs["y"])


# --- peers -------------------------------------------------------------------------


def build_numpy(inputs, lr):
    x, y, w1, w2 = inputs["x"], inputs["y"], inputs["w1"], inputs["w2"]

    def step():
        value, g1, g2 = numpy_loss_and_grads(w1, w2, x, y)
        w1[...] -= lr * g1
        w2[...] -= lr * g2
        return value, g1, g2
    return step


def _numba_step(x, y, w1, w2, lr):
    h = np.dot(x, w1)
    h_relu = np.maximum(h, np.float32(0))
    diff = np.dot(h_relu, w2) - y
    value = np.sum(diff * diff)
    grad_y = np.float32(2) * diff
    grad_w2 = np.dot(h_relu.T, grad_y)
    grad_h = np.dot(grad_y, w2.T)
    for i in range(h.shape[0]):
        for j in range(h.shape[1]):
            if h[i, j] <= 0:
                grad_h[i, j] = 0
    grad_w1 = np.dot(x.T, grad_h)
    w1 -= lr * grad_w1
    w2 -= lr * grad_w2
    return value, grad_w1, grad_w2


def build_numba(inputs, lr):
    kernel = optional.numba_jit(_numba_step)
    x, y, w1, w2 = inputs["x"], inputs["y"], inputs["w1"], inputs["w2"]
    return lambda: kernel(x, y, w1, w2, np.float32(lr))



def _torch_loss(torch):
    return lambda x, y, w1, w2: torch.sum((torch.relu(x @ w1) @ w2 - y) ** 2)


def build_torch(inputs, lr):
    torch = optional.torch()
    return sgd_step(torch, _torch_loss(torch), inputs, ("w1", "w2"), lr)


def build_torch_compile(inputs, lr):
    torch = optional.fresh_torch_compile()
    return sgd_step(torch, torch.compile(_torch_loss(torch)), inputs, ("w1", "w2"), lr)


def build_jax(inputs, lr):
    jax = optional.jax()
    jnp = jax.numpy

    def jloss(w1, w2, x, y):
        return jnp.sum((jax.nn.relu(x @ w1) @ w2 - y) ** 2)

    @jax.jit
    def train(w1, w2, x, y):
        value, (g1, g2) = jax.value_and_grad(jloss, argnums=(0, 1))(w1, w2, x, y)
        # a flat tuple: the step unpacks it as it is
        return value, g1, g2, w1 - lr * g1, w2 - lr * g2

    state = {k: jax.device_put(v) for k, v in inputs.items()}

    def step():
        value, g1, g2, state["w1"], state["w2"] = jax.block_until_ready(
            train(state["w1"], state["w2"], state["x"], state["y"]))
        return value, g1, g2
    return step


def build_tracegrad(tg, backend, inputs, lr):
    value_and_grad = tg.value_and_grad(loss, argnums=(0, 1))

    def train(w1, w2, x, y):
        value, (g1, g2) = value_and_grad(w1, w2, x, y)
        # a flat tuple: the step unpacks it as it is
        return value, g1, g2, w1 - lr * g1, w2 - lr * g2

    f = tg.compile(train, backend=backend)
    state = dict(inputs)

    def step():
        value, g1, g2, state["w1"], state["w2"] = f(
            state["w1"], state["w2"], state["x"], state["y"])
        return value, g1, g2
    return step


def build_tracegrad_dynamic(tg, inputs, lr):
    # The PyTorch idiom: leaf tensors, zero_grad / backward / optimizer step.
    x, y = tg.tensor(inputs["x"]), tg.tensor(inputs["y"])
    w1, w2 = (tg.tensor(inputs[k], requires_grad=True) for k in ("w1", "w2"))
    opt = tg.optim.SGD([w1, w2], lr=lr)

    def step():
        opt.zero_grad()
        value = loss(w1, w2, x, y)
        value.backward()
        opt.step()
        return value, w1.grad, w2.grad
    return step


def peers(lr: float) -> list[Peer]:
    return standard_peers(sys.modules[__name__], dynamic_needs=("tensor", "optim"), lr=lr)


def learning_rate(n: int) -> float:
    """1e-6 at the classic N=64; scaled by 64/N above, where 1e-6 overflows in 3 steps."""
    return LR * min(1.0, 64 / n)


def case(n: int, quick: bool) -> Case:
    """W2 with batch size `n`."""
    lr = learning_rate(n)
    notes = [] if lr == LR else [
        f"N={n}: SGD lr {lr:.3g} (= 1e-6 * 64/N): with 1e-6 the loss overflows to inf "
        f"within 3 steps and later steps would time NaN arithmetic."]
    return Case(
        workload=NAME, label=f"N={n}", make_inputs=lambda: make_inputs(n),
        reference=reference, peers=peers(lr), dtype=np.float32,
        outputs=("loss", "grad w1", "grad w2"),
        warmup=3 if quick else 5, repeats=20 if quick else 50,
        budget_s=2.0 if quick else 10.0, notes=notes,
    )


def cases(quick: bool) -> list[Case]:
    return [case(64, quick)] + ([] if quick else [case(4096, quick)])
