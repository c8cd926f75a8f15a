"""Selection of the math (vector or libm) and the templates code generation emits."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tracegrad.codegen.vecmath import select


def test_vector_is_the_default_and_env_or_option_selects_libm():
    assert select.math_mode(None, {}) == "vector"
    assert select.math_mode(None, {"TRACEGRAD_MATH": "libm"}) == "libm"
    assert select.math_mode(None, {"TRACEGRAD_MATH": ""}) == "vector"
    # compile(..., math=...) wins over the environment
    assert select.math_mode("vector", {"TRACEGRAD_MATH": "libm"}) == "vector"
    assert select.math_mode("libm", {}) == "libm"


@pytest.mark.parametrize("option, env", [("fast", {}), (None, {"TRACEGRAD_MATH": "svml"})])
def test_unknown_mode_names_the_choices(option, env):
    with pytest.raises(ValueError, match="vector, libm"):
        select.math_mode(option, env)


def test_templates_by_dtype_and_arity():
    assert select.template("exp", np.float64) == "vm_exp_f64({0})"
    assert select.template("exp", np.dtype("float32")) == "vm_exp_f32({0})"
    assert select.template("pow", np.float64) == "vm_pow_f64({0}, {1})"
    assert select.template("atan2", np.float32) == "vm_atan2_f32({0}, {1})"
    # libm mode, ops without a vector version, and other dtypes: the op's own emit
    assert select.template("exp", np.float64, math="libm") is None
    assert select.template("add", np.float64) is None
    assert select.template("exp", np.float16) is None
    assert select.template("exp", np.complex128) is None


def test_fast_trig_templates_and_guard():
    assert select.template("cos", np.float32, fast_trig=True) == "vm_cos_fast_f32({0})"
    assert select.template("sincos", np.float64, fast_trig=True) == "vm_sincos_fast_f64({0})"
    assert select.template("exp", np.float64, fast_trig=True) == "vm_exp_f64({0})"
    assert select.trig_guard(np.float32) == "vm_trig_fast_ok_f32({0})"
    from tracegrad.codegen import vecmath

    for name in ("vm_sin_fast_f64", "vm_trig_fast_ok_f32"):
        assert callable(getattr(vecmath, name))


def test_import_line_names_each_function_once():
    line = select.import_line(["vm_tanh_f64", "vm_exp_f64", "vm_tanh_f64"])
    assert line == "from tracegrad.codegen.vecmath import vm_exp_f64, vm_tanh_f64"
    namespace: dict = {}
    exec(line, namespace)  # the names exist
    assert callable(namespace["vm_exp_f64"])
    assert select.import_line([]) == ""


def test_every_op_has_both_functions_with_its_arity():
    from tracegrad.codegen import vecmath

    table = vecmath.functions()
    assert set(table) == set(select.OPS)
    for op, (arity, f64, f32) in table.items():
        assert arity == select.OPS[op]
        assert getattr(vecmath, f"vm_{op}_f64") is f64
        assert getattr(vecmath, f"vm_{op}_f32") is f32


def test_ops_with_a_primitive_are_named_as_the_primitive():
    from tracegrad.ops.primitive import REGISTRY

    without_op = {"log2", "log10", "sincos"}
    for op in set(select.OPS) - without_op:
        assert op in REGISTRY, op


def test_select_does_not_import_numba():
    code = "import sys, tracegrad.codegen.vecmath.select; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_fingerprint_is_stable_and_changes_with_the_source(tmp_path, monkeypatch):
    first = select.fingerprint()
    assert first == select.fingerprint() and len(first) == 16
    # the same computation over a copy of the package with one file changed
    import shutil
    from pathlib import Path

    copy = tmp_path / "vecmath"
    skip = shutil.ignore_patterns("__pycache__")
    shutil.copytree(Path(select.__file__).parent, copy, ignore=skip)
    monkeypatch.setattr(select, "__file__", str(copy / "select.py"))
    assert select.fingerprint() == first
    (copy / "exp.py").write_text((copy / "exp.py").read_text() + "\n# changed\n")
    assert select.fingerprint() != first
