"""Static graphs and dynamic tapes, side by side: one model trained both ways.

1. The same ``nn`` model is trained with the dynamic mode (``loss.backward()``,
   PyTorch-style) and with the static compiler (``tg.compile(tg.value_and_grad(...))``
   through ``tg.nn.functional_call``); both follow the same trajectory.
2. Data-dependent Python control flow: fine in dynamic mode, a clear error in static
   mode (with the fix: ``np.where``, ``static_argnums``).
3. Retracing: a compiled function traces again for a new shape, and only then.
4. A measured table: time per training step, and what building the graph costs,
   in each mode (the W2 and W3 workloads of ``benchmarks/``).

    python examples/static_vs_dynamic.py          # about a minute
    python examples/static_vs_dynamic.py --quick  # fewer repeats

Timings depend on the machine and on what else runs on it; rerun for your own.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

import tracegrad as tg

F = tg.nn.functional


def make_model(seed: int = 0) -> tg.nn.Module:
    tg.manual_seed(seed)
    return tg.nn.Sequential(tg.nn.Linear(3, 16), tg.nn.Tanh(), tg.nn.Linear(16, 1),
                            tg.nn.Flatten(0, 1))


def make_data(n: int = 256) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, np.sin(x @ np.array([1.0, -2.0, 0.5], np.float32))


# --- 1. one model, two ways to train it -------------------------------------------------


def train_dynamic(model: tg.nn.Module, x: np.ndarray, y: np.ndarray, steps: int) -> list:
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    X, Y = tg.tensor(x), tg.tensor(y)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.mse_loss(model(X), Y)  # the tape is recorded while this runs
        loss.backward()                 # ...and walked back here
        opt.step()
        losses.append(loss.item())
    return losses


def train_static(model: tg.nn.Module, x: np.ndarray, y: np.ndarray, steps: int) -> list:
    def loss_of(params, x, y):
        return F.mse_loss(tg.nn.functional_call(model, params, x), y)

    step = tg.compile(tg.value_and_grad(loss_of))  # traced once, compiled, then reused
    opt = tg.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    losses = []
    for _ in range(steps):
        params = {k: p.detach() for k, p in model.named_parameters()}
        loss, grads = step(params, x, y)
        for name, p in model.named_parameters():
            p.grad = grads[name]  # the same optimizer updates the same Parameters
        opt.step()
        losses.append(float(loss))
    return losses


def same_model_both_ways() -> None:
    print("## 1. The same model, trained both ways\n")
    x, y = make_data()
    dyn, stat = make_model(), make_model()
    ld, ls = train_dynamic(dyn, x, y, 50), train_static(stat, x, y, 50)
    for i in (0, 9, 49):
        print(f"step {i + 1:3d}: dynamic loss {ld[i]:.6f}   static loss {ls[i]:.6f}")
    gap = max(np.abs(a.detach().numpy() - b.detach().numpy()).max()
              for a, b in zip(dyn.parameters(), stat.parameters()))
    print(f"largest difference between the trained weights: {gap:.2e}\n")


# --- 2. data-dependent control flow -------------------------------------------------------


def scaled(x):
    """Python control flow that depends on the data."""
    if x.sum() > 0:
        return x * 2
    return -x


def control_flow() -> None:
    print("## 2. Data-dependent Python control flow\n")
    x = tg.tensor([1.0, -0.5, 2.0], requires_grad=True)
    out = scaled(x)
    out.sum().backward()
    print(f"dynamic: scaled(x) = {out}, x.grad = {x.grad}")
    try:
        tg.compile(scaled)(np.array([1.0, -0.5, 2.0]))
    except TypeError as exc:
        print(f"static:  {type(exc).__name__}: {exc}")
    branchless = tg.compile(lambda x: np.where(np.sum(x) > 0, x * 2, -x))
    print(f"static with np.where: {branchless(np.array([1.0, -0.5, 2.0]))}\n")


# --- 3. retracing -----------------------------------------------------------------------------


def retracing() -> None:
    print("## 3. Retracing on a new shape\n")
    f = tg.compile(lambda x: np.sum(np.tanh(x) ** 2))
    for n in (100, 100, 1000, 1000, 100):
        t0 = time.perf_counter()
        f(np.ones(n))
        f.block_until_compiled()  # a new signature compiles in the background
        ms = (time.perf_counter() - t0) * 1e3
        print(f"f(np.ones({n:4d})): {ms:8.3f} ms, signatures traced so far: {f.cache_size}")
    print()


# --- 4. measured: time per step and graph building ------------------------------------------


def _median_time(fn, repeats: int) -> float:
    fn()
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def _mlp_problem():
    """W2: relu(x @ w1) @ w2, squared error, N=64, D_in=1000, H=100, D_out=10 (float32)."""
    rng = np.random.default_rng(2)
    arrays = dict(w1=rng.standard_normal((1000, 100)) * 1e-2,
                  w2=rng.standard_normal((100, 10)) * 1e-1,
                  x=rng.standard_normal((64, 1000)), y=rng.standard_normal((64, 10)))
    arrays = {k: v.astype(np.float32) for k, v in arrays.items()}

    def loss(w1, w2, x, y):
        return np.sum((np.maximum(x @ w1, 0) @ w2 - y) ** 2)

    return "W2 MLP step (64x1000x100x10)", loss, arrays, ("w1", "w2")


def _polyfit_problem():
    """W3: a cubic fitted to sin on 2000 points (float32): tiny, overhead-bound."""
    x = np.linspace(-np.pi, np.pi, 2000, dtype=np.float32)
    arrays = dict(w=np.array([0.1, -0.2, 0.3], np.float32), b=np.array(0.5, np.float32),
                  xx=np.stack([x, x ** 2, x ** 3], axis=1), y=np.sin(x))

    def loss(w, b, xx, y):
        return np.sum((xx @ w + b - y) ** 2)

    return "W3 polyfit step (2000 points)", loss, arrays, ("w", "b")


def measure(problem, repeats: int) -> list[tuple[str, str, str, str]]:
    name, loss, arrays, trained = problem
    keys = list(arrays)
    argnums = tuple(keys.index(k) for k in trained)
    args = [arrays[k] for k in keys]
    rows = []

    # Dynamic: every step records the tape again; the recording is the graph building.
    def tensors():
        return [tg.tensor(a, requires_grad=k in trained) for k, a in zip(keys, args)]

    def dynamic_step():
        loss(*tensors()).backward()

    def forward_recorded():
        loss(*tensors())

    def forward_plain():
        with tg.no_grad():
            loss(*tensors())

    step = _median_time(dynamic_step, repeats)
    building = _median_time(forward_recorded, repeats) - _median_time(forward_plain, repeats)
    rows.append((name, "dynamic", _fmt(step), f"{_fmt(max(building, 0.0))} every step"))

    # Static: traced once per signature (the first call), then reused. On the cpu
    # backend the first call is answered by the interpreter while the program
    # compiles in the background; the table shows when it was ready.
    for backend in ("numpy", "cpu"):
        f = tg.compile(tg.value_and_grad(loss, argnums=argnums), backend=backend)
        t0 = time.perf_counter()
        f(*args)
        first = time.perf_counter() - t0
        f.block_until_compiled()
        ready = time.perf_counter() - t0
        per_step = _median_time(lambda f=f: f(*args), repeats)
        once = f"{_fmt(first)} once (first call)"
        if backend == "cpu":
            once += f", compiled after {_fmt(ready)}"
        rows.append((name, f"static [{backend}]", _fmt(per_step), once))
    return rows


def _fmt(seconds: float) -> str:
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds * 1e6:.0f} µs"


def timing_table(repeats: int) -> None:
    print("## 4. Time per training step and graph-building cost\n")
    print("| workload | mode | time per step (median) | graph building |")
    print("|---|---|---|---|")
    for problem in (_mlp_problem(), _polyfit_problem()):
        for row in measure(problem, repeats):
            print("| " + " | ".join(row) + " |")
    print()


def main(argv: list[str]) -> int:
    same_model_both_ways()
    control_flow()
    retracing()
    timing_table(repeats=10 if "--quick" in argv else 50)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
