"""Tiered execution: the first calls are answered by the NumPy interpreter while
the CPU program loads or compiles on a background thread; ``tiered=False``, a
failed compile and a process that exits at once behave as documented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.runtime import backends, tiered
from tracegrad.runtime.interpreter import run_graph

ROOT = Path(__file__).resolve().parents[2]


def loss(x, y):
    return np.sum(np.tanh(x) * y + x * x)


def grad_fn():
    return tg.compile(tg.value_and_grad(loss), backend="cpu", tiered=True)


def compiled(fn) -> bool:
    """Whether every signature `fn` traced now runs a Numba program."""
    return all(hasattr(e.run, "dispatcher") for e in fn._cache.values())


@pytest.fixture
def inputs(rng):
    return rng.standard_normal(7), rng.standard_normal(7)


def test_interpreter_answers_until_the_program_is_compiled(inputs, monkeypatch):
    # Hold the compile back until the first call has returned, so that the test
    # sees the interpreted call however fast the machine compiles.
    release = threading.Event()
    start = tiered.compile_in_background

    def held(build, install, name):
        def build_later():
            release.wait(timeout=60)
            return build()
        return start(build_later, install, name)

    monkeypatch.setattr(tiered, "compile_in_background", held)
    fn = grad_fn()
    value, grad = fn(*inputs)
    assert not compiled(fn)
    graph = tg.make_ir(tg.value_and_grad(loss))(*inputs)
    want_value, want_grad = run_graph(graph, list(inputs))
    np.testing.assert_allclose(value, want_value, rtol=1e-14)
    np.testing.assert_allclose(grad, want_grad, rtol=1e-14)
    assert isinstance(value, np.ndarray) and value.shape == ()

    release.set()
    fn.block_until_compiled()
    assert compiled(fn)
    value2, grad2 = fn(*inputs)
    np.testing.assert_allclose(value2, want_value, rtol=1e-12)
    np.testing.assert_allclose(grad2, want_grad, rtol=1e-12)


def test_a_warm_cache_is_loaded_in_the_background_too(inputs):
    first = grad_fn()
    first(*inputs)
    first.block_until_compiled()  # stored now, if the test above did not run
    fn = grad_fn()
    fn(*inputs)
    fn.block_until_compiled()
    assert compiled(fn)
    # The same machine code: found by the graph's hash, not compiled again.
    program = next(iter(fn._cache.values())).run.dispatcher
    assert program is next(iter(first._cache.values())).run.dispatcher


def test_tiered_false_compiles_before_returning(rng):
    fn = tg.compile(lambda x: np.sum(np.exp(x) * 3.0), backend="cpu", tiered=False)
    x = rng.standard_normal(5)
    np.testing.assert_allclose(fn(x), np.sum(np.exp(x) * 3.0), rtol=1e-13)
    assert compiled(fn) and not fn._compiling


def test_a_failed_compile_warns_and_keeps_the_interpreter(rng, monkeypatch):
    make = backends.make_executable

    def broken(backend, graph, name, **options):
        if backend == "cpu":
            raise RuntimeError("simulated code generator bug")
        return make(backend, graph, name, **options)

    monkeypatch.setattr(backends, "make_executable", broken)
    fn = tg.compile(lambda x: np.sum(np.cos(x) * x), backend="cpu", tiered=True)
    x = rng.standard_normal(6)
    with pytest.warns(tiered.TieredWarning, match="simulated code generator bug"):
        fn(x)
        fn.block_until_compiled()
    assert not compiled(fn)
    np.testing.assert_allclose(fn(x), np.sum(np.cos(x) * x), rtol=1e-14)


# A process that calls once and exits at once: the compile still lands in the cache.
SCRIPT = r"""
import json, sys
import numpy as np
import tracegrad as tg

def loss(x):
    return np.sum(np.sin(x) * x)

fn = tg.grad(loss)
x = np.random.default_rng(0).standard_normal(11)
g = fn(x)
report = {"first_compiled": hasattr(next(iter(fn._cache.values())).run, "dispatcher"),
          "ok": bool(np.allclose(g, np.sin(x) + x * np.cos(x), rtol=1e-12))}
if sys.argv[1] == "wait":  # the second process: machine code from Numba's cache
    fn.block_until_compiled()
    stats = next(iter(fn._cache.values())).run.dispatcher.stats
    report["hits"] = sum(stats.cache_hits.values())
    report["misses"] = sum(stats.cache_misses.values())
print(json.dumps(report))
"""


def test_exiting_process_waits_for_the_compile(tmp_path):
    env = {**os.environ, "TRACEGRAD_CACHE_DIR": str(tmp_path), "TRACEGRAD_TIERED": "1",
           "TRACEGRAD_BACKEND": "cpu"}

    def run(mode: str) -> dict:
        proc = subprocess.run([sys.executable, "-c", SCRIPT, mode], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout.strip().splitlines()[-1])

    assert run("exit") == {"first_compiled": False, "ok": True}
    assert list(tmp_path.glob("tg_*.py")), "the background compile did not reach the cache"
    assert run("wait") == {"first_compiled": False, "ok": True, "hits": 1, "misses": 0}


def test_a_documented_limit_says_what_to_do(rng):
    fn = tg.compile(lambda x: x * x + 1.0, backend="cpu", tiered=True)
    x = rng.standard_normal(4).astype(np.float16)
    with pytest.warns(tiered.TieredWarning, match="does not support float16.*use float32"):
        got = fn(x)
        fn.block_until_compiled()
    assert got.dtype == np.float16 and not compiled(fn)
    np.testing.assert_allclose(fn(x), x * x + np.float16(1.0), rtol=1e-3)
