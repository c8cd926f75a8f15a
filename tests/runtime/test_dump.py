"""TRACEGRAD_DUMP / TRACEGRAD_DUMP_DIR: dumps of the stages of every compiled function."""

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.runtime import config
from tracegrad.runtime.config import Flags


def fitted(x, w):
    unused = np.cos(x)  # removed by the optimizer, so the two dumps differ
    del unused
    return np.sum(np.sin(x) * w)


def test_flags_from_env():
    flags = Flags.from_env({
        "TRACEGRAD_BACKEND": "cpu",
        "TRACEGRAD_DUMP": "ir, optimized",
        "TRACEGRAD_DUMP_DIR": "/tmp/somewhere",
        "TRACEGRAD_CHECKS": "1",
    })
    assert flags == Flags(backend="cpu", dump=frozenset({"ir", "optimized"}),
                          dump_dir="/tmp/somewhere", checks=True)
    assert Flags.from_env({}) == Flags()
    assert not Flags.from_env({"TRACEGRAD_CHECKS": "0"}).checks


def test_unknown_dump_stage_is_ignored_with_a_warning(capsys):
    flags = Flags.from_env({"TRACEGRAD_DUMP": "ir,bogus"})
    assert flags.dump == frozenset({"ir"})
    assert "bogus" in capsys.readouterr().err


def test_dump_dir_gets_one_file_per_function_and_stage(rng, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "FLAGS", Flags(dump=frozenset({"ir", "optimized"}),
                                               dump_dir=str(tmp_path / "dumps")))
    x, w = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(tg.compile(fitted, backend="numpy")(x, w), fitted(x, w))
    files = sorted(os.listdir(tmp_path / "dumps"))
    assert files == ["fitted.ir.txt", "fitted.optimized.txt"]
    ir = (tmp_path / "dumps" / "fitted.ir.txt").read_text()
    opt = (tmp_path / "dumps" / "fitted.optimized.txt").read_text()
    assert ir.startswith("graph(%0:f64[3], %1:f64[3]) -> (f64[]) {")
    assert "cos" in ir and "cos" not in opt and "sin" in opt


def test_dump_goes_to_stderr_without_a_dir(rng, monkeypatch, capsys):
    monkeypatch.setattr(config, "FLAGS", Flags(dump=frozenset({"optimized"})))
    tg.compile(fitted, backend="numpy")(rng.normal(size=2), rng.normal(size=2))
    err = capsys.readouterr().err
    assert "--- tracegrad optimized: fitted ---" in err
    assert "--- tracegrad ir" not in err
    assert "= sin %0" in err


def test_no_dump_by_default(rng, monkeypatch, capsys):
    monkeypatch.setattr(config, "FLAGS", Flags())
    tg.compile(fitted, backend="numpy")(rng.normal(size=2), rng.normal(size=2))
    assert capsys.readouterr().err == ""


def test_dumps_are_written_only_when_a_signature_is_compiled(rng, tmp_path, monkeypatch):
    monkeypatch.setattr(config, "FLAGS", Flags(dump=frozenset({"ir"}), dump_dir=str(tmp_path)))
    f = tg.compile(fitted, backend="numpy")
    f(rng.normal(size=2), rng.normal(size=2))
    (tmp_path / "fitted.ir.txt").unlink()
    f(rng.normal(size=2), rng.normal(size=2))  # cache hit: nothing traced, nothing dumped
    assert not (tmp_path / "fitted.ir.txt").exists()


@pytest.mark.parametrize("checks", ["0", "1"])
def test_environment_variables_in_a_fresh_process(tmp_path, checks):
    # The flags are read at import, so this one runs in a subprocess.
    script = textwrap.dedent("""
        import numpy as np, tracegrad as tg
        def scaled(x):
            return np.exp(x) * 2.0
        print(float(tg.compile(scaled)(np.ones(2))[0]))
    """)
    env = dict(os.environ, TRACEGRAD_DUMP="ir,optimized", TRACEGRAD_DUMP_DIR=str(tmp_path),
               TRACEGRAD_BACKEND="numpy", TRACEGRAD_CHECKS=checks)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=False,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    np.testing.assert_allclose(float(done.stdout), np.exp(1.0) * 2.0)
    assert sorted(os.listdir(tmp_path)) == ["scaled.ir.txt", "scaled.optimized.txt"]
    assert "= exp %0" in (tmp_path / "scaled.ir.txt").read_text()
