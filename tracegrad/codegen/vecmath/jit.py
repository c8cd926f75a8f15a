"""The one decorator every vector-math function is compiled with.

Each public function (``exp_f64``, ``sin_fast_f32``: the names code generation
imports) is compiled on its own, as an ordinary ``@njit`` function with

- no ``fastmath``: the functions rely on IEEE semantics (NaN comparisons, the exact
  error terms of sums and products, no reassociation);
- ``error_model="numpy"``: a float division by zero gives inf/nan as in NumPy, with
  no Python-style zero check, whose branch to raise would block vectorisation;
- ``cache=True``: compiling the library costs about a second per process
  otherwise; Numba's cache keeps each function's bitcode next to its machine code
  for inlining into callers, so a cached function still vectorises (the tests of
  `test_vectorised.py` pass on a cached second run). Numba invalidates it when the
  function's own file changes, not when `intrinsics.py` does;

and its LLVM definition is marked ``alwaysinline``, so that LLVM inlines it into the
loop of generated code, where the loop vectoriser sees plain arithmetic. (LLVM's
own inliner leaves the larger functions, sin with its exact reduction, as calls,
and then the loop stays scalar.) Inlining at the LLVM level, not Numba's
``inline="always"``, matters: the instructions keep their own floating-point flags,
so a caller compiled with ``fastmath=True`` does not turn ``exp(nan)`` into 0 or
the error-free sums into zeros.

The private helpers (``two_sum``, ``exp_parts``, the range reductions) are inlined
by Numba instead, into the public function that calls them, whose flags they then
share. Compiling each helper on its own ran Numba's whole pipeline once per helper:
a cold compile of W1's four functions took 1.45 s that way and 1.0 s inlined. The
loops run as fast, except where a helper is marked ``alone`` (see `vecfn`).

>>> @vecfn
... def twice(x):
...     return x + x
"""

from __future__ import annotations

from numba import njit


def _mark_always_inline(cres) -> None:
    """Add LLVM's ``alwaysinline`` to the compiled function's definition.

    Done on the library's final module, before any caller links it in; the
    linked copies keep the attribute. Best effort: the vectorisation tests fail
    if a function stays a call.
    """
    try:
        fn = cres.library.get_function(cres.fndesc.llvm_func_name)
        attributes = {str(a) for a in fn.attributes}
        if "noinline" not in attributes and "alwaysinline" not in attributes:
            fn.add_function_attribute("alwaysinline")
    except Exception:  # noqa: BLE001 - a Numba without these internals: plain inlining
        pass


def _public(name: str) -> bool:
    from tracegrad.codegen.vecmath import _FAST, _MODULES

    return name.rsplit("_", 1)[0] in (*_MODULES, *_FAST) and name[-4:] in ("_f64", "_f32")


def vecfn(fn=None, *, alone: bool = False):
    """``@njit`` for a vector-math function: IEEE semantics, NumPy's error model,
    always inlined by LLVM if public, by Numba if a helper (see the module docstring).
    ``@vecfn(alone=True)`` compiles a helper on its own too, for LLVM to inline:
    a clamp written as conditional expressions stays branches when Numba inlines it,
    which LLVM then turns into slower code than the two selects of the clamp compiled
    alone (exp and expm1 10-16% slower)."""
    if fn is None:
        return lambda f: vecfn(f, alone=alone)
    flags = dict(error_model="numpy", fastmath=False, nogil=True)
    if not (alone or _public(fn.__name__)):
        return njit(inline="always", **flags)(fn)
    dispatcher = njit(cache=True, **flags)(fn)
    add_overload = getattr(dispatcher, "add_overload", None)
    if add_overload is None:  # NUMBA_DISABLE_JIT=1: njit gave the Python function back
        return dispatcher

    def add_inlined_overload(cres):
        _mark_always_inline(cres)
        add_overload(cres)

    dispatcher.add_overload = add_inlined_overload
    return dispatcher
