"""The harness's own checks: timing counts, the correctness gate, missing peers."""

import numpy as np
import pytest

from benchmarks.harness import (
    Case,
    Missing,
    Peer,
    Result,
    Timing,
    peak_memory,
    relative_error,
    run_case,
    set_ratios,
    time_calls,
    to_numpy,
)


def _value_and_grad(x):
    return np.sum(x * x), 2.0 * x


def _counting(fn):
    """`fn` wrapped so the test can see how many times a peer's step ran."""
    calls = []

    def step():
        calls.append(1)
        return fn()
    return step, calls


def _case(peers, dtype=np.float64, **kw):
    rng = np.random.default_rng(7)
    x = rng.standard_normal(50).astype(dtype)
    return Case(workload="T", label="tiny", make_inputs=lambda: {"x": x.copy()},
                reference=lambda inp: _value_and_grad(inp["x"]), peers=peers, dtype=dtype,
                warmup=2, repeats=5, budget_s=None, **kw)


def test_time_calls_returns_exactly_repeats_samples_after_untimed_warmup():
    step, calls = _counting(lambda: None)
    t = time_calls(step, repeats=7, warmup=3)
    assert len(t.samples) == 7 and len(calls) == 10
    assert t.min <= t.median <= t.max
    assert all(s >= 0 for s in t.samples)


def test_time_calls_budget_stops_early_but_keeps_min_repeats():
    import time
    t = time_calls(lambda: time.sleep(0.01), repeats=100, budget_s=0.001, min_repeats=3)
    assert len(t.samples) == 3


def test_timing_median_of_samples():
    t = Timing((3.0, 1.0, 2.0, 10.0))
    assert t.median == 2.5 and t.min == 1.0 and t.max == 10.0


def test_correct_peer_is_checked_then_timed():
    step, calls = _counting(lambda: None)

    def build(inp):
        x = inp["x"]
        return lambda: (step(), _value_and_grad(x))[1]
    (r,) = run_case(_case([Peer("good", build, memory="tracemalloc")])).results
    assert r.status == "ok", r.reason
    assert len(r.timing.samples) == 5
    assert r.first_call is not None and r.first_call >= 0
    assert r.max_error < 1e-12
    assert r.ratio == 1.0
    assert r.peak_bytes is not None
    assert len(calls) == 1 + 2 + 5  # first call, warm-up (one also measures memory), timed


def test_wrong_gradient_is_reported_wrong_and_not_timed():
    step, calls = _counting(lambda: None)

    def build(inp):
        x = inp["x"]

        def wrong():
            step()
            value, grad = _value_and_grad(x)
            return value, grad * 1.01  # a 1% error in the gradient
        return wrong
    good = Peer("good", lambda inp: lambda: _value_and_grad(inp["x"]))
    cr = run_case(_case([good, Peer("bad grad", build)]))
    good_r, bad = cr.results
    assert bad.status == "WRONG"
    assert bad.timing is None and bad.ratio is None and bad.first_call is None
    assert len(calls) == 1  # only the checked first call ran
    assert bad.errors["grad"] == pytest.approx(0.01, rel=1e-6)
    assert bad.errors["value"] < 1e-12
    assert "grad" in bad.reason
    assert good_r.status == "ok" and good_r.ratio == 1.0


def test_wrong_value_shape_and_count_are_wrong():
    peers = [
        Peer("bad value", lambda inp: lambda: (1.0, 2.0 * inp["x"])),
        Peer("bad shape", lambda inp: lambda: _value_and_grad(inp["x"][:-1])),
        Peer("too few", lambda inp: lambda: (np.sum(inp["x"] ** 2),)),
        Peer("nan", lambda inp: lambda: (np.nan, 2.0 * inp["x"])),
    ]
    assert [r.status for r in run_case(_case(peers)).results] == ["WRONG"] * 4


def test_missing_and_failing_peers_are_reported_missing_with_reason():
    def not_installed(inp):
        raise Missing("frobnicator not installed (pip install frobnicator)")

    def crashes_on_first_call(inp):
        def step():
            raise RuntimeError("backend exploded\nlong traceback text")
        return step

    def crashes_on_build(inp):
        raise ImportError("No module named 'frob'")

    results = run_case(_case([Peer("a", not_installed), Peer("b", crashes_on_first_call),
                              Peer("c", crashes_on_build)])).results
    assert [r.status for r in results] == ["missing"] * 3
    assert results[0].reason == "frobnicator not installed (pip install frobnicator)"
    assert results[1].reason == "RuntimeError: backend exploded"
    assert results[2].reason == "ImportError: No module named 'frob'"
    assert all(r.timing is None for r in results)


def test_float32_tolerance_accepts_rounding_and_rejects_real_errors():
    def build32(inp):
        x = inp["x"]
        return lambda: _value_and_grad(x)

    def build32_bad(inp):
        x = inp["x"]
        return lambda: (np.sum(x * x), 2.0 * x + np.float32(1e-2) * x)
    results = run_case(_case([Peer("f32", build32), Peer("f32 bad", build32_bad)],
                             dtype=np.float32)).results
    assert [r.status for r in results] == ["ok", "WRONG"]
    assert 0 < results[0].max_error < 1e-6


def test_peers_filter_and_each_peer_gets_its_own_inputs():
    def mutating(inp):
        def step():
            out = _value_and_grad(inp["x"].copy())
            inp["x"] *= 2.0  # a training peer updating its parameters in place
            return out
        return step
    peers = [Peer("mutating", mutating), Peer("plain", lambda inp: lambda: _value_and_grad(
        inp["x"])), Peer("other", lambda inp: lambda: _value_and_grad(inp["x"]))]
    results = run_case(_case(peers), peers=["mut", "PLAIN"]).results
    assert [r.peer for r in results] == ["mutating", "plain"]
    assert results[1].status == "ok"  # unaffected by the first peer's in-place updates


def test_extras_see_the_last_outputs_and_the_call_count():
    state = {"n": 0}

    def build(inp):
        x = inp["x"]

        def step():
            state["n"] += 1
            return _value_and_grad(x)
        return step
    case = _case([Peer("p", build)],
                 extras=lambda last, calls: {"calls": str(calls), "v": f"{last[0]:.3f}"})
    (r,) = run_case(case).results
    assert r.extras["calls"] == str(state["n"]) == "8"
    assert r.extras["v"] == f"{np.sum(case.make_inputs()['x'] ** 2):.3f}"


def test_set_ratios_relative_to_fastest_timed_row():
    rs = [Result("a", "ok", timing=Timing((2.0,))), Result("b", "ok", timing=Timing((1.0,))),
          Result("c", "missing")]
    set_ratios(rs)
    assert [r.ratio for r in rs] == [2.0, 1.0, None]
    latency = [Result("a", "ok", first_call=3.0), Result("b", "ok", first_call=1.5)]
    set_ratios(latency)
    assert [r.ratio for r in latency] == [2.0, 1.0]


def test_relative_error_and_to_numpy(rng):
    a = rng.standard_normal(10)
    assert relative_error(a, a) == 0.0
    assert relative_error(a * (1 + 1e-3), a) == pytest.approx(1e-3)
    assert relative_error(a[:5], a) == float("inf")
    assert relative_error(np.full(10, np.inf), a) == float("inf")

    class FakeTensor:  # what torch / dynamic-mode tensors look like to the harness
        def detach(self):
            return self

        def numpy(self):
            return a
    assert np.array_equal(to_numpy(FakeTensor()), a)


def test_peak_memory_tracemalloc_sees_numpy_allocations():
    peak = peak_memory(lambda: np.ones(2_000_000), "tracemalloc")
    assert peak >= 16_000_000
    assert peak_memory(lambda: None, "unknown") is None


def test_peer_failing_after_a_correct_first_call_does_not_stop_the_run():
    def flaky(inp):
        x, calls = inp["x"], []

        def step():
            calls.append(1)
            if len(calls) > 1:
                raise ValueError("buffer was donated")
            return _value_and_grad(x)
        return step

    def unreadable(inp):
        return lambda: (object(), object())
    good = Peer("good", lambda inp: lambda: _value_and_grad(inp["x"]))
    flaky_r, unreadable_r, good_r = run_case(
        _case([Peer("flaky", flaky), Peer("odd", unreadable), good])).results
    assert flaky_r.status == "missing" and flaky_r.timing is None
    assert flaky_r.reason == "failed after the first call: ValueError: buffer was donated"
    assert unreadable_r.status == "WRONG" and unreadable_r.timing is None
    assert good_r.status == "ok" and good_r.ratio == 1.0
