"""Differential tests: the same programs run on PyTorch and on tracegrad's dynamic mode
give the same values, gradients, grad_fn names, printouts, errors and training runs.

Skipped where PyTorch (``torch==2.13.0``) is not installed.
"""

import numpy as np
import pytest

import tracegrad.dynamic as tg

torch = pytest.importorskip("torch")


def run(m, program, arrays):
    """Run `program` with library `m` on leaves made from `arrays`: value and gradients."""
    leaves = [m.tensor(a, requires_grad=True) for a in arrays]
    out = program(m, *leaves)
    out.backward()
    return out, [t.grad.detach().numpy() for t in leaves]


def inplace_program(m, x, y):
    a = x * 1
    a.mul_(y)
    a.add_(1)
    a[0] = y[1] * 3
    return (a ** 2).sum()


PROGRAMS = {
    "poly_mean": lambda m, x, y: ((x ** 2 + 20) * y).mean(),
    "exp_log": lambda m, x, y: (x.exp() + (y * y + 1).log()).sum(),
    "trig": lambda m, x, y: (x.sin() * y.cos() + x.tanh() - y.atan()).sum(),
    "sigmoid_relu": lambda m, x, y: (x.sigmoid() * y.relu()).sum(),
    "matmul": lambda m, x, y: (x @ y.t()).tanh().sum(),
    "broadcast": lambda m, x, y: (x * y[0] + y.mean(dim=0)).pow(2).sum(),
    "indexing": lambda m, x, y: (x[1:, ::2] * y[0, 0]).sum() + x[[0, 2, 2]].sum(),
    "reductions": lambda m, x, y: x.max() + y.min() + x.std() + y.var(dim=1).sum() + x.norm(),
    "clamp_div": lambda m, x, y: (x.clamp(-0.5, 0.5) / (y.abs() + 1)).sum(),
    "softmax": lambda m, x, y: ((x.softmax(dim=1) * y).sum() + x.log_softmax(dim=0).sum()
                                + x.logsumexp(dim=1).sum()),
    "shapes": lambda m, x, y: ((x.view(-1).unsqueeze(0) * y.flatten()).sum()
                               + x.transpose(0, 1).sum(1).mean() + x.T.reshape(-1)[2:5].sum()),
    "sqrt_where": lambda m, x, y: ((x * x + 1).sqrt() + x.where(x > 0, y)).sum(),
    "maximum": lambda m, x, y: x.maximum(y).sum() + x.minimum(y * 2).prod(),
    "rpow_rsub": lambda m, x, y: (2.0 ** x + (1 - y) / (3 - x.abs())).sum(),
    "inplace": inplace_program,
    "split_cat": lambda m, x, y: m.cat([*x.split(1, dim=0), y], dim=0).exp().sum(),
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_values_and_gradients_match_pytorch(rng, name):
    arrays = [rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    ours, our_grads = run(tg, PROGRAMS[name], arrays)
    theirs, their_grads = run(torch, PROGRAMS[name], arrays)
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-10)
    for g, h in zip(our_grads, their_grads):
        assert g.dtype == h.dtype
        np.testing.assert_allclose(g, h, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("expr", [
    "x + y", "x * y", "x - y", "x / y", "x ** 2", "x ** y", "2 ** x", "-x", "x.mean()",
    "x.sum()", "x.sum(0)", "x.mean(dim=1)", "x @ y.t()", "x.exp()", "x.log()", "x.tanh()",
    "x.sigmoid()", "x.relu()", "x.sin()", "x.abs()", "x.sqrt()", "x.view(-1)",
    "x.reshape(4, 3)", "x.t()", "x.T", "x.unsqueeze(0)", "x.squeeze()", "x[0]", "x[1:]",
    "x[[0, 1]]", "x.flatten()", "x.transpose(0, 1)", "x.clone()", "x.max()", "x.std()",
    "x.softmax(dim=1)", "x.log_softmax(dim=1)", "x.expand(2, 3, 4)", "x.permute(1, 0)",
])
def test_grad_fn_names_match_pytorch(rng, expr):
    a, b = rng.standard_normal((3, 4)) + 3, rng.standard_normal((3, 4))
    names = []
    for m in (tg, torch):
        scope = {"x": m.tensor(a, requires_grad=True), "y": m.tensor(b, requires_grad=True)}
        names.append(eval(expr, scope).grad_fn.name())
    assert names[0] == names[1]


@pytest.mark.parametrize("values", [
    [5., 10., 15., 20.], [0.1, 0.25], 2.5, 3.0, [1e-5, 1.0], [1e9, 1.0],
    [[1.5, 2.0], [3.0, 4.0]], [1, 2, 3], [True, False], [-1.5, 2.0],
    [float("nan"), 1.5, float("inf")], [float(v) for v in range(2000)],
    [list(range(20))] * 60, [-1e-6, 5.0],
])
def test_printing_matches_pytorch(values):
    assert repr(tg.tensor(values)) == repr(torch.tensor(values))


def test_printing_with_autograd_matches_pytorch():
    for m in (tg, torch):
        x = m.tensor([1., 2.], requires_grad=True)
        m.printed = [repr(x), repr(x * 2), repr((x * 2).sum()),
                     repr(x.double() * 2).replace("torch.", "tg.")]
    assert tg.printed == torch.printed


def hook_program(m, x):
    h = x * 2
    h.register_hook(lambda g: g * 100)
    h.retain_grad()
    (h * h).sum().backward()
    return x.grad, h.grad


def accumulate_program(m, x):
    y = (x ** 3).sum()
    y.backward(retain_graph=True)
    y.backward()
    return (x.grad,)


def second_order_program(m, x):
    (g,) = m.autograd.grad((x ** 3).sin().sum(), x, create_graph=True)
    g.sum().backward()
    return g, x.grad


def function_program(m, x):
    class Cube(m.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t ** 3

        @staticmethod
        def backward(ctx, g):
            (t,) = ctx.saved_tensors
            return 3 * t ** 2 * g

    (Cube.apply(x).sin() * 2).sum().backward()
    return (x.grad,)


@pytest.mark.parametrize("program", [hook_program, accumulate_program, second_order_program,
                                     function_program])
def test_autograd_features_match_pytorch(rng, program):
    a = rng.standard_normal(5)
    ours = program(tg, tg.tensor(a, requires_grad=True))
    theirs = program(torch, torch.tensor(a, requires_grad=True))
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.detach().numpy(), t.detach().numpy(), rtol=1e-10)


ERRORS = {
    "non-scalar backward": lambda m, x: (x * 2).backward(),
    "second backward": lambda m, x: [y := (x ** 2).sum(), y.backward(), y.backward()],
    "int requires_grad": lambda m, x: m.tensor([1, 2], requires_grad=True),
    "numpy of requires_grad": lambda m, x: x.numpy(),
    "inplace on leaf": lambda m, x: x.add_(1),
    "saved tensor modified": lambda m, x: [a := x * 1, b := a * a, a.mul_(2),
                                           b.sum().backward()],
    "no grad_fn": lambda m, x: m.ones(2).sum().backward(),
    "item of many": lambda m, x: x.item(),
    "requires_grad of non-leaf": lambda m, x: (x * 2).requires_grad_(False),
    "hook without grad": lambda m, x: m.ones(2).register_hook(lambda g: g),
}


@pytest.mark.parametrize("name", sorted(ERRORS))
def test_errors_match_pytorch(name):
    for m in (tg, torch):
        with pytest.raises(RuntimeError):
            ERRORS[name](m, m.tensor([1.0, 2.0, 3.0], requires_grad=True))


def _same_model(rng):
    """A tracegrad model and a PyTorch model with the same weights."""
    tg.manual_seed(1)
    ours = tg.nn.Sequential(tg.nn.Linear(4, 8), tg.nn.Tanh(), tg.nn.Linear(8, 3))
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.Tanh(), torch.nn.Linear(8, 3))
    with torch.no_grad():
        for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
            q.copy_(torch.from_numpy(p.detach().numpy()))
    return ours, theirs


@pytest.mark.parametrize("optimizer, kwargs", [
    ("SGD", dict(lr=0.1, momentum=0.9, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.01)),
])
@pytest.mark.parametrize("loss", ["CrossEntropyLoss", "MSELoss"])
def test_training_matches_pytorch(rng, optimizer, kwargs, loss):
    x = rng.standard_normal((16, 4)).astype(np.float32)
    target = (rng.integers(0, 3, 16) if loss == "CrossEntropyLoss"
              else rng.standard_normal((16, 3)).astype(np.float32))
    ours, theirs = _same_model(rng)
    runs = []
    for m, model in ((tg, ours), (torch, theirs)):
        opt = getattr(m.optim, optimizer)(model.parameters(), **kwargs)
        loss_fn = getattr(m.nn, loss)()
        X, T = m.tensor(x), m.tensor(target)
        losses = []
        for _ in range(10):
            opt.zero_grad()
            value = loss_fn(model(X), T)
            value.backward()
            opt.step()
            losses.append(value.item())
        runs.append((losses, [p.detach().numpy() for p in model.parameters()]))
    np.testing.assert_allclose(runs[0][0], runs[1][0], rtol=2e-5)
    for p, q in zip(runs[0][1], runs[1][1]):
        np.testing.assert_allclose(p, q, rtol=1e-4, atol=1e-5)


def test_module_state_dict_loads_into_pytorch(rng):
    ours, theirs = _same_model(rng)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert repr(ours) == repr(theirs)
