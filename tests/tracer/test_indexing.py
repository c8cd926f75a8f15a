"""``x[key]`` on traced arrays against NumPy: every indexing form, and its errors."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.tracer.errors import UnsupportedError

from .conftest import run_traced

# (id, key) applied to an array of shape (4, 5, 6).
KEYS = [
    ("int", 1),
    ("negative-int", -1),
    ("ints", (0, 3)),
    ("negative-ints", (-1, -2, -6)),
    ("slice", slice(1, None)),
    ("slice-stop", (slice(None), slice(None, -1))),
    ("slice-step", slice(None, None, 2)),
    ("slice-reverse", slice(None, None, -1)),
    ("slice-reverse-bounds", (slice(3, 0, -1), slice(-1, -5, -2))),
    ("slice-reverse-step", (slice(None), slice(None), slice(None, None, -4))),
    ("slice-clipped", slice(1, 100)),
    ("slice-empty", slice(3, 1)),
    ("slice-empty-reverse", (slice(None), slice(1, 3, -1))),
    ("slice-single-reverse", (slice(2, 1, -1),)),
    ("none", None),
    ("none-int", (None, 0)),
    ("none-middle", (slice(None), None, 2)),
    ("ellipsis", Ellipsis),
    ("ellipsis-int", (Ellipsis, 1)),
    ("int-ellipsis", (1, Ellipsis)),
    ("ellipsis-reverse-none", (Ellipsis, slice(None, None, -1), None)),
    ("middle-ellipsis", (0, Ellipsis, 2)),
    ("empty-tuple", ()),
    ("list", [0, 2, -1]),
    ("list-repeated", [3, 3, 0]),
    ("list-empty", []),
    ("array", np.array([1, 0, 1])),
    ("array-2d", np.array([[0, 1], [2, -4]])),
    ("array-0d", np.array(2)),
    ("array-uint8", np.array([3, 1], np.uint8)),
    ("array-after-slice", (slice(None), [4, 0])),
    ("array-last-axis", (Ellipsis, [5, 0, 1])),
    ("arrays-adjacent", ([0, 1], [1, 2])),
    ("arrays-adjacent-middle", (slice(None), [0, 1], [1, 2])),
    ("arrays-broadcast", (np.array([[0], [3]]), np.array([1, 2, 4]))),
    ("arrays-three", ([0, 1], [1, 2], [5, -6])),
    ("arrays-separated", ([0, 1], slice(None), [1, 2])),
    ("int-and-array-separated", (0, slice(None), [1, 2])),
    ("int-and-array-adjacent", (slice(None), 0, [1, 2])),
    ("arrays-split-by-none", ([0, 1], None, [0, 1])),
    ("arrays-split-by-ellipsis", (slice(None), [0, 1], Ellipsis, [0, 1])),
    ("none-before-arrays", (None, 1, slice(None), [0, 1])),
    ("reverse-and-array", (slice(None, None, -1), [0, 2])),
    ("step-slice-and-arrays", (slice(None, None, 2), [1, 0], slice(None, None, -3))),
    ("tuple-inside-key", ((0, 1), slice(None))),
]


@pytest.mark.parametrize("key", [k for _, k in KEYS], ids=[i for i, _ in KEYS])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_static_keys_match_numpy(rng, key, dtype):
    x = rng.normal(size=(4, 5, 6)).astype(dtype)
    got = run_traced(lambda a: a[key], x)
    expected = x[key]
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("key", [(), None, Ellipsis, (None, Ellipsis)], ids=str)
def test_zero_dimensional_array(rng, key):
    x = np.float64(rng.normal())
    got = run_traced(lambda a: a[key], x)
    assert np.shape(got) == np.shape(np.asarray(x)[key])
    np.testing.assert_array_equal(got, np.asarray(x)[key])


# (id, function of (x, i), index factory): indices that are traced arguments.
TRACED = [
    ("one", lambda x, i: x[i], lambda r: r.integers(-4, 4, size=7)),
    ("scalar", lambda x, i: x[i], lambda r: np.int64(r.integers(-4, 4))),
    ("int32", lambda x, i: x[:, i], lambda r: r.integers(0, 5, size=(2, 3)).astype(np.int32)),
    ("with-slice", lambda x, i: x[1:, ::-2, i], lambda r: r.integers(-6, 6, size=3)),
    ("pair-adjacent", lambda x, i: x[:, i, i], lambda r: r.integers(-5, 5, size=4)),
    ("pair-separated", lambda x, i: x[i, :, i], lambda r: r.integers(-4, 4, size=4)),
    ("with-concrete", lambda x, i: x[i, [0, 3, -1]], lambda r: r.integers(-4, 4, size=3)),
    ("with-int", lambda x, i: x[2, :, i], lambda r: r.integers(-6, 6, size=(2, 2))),
    ("list-of-scalars", lambda x, i: x[[i, 0]], lambda r: np.int64(3)),
    ("iteration", lambda x, i: sum(row for row in x[i]), lambda r: r.integers(0, 4, size=2)),
]


@pytest.mark.parametrize("fn, make_index", [t[1:] for t in TRACED], ids=[t[0] for t in TRACED])
def test_traced_index_arrays(rng, fn, make_index):
    x = rng.normal(size=(4, 5, 6))
    i = make_index(rng)
    got = run_traced(fn, x, i)
    expected = fn(x, i)
    assert got.dtype == expected.dtype and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_a_traced_index_selects_at_run_time(rng):
    # One trace serves every index value: the index is data, not a constant.
    x = rng.normal(size=(5, 3))
    f = tg.compile(lambda a, i: a[i], backend="numpy")
    for i in (0, 4, -2):
        np.testing.assert_array_equal(f(x, np.int64(i)), x[i])
    assert f.cache_size == 1


def test_simple_keys_are_single_ops(rng):
    graph = tg.make_ir(lambda a: a[1:, ::-1, [0, 2]])(rng.normal(size=(4, 5, 6)))
    assert [n.op.name for n in graph.nodes] == ["slice", "rev", "gather"]
    graph = tg.make_ir(lambda a: a[..., 0])(rng.normal(size=(4, 5, 6)))
    assert [n.op.name for n in graph.nodes] == ["slice", "reshape"]


def test_basic_indexing_is_differentiable(rng):
    x = rng.normal(size=(4, 5))
    g = tg.grad(lambda a: np.sum(a[::-2, [0, 0, 3]] ** 2))(x)
    expected = np.zeros_like(x)
    rows = [3, 1]
    for c in (0, 0, 3):
        expected[rows, c] += 2 * x[rows, c]
    np.testing.assert_allclose(g, expected, rtol=1e-12)


# --- errors --------------------------------------------------------------------------------


def _trace(fn, *args):
    return tg.make_ir(fn)(*args)


@pytest.mark.parametrize("fn", [
    lambda x: x[x > 0],
    lambda x: x[np.array([True, False, True, False])],
    lambda x: x[:, np.ones(5, bool)],
    lambda x: x[True],
], ids=["traced-mask", "concrete-mask", "mask-on-axis", "python-bool"])
def test_boolean_masks_are_rejected_with_a_fix(rng, fn):
    with pytest.raises(UnsupportedError) as info:
        _trace(fn, rng.normal(size=(4, 5)))
    msg = str(info.value)
    assert "boolean mask" in msg and "depends on the data" in msg
    assert "np.where(mask, x, 0)" in msg
    assert "test_indexing.py" in msg


@pytest.mark.parametrize("key, axis, size", [(4, 0, 4), (-5, 0, 4), ((0, 7), 1, 5)])
def test_static_int_out_of_bounds_names_the_shape(rng, key, axis, size):
    with pytest.raises(IndexError) as info:
        _trace(lambda x: x[key], rng.normal(size=(4, 5)))
    msg = str(info.value)
    assert f"axis {axis} with size {size}" in msg and "(4, 5)" in msg


def test_concrete_index_array_out_of_bounds_names_the_shape(rng):
    with pytest.raises(IndexError) as info:
        _trace(lambda x: x[:, [0, 5]], rng.normal(size=(4, 5)))
    assert "index 5 is out of bounds for axis 1 with size 5" in str(info.value)
    assert "(4, 5)" in str(info.value)


@pytest.mark.parametrize("key, words", [
    ((0, 0, 0), "too many indices"),
    ((Ellipsis, 0, Ellipsis), "single ellipsis"),
    (1.5, "not a valid index"),
    (np.array([0.5]), "integer type"),
])
def test_invalid_keys(rng, key, words):
    with pytest.raises(IndexError, match=words):
        _trace(lambda x: x[key], rng.normal(size=(4, 5)))


def test_traced_slice_bounds_are_rejected_with_a_fix(rng):
    with pytest.raises(UnsupportedError) as info:
        _trace(lambda x, i: x[i:], rng.normal(size=4), np.int64(1))
    assert "static_argnums" in str(info.value)


def test_traced_float_index_is_rejected(rng):
    with pytest.raises(IndexError, match="integer type"):
        _trace(lambda x, i: x[i], rng.normal(size=4), rng.normal(size=2))
