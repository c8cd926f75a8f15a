"""Python operators, array methods and attributes of traced arrays, against NumPy."""

import operator

import numpy as np
import pytest

import tracegrad as tg

from .conftest import assert_same, run_traced

BINARY = [
    operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
    operator.mod, operator.pow, operator.eq, operator.ne, operator.lt, operator.le,
    operator.gt, operator.ge,
]


def _operands(rng, dtype):
    if np.dtype(dtype).kind == "f":
        return rng.uniform(0.5, 3.0, size=(3, 4)).astype(dtype), rng.uniform(
            0.5, 3.0, size=4).astype(dtype)
    return rng.integers(1, 7, size=(3, 4)).astype(dtype), rng.integers(1, 4, size=4).astype(dtype)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int32])
def test_binary_operators_between_traced_arrays(check, rng, op, dtype):
    x, y = _operands(rng, dtype)
    check(op, x, y)


@pytest.mark.parametrize("op", BINARY, ids=lambda op: op.__name__)
@pytest.mark.parametrize("scalar", [2, 1.5, True], ids=["int", "float", "bool"])
def test_operators_with_python_scalars_both_sides(rng, op, scalar):
    # Python scalars are weak: float32 stays float32, int32 stays int32 (NEP 50).
    for dtype in (np.float32, np.int32):
        x, _ = _operands(rng, dtype)
        if op is operator.pow and dtype is np.int32 and isinstance(scalar, float):
            continue  # NumPy: a float power of an int32 array is float64; covered below
        assert_same(run_traced(lambda a: op(a, scalar), x), op(x, scalar))
        assert_same(run_traced(lambda a: op(scalar, a), x), op(scalar, x))


@pytest.mark.parametrize("op", BINARY + [operator.matmul], ids=lambda op: op.__name__)
def test_reflected_operators_with_a_numpy_array_on_the_left(rng, op):
    # ndarray.__add__(tracer) and friends go through __array_ufunc__.
    a = rng.uniform(0.5, 3.0, size=(4, 4))
    y = rng.uniform(0.5, 3.0, size=(4, 4)).astype(np.float32)
    assert_same(run_traced(lambda t: op(a, t), y), op(a, y))
    assert_same(run_traced(lambda t: op(t, a), y), op(y, a))


@pytest.mark.parametrize("shapes", [((2, 3), (3, 4)), ((3,), (3,)), ((5, 2, 3), (3,)),
                                    ((3,), (2, 3, 4))], ids=str)
def test_matmul_operator(check, rng, shapes):
    x, y = (rng.normal(size=s) for s in shapes)
    check(lambda a, b: a @ b, x, y)


def test_pow_int_by_float_goes_to_float64(check, rng):
    check(lambda a: a ** 0.5, rng.integers(1, 9, size=4).astype(np.int32))


@pytest.mark.parametrize("op", [operator.neg, operator.pos, abs, operator.invert],
                         ids=["neg", "pos", "abs", "invert"])
def test_unary_operators(check, rng, op):
    if op is operator.invert:
        check(op, rng.random(6) < 0.5)
        check(op, rng.integers(-5, 5, size=6))
    else:
        check(op, rng.normal(size=(2, 3)).astype(np.float32))
        check(op, rng.integers(-5, 5, size=6))


@pytest.mark.parametrize("op", [operator.and_, operator.or_, operator.xor],
                         ids=["and", "or", "xor"])
def test_logical_operators(check, rng, op):
    check(lambda a, b: op(a > 0, b > 0), rng.normal(size=5), rng.normal(size=5))
    check(lambda a: op(True, a > 0), rng.normal(size=5))
    check(op, rng.integers(0, 16, size=5), rng.integers(0, 16, size=5))


def test_static_attributes(rng):
    seen = {}

    def f(a):
        seen.update(shape=a.shape, ndim=a.ndim, dtype=a.dtype, size=a.size, len=len(a))
        return a.T

    x = rng.normal(size=(2, 3, 4)).astype(np.float32)
    assert_same(run_traced(f, x), x.T)
    assert seen == dict(shape=(2, 3, 4), ndim=3, dtype=np.float32, size=24, len=2)


METHODS = [
    ("reshape-tuple", lambda a: a.reshape((4, 6))),
    ("reshape-ints", lambda a: a.reshape(4, -1)),
    ("reshape-int", lambda a: a.reshape(-1)),
    ("transpose", lambda a: a.transpose()),
    ("transpose-tuple", lambda a: a.transpose((1, 2, 0))),
    ("transpose-ints", lambda a: a.transpose(2, 0, 1)),
    ("sum", lambda a: a.sum()),
    ("sum-axis", lambda a: a.sum(axis=1, keepdims=True)),
    ("sum-positional", lambda a: a.sum(0)),
    ("mean", lambda a: a.mean(axis=(0, 2))),
    ("max", lambda a: a.max(axis=-1)),
    ("min", lambda a: a.min()),
    ("prod", lambda a: a.prod(axis=0)),
    ("var", lambda a: a.var(axis=1, ddof=1)),
    ("std", lambda a: a.std()),
    ("argmax", lambda a: a.argmax(axis=1)),
    ("argmin", lambda a: a.argmin()),
    ("astype", lambda a: a.astype(np.int32)),
    ("astype-float32", lambda a: a.astype(np.float32)),
    ("ravel", lambda a: a.ravel()),
    ("flatten", lambda a: a.flatten()),
    ("squeeze", lambda a: a[:, :1].squeeze()),
    ("squeeze-axis", lambda a: a[:1].squeeze(0)),
    ("swapaxes", lambda a: a.swapaxes(0, 2)),
    ("clip", lambda a: a.clip(-0.5, 0.5)),
    ("clip-min-only", lambda a: a.clip(min=0.0)),
    ("dot", lambda a: a[0].dot(a[1].T)),
    ("cumsum", lambda a: a.cumsum(axis=2)),
    ("take", lambda a: a.take([0, -1], axis=1)),
    ("all", lambda a: (a > -1).all(axis=0)),
    ("any", lambda a: (a > 1).any()),
    ("copy", lambda a: a.copy()),
]


@pytest.mark.parametrize("fn", [m[1] for m in METHODS], ids=[m[0] for m in METHODS])
def test_methods(check, rng, fn):
    check(fn, rng.normal(size=(2, 3, 4)))


def test_unknown_method_is_an_attribute_error(rng):
    with pytest.raises(AttributeError, match="no attribute 'frobnicate'"):
        tg.make_ir(lambda a: a.frobnicate())(rng.normal(size=3))


def test_operators_build_one_node_each(rng):
    graph = tg.make_ir(lambda a, b: -(a * b) - a)(rng.normal(size=3), rng.normal(size=3))
    assert [n.op.name for n in graph.nodes] == ["mul", "neg", "sub"]
