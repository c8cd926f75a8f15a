"""The bridge to the static world: the same model, compiled and differentiated by
`tg.compile` / `tg.grad` through `functional_call`, agrees with the dynamic mode."""

import numpy as np
import pytest

import tracegrad
import tracegrad.dynamic as tg
from tracegrad.dynamic import nn
from tracegrad.dynamic.nn import functional as F


def make_model(seed=0):
    tg.manual_seed(seed)
    return nn.Sequential(nn.Linear(3, 8), nn.Tanh(), nn.Linear(8, 1), nn.Flatten(0, 1))


def loss_of(model):
    return lambda params, x, y: F.mse_loss(nn.functional_call(model, params, x), y)


def data(rng, n=32):
    x = rng.standard_normal((n, 3)).astype(np.float32)
    return x, np.sin(x @ np.array([1.0, -2.0, 0.5], np.float32))


def detached(model):
    return {k: p.detach() for k, p in model.named_parameters()}


def test_functional_call_swaps_parameters(rng):
    model = make_model()
    x = tg.tensor(rng.standard_normal((4, 3)).astype(np.float32))
    same = nn.functional_call(model, dict(model.named_parameters()), x)
    np.testing.assert_array_equal(same.detach().numpy(), model(x).detach().numpy())
    zeros = {k: np.zeros(p.shape, np.float32) for k, p in model.named_parameters()}
    np.testing.assert_array_equal(nn.functional_call(model, zeros, x).numpy(), 0)
    assert model[0].weight.requires_grad  # restored afterwards
    with pytest.raises(KeyError, match="no parameter or buffer named 'nope'"):
        nn.functional_call(model, {"nope": np.zeros(1)}, x)


def test_compiled_loss_and_static_gradient_match_dynamic(rng):
    model = make_model()
    x, y = data(rng)
    loss = loss_of(model)
    static_value = tracegrad.compile(loss)(detached(model), x, y)
    dynamic = loss(dict(model.named_parameters()), tg.tensor(x), tg.tensor(y))
    np.testing.assert_allclose(static_value, dynamic.item(), rtol=1e-6)
    grads = tracegrad.grad(loss)(detached(model), x, y)
    dynamic.backward()
    for name, p in model.named_parameters():
        assert grads[name].dtype == p.dtype
        np.testing.assert_allclose(grads[name], p.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_same_model_trains_both_ways(rng):
    x, y = data(rng)
    dyn, stat = make_model(), make_model()
    opt_d = tg.optim.SGD(dyn.parameters(), lr=0.05, momentum=0.9)
    opt_s = tg.optim.SGD(stat.parameters(), lr=0.05, momentum=0.9)
    step = tracegrad.compile(tracegrad.value_and_grad(loss_of(stat)))
    X, Y = tg.tensor(x), tg.tensor(y)
    for _ in range(20):
        opt_d.zero_grad()
        loss_d = F.mse_loss(dyn(X), Y)
        loss_d.backward()
        opt_d.step()
        loss_s, grads = step(detached(stat), x, y)
        for name, p in stat.named_parameters():
            p.grad = grads[name]
        opt_s.step()
        np.testing.assert_allclose(loss_s, loss_d.item(), rtol=1e-5)
    assert step.cache_size == 1  # traced once, then reused
    for (_, a), (_, b) in zip(dyn.named_parameters(), stat.named_parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-6)


def test_tensor_closed_over_in_a_trace_is_a_constant(rng):
    c = tg.tensor(rng.standard_normal(3), requires_grad=True)
    f = tracegrad.compile(lambda x: np.sum(x * c))
    a = rng.standard_normal(3)
    np.testing.assert_allclose(f(a), np.sum(a * c.detach().numpy()))


def test_compile_accepts_parameters_directly(rng):
    model = make_model()
    x, y = data(rng)
    tracegrad.compile(loss_of(model))(dict(model.named_parameters()), x, y)


def test_creation_names_serve_both_modes(rng):
    a = rng.standard_normal(3)
    assert isinstance(tg.zeros_like(tg.tensor(a)), tg.Tensor)
    assert isinstance(tg.zeros_like(a), np.ndarray)  # arrays keep the op catalogue's meaning
    f = tracegrad.compile(lambda x: x + tg.full((3,), 2.0, np.float64) + tg.ones_like(x))
    np.testing.assert_allclose(f(a), a + 3)
    assert isinstance(tg.full((3,), 2.0), tg.Tensor)


def test_top_level_exports_the_dynamic_names():
    for name in tg.__all__:
        assert getattr(tracegrad, name) is getattr(tg, name), name
