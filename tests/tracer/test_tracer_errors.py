"""Errors from NumPy calls on traced arrays: each names the function, the cause and the
user's line (this file), and says what to do instead."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.tracer.errors import ShapeError, UnsupportedError

HERE = "test_tracer_errors.py"


def _trace(fn, *args):
    return tg.make_ir(fn)(*args)


def _message(exc_type, fn, *args):
    with pytest.raises(exc_type) as info:
        _trace(fn, *args)
    return str(info.value)


def test_unsupported_function_names_it_and_the_users_line(rng):
    msg = _message(UnsupportedError, lambda x: np.sort(x), rng.normal(size=3))
    assert "np.sort is not supported" in msg
    assert HERE in msg
    assert "docs/numpy-support.md" in msg


def test_unsupported_function_in_a_submodule(rng):
    msg = _message(UnsupportedError, lambda x: np.linalg.inv(x), rng.normal(size=(2, 2)))
    assert "np.linalg.inv" in msg and HERE in msg


def test_unsupported_ufunc_and_ufunc_method(rng):
    x = rng.normal(size=3)
    assert "np.fmod" in _message(UnsupportedError, lambda a: np.fmod(a, 2.0), x)
    msg = _message(UnsupportedError, lambda a: np.add.reduce(a), x)
    assert "np.add.reduce" in msg and HERE in msg


@pytest.mark.parametrize("fn, name, keyword", [
    (lambda x: np.sum(x, out=np.empty(())), "np.sum", "out="),
    (lambda x: np.add(x, x, out=np.empty(3)), "np.add", "out="),
    (lambda x: np.sum(x, where=x > 0), "np.sum", "where="),
    (lambda x: np.max(x, initial=0.0), "np.max", "initial="),
    (lambda x: np.matmul(x, x, out=np.empty(())), "np.matmul", "out="),
    (lambda x: np.concatenate([x, x], out=np.empty(6)), "np.concatenate", "out="),
], ids=["sum-out", "ufunc-out", "sum-where", "max-initial", "matmul-out", "concatenate-out"])
def test_untraceable_keywords_are_named(rng, fn, name, keyword):
    msg = _message(UnsupportedError, fn, rng.normal(size=3))
    assert name in msg and keyword in msg and HERE in msg


def test_shape_mismatch_of_add_names_both_shapes(rng):
    msg = _message(ShapeError, lambda a, b: a + b, rng.normal(size=(2, 3)), rng.normal(size=4))
    assert "(2, 3)" in msg and "(4,)" in msg and HERE in msg


@pytest.mark.parametrize("fn, shapes, words", [
    (np.matmul, ((2, 3), (4, 5)), ["(2, 3)", "(4, 5)"]),
    (np.dot, ((2, 3), (4,)), ["(2, 3)", "(4,)", "not aligned"]),
    (np.tensordot, ((2, 3), (3, 2)), ["(2, 3)", "(3, 2)", "not aligned"]),
    (lambda a, b: np.concatenate([a, b], axis=1), ((2, 3), (3, 3)), ["(2, 3)", "(3, 3)"]),
    (lambda a, b: np.stack([a, b]), ((2, 3), (3, 2)), ["same shape"]),
    (lambda a, b: np.einsum("ij,jk", a, b), ((2, 3), (4, 5)), ["sizes 3 and 4"]),
], ids=["matmul", "dot", "tensordot", "concatenate", "stack", "einsum"])
def test_contraction_and_joining_shape_errors(rng, fn, shapes, words):
    msg = _message(ShapeError, fn, *(rng.normal(size=s) for s in shapes))
    assert all(w in msg for w in words), msg
    assert HERE in msg


def test_one_argument_where_is_data_dependent(rng):
    msg = _message(UnsupportedError, lambda x: np.where(x > 0), rng.normal(size=3))
    assert "depends on the data" in msg and "np.where(condition, x, y)" in msg


@pytest.mark.parametrize("fn, words", [
    (lambda x: np.einsum("ii->i", x), "diagonal"),
    (lambda x: np.linalg.norm(x, ord="nuc"), "singular values"),
    (lambda x: np.reshape(x, (4,), order="F"), "order='F'"),
    (lambda x: np.einsum([0, 1], x), "string form"),
], ids=["einsum-diagonal", "norm-nuc", "reshape-order", "einsum-interleaved"])
def test_unsupported_arguments(rng, fn, words):
    msg = _message(UnsupportedError, fn, rng.normal(size=(2, 2)))
    assert words in msg and HERE in msg


@pytest.mark.parametrize("fn, words", [
    (lambda x: np.split(x, 4), "equal sections"),
    (lambda x: np.squeeze(x, axis=0), "size not equal to one"),
    (lambda x: np.broadcast_to(x, (3, 2)), "(3, 2)"),
    (lambda x: np.broadcast_to(x, (3,)), "cannot broadcast"),
    (lambda x: np.sum(x, axis=2), "out of bounds"),
    (lambda x: np.transpose(x, (0, 0)), "do not match"),
    (lambda x: np.max(x[:0]), "zero-size"),
    (lambda x: np.where(x > 0, x), "both or neither"),
], ids=["split", "squeeze", "broadcast_to", "broadcast_to-smaller", "axis", "transpose",
        "empty-max", "where-two"])
def test_value_errors(rng, fn, words):
    msg = _message(ValueError, fn, rng.normal(size=(2, 3)))
    assert words in msg
