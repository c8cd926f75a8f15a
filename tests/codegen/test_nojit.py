"""The generated programs are plain Python too: run them with NUMBA_DISABLE_JIT=1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = r"""
import numpy as np
import tracegrad as tg
from tracegrad.runtime.executable import cpu_executable as make_executable
from tracegrad.runtime.interpreter import run_graph

rng = np.random.default_rng(3)

def softmax_xent(w, x, y):
    z = x @ w
    m = np.max(z, axis=1, keepdims=True)
    lse = m[:, 0] + np.log(np.sum(np.exp(z - m), axis=1))
    return np.mean(lse - np.sum(z * y, axis=1))

def mixed(x, i):
    return (np.tanh(x.T)[::-1] * 2.0, np.argmax(x, axis=0), tg.gather(x, i, axis=1),
            np.concatenate([x, x], axis=1).astype(np.float32), np.sum(x > 0))

# The small cases run the vector math's pure-Python fallbacks; the large one (a
# parallel loop) uses libm, since vector math in pure Python is slow.
cases = [
    (tg.value_and_grad(softmax_xent), (rng.standard_normal((5, 3)), rng.standard_normal((8, 5)),
                                       np.eye(3)[rng.integers(0, 3, 8)]), "vector"),
    (mixed, (rng.standard_normal((4, 6)), np.array([1, 5, 0])), "vector"),
    (tg.value_and_grad(lambda x: np.sum(np.sin(x) ** 2)), (rng.standard_normal(300_000),),
     "libm"),
]
for fn, args, math in cases:
    graph = tg.make_ir(fn)(*args)
    run = make_executable(graph, "case", math=math)
    assert not hasattr(run.dispatcher, "compile"), "the JIT was not disabled"
    for got, want in zip(run(list(args)), run_graph(graph, list(args))):
        assert np.asarray(got).dtype == want.dtype, (got, want)
        np.testing.assert_allclose(got, want, rtol=1e-6)
print("ok")
"""


def test_generated_code_runs_without_the_jit(tmp_path):
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1", "TRACEGRAD_CACHE_DIR": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().endswith("ok")
