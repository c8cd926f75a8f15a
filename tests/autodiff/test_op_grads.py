"""Every differentiable primitive, through the whole pipeline (trace -> adjoint /
forward-mode IR -> interpreter), against central finite differences in float64.

Each row is a small program; the primitives a row exercises are read off its
traced graph, and `test_every_primitive_has_a_row` fails when a registered
differentiable primitive appears in no row.
"""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ops import NOT_DIFFERENTIABLE, REGISTRY, layout, linalg

rng = np.random.default_rng(42)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


def unit(*shape):
    return rng.uniform(-0.9, 0.9, shape)


# (id, function, argument factory). Smooth regions only: inputs avoid kinks and ties.
ROWS = [
    ("neg", lambda x: -x, lambda: (normal(3),)),
    ("exp", np.exp, lambda: (normal(3),)),
    ("log", np.log, lambda: (positive(3),)),
    ("log1p", np.log1p, lambda: (positive(3),)),
    ("expm1", np.expm1, lambda: (normal(3),)),
    ("sin_cos_tan", lambda x: np.sin(x) + np.cos(x) + np.tan(x), lambda: (unit(4),)),
    ("tanh_sinh_cosh", lambda x: np.tanh(x) * np.sinh(x) + np.cosh(x), lambda: (normal(4),)),
    ("asin_acos_atan", lambda x: np.arcsin(x) + np.arccos(x) * np.arctan(x), lambda: (unit(4),)),
    ("sqrt", np.sqrt, lambda: (positive(3),)),
    ("abs", np.abs, lambda: (normal(3) + 3.0,)),
    ("sign_floor_ceil", lambda x: x * (np.sign(x) + np.floor(x) + np.ceil(x)),
     lambda: (rng.uniform(0.1, 0.9, 3),)),
    ("erf_logistic", lambda x: tg.erf(x) + tg.logistic(x), lambda: (normal(4),)),
    ("add_sub_mul_div", lambda x, y: (x + y) * (x - y) / y, lambda: (normal(3), positive(3))),
    ("pow", lambda x, y: x**y, lambda: (positive(3), normal(3))),
    ("pow_const", lambda x: x**3 + x**0.5, lambda: (positive(3),)),
    ("max_min", lambda x, y: np.maximum(x, y) * np.minimum(x, 2 * y),
     lambda: (normal(4), normal(4) + 0.05)),
    ("atan2", np.arctan2, lambda: (normal(3), positive(3))),
    ("select", lambda x, y: np.where(x > 0, x * y, y), lambda: (normal(4) + 0.01, normal(4))),
    # Linear through float32: a large step keeps float32 rounding out of the quotient.
    ("convert", lambda x: (x.astype(np.float32) * 2).astype(np.float64), lambda: (normal(3),),
     dict(eps=0.1, rtol=1e-5, atol=1e-5)),
    ("broadcast_rows_cols", lambda x, y, s: x * y + s, lambda: (normal(3, 1), normal(4), normal())),
    ("reduce_sum_axes_keepdims", lambda x: np.sum(x, axis=(0, -1), keepdims=True) * x,
     lambda: (normal(2, 3, 4),)),
    ("reduce_max_min", lambda x: np.max(x, axis=1) + np.min(x, axis=0).sum(),
     lambda: (normal(3, 4),)),
    ("reduce_prod", lambda x: np.prod(x, axis=-1), lambda: (normal(2, 3),)),
    ("reshape_transpose", lambda x: np.transpose(x.reshape(3, 2, 2), (2, 0, 1)) * 2.0,
     lambda: (normal(12),)),
    ("slice_rev", lambda x: x[1:5:2] * x[::-1][:2], lambda: (normal(6),)),
    ("pad", lambda x: layout.pad(x, 0.5, ((1, 2, 1),)), lambda: (normal(3),)),
    ("concatenate", lambda x, y: np.concatenate([x, y * 2.0], axis=0), lambda: (normal(2, 3),
                                                                             normal(1, 3))),
    ("gather_integer_indexing", lambda x: x[np.array([2, 0, 2])] * x[1:4][np.array([1])],
     lambda: (normal(5),)),
    ("scatter_add", lambda u: layout.scatter_add(np.zeros(4), np.array([1, 3, 1]), u, 0),
     lambda: (normal(3),)),
    ("dot_general_matmul", lambda a, b: a @ b, lambda: (normal(3, 4), normal(4, 2))),
    ("dot_general_batch", lambda a, b: linalg.dot_general(a, b, ((2,), (1,)), ((0,), (0,))),
     lambda: (normal(2, 3, 4), normal(2, 4, 5))),
    ("custom_vjp_call", None, lambda: (normal(3),)),
    # Finite differences see through stop_gradient; its semantics are tested in
    # test_transforms.py. Here it only has to be on a differentiated path.
    ("stop_gradient", lambda x: x * 2.0 + tg.stop_gradient(x) - tg.stop_gradient(x),
     lambda: (normal(3),)),
]


@tg.custom_vjp
def _cube(x):
    return x * x * x


_cube.defvjp(lambda x: (x * x * x, x), lambda x, g: (3.0 * x * x * g,))


def _row_fn(row):
    name, fn = row[0], row[1]
    return (lambda x: _cube(x) * 2.0) if name == "custom_vjp_call" else fn


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
def test_grads_match_finite_differences(row):
    tolerances = {"rtol": 1e-6, "atol": 1e-8, **(row[3] if len(row) > 3 else {})}
    tg.check_grads(_row_fn(row), row[2](), order=1, modes=("fwd", "rev"), **tolerances)


SECOND_ORDER = ["exp", "log", "sin_cos_tan", "tanh_sinh_cosh", "add_sub_mul_div", "pow",
                "reduce_sum_axes_keepdims", "reshape_transpose", "dot_general_matmul",
                "custom_vjp_call", "gather_integer_indexing", "erf_logistic"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order(name):
    row = next(r for r in ROWS if r[0] == name)
    tg.check_grads(_row_fn(row), row[2](), order=2, modes=("fwd", "rev"), rtol=1e-5, atol=1e-7)


def _primitives_of(row) -> set[str]:
    graph = tg.make_ir(_row_fn(row))(*row[2]())
    names = {n.op.name for n in graph.nodes}
    if row[0] == "custom_vjp_call":
        names.add("custom_vjp_call")
    return names


def test_every_primitive_has_a_row():
    covered = set().union(*(_primitives_of(r) for r in ROWS))
    differentiable = {name for name, p in REGISTRY.items() if p.vjp != NOT_DIFFERENTIABLE}
    missing = differentiable - covered
    assert not missing, f"differentiable primitives without a gradient row: {sorted(missing)}"


def test_non_differentiable_ops_give_zero_gradient():
    x = normal(4)
    g = tg.grad(lambda x: np.sum(x * (x > 0)) + np.sum(np.argmax(x) * 1.0))(x)
    np.testing.assert_allclose(g, (x > 0).astype(float))
