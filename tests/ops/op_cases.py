"""The table of op test cases: rows of (op wrapper, input generator, NumPy reference).

Every primitive of `tracegrad.ops.REGISTRY` has at least one row (``test_registry``
fails for a new op without one). A row names the primitive it exercises; the
wrapper applied to the row's inputs must produce a node of that primitive when
traced. The same rows drive three kinds of tests:

- forward: eager result, traced-and-interpreted result and NumPy reference agree
  in value and dtype, and each node's type rule agrees with its `impl`
  (``test_ops_numpy.py``);
- derivative rules: each op's `vjp`/`jvp` on concrete float64 arrays against
  central finite differences (``test_rules_fd.py``);
- gradients of the public transformations: the generators draw float64 inputs
  from each op's domain (positive for log and sqrt, |x| < 1 for asin, ...), and
  `OpCase.grad_argnums` names the arguments to differentiate, so autodiff tests
  can use the rows too (see `grad_cases`).

Importable as ``op_cases`` from tests in this directory, or as
``tests.ops.op_cases`` from the repository root.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import scipy.special

from tracegrad.ir.graph import Const, Graph
from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops import linalg as la
from tracegrad.ops import reduce as red
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, REGISTRY

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)
FLOATS = (F32, F64)
LOGIC = (np.dtype(np.bool_), np.dtype(np.int32))

# Ops that hold sub-graphs as params cannot be table rows (the params are traced
# functions); each is tested where its transformation lives.
TESTED_ELSEWHERE = {
    "custom_vjp_call": "tests/autodiff (tracegrad.custom_vjp)",
    "cond": "tests for tracegrad.cond",
    "while": "tests for tracegrad.while_loop / fori_loop",
    "scan": "tests for tracegrad.scan",
}

Gen = Callable[[np.random.Generator, np.dtype], np.ndarray]


# --- input generators: each draws one argument for a dtype -----------------------------


def uniform(shape: tuple[int, ...], lo: float = -2.0, hi: float = 2.0) -> Gen:
    """Floats in [lo, hi) of the row's dtype: the op's domain for gradient checks."""
    return lambda rng, dtype: np.asarray(rng.uniform(lo, hi, shape)).astype(dtype)


def grid(shape: tuple[int, ...]) -> Gen:
    """Small integers in the row's dtype, so that comparisons see ties."""
    return lambda rng, dtype: np.asarray(rng.integers(-2, 3, shape)).astype(dtype)


def with_zeros(shape: tuple[int, ...], lo: float = 0.5, hi: float = 1.5, zeros: int = 1) -> Gen:
    """Floats with `zeros` of them set to exactly 0 (products and their gradients)."""

    def make(rng, dtype):
        x = rng.uniform(lo, hi, shape)
        x.flat[rng.choice(x.size, zeros, replace=False)] = 0.0
        return x.astype(dtype)

    return make


def bits(shape: tuple[int, ...]) -> Gen:
    """Bools, or integers of the row's dtype, for logical/bitwise ops."""

    def make(rng, dtype):
        if dtype == np.bool_:
            return rng.random(shape) < 0.5
        return np.asarray(rng.integers(-8, 8, shape)).astype(dtype)

    return make


def mask(shape: tuple[int, ...]) -> Gen:
    """A bool array whatever the row's dtype (conditions of select)."""
    return lambda rng, dtype: np.asarray(rng.random(shape) < 0.5)


def index(shape: tuple[int, ...], lo: int, hi: int, dtype: Any = np.int64) -> Gen:
    """Integer indices in [lo, hi) whatever the row's dtype (negatives count from the end)."""
    return lambda rng, _: np.asarray(rng.integers(lo, hi, shape)).astype(dtype)


def fixed_dtype(gen: Gen, dtype: Any) -> Gen:
    """`gen` drawn in `dtype` whatever the row's dtype (mixed-dtype rows)."""
    return lambda rng, _: gen(rng, np.dtype(dtype))


# --- the row record -------------------------------------------------------------------------


@dataclass(frozen=True)
class OpCase:
    """One row: ``fn(*args)`` should equal ``ref(*args)`` for args drawn by `gens`.

    `prim` is the primitive the row exercises. `fd_eps`, `fd_rtol` and `fd_atol` are the
    finite-difference step and tolerances for its derivative rules (wider only where the
    op's output is float32). The tag ``"no-fd"`` marks rows whose derivative finite
    differences cannot check: inputs where the op has a kink (ties of max), or a
    derivative that is zero by definition (stop_gradient).
    """

    id: str
    prim: str
    fn: Callable[..., Any]
    ref: Callable[..., Any]
    gens: tuple[Gen, ...]
    dtypes: tuple[np.dtype, ...] = FLOATS
    fd_eps: float = 1e-6
    fd_rtol: float = 1e-5
    fd_atol: float = 1e-7
    tags: tuple[str, ...] = field(default=())

    def args(self, dtype: Any, seed: int = 0) -> tuple[np.ndarray, ...]:
        """The row's inputs for `dtype`, drawn from a generator seeded by `seed`."""
        rng = np.random.default_rng(seed)
        return tuple(gen(rng, np.dtype(dtype)) for gen in self.gens)

    @property
    def differentiable(self) -> bool:
        return REGISTRY[self.prim].vjp != NOT_DIFFERENTIABLE

    def grad_argnums(self, dtype: Any = F64) -> tuple[int, ...]:
        """The arguments a gradient check should differentiate: the float ones, when the
        op is differentiable, its result is float, and finite differences apply."""
        args = self.args(dtype)
        if not self.differentiable or "no-fd" in self.tags:
            return ()
        if not np.issubdtype(np.asarray(self.fn(*args)).dtype, np.floating):
            return ()
        return tuple(i for i, a in enumerate(args) if np.issubdtype(a.dtype, np.floating))


CASES: list[OpCase] = []


def row(id: str, prim: str, fn, ref, *gens: Gen, **kw: Any) -> None:
    CASES.append(OpCase(id, prim, fn, ref, tuple(gens), **kw))


def grad_cases() -> Iterator[tuple[OpCase, tuple[np.ndarray, ...], tuple[int, ...]]]:
    """(row, float64 inputs, argnums to differentiate) for every differentiable row.

    >>> case, args, argnums = next(grad_cases())  # doctest: +SKIP
    """
    for case in CASES:
        if F64 in case.dtypes and case.grad_argnums():
            yield case, case.args(F64), case.grad_argnums()


# --- elementwise ---------------------------------------------------------------------------

SHAPES = {"0d": (), "1d": (7,), "3d": (2, 3, 4)}
PAIRS = {
    "0d": ((), ()),
    "1d": ((7,), (7,)),
    "3d": ((2, 3, 4), (2, 3, 4)),
    "bcast": ((3, 1), (4,)),
}

UNARY = [  # name, wrapper, reference, domain
    ("neg", ew.neg, np.negative, (-2, 2)),
    ("exp", ew.exp, np.exp, (-2, 2)),
    ("log", ew.log, np.log, (0.1, 3)),
    ("log1p", ew.log1p, np.log1p, (-0.9, 2)),
    ("expm1", ew.expm1, np.expm1, (-2, 2)),
    ("sin", ew.sin, np.sin, (-3, 3)),
    ("cos", ew.cos, np.cos, (-3, 3)),
    ("tan", ew.tan, np.tan, (-1.2, 1.2)),
    ("tanh", ew.tanh, np.tanh, (-2, 2)),
    ("sinh", ew.sinh, np.sinh, (-2, 2)),
    ("cosh", ew.cosh, np.cosh, (-2, 2)),
    ("asin", ew.asin, np.arcsin, (-0.9, 0.9)),
    ("acos", ew.acos, np.arccos, (-0.9, 0.9)),
    ("atan", ew.atan, np.arctan, (-3, 3)),
    ("sqrt", ew.sqrt, np.sqrt, (0.1, 3)),
    ("abs", ew.abs, np.abs, (-2, 2)),
    ("sign", ew.sign, np.sign, (-2, 2)),
    ("floor", ew.floor, np.floor, (-3, 3)),
    ("ceil", ew.ceil, np.ceil, (-3, 3)),
    ("erf", ew.erf, scipy.special.erf, (-2, 2)),
    ("logistic", ew.logistic, scipy.special.expit, (-4, 4)),
    ("stop_gradient", ew.stop_gradient, lambda x: x, (-2, 2)),
]
for _name, _fn, _ref, (_lo, _hi) in UNARY:
    for _sid, _shape in SHAPES.items():
        row(f"{_name}-{_sid}", _name, _fn, _ref, uniform(_shape, _lo, _hi),
            tags=("no-fd",) if _name == "stop_gradient" else ())

BINARY = [  # name, wrapper, reference, domain of x, domain of y
    ("add", ew.add, np.add, (-2, 2), (-2, 2)),
    ("sub", ew.sub, np.subtract, (-2, 2), (-2, 2)),
    ("mul", ew.mul, np.multiply, (-2, 2), (-2, 2)),
    ("div", ew.div, np.true_divide, (-2, 2), (0.5, 2)),
    ("pow", ew.pow, np.power, (0.5, 2), (-2, 2)),
    ("max", ew.max, np.maximum, (-2, 2), (-2, 2)),
    ("min", ew.min, np.minimum, (-2, 2), (-2, 2)),
    ("atan2", ew.atan2, np.arctan2, (-2, 2), (-2, 2)),
]
for _name, _fn, _ref, _dx, _dy in BINARY:
    for _sid, (_sx, _sy) in PAIRS.items():
        row(f"{_name}-{_sid}", _name, _fn, _ref, uniform(_sx, *_dx), uniform(_sy, *_dy))

COMPARE = [
    ("eq", ew.eq, np.equal),
    ("ne", ew.ne, np.not_equal),
    ("lt", ew.lt, np.less),
    ("le", ew.le, np.less_equal),
    ("gt", ew.gt, np.greater),
    ("ge", ew.ge, np.greater_equal),
]
for _name, _fn, _ref in COMPARE:
    for _sid, (_sx, _sy) in PAIRS.items():
        row(f"{_name}-{_sid}", _name, _fn, _ref, grid(_sx), grid(_sy))

LOGICAL = [
    ("and", ew.logical_and, np.bitwise_and),
    ("or", ew.logical_or, np.bitwise_or),
    ("xor", ew.logical_xor, np.bitwise_xor),
]
for _name, _fn, _ref in LOGICAL:
    for _sid, (_sx, _sy) in PAIRS.items():
        row(f"{_name}-{_sid}", _name, _fn, _ref, bits(_sx), bits(_sy), dtypes=LOGIC)
for _sid, _shape in SHAPES.items():
    row(f"not-{_sid}", "not", ew.logical_not, np.invert, bits(_shape), dtypes=LOGIC)

for _sid, _shape in SHAPES.items():
    row(f"select-{_sid}", "select", ew.select, np.where,
        mask(_shape), uniform(_shape), uniform(_shape))
row("select-bcast", "select", ew.select, np.where, mask((3, 1)), uniform((4,)), uniform((3, 4)))

row("convert-to-f32", "convert", lambda x: ew.convert(x, np.float32),
    lambda x: x.astype(np.float32), uniform((2, 3)), dtypes=(F64,), fd_eps=1e-2, fd_rtol=1e-4,
    fd_atol=1e-5)
row("convert-to-f64", "convert", lambda x: ew.convert(x, np.float64),
    lambda x: x.astype(np.float64), uniform((2, 3)), dtypes=(F32,))
row("convert-to-i64", "convert", lambda x: ew.convert(x, np.int64),
    lambda x: x.astype(np.int64), uniform((), -5, 5))
row("convert-int-to-float", "convert", lambda x: ew.convert(x, np.float64),
    lambda x: x.astype(np.float64), grid((5,)), dtypes=(np.dtype(np.int32),))


# --- layout ------------------------------------------------------------------------------


def _np_pad(x, value, config):
    """lax.pad in NumPy by index arithmetic: output position p of an axis holds
    x[(p - low) // (interior + 1)] where that is an element, else `value`."""
    srcs, hits = [], []
    for d, (lo, hi, it) in zip(x.shape, config):
        n = lo + hi + d + max(d - 1, 0) * it
        q = np.arange(n) - lo
        hit = (q >= 0) & (q % (it + 1) == 0) & (q // (it + 1) < d)
        srcs.append(np.where(hit, q // (it + 1), 0))
        hits.append(hit)
    if x.size == 0:
        return np.full([len(s) for s in srcs], value, x.dtype)
    picked = x[np.ix_(*srcs)] if srcs else x
    keep = np.ones([len(s) for s in srcs], bool)
    for axis, hit in enumerate(hits):
        keep &= np.expand_dims(hit, tuple(i for i in range(len(hits)) if i != axis))
    return np.where(keep, picked, value).astype(x.dtype)


def _np_scatter_add(x, idx, upd, axis):
    out = x.copy()
    idx = np.where(idx < 0, idx + x.shape[axis], idx)
    np.add.at(out, (slice(None),) * axis + (idx,), upd)
    return out


row("broadcast_in_dim-0d", "broadcast_in_dim",
    lambda x: lay.broadcast_in_dim(x, (2, 3), ()), lambda x: np.broadcast_to(x, (2, 3)),
    uniform(()))
row("broadcast_in_dim-1d", "broadcast_in_dim",
    lambda x: lay.broadcast_in_dim(x, (2, 3), (1,)), lambda x: np.broadcast_to(x, (2, 3)),
    uniform((3,)))
row("broadcast_in_dim-3d", "broadcast_in_dim",
    lambda x: lay.broadcast_in_dim(x, (2, 4, 3), (0, 2)),
    lambda x: np.broadcast_to(x[:, None, :], (2, 4, 3)), uniform((2, 3)))

row("reshape-0d", "reshape", lambda x: lay.reshape(x, (1, 1)), lambda x: x.reshape(1, 1),
    uniform(()))
row("reshape-1d", "reshape", lambda x: lay.reshape(x, (2, 3)), lambda x: x.reshape(2, 3),
    uniform((6,)))
row("reshape-3d-infer", "reshape", lambda x: lay.reshape(x, (4, -1)),
    lambda x: x.reshape(4, -1), uniform((2, 3, 4)))

row("transpose-2d", "transpose", lambda x: lay.transpose(x, (1, 0)), np.transpose,
    uniform((3, 4)))
row("transpose-3d", "transpose", lambda x: lay.transpose(x, (2, 0, 1)),
    lambda x: np.transpose(x, (2, 0, 1)), uniform((2, 3, 4)))
row("transpose-neg-axes", "transpose", lambda x: lay.transpose(x, (-1, 0, -2)),
    lambda x: np.transpose(x, (2, 0, 1)), uniform((2, 3, 4)))

row("slice-1d-strided", "slice", lambda x: lay.slice(x, (1,), (8,), (3,)),
    lambda x: x[1:8:3], uniform((10,)))
row("slice-1d-exact-end", "slice", lambda x: lay.slice(x, (2,), (9,), (3,)),
    lambda x: x[2:9:3], uniform((9,)))
row("slice-3d", "slice", lambda x: lay.slice(x, (0, 1, 2), (4, 5, 5), (2, 1, 2)),
    lambda x: x[0:4:2, 1:5, 2:5:2], uniform((4, 5, 6)))
row("slice-2d-unit", "slice", lambda x: lay.slice(x, (1, 0), (3, 2)),
    lambda x: x[1:3, 0:2], uniform((3, 4)))
row("slice-empty", "slice", lambda x: lay.slice(x, (2, 0), (2, 4)),
    lambda x: x[2:2, 0:4], uniform((3, 4)))

row("rev-1d", "rev", lambda x: lay.rev(x, (0,)), lambda x: x[::-1], uniform((5,)))
row("rev-3d-neg-axes", "rev", lambda x: lay.rev(x, (0, -1)), lambda x: x[::-1, :, ::-1],
    uniform((2, 3, 4)))

for _sid, _shape, _config in [
    ("1d", (4,), ((1, 2, 1),)),
    ("2d-crop", (3, 4), ((1, -1, 0), (0, 2, 2))),
    ("2d-crop-interior", (3, 4), ((-2, 1, 1), (2, -3, 1))),
    ("3d", (2, 1, 3), ((0, 0, 0), (2, 1, 0), (1, 1, 3))),
]:
    row(f"pad-{_sid}", "pad", lambda x, c=_config: lay.pad(x, 0.5, c),
        lambda x, c=_config: _np_pad(x, 0.5, c), uniform(_shape))
row("pad-traced-value", "pad", lambda x, v: lay.pad(x, v, ((2, 1, 1),)),
    lambda x, v: _np_pad(x, v, ((2, 1, 1),)), uniform((3,)), uniform(()))

row("concatenate-1d", "concatenate", lambda a, b, c: lay.concatenate([a, b, c], 0),
    lambda a, b, c: np.concatenate([a, b, c]), uniform((2,)), uniform((3,)), uniform((1,)))
row("concatenate-3d-neg-axis", "concatenate", lambda a, b: lay.concatenate([a, b], -1),
    lambda a, b: np.concatenate([a, b], -1), uniform((2, 3, 1)), uniform((2, 3, 4)))
row("concatenate-mixed-dtypes", "concatenate", lambda a, b: lay.concatenate([a, b], 1),
    lambda a, b: np.concatenate([a, b], 1), uniform((2, 2)),
    fixed_dtype(uniform((2, 3)), np.float64), dtypes=(F32,))

row("gather-1d-neg-idx", "gather", lambda x, i: lay.gather(x, i, 0),
    lambda x, i: np.take(x, i, 0), uniform((5,)), index((4,), -5, 5))
row("gather-3d-2d-idx", "gather", lambda x, i: lay.gather(x, i, 1),
    lambda x, i: np.take(x, i, 1), uniform((3, 4, 2)), index((2, 3), -4, 4))
row("gather-neg-axis-0d-idx", "gather", lambda x, i: lay.gather(x, i, -1),
    lambda x, i: np.take(x, i, -1), uniform((3, 4)), index((), -4, 4))
row("gather-int32-idx", "gather", lambda x, i: lay.gather(x, i, 0),
    lambda x, i: np.take(x, i, 0), uniform((4, 2)), index((6,), -4, 4, np.int32))
row("gather-clamped", "gather", lambda x, i: lay.gather(x, i, 0),
    lambda x, i: np.take(x, np.where(i < 0, i + 5, i), 0, mode="clip"),
    uniform((5, 2)), index((8,), -9, 12))

row("scatter_add-1d-repeats", "scatter_add", lambda x, i, u: lay.scatter_add(x, i, u, 0),
    lambda x, i, u: _np_scatter_add(x, i, u, 0),
    uniform((5,)), index((9,), -5, 5), uniform((9,)))
row("scatter_add-3d", "scatter_add", lambda x, i, u: lay.scatter_add(x, i, u, -2),
    lambda x, i, u: _np_scatter_add(x, i, u, 1),
    uniform((3, 4, 2)), index((2, 3), 0, 4), uniform((3, 2, 3, 2)))
row("scatter_add-bcast-updates", "scatter_add", lambda x, i, u: lay.scatter_add(x, i, u, 0),
    lambda x, i, u: _np_scatter_add(x, i, np.broadcast_to(u, (4, 3)), 0),
    uniform((5, 3)), index((4,), 0, 5), uniform((3,)))


# --- reductions -----------------------------------------------------------------------------

REDUCTIONS = [  # name, wrapper, reference, domain
    ("reduce_sum", red.reduce_sum, np.sum, (-2, 2)),
    ("reduce_max", red.reduce_max, np.max, (-2, 2)),
    ("reduce_min", red.reduce_min, np.min, (-2, 2)),
    ("reduce_prod", red.reduce_prod, np.prod, (0.5, 1.5)),
]
for _name, _fn, _ref, _dom in REDUCTIONS:
    for _sid, _shape, _axes, _keep in [
        ("1d", (7,), 0, False),
        ("all-to-0d", (2, 3, 4), None, False),
        ("neg-axis", (2, 3, 4), -1, False),
        ("axes-keepdims", (2, 3, 4), (0, 2), True),
        ("all-keepdims", (3, 4), None, True),
    ]:
        row(f"{_name}-{_sid}", _name,
            lambda x, f=_fn, a=_axes, k=_keep: f(x, a, keepdims=k),
            lambda x, f=_ref, a=_axes, k=_keep: f(x, axis=a, keepdims=k),
            uniform(_shape, *_dom))
row("reduce_prod-zeros", "reduce_prod", lambda x: red.reduce_prod(x, 1),
    lambda x: np.prod(x, 1), with_zeros((3, 5), zeros=4))
row("reduce_max-ties", "reduce_max", lambda x: red.reduce_max(x, 1),
    lambda x: np.max(x, 1), grid((4, 6)), tags=("no-fd",))

for _name, _fn, _ref in [("argmax", red.argmax, np.argmax), ("argmin", red.argmin, np.argmin)]:
    for _sid, _shape, _axis, _keep in [
        ("1d", (7,), 0, False),
        ("neg-axis", (2, 3, 4), -1, False),
        ("keepdims", (2, 3, 4), 1, True),
        ("flat", (3, 4), None, False),
        ("flat-keepdims", (3, 4), None, True),
    ]:
        row(f"{_name}-{_sid}", _name,
            lambda x, f=_fn, a=_axis, k=_keep: f(x, a, keepdims=k),
            lambda x, f=_ref, a=_axis, k=_keep: f(x, axis=a, keepdims=k),
            uniform(_shape))
    row(f"{_name}-ties", _name, lambda x, f=_fn: f(x, 1), lambda x, f=_ref: f(x, axis=1),
        grid((4, 6)))


# --- contraction ------------------------------------------------------------------------------

for _sid, _sx, _sy, _c, _b, _subs in [
    ("matmul", (3, 4), (4, 5), ((1,), (0,)), ((), ()), "ik,kj->ij"),
    ("vecdot-0d", (4,), (4,), ((0,), (0,)), ((), ()), "i,i->"),
    ("matvec", (3, 4), (4,), ((1,), (0,)), ((), ()), "ik,k->i"),
    ("outer", (3,), (2,), ((), ()), ((), ()), "i,j->ij"),
    ("batched", (2, 3, 4), (2, 4, 5), ((2,), (1,)), ((0,), (0,)), "bik,bkj->bij"),
    ("multi-axis", (3, 2, 4, 5), (5, 2, 6, 3), ((0, 3), (3, 0)), ((1,), (1,)),
     "abcd,dbea->bce"),
    ("neg-axes", (3, 4), (5, 4), ((-1,), (-1,)), ((), ()), "ik,jk->ij"),
]:
    row(f"dot_general-{_sid}", "dot_general",
        lambda x, y, c=_c, b=_b: la.dot_general(x, y, c, b),
        lambda x, y, s=_subs: np.einsum(s, x, y), uniform(_sx), uniform(_sy))
row("dot_general-dimension-numbers", "dot_general",
    lambda x, y: la.dot_general(x, y, (((2,), (1,)), ((0,), (0,)))),
    lambda x, y: np.einsum("bik,bkj->bij", x, y), uniform((2, 3, 4)), uniform((2, 4, 5)))
row("dot_general-mixed-dtypes", "dot_general", lambda x, y: la.dot_general(x, y, ((1,), (0,))),
    lambda x, y: x @ y, uniform((3, 4)), fixed_dtype(uniform((4, 2)), np.float64),
    dtypes=(F32,))


# --- helpers shared by the tests ---------------------------------------------------------------


def evaluate_nodes(graph: Graph, args: tuple) -> dict:
    """Run `graph` node by node like the interpreter, checking that every node's
    `impl` returns exactly the shape and dtype its type rule promised; returns the
    value of every IR value (keyed by `Var`)."""
    env: dict = dict(zip(graph.inputs, (np.asarray(a) for a in args)))

    def read(atom):
        return atom.value if isinstance(atom, Const) else env[atom]

    for node in graph.nodes:
        result = node.op.impl(*[read(a) for a in node.inputs], **node.params)
        results = result if node.op.multiple_results else (result,)
        for var, value in zip(node.outputs, results):
            value = np.asarray(value)
            assert (value.shape, value.dtype) == (var.shape, var.dtype), (
                f"{node.op.name}{dict(node.params)}: impl gave {value.dtype}{list(value.shape)}"
                f", type rule {var.type}"
            )
            env[var] = value
    return env
