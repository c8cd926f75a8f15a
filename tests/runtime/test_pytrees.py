"""Pytrees as arguments and results of compiled functions."""

import numpy as np
import pytest

import tracegrad as tg


def test_tuple_list_dict_and_none_in_and_out(rng):
    def f(params, batch):
        w, b = params["w"], params["b"]
        x, extra = batch
        y = x * w + b
        return {"y": y, "parts": [np.sum(y), (w * 2.0, None)], "none": extra}

    params = {"w": rng.normal(size=3), "b": rng.normal(size=3)}
    batch = (rng.normal(size=(4, 3)), None)
    out = tg.compile(f, backend="numpy")(params, batch)
    expected = f(params, batch)

    assert out.keys() == expected.keys()
    assert out["none"] is None
    assert isinstance(out["parts"], list) and isinstance(out["parts"][1], tuple)
    assert out["parts"][1][1] is None
    np.testing.assert_allclose(out["y"], expected["y"], rtol=1e-12)
    np.testing.assert_allclose(out["parts"][0], expected["parts"][0], rtol=1e-12)
    np.testing.assert_allclose(out["parts"][1][0], expected["parts"][1][0], rtol=1e-12)


def test_deeply_nested_structure_round_trips(rng):
    tree = {"a": [(rng.normal(size=2), {"b": rng.normal(size=(2, 2))})], "c": ()}
    out = tg.compile(lambda t: tg.tree_map(lambda v: v * 3.0, t), backend="numpy")(tree)
    assert out["c"] == ()
    np.testing.assert_allclose(out["a"][0][0], tree["a"][0][0] * 3.0)
    np.testing.assert_allclose(out["a"][0][1]["b"], tree["a"][0][1]["b"] * 3.0)


def test_dict_keys_are_matched_by_name_not_order(rng):
    f = tg.compile(lambda d: d["a"] - d["b"], backend="numpy")
    a, b = rng.normal(size=3), rng.normal(size=3)
    np.testing.assert_allclose(f({"a": a, "b": b}), a - b)
    np.testing.assert_allclose(f({"b": b, "a": a}), a - b)


def test_the_same_traced_value_returned_twice(rng):
    x = rng.normal(size=4)
    out = tg.compile(lambda x: (x, [x, np.sin(x)]), backend="numpy")(x)
    np.testing.assert_array_equal(out[0], x)
    np.testing.assert_array_equal(out[1][0], x)
    np.testing.assert_allclose(out[1][1], np.sin(x))


def test_constant_results_are_arrays_of_numpy_dtype(rng):
    out = tg.compile(lambda x: (np.sum(x), 1.5, np.arange(3)), backend="numpy")(rng.normal(size=2))
    np.testing.assert_allclose(out[1], 1.5)
    np.testing.assert_array_equal(out[2], np.arange(3))
    assert out[2].dtype == np.arange(3).dtype


class Linear:
    """A user class made a pytree node: its arrays are leaves, its name is static."""

    def __init__(self, w, b, name="layer"):
        self.w, self.b, self.name = w, b, name


tg.register_pytree_node(
    Linear,
    lambda m: ([m.w, m.b], m.name),
    lambda name, children: Linear(*children, name=name),
)


def test_registered_class_in_and_out(rng):
    def step(m, x):
        y = np.tanh(x * m.w + m.b)
        return Linear(m.w * 0.5, m.b + np.sum(y), name=m.name + "'"), y

    m = Linear(rng.normal(size=3), rng.normal(size=3), "l1")
    x = rng.normal(size=(2, 3))
    new, y = tg.compile(step, backend="numpy")(m, x)
    expected_new, expected_y = step(m, x)
    assert isinstance(new, Linear) and new.name == "l1'"
    np.testing.assert_allclose(new.w, expected_new.w, rtol=1e-12)
    np.testing.assert_allclose(new.b, expected_new.b, rtol=1e-12)
    np.testing.assert_allclose(y, expected_y, rtol=1e-12)


def test_registered_class_aux_data_is_part_of_the_signature(rng):
    calls = []

    def f(m):
        calls.append(m.name)
        return m.w + m.b

    cf = tg.compile(f, backend="numpy")
    w, b = rng.normal(size=2), rng.normal(size=2)
    cf(Linear(w, b, "a"))
    cf(Linear(w + 1.0, b, "a"))
    cf(Linear(w, b, "b"))
    assert calls == ["a", "b"]


def test_unregistered_object_argument_is_a_clear_error():
    class Opaque:
        pass

    with pytest.raises(TypeError) as info:
        tg.compile(lambda o: o, backend="numpy")(Opaque())
    msg = str(info.value)
    assert "Opaque" in msg and "register_pytree_node" in msg and "static_argnums" in msg
