"""The on-disk program cache, exercised in fresh processes: a second process loads
machine code instead of compiling; a corrupt, stale or unwritable cache warns and
still computes the right result."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Compiles a parallel (prange) program and a serial one, checks them against the
# interpreter, and reports Numba's cache hits and misses and any warnings.
SCRIPT = r"""
import json, sys, warnings
import numpy as np
import tracegrad as tg
from tracegrad.runtime.executable import cpu_executable as make_executable
from tracegrad.runtime.interpreter import run_graph

def loss(x):
    return np.sum(np.sin(x) * np.exp(-x * x) + np.tanh(x) * x)

report = {"hits": 0, "misses": 0, "ok": True, "warnings": []}
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    for n in (300_000, 10):
        x = np.random.default_rng(n).standard_normal(n)
        graph = tg.make_ir(tg.value_and_grad(loss))(x)
        run = make_executable(graph, "loss")
        got, want = run([x]), run_graph(graph, [x])
        report["ok"] &= all(np.allclose(a, b, rtol=1e-12) for a, b in zip(got, want))
        stats = run.dispatcher.stats
        report["hits"] += sum(stats.cache_hits.values())
        report["misses"] += sum(stats.cache_misses.values())
report["warnings"] = [str(w.message) for w in caught]
# A warm process finds its programs by the graph's hash: no code generation at all.
report["codegen_imported"] = "tracegrad.codegen.schedule" in sys.modules
print(json.dumps(report))
"""


def run_fresh(cache_dir: Path, **env: str) -> dict:
    full_env = {**os.environ, "TRACEGRAD_CACHE_DIR": str(cache_dir), **env}
    proc = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    cache = tmp_path_factory.mktemp("warm")
    cold = run_fresh(cache)
    assert cold["ok"] and cold["misses"] == 2 and cold["hits"] == 0, cold
    assert cold["codegen_imported"]
    return cache


def test_second_process_loads_machine_code(warm_cache):
    warm = run_fresh(warm_cache)
    assert warm["ok"], warm
    assert warm["hits"] == 2 and warm["misses"] == 0, warm
    assert not warm["warnings"], warm
    assert not warm["codegen_imported"], "a warm process should not generate code"


def test_source_files_are_named_by_content_hash(warm_cache):
    sources = sorted(warm_cache.glob("tg_*.py"))
    assert len(sources) == 2
    assert all(len(p.stem) == len("tg_") + 32 for p in sources)
    assert "@numba.njit(cache=True" in sources[0].read_text()


def test_corrupt_source_is_rewritten(warm_cache, tmp_path):
    cache = tmp_path / "c"
    _copy_tree(warm_cache, cache)
    for p in cache.glob("tg_*.py"):
        p.write_text(p.read_text()[:40])  # a truncated write
    report = run_fresh(cache)
    assert report["ok"], report
    assert any("does not match its content hash" in w for w in report["warnings"]), report


def test_corrupt_machine_code_is_rebuilt(warm_cache, tmp_path):
    cache = tmp_path / "c"
    _copy_tree(warm_cache, cache)
    for p in (cache / "__pycache__").glob("*.nb*"):
        p.write_bytes(b"\x80\x04garbage")
    report = run_fresh(cache)
    assert report["ok"], report
    assert any("could not be loaded" in w for w in report["warnings"]), report
    again = run_fresh(cache)  # the rebuilt entry is good
    assert again["ok"] and again["hits"] == 2 and not again["warnings"], again


def test_unwritable_cache_is_bypassed(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    report = run_fresh(blocker / "cache")
    assert report["ok"], report
    assert any("cannot write the program cache" in w for w in report["warnings"]), report


def _copy_tree(src: Path, dst: Path) -> None:
    import shutil

    shutil.copytree(src, dst)
    # Keep modification times: Numba's index is keyed by the source file's stamp.
    for s in src.rglob("*"):
        d = dst / s.relative_to(src)
        st = s.stat()
        os.utime(d, ns=(st.st_atime_ns, st.st_mtime_ns))
