"""The transformations as functions of traced values: they emit IR into the
current graph. `tracegrad.api` wraps them so that calls on concrete arrays are
compiled (traced once per signature) and calls inside a trace are inlined.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.autodiff.adjoint import backward
from tracegrad.autodiff.jvp import forward
from tracegrad.ir.types import is_float
from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout
from tracegrad.ops.primitive import bind
from tracegrad.tracer.errors import user_error
from tracegrad.tracer.pytree import tree_flatten, tree_unflatten
from tracegrad.tracer.tracer import Tracer


def normalize_argnums(argnums: int | Sequence[int], nargs: int, what: str) -> tuple[int, ...]:
    """`argnums` as a tuple of valid non-negative positions, or a TypeError."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise user_error(
                TypeError,
                f"{what}: argnums={argnums!r} is out of range for a function called "
                f"with {nargs} positional argument(s)",
                f"use argnums between 0 and {nargs - 1}",
            )
    return tuple(i % nargs for i in nums)


def fresh(leaf: Any, what: str) -> Tracer:
    """A new traced value equal to `leaf`, to differentiate with respect to.

    A fresh identity keeps nested derivatives apart: in ``grad(lambda x: x *
    grad(lambda y: x * y)(x))`` the inner ``y`` must not be the outer ``x``.
    """
    dtype = np.asarray(leaf).dtype if not hasattr(leaf, "dtype") else np.dtype(leaf.dtype)
    if not is_float(dtype):
        raise user_error(
            TypeError,
            f"{what} requires floating-point inputs to differentiate, got {dtype}",
            "cast the argument to a float dtype (e.g. x.astype(np.float64)), or "
            "differentiate with respect to another argument (argnums)",
        )
    return bind(ew.convert_p, leaf, dtype=dtype)


def _split_diff_args(args: Sequence[Any], nums: tuple[int, ...], what: str):
    """Replace the differentiated arguments by fresh tracers; return the new args,
    the flat fresh leaves, and the tree of the differentiated part."""
    args = list(args)
    diff = tuple(args[i] for i in nums)
    leaves, tree = tree_flatten(diff)
    fresh_leaves = [fresh(x, what) for x in leaves]
    new = tree_unflatten(tree, fresh_leaves)
    for i, v in zip(nums, new):
        args[i] = v
    return args, fresh_leaves, tree


def zeros_for(x: Any) -> Any:
    """Materialised zeros for a symbolic-zero derivative of `x`."""
    return layout.zeros_like(x)


def value_and_grad_traced(fn: Callable, args: Sequence[Any], argnums: int | Sequence[int],
                          has_aux: bool, what: str = "grad") -> tuple[Any, Any]:
    """``((value, aux?), grads)`` of `fn` at `args`, emitted into the current graph."""
    nums = normalize_argnums(argnums, len(args), what)
    new_args, xs, tree = _split_diff_args(args, nums, what)
    out = fn(*new_args)
    aux = None
    if has_aux:
        if not (isinstance(out, tuple) and len(out) == 2):
            raise user_error(TypeError, f"{what}(has_aux=True): the function must return "
                             f"a pair (output, aux), got {type(out).__name__}")
        out, aux = out
    _check_scalar_output(out, what)
    seed = layout.full((), 1, out.dtype)
    cts = backward([out], [seed], xs)
    grads = [zeros_for(x) if c is None else c for x, c in zip(xs, cts)]
    grads = tree_unflatten(tree, grads)
    grads = grads[0] if isinstance(argnums, int) else grads
    return (out, aux) if has_aux else out, grads


def _check_scalar_output(out: Any, what: str) -> None:
    shape = getattr(out, "shape", None)
    if shape is None or tuple(shape) != () or not is_float(out.dtype):
        desc = (f"an output of shape {tuple(shape)} and dtype {out.dtype}" if shape is not None
                else f"a {type(out).__name__}")
        raise user_error(
            TypeError,
            f"{what} requires a function with a scalar floating-point output, got {desc}",
            "use tg.vjp for a vector-Jacobian product or tg.jacobian for the full "
            "Jacobian; or reduce the output (e.g. np.sum)",
        )


def vjp_traced(fn: Callable, primals: Sequence[Any]) -> tuple[Any, Callable]:
    """``(out, pullback)`` inside a trace: the pullback emits the adjoint nodes."""
    new_args, xs, tree = _split_diff_args(primals, tuple(range(len(primals))), "vjp")
    out = fn(*new_args)
    out_leaves, out_tree = tree_flatten(out)

    def pullback(ct: Any) -> tuple:
        ct_leaves, ct_tree = tree_flatten(ct)
        if ct_tree != out_tree:
            raise user_error(TypeError, f"vjp: the cotangent's structure {ct_tree} differs "
                             f"from the output's {out_tree}")
        outs = [o for o in out_leaves if isinstance(o, Tracer)]
        cts = [c for o, c in zip(out_leaves, ct_leaves) if isinstance(o, Tracer)]
        grads = backward(outs, [ew.convert(c, o.dtype) for o, c in zip(outs, cts)], xs)
        return tuple(tree_unflatten(tree, [zeros_for(x) if g is None else g
                                           for x, g in zip(xs, grads)]))

    return out, pullback


def jvp_traced(fn: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(out, out_tangent)`` of `fn` at `primals` along `tangents`, in the current graph."""
    p_leaves, p_tree = tree_flatten(tuple(primals))
    t_leaves, t_tree = tree_flatten(tuple(tangents))
    if p_tree != t_tree:
        raise user_error(TypeError, f"jvp: primals {p_tree} and tangents {t_tree} differ in "
                         f"structure")
    xs = [fresh(p, "jvp") for p in p_leaves]
    ts = [ew.convert(t, x.dtype) for x, t in zip(xs, t_leaves)]
    holder: dict = {}

    def run() -> list:
        out = fn(*tree_unflatten(p_tree, xs))
        leaves, holder["tree"] = tree_flatten(out)
        return leaves

    outs, out_ts = forward(run, xs, ts)
    out_ts = [zeros_for(o) if t is None else t for o, t in zip(outs, out_ts)]
    return tree_unflatten(holder["tree"], outs), tree_unflatten(holder["tree"], out_ts)
