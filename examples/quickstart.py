"""tracegrad in one minute: trace a NumPy function, read its IR, differentiate it,
compile forward and backward into one Numba program, check it against NumPy.

    python examples/quickstart.py
"""

import numpy as np

import tracegrad as tg


def loss(w, x):
    # Plain NumPy: tracegrad records these calls instead of running them.
    return np.mean(np.tanh(x @ w) ** 2) + np.sum(np.maximum(w, 0.0))


def main() -> None:
    rng = np.random.default_rng(0)
    w = rng.normal(size=3)
    x = rng.normal(size=(8, 3))

    # 1. The traced program: one line per operation, with static shapes and dtypes.
    #    Broadcasts are explicit (broadcast_in_dim), np.mean became a sum and a divide.
    print("== the traced IR ==")
    print(tg.make_ir(loss)(w, x))

    # 2. Compile it: the first call with a new signature (shapes, dtypes, pytree
    #    structure) traces it into one Numba program, compiled in the background
    #    while the NumPy interpreter answers; later calls run the compiled program.
    fast_loss = tg.compile(loss)
    value, expected = fast_loss(w, x), loss(w, x)  # compiled, and NumPy itself
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    print(f"\n== compiled ==\nloss = {float(value):.6f} (NumPy: {float(expected):.6f})")
    fast_loss(w, rng.normal(size=(8, 3)))   # same signature: no new trace
    fast_loss(w, rng.normal(size=(16, 3)))  # new shape: traced again
    print(f"cache_size = {fast_loss.cache_size} (two signatures seen)")

    # 3. The gradient is more IR: the adjoint graph, printed, then compiled together
    #    with the forward pass.
    print("\n== the adjoint graph of the loss w.r.t. w ==")
    print(tg.make_ir(tg.grad(loss))(w, x))
    value_and_grad = tg.value_and_grad(loss)
    value, g = value_and_grad(w, x)
    tg.check_grads(loss, (w, x))  # against central finite differences
    print(f"\ngrad = {g}  (checked against finite differences)")

    # 4. What the CPU backend made of it: the fusion plan and the generated source,
    #    each generated line under the IR node it comes from.
    lowered = value_and_grad.lower(w, x)
    print(f"\n== {len(lowered.optimized.nodes)} nodes after the IR passes; the fusion plan ==")
    print(lowered.kernels)
    print("\n== the first lines of the generated Numba program ==")
    print("\n".join(lowered.source.splitlines()[:24]))

    # 5. A Python scalar is weakly typed, as in NumPy 2: float32 stays float32.
    scale = tg.compile(lambda v, s: v * s)
    print(f"\nfloat32 array * 2.0 -> {scale(x.astype(np.float32), 2.0).dtype}")


if __name__ == "__main__":
    main()
