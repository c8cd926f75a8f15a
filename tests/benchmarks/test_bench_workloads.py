"""The workloads' references are right, and every workload runs end to end at tiny sizes.

The float64 NumPy reference is what every peer is judged by, so it is checked
independently: gradients against central differences, the Hessian against SciPy.
torch.compile is left out (it compiles for seconds); torch and JAX rows are checked
only where those packages are installed.
"""

import importlib.util
import os

import numpy as np
import pytest
import scipy.optimize

from benchmarks import __main__ as cli
from benchmarks.harness import run_case
from benchmarks.workloads import (
    w1_elementwise,
    w2_mlp,
    w3_polyfit,
    w4_softmax,
    w5_hessian,
    w6_latency,
)


def _central_diff(f, args, i, h=1e-6, samples=4, rng=None):
    """Central differences of scalar `f` w.r.t. `samples` random entries of args[i]."""
    rng = rng or np.random.default_rng(0)
    a = args[i]
    out = []
    for flat in rng.choice(a.size, size=min(samples, a.size), replace=False):
        idx = np.unravel_index(flat, a.shape)
        plus, minus = [x.copy() for x in args], [x.copy() for x in args]
        plus[i][idx] += h
        minus[i][idx] -= h
        out.append((idx, (f(*plus) - f(*minus)) / (2 * h)))
    return out


def _check_grads(f, grads, args, rng):
    for i, g in enumerate(grads):
        for idx, fd in _central_diff(f, args, i, rng=rng):
            assert g[idx] == pytest.approx(fd, rel=1e-5, abs=1e-6)


def _f64(d):
    return {k: np.asarray(v, np.float64) for k, v in d.items()}


def test_w1_reference_gradient(rng):
    x = rng.standard_normal(20)
    value, grad = w1_elementwise.numpy_value_and_grad(x)
    assert value == pytest.approx(w1_elementwise.loss(x))
    _check_grads(w1_elementwise.loss, [grad], [x], rng)


def test_w2_reference_gradients(rng):
    d = _f64(w2_mlp.make_inputs(4))
    args = [d["w1"] * 0.1, d["w2"], d["x"], d["y"]]
    value, g1, g2 = w2_mlp.numpy_loss_and_grads(*args)
    assert value == pytest.approx(w2_mlp.loss(*args))
    _check_grads(w2_mlp.loss, [g1, g2], args, rng)
    assert w2_mlp.learning_rate(64) == 1e-6 and w2_mlp.learning_rate(4096) < 1e-6


def test_w3_reference_gradients(rng):
    d = _f64(w3_polyfit.make_inputs())
    args = [d["w"], d["b"], d["xx"], d["y"]]
    value, gw, gb = w3_polyfit.numpy_loss_and_grads(*args)
    assert value == pytest.approx(w3_polyfit.loss(*args))
    _check_grads(w3_polyfit.loss, [gw, np.asarray(gb)], args, rng)


def test_w4_reference_gradients(rng):
    d = _f64(w4_softmax.make_inputs(16))
    args = [d["W"], d["b"], d["X"], d["Y"]]
    value, gW, gb = w4_softmax.numpy_value_and_grads(*args)
    assert value == pytest.approx(w4_softmax.loss(*args))
    _check_grads(w4_softmax.loss, [gW, gb], args, rng)


def test_w5_reference_hessian_matches_scipy(rng):
    x = rng.uniform(-2, 2, 12)
    np.testing.assert_allclose(w5_hessian.numpy_hessian(x), scipy.optimize.rosen_hess(x),
                               rtol=1e-12)
    assert w5_hessian.rosen(x) == pytest.approx(scipy.optimize.rosen(x))


def _tiny(case):
    case.warmup, case.repeats, case.budget_s = 1, 2, None
    return case


TINY = {
    "W1": lambda: w1_elementwise.case(1000, quick=True),
    "W2": lambda: w2_mlp.case(8, quick=True),
    "W3": lambda: w3_polyfit.cases(quick=True)[0],
    "W4": lambda: w4_softmax.case(64, quick=True),
    "W5": lambda: w5_hessian.cases(quick=True)[0],
}


@pytest.mark.parametrize("name", sorted(TINY))
def test_workload_peers_run_and_pass_the_gate(name):
    # tracegrad's own rows are left to the full run: they exercise tracegrad, not the harness.
    case = _tiny(TINY[name]())
    results = run_case(case, peers=["NumPy (hand", "Numba", "PyTorch eager", "JAX"]).results
    expected = ["NumPy", "Numba"] + [p for p, mod in (("PyTorch eager", "torch"),
                                                      ("JAX jit", "jax"))
                                     if importlib.util.find_spec(mod)]
    for r in results:
        if any(r.peer.startswith(e) for e in expected):
            assert r.status == "ok", (r.peer, r.reason)
            assert len(r.timing.samples) == 2 and r.max_error <= case.tolerance
        else:  # not installed here
            assert r.status == "missing" and "not installed" in r.reason


@pytest.mark.parametrize("name", sorted(TINY))
def test_every_workload_lists_every_peer_and_tracegrad_backend(name):
    names = [p.name for p in TINY[name]().peers]
    assert names[:5] == [names[0], "Numba (hand kernel)", "PyTorch eager", "torch.compile",
                         "JAX jit"]
    assert names[-1] == "tracegrad dynamic"
    try:
        from tracegrad.runtime import backends
    except Exception:  # tracegrad mid-edit: its rows must then say so
        assert any(n == "tracegrad" for n in names)
        return
    assert [n for n in names if n.startswith("tracegrad[")] == [
        f"tracegrad[{b}]" for b in backends.available()]


def test_w3_runs_the_planned_number_of_steps():
    case = w3_polyfit.cases(quick=True)[0]
    case.budget_s = None
    (r,) = run_case(case, peers=["NumPy (hand"]).results
    assert r.extras["steps"] == str(w3_polyfit.STEPS)
    assert float(r.extras["final loss"]) == pytest.approx(w3_polyfit.reference_final_loss(),
                                                          rel=1e-3)


def test_w6_measures_a_fresh_process_cold_and_warm():
    r = w6_latency.measure("W1", "NumPy (hand-derived)")
    assert r.status == "ok", r.reason
    assert r.first_call > 0 and r.max_error == 0.0
    assert set(r.measures) == {"cold to first result", "cold process", "warm first call",
                               "warm to first result", "warm process"}
    assert r.measures["cold process"] > r.measures["cold to first result"] > r.first_call


def test_w6_unknown_peer_is_missing_not_a_crash():
    r = w6_latency.measure("W1", "no such peer")
    assert r.status == "missing" and "StopIteration" in r.reason


def test_cli_writes_results_with_the_requested_rows(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(cli.machine, "copy_bandwidth", lambda **kw: 1e10)
    assert cli.main(["--only", "w5", "--peers", "NumPy", "--out", str(tmp_path),
                     "--no-charts"]) == 0
    printed = capsys.readouterr().out
    text = (tmp_path / "RESULTS.md").read_text()
    for out in (printed, text):
        assert "NumPy (hand-derived)" in out and "| ok |" in out
    assert "## W5 Hessian" in text and "memory bandwidth" in text
    assert not os.path.exists(tmp_path / "charts")


def test_cli_rejects_unknown_workloads():
    with pytest.raises(SystemExit):
        cli.parse_args(["--only", "W9"])


def test_absent_package_makes_its_rows_missing(monkeypatch):
    import benchmarks.peers.optional as optional
    real = optional.importlib.import_module

    def no_torch(name, *a):
        if name.split(".")[0] == "torch":
            raise ImportError(f"No module named '{name}'")
        return real(name, *a)
    monkeypatch.setattr(optional.importlib, "import_module", no_torch)
    case = _tiny(TINY["W1"]())
    results = run_case(case, peers=["torch", "NumPy (hand"]).results
    assert [(r.peer, r.status) for r in results] == [
        ("NumPy (hand-derived)", "ok"), ("PyTorch eager", "missing"), ("torch.compile", "missing")]
    assert all("torch not installed" in r.reason for r in results[1:])


def test_a_workload_peer_with_a_wrong_gradient_is_rejected():
    from benchmarks.harness import Peer

    def forgot_a_term(inputs):  # d/dx of x*tanh(x) without the x*(1 - tanh^2) part
        x = inputs["x"]
        return lambda: (w1_elementwise.loss(x), (np.cos(x) - 2 * x * np.sin(x))
                        * np.exp(-x * x) + np.tanh(x))
    case = _tiny(TINY["W1"]())
    case.peers = [Peer("buggy", forgot_a_term)]
    (r,) = run_case(case).results
    assert r.status == "WRONG" and r.timing is None
    assert r.errors["value"] < 1e-12 and r.errors["grad"] > 0.1
