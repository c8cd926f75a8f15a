"""The JAX-style transformations: values against analytic derivatives, composition,
pytrees, custom_vjp, and the errors users get."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.tracer.errors import TracegradError

rng = np.random.default_rng(0)


def loss(w, x):
    return np.mean(np.tanh(x * w) ** 2) + np.sum(np.maximum(w, 0.0))


def test_grad_matches_analytic():
    x = rng.standard_normal(5)
    g = tg.grad(lambda x: np.sum(np.sin(x) * x))(x)
    np.testing.assert_allclose(g, np.sin(x) + x * np.cos(x), rtol=1e-13)


def test_value_and_grad_argnums_tuple():
    w, x = rng.standard_normal(4), rng.standard_normal(4)
    value, (gw, gx) = tg.value_and_grad(loss, argnums=(0, 1))(w, x)
    np.testing.assert_allclose(value, loss(w, x), rtol=1e-13)
    t = np.tanh(x * w)
    common = 2 * t * (1 - t**2) / 4
    np.testing.assert_allclose(gw, common * x + (w > 0), rtol=1e-12)
    np.testing.assert_allclose(gx, common * w, rtol=1e-12)


def test_grad_has_aux():
    x = rng.standard_normal(3)
    g, aux = tg.grad(lambda x: (np.sum(x**2), {"norm": np.sum(np.abs(x))}), has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * x)
    np.testing.assert_allclose(aux["norm"], np.sum(np.abs(x)))


def test_grad_of_dict_of_parameters():
    params = {"w": rng.standard_normal((3, 2)), "b": rng.standard_normal(2)}
    x = rng.standard_normal(3)

    def f(p, x):
        return np.sum(np.tanh(np.sum(x[:, None] * p["w"], axis=0) + p["b"]))

    g = tg.grad(f)(params, x)
    assert set(g) == {"w", "b"}
    pre = np.sum(x[:, None] * params["w"], axis=0) + params["b"]
    np.testing.assert_allclose(g["b"], 1 - np.tanh(pre) ** 2, rtol=1e-12)
    np.testing.assert_allclose(g["w"], x[:, None] * (1 - np.tanh(pre) ** 2), rtol=1e-12)


def test_grad_of_grad_and_hessian_analytic():
    x = 0.7
    d2 = tg.grad(tg.grad(lambda x: np.sin(x) * x))(x)
    np.testing.assert_allclose(d2, 2 * np.cos(x) - x * np.sin(x), rtol=1e-13)
    v = rng.standard_normal(4)
    h = tg.hessian(lambda x: np.sum(x**3) + np.sum(x) ** 2)(v)
    np.testing.assert_allclose(h, np.diag(6 * v) + 2.0, rtol=1e-12)


def test_nested_grad_keeps_perturbations_apart():
    # d/dx [x * d/dy (x*y)] = d/dx [x * x] = 2x (not 3x: the inner y is not the outer x)
    g = tg.grad(lambda x: x * tg.grad(lambda y: x * y)(x))(3.0)
    np.testing.assert_allclose(g, 6.0)


def test_compile_of_grad_equals_grad():
    x = rng.standard_normal(6)
    f = lambda x: np.sum(np.exp(-x * x) * np.sin(x))  # noqa: E731
    np.testing.assert_allclose(tg.compile(tg.grad(f))(x), tg.grad(f)(x), rtol=1e-15)


def test_vjp_and_jvp():
    x = rng.standard_normal(3)
    out, pullback = tg.vjp(lambda x: np.sin(x) * 2.0, x)
    ct = rng.standard_normal(3)
    np.testing.assert_allclose(out, np.sin(x) * 2)
    (gx,) = pullback(ct)
    np.testing.assert_allclose(gx, ct * 2 * np.cos(x), rtol=1e-13)
    t = rng.standard_normal(3)
    y, ty = tg.jvp(lambda x: np.exp(x) * x, (x,), (t,))
    np.testing.assert_allclose(ty, t * (np.exp(x) * (1 + x)), rtol=1e-13)


def test_jacobians_agree():
    x = rng.standard_normal(3)
    f = lambda x: np.tanh(x) * np.sum(x * x)  # noqa: E731
    expected = np.diag(1 - np.tanh(x) ** 2) * np.sum(x * x) + np.outer(np.tanh(x), 2 * x)
    np.testing.assert_allclose(tg.jacrev(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(tg.jacfwd(f)(x), expected, rtol=1e-12)
    np.testing.assert_allclose(tg.jacobian(f)(x), expected, rtol=1e-12)


def test_jacrev_traces_the_vjp_graph_once():
    calls = []

    def f(x):
        calls.append(1)
        return np.sin(x) * 3.0

    jac = tg.jacrev(f)
    jac(rng.standard_normal(6))
    n = len(calls)
    jac(rng.standard_normal(6))
    # One trace for the output type and one for the VJP graph on the first call;
    # a second call with the same signature traces the VJP graph no more.
    assert n <= 2 and len(calls) - n <= 1


def test_stop_gradient():
    g = tg.grad(lambda x: np.sum(x * tg.stop_gradient(x)))(np.array([2.0, 3.0]))
    np.testing.assert_allclose(g, [2.0, 3.0])


def _clipped_identity():
    @tg.custom_vjp
    def f(x):
        return x * 1.0

    f.defvjp(lambda x: (x * 1.0, None), lambda res, g: (np.clip(g, -1.0, 1.0),))
    return f


def test_custom_vjp_is_used():
    f = _clipped_identity()
    g = tg.grad(lambda x: np.sum(f(x) * 5.0))(np.ones(3))
    np.testing.assert_allclose(g, np.ones(3))


def test_hessian_through_custom_vjp():
    @tg.custom_vjp
    def softplus(x):
        return np.log1p(np.exp(x))

    def fwd(x):
        return softplus(x), x

    def bwd(x, g):
        return (g / (1.0 + np.exp(-x)),)

    softplus.defvjp(fwd, bwd)
    x = rng.standard_normal(4)
    s = 1 / (1 + np.exp(-x))
    np.testing.assert_allclose(tg.grad(lambda x: np.sum(softplus(x)))(x), s, rtol=1e-12)
    h = tg.hessian(lambda x: np.sum(softplus(x)))(x)
    np.testing.assert_allclose(h, np.diag(s * (1 - s)), rtol=1e-10, atol=1e-14)


def test_check_grads_catches_a_wrong_custom_vjp():
    @tg.custom_vjp
    def f(x):
        return np.sin(x)

    f.defvjp(lambda x: (np.sin(x), x), lambda x, g: (g * np.sin(x),))  # wrong: not cos
    with pytest.raises(AssertionError):
        tg.check_grads(lambda x: np.sum(f(x)), (rng.standard_normal(3),), modes=("rev",))


def test_check_grads_passes_second_order():
    tg.check_grads(lambda x, y: np.sum(np.tanh(x) * y + np.exp(-x * y)),
                   (rng.standard_normal(3), rng.standard_normal(3)), order=2)


# --- errors -------------------------------------------------------------------------


def test_grad_of_non_scalar_output_says_use_vjp():
    with pytest.raises(TypeError, match="vjp") as info:
        tg.grad(lambda x: x * 2.0)(np.ones(3))
    assert "shape (3,)" in str(info.value)
    assert "test_transforms.py" in str(info.value)


def test_grad_wrt_integer_says_cast():
    with pytest.raises(TypeError, match="float") as info:
        tg.grad(lambda x: np.sum(x * 2.0))(np.arange(3))
    assert "int64" in str(info.value)


def test_argnums_out_of_range():
    with pytest.raises(TypeError, match="argnums"):
        tg.grad(lambda x, y: np.sum(x * y), argnums=2)(np.ones(2), np.ones(2))


def test_errors_are_tracegrad_errors_or_builtin_types():
    with pytest.raises((TypeError, TracegradError)):
        tg.grad(lambda x: x)(np.ones(2))


def test_adjoint_dump(tmp_path, monkeypatch):
    from tracegrad.runtime import config

    monkeypatch.setattr(config, "FLAGS", config.Flags(dump=frozenset({"adjoint"}),
                                                      dump_dir=str(tmp_path)))
    tg.grad(lambda x: np.sum(np.sin(x) * x))(rng.standard_normal(3))
    dumps = list(tmp_path.glob("*.adjoint.txt"))
    assert dumps and "cos" in dumps[0].read_text()
