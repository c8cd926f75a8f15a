"""Tensors: creation, dtypes, printing, conversions, NumPy protocols, methods, indexing."""

import numpy as np
import pytest

import tracegrad.dynamic as tg


def test_python_floats_default_to_float32_ints_to_int64():
    assert tg.tensor([1.0, 2.0]).dtype == tg.float32
    assert tg.tensor([1, 2]).dtype == tg.int64
    assert tg.tensor([True]).dtype == tg.bool
    assert tg.tensor(np.ones(2)).dtype == tg.float64  # arrays keep their dtype
    assert tg.tensor([1, 2], dtype=tg.float64).dtype == np.float64
    assert tg.zeros(2, 3).dtype == tg.float32 and tg.zeros(2, 3).shape == (2, 3)
    assert tg.ones((2, 3)).shape == (2, 3)
    assert tg.full((2,), 7).dtype == tg.int64 and tg.full((2,), 7.0).dtype == tg.float32
    assert tg.arange(3).dtype == tg.int64 and tg.arange(0, 1, 0.5).dtype == tg.float32


def test_creation_values(rng):
    np.testing.assert_array_equal(tg.arange(1, 7, 2).numpy(), [1, 3, 5])
    np.testing.assert_allclose(tg.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    np.testing.assert_array_equal(tg.eye(3).numpy(), np.eye(3))
    base = tg.tensor(rng.standard_normal((2, 3)))
    for like, value in ((tg.zeros_like, 0), (tg.ones_like, 1)):
        t = like(base)
        assert t.shape == (2, 3) and t.dtype == np.float64
        np.testing.assert_array_equal(t.numpy(), value)
    assert tg.full_like(base, 3.5).numpy()[0, 0] == 3.5
    assert tg.randn_like(base).shape == (2, 3) and tg.rand(4).shape == (4,)


def test_tensor_copies_and_from_numpy_shares_memory(rng):
    a = rng.standard_normal(3)
    t, s = tg.tensor(a), tg.from_numpy(a)
    a[0] = 100.0
    assert t.numpy()[0] != 100.0 and s.numpy()[0] == 100.0
    s.add_(1.0)
    assert a[0] == 101.0
    assert np.shares_memory(s.numpy(), a)


def test_manual_seed_makes_random_tensors_repeatable():
    tg.manual_seed(3)
    a = tg.randn(5)
    tg.manual_seed(3)
    np.testing.assert_array_equal(tg.randn(5).numpy(), a.numpy())


@pytest.mark.parametrize("make, text", [
    (lambda: tg.tensor([5., 10., 15., 20.]), "tensor([ 5., 10., 15., 20.])"),
    (lambda: tg.tensor([0.1, 0.25]), "tensor([0.1000, 0.2500])"),
    (lambda: tg.tensor(2.5), "tensor(2.5000)"),
    (lambda: tg.tensor([1e-5, 1.0]), "tensor([1.0000e-05, 1.0000e+00])"),
    (lambda: tg.tensor([[1.5, 2], [3, 4]]),
     "tensor([[1.5000, 2.0000],\n        [3.0000, 4.0000]])"),
    (lambda: tg.tensor([1, 2, 3]), "tensor([1, 2, 3])"),
    (lambda: tg.tensor([True, False]), "tensor([ True, False])"),
    (lambda: tg.tensor([1., 2.], dtype=tg.float64), "tensor([1., 2.], dtype=tg.float64)"),
    (lambda: tg.tensor([1., 2.], requires_grad=True), "tensor([1., 2.], requires_grad=True)"),
    (lambda: tg.tensor([1., 2.], requires_grad=True) * 2,
     "tensor([2., 4.], grad_fn=<MulBackward0>)"),
    (lambda: tg.zeros(2, 0), "tensor([], size=(2, 0))"),
])
def test_printing_matches_pytorch(make, text):
    assert repr(make()) == text


def test_scalar_conversions(rng):
    x = tg.tensor([2.5], requires_grad=True)
    assert x.item() == 2.5 and float(x) == 2.5 and int(x) == 2 and bool(x)
    assert f"{tg.tensor(1.23456):.2f}" == "1.23"
    with pytest.raises(RuntimeError, match="a Tensor with 3 elements cannot be converted"):
        tg.ones(3).item()
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value"):
        bool(tg.ones(3))
    assert tg.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert [3, 4, 5][tg.tensor(1)] == 4


def test_data_dependent_python_control_flow_is_fine(rng):
    x = tg.tensor(rng.standard_normal(4), requires_grad=True)
    y = x * 2 if x.sum() > 0 else x * -3
    while y.abs().max() < 100:
        y = y * 2
    y.sum().backward()
    assert np.all(np.abs(x.grad.numpy()) > 0)


def test_numpy_functions_on_tensors_return_tensors(rng):
    a = rng.standard_normal((3, 4))
    t = tg.tensor(a, requires_grad=True)
    for fn in (np.exp, np.tanh, np.sum, np.mean, np.transpose, np.max):
        out = fn(t)
        assert isinstance(out, tg.Tensor) and out.requires_grad
        np.testing.assert_allclose(out.detach().numpy(), fn(a), rtol=1e-12)
    out = np.matmul(t, t.T)
    assert out.grad_fn.name() == "MmBackward0"
    np.testing.assert_allclose(out.detach().numpy(), a @ a.T)
    mixed = a * t  # NumPy array on the left: NumPy hands the ufunc to the tensor
    assert isinstance(mixed, tg.Tensor) and mixed.requires_grad


def test_numpy_function_without_derivative(rng):
    t = tg.tensor(rng.standard_normal((3, 3)))
    out = np.linalg.det(t)  # no op: computed by NumPy on data that needs no gradient
    assert isinstance(out, tg.Tensor)
    np.testing.assert_allclose(out.numpy(), np.linalg.det(t.numpy()))
    with pytest.raises(NotImplementedError, match="no derivative in tracegrad"):
        np.linalg.det(t.requires_grad_())


METHODS = [
    ("exp", lambda a: np.exp(a)), ("log", lambda a: np.log(np.abs(a))),
    ("sin", np.sin), ("cos", np.cos), ("tanh", np.tanh),
    ("sigmoid", lambda a: 1 / (1 + np.exp(-a))), ("relu", lambda a: np.maximum(a, 0)),
    ("abs", np.abs), ("sqrt", lambda a: np.sqrt(np.abs(a))), ("neg", np.negative),
    ("sum", np.sum), ("mean", np.mean), ("t", np.transpose),
    ("square", np.square), ("reciprocal", lambda a: 1 / a),
]


@pytest.mark.parametrize("name, ref", METHODS, ids=[m[0] for m in METHODS])
def test_methods_match_numpy(rng, name, ref):
    a = rng.standard_normal((3, 4))
    arg = np.abs(a) if name in ("log", "sqrt") else a
    out = getattr(tg.tensor(arg), name)()
    np.testing.assert_allclose(out.numpy(), ref(arg), rtol=1e-12)
    assert out.dtype == np.float64


def test_reductions_with_dim_and_keepdim(rng):
    a = rng.standard_normal((3, 4))
    t = tg.tensor(a)
    np.testing.assert_allclose(t.sum(dim=1, keepdim=True).numpy(), a.sum(1, keepdims=True))
    np.testing.assert_allclose(t.mean(dim=0).numpy(), a.mean(0))
    np.testing.assert_allclose(t.std().numpy(), a.std(ddof=1))  # PyTorch's unbiased default
    np.testing.assert_allclose(t.var(dim=1, unbiased=False).numpy(), a.var(1))
    values, indices = t.max(dim=1)
    np.testing.assert_allclose(values.numpy(), a.max(1))
    np.testing.assert_array_equal(indices.numpy(), a.argmax(1))
    assert indices.dtype == tg.int64
    np.testing.assert_allclose(t.clamp(-0.5, 0.5).numpy(), np.clip(a, -0.5, 0.5))
    np.testing.assert_allclose(t.norm().numpy(), np.linalg.norm(a))


def test_shape_methods(rng):
    a = rng.standard_normal((2, 3, 4))
    t = tg.tensor(a)
    assert t.view(6, 4).shape == (6, 4) and t.reshape(-1).shape == (24,)
    assert t.flatten().shape == (24,) and t.flatten(1).shape == (2, 12)
    assert t.unsqueeze(1).shape == (2, 1, 3, 4) and t.unsqueeze(-1).shape == (2, 3, 4, 1)
    assert tg.zeros(1, 3, 1).squeeze().shape == (3,)
    assert tg.zeros(1, 3, 1).squeeze(0).shape == (3, 1)
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), a.transpose(2, 1, 0))
    np.testing.assert_array_equal(t.permute(1, 2, 0).numpy(), a.transpose(1, 2, 0))
    assert tg.zeros(3, 1).expand(3, 4).shape == (3, 4)
    assert tg.zeros(3).expand(2, -1).shape == (2, 3)
    assert [p.shape for p in t.split(1, dim=1)] == [(2, 1, 4)] * 3
    assert len(t.unbind(0)) == 2 and len(t.chunk(2, dim=2)) == 2
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.dim() == 3 and t.numel() == 24
    with pytest.raises(RuntimeError, match=r"t\(\) expects a tensor with <= 2 dimensions"):
        t.t()


def test_indexing_with_gradient(rng):
    a = rng.standard_normal((4, 3))
    x = tg.tensor(a, requires_grad=True)
    y = x[1:3, 0].sum() + x[[0, 0, 3]].sum() + x[x > 0].sum()
    y.backward()
    want = np.zeros_like(a)
    want[1:3, 0] += 1
    want[0] += 2
    want[3] += 1
    want += a > 0
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_iteration_and_len(rng):
    x = tg.tensor(rng.standard_normal((3, 2)), requires_grad=True)
    assert len(x) == 3
    total = sum(row.sum() for row in x)
    total.backward()
    np.testing.assert_allclose(x.grad.numpy(), 1)


def test_conversions_and_clone(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    assert x.float().dtype == tg.float32 and x.double() is x
    assert x.to(tg.float32).grad_fn.name() == "ToCopyBackward0"
    assert not x.long().requires_grad
    c = x.clone()
    assert c.grad_fn.name() == "CloneBackward0" and not np.shares_memory(c._data, x._data)
    (c * 2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2)


def test_inplace_methods_without_grad(rng):
    a = rng.standard_normal(4)
    t = tg.tensor(a)
    t.mul_(2).add_(1).sub_(0.5, alpha=2)
    np.testing.assert_allclose(t.numpy(), a * 2)
    t.zero_()
    assert t._version == 4 and np.all(t.numpy() == 0)
    t.fill_(3)
    t.copy_(tg.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_allclose(t.numpy(), [1, 2, 3, 4])
    t += 1
    t[0] = 0.0
    np.testing.assert_allclose(t.numpy(), [0, 3, 4, 5])


def test_cat_and_stack(rng):
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
    x, y = tg.tensor(a, requires_grad=True), tg.tensor(b, requires_grad=True)
    out = tg.cat([x, y])
    assert out.grad_fn.name() == "CatBackward0"
    np.testing.assert_allclose(out.detach().numpy(), np.concatenate([a, b]))
    (out * 2).sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2)
