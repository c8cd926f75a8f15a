"""tracegrad in one minute: trace a NumPy function, read its IR, compile it, check it.

    python examples/quickstart.py
"""

import numpy as np

import tracegrad as tg


def loss(x, w):
    # Plain NumPy: tracegrad records these calls instead of running them.
    # (np.sum(x * w, axis=1) is x @ w for a vector w.)
    pred = np.tanh(np.sum(x * w, axis=1))
    return np.mean(pred**2) + np.sum(np.maximum(w, 0.0))


def main() -> None:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3))
    w = rng.normal(size=3)

    # 1. The traced program: one line per operation, with static shapes and dtypes.
    #    Broadcasts are explicit (broadcast_in_dim), np.mean became a sum and a divide.
    print("== the traced IR ==")
    print(tg.make_ir(loss)(x, w))

    # 2. Compile it. The first call with a new signature (shapes, dtypes, pytree
    #    structure) traces and compiles; later calls with that signature hit the cache.
    fast_loss = tg.compile(loss, backend="numpy")
    value = fast_loss(x, w)
    expected = loss(x, w)  # the same function, run by NumPy itself
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    print(f"\n== compiled ==\nloss = {float(value):.6f} (NumPy: {float(expected):.6f})")

    fast_loss(rng.normal(size=(8, 3)), w)  # same signature: no new trace
    fast_loss(rng.normal(size=(16, 3)), w)  # new shape: traced again
    print(f"cache_size = {fast_loss.cache_size} (two signatures seen)")

    # 3. Every stage of one signature, without running it.
    lowered = fast_loss.lower(x, w)
    print(f"\n== after the IR passes: {len(lowered.optimized.nodes)} nodes ==")
    print(lowered.optimized)

    # 4. A Python scalar is weakly typed, as in NumPy 2: float32 stays float32.
    scale = tg.compile(lambda v, s: v * s, backend="numpy")
    print(f"\nfloat32 array * 2.0 -> {scale(x.astype(np.float32), 2.0).dtype}")


if __name__ == "__main__":
    main()
