"""`check_grads`: check a function's derivatives against central finite differences.

Forward mode compares ``jvp(f, x, t)`` with ``(f(x + eps t) - f(x - eps t)) / 2eps``
along a random direction `t`; reverse mode checks the dot-product identity
``<ct, J t> == <J^T ct, t>`` with the finite-difference ``J t``. Order 2 repeats the
checks on the derivative functions themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.tracer.pytree import tree_flatten, tree_map, tree_unflatten


def check_grads(f: Callable, args: Sequence[Any], order: int = 1,
                modes: Sequence[str] = ("fwd", "rev"), eps: float = 1e-6,
                rtol: float = 1e-5, atol: float = 1e-7, seed: int = 0) -> None:
    """Raise AssertionError unless `f`'s derivatives at `args` match finite differences.

    `args` are float arrays (float64 recommended: finite differences need the
    precision). `order` 2 also checks the derivatives of the derivatives.

    >>> import numpy as np, tracegrad as tg
    >>> tg.check_grads(lambda x: np.sum(np.sin(x) * x), (np.arange(3.0),), order=2)
    """
    from tracegrad.api import compile as tg_compile

    rng = np.random.default_rng(seed)
    args = tuple(np.asarray(a, dtype=np.float64) if np.isscalar(a) else a for a in args)
    f_eval = tg_compile(f)
    for mode in modes:
        if mode not in ("fwd", "rev"):
            raise ValueError(f"check_grads: unknown mode {mode!r}; use 'fwd' and/or 'rev'")
        (_check_fwd if mode == "fwd" else _check_rev)(f, f_eval, args, rng, eps, rtol, atol)
    if order > 1:
        for mode in modes:
            df = _derivative_function(f, args, mode, rng)
            check_grads(df, args, order - 1, modes, eps, rtol, atol, seed + 1)


def _random_like(tree: Any, rng: np.random.Generator) -> Any:
    return tree_map(lambda x: rng.standard_normal(np.shape(x)).astype(np.asarray(x).dtype), tree)


def _axpy(a: float, xs: Any, ys: Any) -> Any:
    return tree_map(lambda x, y: np.asarray(x) + a * np.asarray(y), xs, ys)


def _numerical_jvp(f_eval: Callable, args: tuple, tangents: tuple, eps: float) -> list:
    plus = tree_flatten(f_eval(*_axpy(eps, args, tangents)))[0]
    minus = tree_flatten(f_eval(*_axpy(-eps, args, tangents)))[0]
    return [(np.asarray(p) - np.asarray(m)) / (2 * eps) for p, m in zip(plus, minus)]


def _vdot(xs: Any, ys: Any) -> float:
    xl, yl = tree_flatten(xs)[0], tree_flatten(ys)[0]
    return float(sum(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64))
                     for x, y in zip(xl, yl)))


def _check_fwd(f, f_eval, args, rng, eps, rtol, atol) -> None:
    from tracegrad.api import jvp

    tangents = _random_like(args, rng)
    _, t_out = jvp(f, args, tangents)
    expected = _numerical_jvp(f_eval, args, tangents, eps)
    for got, want in zip(tree_flatten(t_out)[0], expected):
        np.testing.assert_allclose(np.asarray(got), want, rtol=rtol, atol=atol,
                                   err_msg="forward-mode derivative differs from "
                                   "finite differences")


def _check_rev(f, f_eval, args, rng, eps, rtol, atol) -> None:
    from tracegrad.api import vjp

    out, pullback = vjp(f, *args)
    out_leaves, out_tree = tree_flatten(out)
    ct = tree_unflatten(out_tree, [rng.standard_normal(np.shape(o)) for o in out_leaves])
    ct_in = pullback(ct)
    tangents = _random_like(args, rng)
    lhs = _vdot(ct_in, tangents)
    rhs = _vdot(tree_flatten(ct)[0], _numerical_jvp(f_eval, args, tangents, eps))
    np.testing.assert_allclose(lhs, rhs, rtol=rtol, atol=atol,
                               err_msg="reverse-mode derivative differs from finite "
                               "differences (<ct, J t> != <J^T ct, t>)")


def _derivative_function(f: Callable, args: tuple, mode: str,
                         rng: np.random.Generator) -> Callable:
    """A function of the same arguments whose value is a derivative of `f`."""
    from tracegrad.api import jvp, vjp

    if mode == "fwd":
        tangents = _random_like(args, rng)
        return lambda *xs: jvp(f, xs, tangents)[1]
    from tracegrad.api import compile as tg_compile

    out_leaves, out_tree = tree_flatten(tg_compile(f)(*args))
    ct = tree_unflatten(out_tree, [rng.standard_normal(np.shape(o)) for o in out_leaves])
    return lambda *xs: vjp(f, *xs)[1](ct)
