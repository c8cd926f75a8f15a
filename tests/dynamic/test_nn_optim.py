"""`nn` modules and losses, `optim` optimizers: PyTorch's behaviour on NumPy references."""

import numpy as np
import pytest

import tracegrad.dynamic as tg
from tracegrad.dynamic import nn


class TwoLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(3, 4)
        self.out = nn.Linear(4, 2, bias=False)
        self.scale = nn.Parameter(tg.ones(1))
        self.register_buffer("count", tg.zeros(1))

    def forward(self, x):
        return self.out(self.hidden(x).tanh()) * self.scale


def test_module_registration_and_names():
    m = TwoLayer()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "hidden.weight", "hidden.bias", "out.weight"]
    assert len(list(m.parameters())) == 4 and all(p.requires_grad for p in m.parameters())
    assert [n for n, _ in m.named_children()] == ["hidden", "out"]
    assert list(m.state_dict()) == ["scale", "count", "hidden.weight", "hidden.bias",
                                    "out.weight"]
    assert m.out.bias is None
    with pytest.raises(AttributeError, match="has no attribute 'missing'"):
        _ = m.missing


def test_train_eval_and_zero_grad(rng):
    m = TwoLayer()
    assert m.training and m.hidden.training
    m.eval()
    assert not m.training and not m.hidden.training
    m.train()
    m(tg.tensor(rng.standard_normal((5, 3)), dtype=tg.float32)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())


def test_state_dict_round_trip_and_errors(rng):
    a, b = TwoLayer(), TwoLayer()
    b.load_state_dict(a.state_dict())
    np.testing.assert_array_equal(a.hidden.weight.detach().numpy(),
                                  b.hidden.weight.detach().numpy())
    sd = a.state_dict()
    assert not sd["hidden.weight"].requires_grad
    assert np.shares_memory(sd["hidden.weight"].numpy(), a.hidden.weight.detach().numpy())
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"'):
        nn.Linear(2, 3).load_state_dict({"weight": tg.ones(3, 2)})
    with pytest.raises(RuntimeError, match="size mismatch for weight"):
        nn.Linear(2, 3).load_state_dict({"weight": tg.ones(2, 2), "bias": tg.ones(3)})
    keys = nn.Linear(2, 3).load_state_dict({"weight": tg.ones(3, 2)}, strict=False)
    assert keys.missing_keys == ["bias"] and keys.unexpected_keys == []


def test_printing_matches_pytorch():
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    assert repr(model) == ("Sequential(\n  (0): Linear(in_features=3, out_features=1, bias=True)"
                           "\n  (1): Flatten(start_dim=0, end_dim=1)\n)")
    assert repr(nn.Parameter(tg.tensor([1., 2.]))) == \
        "Parameter containing:\ntensor([1., 2.], requires_grad=True)"


def test_linear_initialisation_and_forward(rng):
    lin = nn.Linear(16, 8)
    w = lin.weight.detach().numpy()
    assert w.shape == (8, 16) and w.dtype == np.float32 and np.abs(w).max() <= 0.25
    x = rng.standard_normal((5, 16)).astype(np.float32)
    y = lin(tg.tensor(x))
    assert y.grad_fn.name() == "AddmmBackward0"
    np.testing.assert_allclose(y.detach().numpy(), x @ w.T + lin.bias.detach().numpy(),
                               rtol=1e-5)


def test_sequential_activations_flatten(rng):
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 4), nn.Sigmoid(),
                          nn.Linear(4, 1), nn.Tanh(), nn.Flatten(0, 1))
    out = model(tg.randn(6, 3))
    assert out.shape == (6,) and out.grad_fn.name() == "ViewBackward0"
    assert len(model) == 7 and isinstance(model[1], nn.ReLU) and len(model[:2]) == 2


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_mse_loss(rng, reduction):
    a, b = rng.standard_normal(5), rng.standard_normal(5)
    x = tg.tensor(a, requires_grad=True)
    loss = nn.MSELoss(reduction=reduction)(x, tg.tensor(b))
    want = {"mean": np.mean, "sum": np.sum, "none": lambda v: v}[reduction]((a - b) ** 2)
    np.testing.assert_allclose(loss.detach().numpy(), want)
    loss.sum().backward()
    scale = 1 / 5 if reduction == "mean" else 1
    np.testing.assert_allclose(x.grad.numpy(), 2 * (a - b) * scale)


def test_cross_entropy_with_indices_and_probabilities(rng):
    logits, target = rng.standard_normal((6, 4)), rng.integers(0, 4, 6)
    x = tg.tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss()(x, tg.tensor(target))
    assert loss.grad_fn.name() == "NllLossBackward0"
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(loss.detach().numpy(), -np.log(p[np.arange(6), target]).mean())
    loss.backward()
    onehot = np.eye(4)[target]
    np.testing.assert_allclose(x.grad.numpy(), (p - onehot) / 6, atol=1e-12)
    soft = nn.CrossEntropyLoss(reduction="sum")(tg.tensor(logits), tg.tensor(onehot))
    np.testing.assert_allclose(soft.numpy(), -np.log(p[np.arange(6), target]).sum())


def test_cross_entropy_ignore_index(rng):
    logits = rng.standard_normal((4, 3))
    loss = nn.CrossEntropyLoss()(tg.tensor(logits), tg.tensor([0, -100, 2, 1]))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    np.testing.assert_allclose(loss.numpy(), -np.log(p[[0, 2, 3], [0, 2, 1]]).mean())


def _sgd_reference(p, grads, lr, momentum, dampening, wd, nesterov):
    buf = None
    for g in grads:
        d = g + wd * p
        if momentum:
            buf = d.copy() if buf is None else momentum * buf + (1 - dampening) * d
            d = d + momentum * buf if nesterov else buf
        p = p - lr * d
    return p


@pytest.mark.parametrize("momentum, dampening, wd, nesterov", [
    (0.0, 0.0, 0.0, False), (0.9, 0.0, 0.0, False), (0.9, 0.1, 0.01, False),
    (0.9, 0.0, 0.01, True),
])
def test_sgd_follows_pytorch_update(rng, momentum, dampening, wd, nesterov):
    p0 = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(3)]
    w = tg.tensor(p0, requires_grad=True)
    opt = tg.optim.SGD([w], lr=0.1, momentum=momentum, dampening=dampening,
                       weight_decay=wd, nesterov=nesterov)
    for g in grads:
        opt.zero_grad()
        w.grad = tg.tensor(g)
        opt.step()
    np.testing.assert_allclose(w.detach().numpy(),
                               _sgd_reference(p0, grads, 0.1, momentum, dampening, wd, nesterov))
    assert w._version == 3


@pytest.mark.parametrize("amsgrad, wd", [(False, 0.0), (True, 0.1)])
def test_adam_follows_pytorch_update(rng, amsgrad, wd):
    p = rng.standard_normal(4)
    grads = [rng.standard_normal(4) for _ in range(4)]
    w = tg.tensor(p, requires_grad=True)
    opt = tg.optim.Adam([w], lr=0.01, betas=(0.8, 0.9), weight_decay=wd, amsgrad=amsgrad)
    m = v = vmax = np.zeros(4)
    for t, g in enumerate(grads, 1):
        w.grad = tg.tensor(g)
        opt.step()
        g = g + wd * p
        m, v = 0.8 * m + 0.2 * g, 0.9 * v + 0.1 * g * g
        vmax = np.maximum(vmax, v) if amsgrad else v
        p = p - 0.01 / (1 - 0.8 ** t) * m / (np.sqrt(vmax) / np.sqrt(1 - 0.9 ** t) + 1e-8)
    np.testing.assert_allclose(w.detach().numpy(), p, rtol=1e-12)


def test_training_loop_learns_a_linear_map(rng):
    tg.manual_seed(0)
    x = rng.standard_normal((64, 3)).astype(np.float32)
    y = x @ np.array([1.5, -2.0, 0.5], np.float32) + 0.3
    model = nn.Sequential(nn.Linear(3, 1), nn.Flatten(0, 1))
    opt = tg.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss_fn = nn.MSELoss()
    X, Y = tg.tensor(x), tg.tensor(y)
    for _ in range(100):
        opt.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        opt.step()
    assert loss.item() < 1e-4
    np.testing.assert_allclose(model[0].weight.detach().numpy(), [[1.5, -2.0, 0.5]], atol=1e-2)


def test_optimizer_errors():
    with pytest.raises(ValueError, match="empty parameter list"):
        tg.optim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        tg.optim.Adam([tg.ones(2, requires_grad=True) * 2])
