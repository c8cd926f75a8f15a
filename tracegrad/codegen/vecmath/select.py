"""Which math a compiled function uses, and the expression code generation emits.

Vector math is the default. ``TRACEGRAD_MATH=libm`` in the environment, or
``compile(..., math="libm")`` (which wins over the environment), restores the
scalar libm calls of each op's own ``emit`` template (``math.exp({0})``). fastmath
is a separate, opt-in switch of the code generator (``compile(fastmath=True)``) and
does not change which functions are called.

This module imports no Numba: code generation asks it for templates and for the
import line of the generated module, and only that module imports the functions.

>>> template("tanh", np.float64, math="vector")
'vm_tanh_f64({0})'
>>> template("tanh", np.float64, math="libm") is None
True
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np

MODES = ("vector", "libm")
ENV_VAR = "TRACEGRAD_MATH"

# op name -> arity: the functions of this package (`vecmath.functions()`)
OPS = {
    "exp": 1, "expm1": 1, "log": 1, "log1p": 1, "log2": 1, "log10": 1,
    "sin": 1, "cos": 1, "sincos": 1, "tan": 1, "tanh": 1, "sinh": 1, "cosh": 1,
    "logistic": 1, "erf": 1, "atan": 1, "asin": 1, "acos": 1, "sqrt": 1,
    "atan2": 2, "pow": 2,
}
_SUFFIX = {np.dtype(np.float64): "f64", np.dtype(np.float32): "f32"}


def math_mode(option: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The math in force: `option` if given (``compile(math=...)``), else the
    ``TRACEGRAD_MATH`` environment variable, else ``"vector"``.

    >>> math_mode(None, {"TRACEGRAD_MATH": "libm"})
    'libm'
    """
    env = os.environ if env is None else env
    mode = option if option is not None else (env.get(ENV_VAR) or "vector")
    if mode not in MODES:
        where = "math=" if option is not None else f"{ENV_VAR}="
        raise ValueError(f"{where}{mode!r} is not a math mode; use one of {', '.join(MODES)}")
    return mode


def function_name(op: str, dtype) -> str | None:
    """``vm_<op>_<f64|f32>``, or None where there is no vector version.

    >>> function_name("exp", np.float32)
    'vm_exp_f32'
    """
    suffix = _SUFFIX.get(np.dtype(dtype))
    if op not in OPS or suffix is None:
        return None
    return f"vm_{op}_{suffix}"


# sin, cos, tan, sincos have "fast" variants, exact for |x| <= 2**30 only (trig.py)
FAST_TRIG = ("sin", "cos", "tan", "sincos")


def template(op: str, dtype, math: str = "vector", fast_trig: bool = False) -> str | None:
    """The scalar expression for `op` on `dtype` operands, ``{0}``, ``{1}`` standing
    for them; None when the op's own ``emit`` template applies (libm mode, or no
    vector version for this op or dtype). ``fast_trig=True`` gives the fast trig
    variants, for a kernel that also keeps `trig_guard` of their arguments.

    >>> template("atan2", np.float32)
    'vm_atan2_f32({0}, {1})'
    >>> template("sin", np.float64, fast_trig=True)
    'vm_sin_fast_f64({0})'
    """
    if math_mode(math) == "libm":
        return None
    name = function_name(op, dtype)
    if name is None:
        return None
    if fast_trig and op in FAST_TRIG:
        name = name.replace(f"vm_{op}_", f"vm_{op}_fast_")
    args = ", ".join(f"{{{i}}}" for i in range(OPS[op]))
    return f"{name}({args})"


def trig_guard(dtype) -> str | None:
    """The check of one argument of a fast trig function: True where the fast
    variant is exact. A kernel ANDs it over all arguments (a vectorisable
    reduction) and reruns with the exact functions if the result is False.

    >>> trig_guard(np.float64)
    'vm_trig_fast_ok_f64({0})'
    """
    suffix = _SUFFIX.get(np.dtype(dtype))
    return None if suffix is None else f"vm_trig_fast_ok_{suffix}({{0}})"


def import_line(names: Iterable[str]) -> str:
    """The import statement a generated module needs for the `names` it calls.

    >>> import_line(["vm_sin_f64", "vm_exp_f64", "vm_sin_f64"])
    'from tracegrad.codegen.vecmath import vm_exp_f64, vm_sin_f64'
    """
    names = sorted(set(names))
    return f"from tracegrad.codegen.vecmath import {', '.join(names)}" if names else ""


def fingerprint(folder: Path | None = None) -> str:
    """A hash of the Python source in `folder` (default: this package), for cache
    keys of generated programs.

    Numba's ``cache=True`` does not notice when an inlined callee changes, so a
    cached program would keep old vector math; a key that includes this does.

    >>> len(fingerprint())
    16
    """
    digest = hashlib.sha256()
    for path in sorted((folder or Path(__file__).parent).glob("*.py")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
