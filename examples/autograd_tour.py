"""A tour of tracegrad's dynamic mode: PyTorch's autograd tutorial, line by line.

Every behaviour of the eager, tape-based mode: leaves and ``requires_grad``,
``backward()`` and ``.grad`` accumulation, vector-Jacobian products, freed graphs and
``retain_graph``, ``no_grad``, ``detach``, in-place changes and the version counter,
hooks, ``retain_grad``, custom ``Function``s, ``nn`` modules and optimizers, and the
bridge to the static compiler.

The tour is written once against a library module ``m`` and prints what it gets. Run

    python examples/autograd_tour.py            # tracegrad's output
    python examples/autograd_tour.py --torch    # the same code on PyTorch
    python examples/autograd_tour.py --compare  # both, and every line that differs

PyTorch writes dtypes as ``torch.float64`` where tracegrad writes ``tg.float64``; the
comparison reads them as the same. Error messages are shortened to their first words.
"""

from __future__ import annotations

import sys
import warnings

import numpy as np


def tour(m, out) -> None:
    """Run the tour with library `m` (tracegrad or torch), printing through `out`."""
    is_tg = m.__name__ == "tracegrad"

    def show(code: str, value) -> None:
        out(f">>> {code}")
        out(repr(value) if not isinstance(value, str) else value)

    def error(code: str, fn) -> None:
        out(f">>> {code}")
        try:
            fn()
            out("(no error)")
        except Exception as exc:  # the tour prints the error, as a REPL would
            out(f"{type(exc).__name__}: {str(exc).splitlines()[0][:64]}...")

    out("# 1. Leaves, requires_grad, backward() and .grad")
    x = m.tensor([10., 20., 30., 40.], requires_grad=True)
    show("x", x)
    f = (x ** 2 + 20).mean()
    show("f = (x ** 2 + 20).mean(); f", f)
    f.backward()
    show("f.backward(); x.grad", x.grad)
    show("x.is_leaf, f.is_leaf, f.requires_grad", (x.is_leaf, f.is_leaf, f.requires_grad))
    show("f.grad_fn.name(), f.grad_fn.next_functions[0][0].name()",
         (f.grad_fn.name(), f.grad_fn.next_functions[0][0].name()))

    out("\n# 2. A vector-Jacobian product, and gradients that accumulate")
    y = m.tensor([1., 2., 3., 4.], requires_grad=True)
    z = x * y
    show("z = x * y; z", z)
    z.backward(m.tensor([1., 1., 1., 1.]))
    show("z.backward(tensor([1., 1., 1., 1.])); y.grad", y.grad)
    show("x.grad  # 5, 10, 15, 20 plus y: accumulated", x.grad)
    x.grad.zero_()
    w = x * 3
    g = m.tensor([1., 0.5, 0.25, 0.125])
    w.backward(g, retain_graph=True)
    w.backward(g)
    show("x.grad.zero_(); w = x * 3; w.backward(g, retain_graph=True); w.backward(g); x.grad",
         x.grad)

    out("\n# 3. The errors PyTorch users know")
    error("(x * 2).backward()", lambda: (x * 2).backward())
    f2 = (x ** 2).sum()
    f2.backward()
    error("f2 = (x ** 2).sum(); f2.backward(); f2.backward()", lambda: f2.backward())
    error("tensor([1, 2], requires_grad=True)", lambda: m.tensor([1, 2], requires_grad=True))
    error("x.numpy()", lambda: x.numpy())
    error("x.add_(1)", lambda: x.add_(1))
    show("x.detach().numpy()", x.detach().numpy())

    out("\n# 4. Turning recording off: no_grad, set_grad_enabled, detach")
    with m.no_grad():
        show("with no_grad(): (x * 2).requires_grad", (x * 2).requires_grad)
        with m.enable_grad():
            show("  with enable_grad(): (x * 2).requires_grad", (x * 2).requires_grad)

    @m.no_grad()
    def doubled(t):
        return t * 2

    show("@no_grad() def doubled(t): ...; doubled(x).requires_grad", doubled(x).requires_grad)
    m.set_grad_enabled(False)
    show("set_grad_enabled(False); (x * 2).requires_grad", (x * 2).requires_grad)
    m.set_grad_enabled(True)
    d = x.detach()
    show("d = x.detach(); d.requires_grad, d.is_leaf", (d.requires_grad, d.is_leaf))

    out("\n# 5. In-place changes and the version counter")
    a = x * 1
    b = a * a  # saves a for backward
    a.mul_(2)
    show("a = x * 1; b = a * a; a.mul_(2); a._version, a.grad_fn.name()",
         (a._version, a.grad_fn.name()))
    error("b.sum().backward()", lambda: b.sum().backward())
    c = x * 1
    e = c + 1  # saves nothing
    c.mul_(2)
    x.grad = None
    e.sum().backward()
    show("c = x * 1; e = c + 1; c.mul_(2); e.sum().backward(); x.grad", x.grad)
    with m.no_grad():
        x.data.mul_(1)
    show("x.data is tracked by nobody: x.requires_grad", x.requires_grad)

    out("\n# 6. Hooks, retain_grad, and .grad of non-leaves")
    x.grad = None
    h = x * 2
    h.retain_grad()
    handle = h.register_hook(lambda grad: grad * 10)
    (h * h).sum().backward()
    show("h = x * 2; h.retain_grad(); h.register_hook(lambda g: g * 10); "
         "(h * h).sum().backward(); h.grad", h.grad)
    show("x.grad", x.grad)
    handle.remove()
    k = x * 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        k.sum().backward()
        show("k = x * 2; k.sum().backward(); k.grad", k.grad)
    out(f"UserWarning: {str(caught[0].message)[:60]}...")

    out("\n# 7. A custom Function")

    class Sigmoid(m.autograd.Function):
        @staticmethod
        def forward(ctx, t):
            result = 1 / (1 + (-t).exp())
            ctx.save_for_backward(result)
            return result

        @staticmethod
        def backward(ctx, grad):
            (result,) = ctx.saved_tensors
            return grad * result * (1 - result)

    s_in = m.tensor([-1., 0., 1.], requires_grad=True)
    s = Sigmoid.apply(s_in)
    show("s = Sigmoid.apply(tensor([-1., 0., 1.], requires_grad=True)); s", s)
    s.sum().backward()
    show("s.sum().backward(); s_in.grad", s_in.grad)

    out("\n# 8. Indexing with gradient, and data-dependent Python control flow")
    v = m.tensor([3., -1., 4., -1., 5.], requires_grad=True)
    t = v[v > 0].sum() + v[1:3].prod() if v.sum() > 0 else v.sum()
    t.backward()
    show("t = v[v > 0].sum() + v[1:3].prod() if v.sum() > 0 else v.sum(); t", t)
    show("t.backward(); v.grad", v.grad)

    out("\n# 9. nn.Module and optim: the same training loop")
    model = m.nn.Sequential(m.nn.Linear(3, 1), m.nn.Flatten(0, 1))
    show("model", model)
    with m.no_grad():
        model[0].weight.copy_(m.tensor([[0.1, -0.2, 0.3]]))
        model[0].bias.fill_(0.0)
    xs = m.tensor([[1., 2., 3.], [4., 5., 6.], [7., 8., 9.], [1., 0., 1.]])
    ys = m.tensor([1., 2., 3., 0.5])
    opt = m.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = m.nn.MSELoss()
    for step in range(5):
        opt.zero_grad()
        loss = loss_fn(model(xs), ys)
        loss.backward()
        opt.step()
        out(f"step {step}: loss {loss.item():.4f}")
    show("model(xs).grad_fn.name(), loss.grad_fn.name()",
         (model(xs).grad_fn.name(), loss.grad_fn.name()))
    show("[name for name, _ in model.named_parameters()]",
         [name for name, _ in model.named_parameters()])
    logits = m.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
    ce = m.nn.CrossEntropyLoss()(logits, m.tensor([0, 2]))
    show("nn.CrossEntropyLoss()(logits, tensor([0, 2]))", ce)
    ce.backward()
    show("logits.grad", logits.grad)
    adam = m.optim.Adam([logits], lr=0.05)
    adam.step()
    show("optim.Adam([logits], lr=0.05).step(); logits", logits)

    if is_tg:
        bridge(m, out, model, xs, ys)


def bridge(tg, out, model, xs, ys) -> None:
    """tracegrad only: the same model compiled and differentiated by the static API."""
    out("\n# 10. The bridge: the same model as a static graph (tracegrad only)")

    def loss_of(params, x, y):
        pred = tg.nn.functional_call(model, params, x)
        return tg.nn.functional.mse_loss(pred, y)

    params = {k: p.detach() for k, p in model.named_parameters()}
    grads = tg.grad(loss_of)(params, xs, ys)
    model.zero_grad()
    loss_of(dict(model.named_parameters()), xs, ys).backward()
    same = all(np.allclose(grads[k], p.grad.numpy()) for k, p in model.named_parameters())
    out(">>> tg.grad(loss_of)(params, xs, ys) == the dynamic .grad")
    out(repr(same))
    out(">>> print(tg.make_ir(loss_of)(params, xs, ys))")
    out(str(tg.make_ir(loss_of)(params, xs, ys)))


def _lines(m) -> list[str]:
    lines: list[str] = []
    tour(m, lines.append)
    return "\n".join(lines).replace("torch.", "tg.").splitlines()


def main(argv: list[str]) -> int:
    if "--compare" in argv:
        import torch

        import tracegrad

        ours, theirs = _lines(tracegrad), _lines(torch)
        theirs += ours[len(theirs):]  # the tracegrad-only section
        differ = [(a, b) for a, b in zip(ours, theirs) if a != b]
        for a, b in differ:
            print(f"tracegrad: {a}\nPyTorch:   {b}\n")
        print(f"{len(ours) - len(differ)} of {len(ours)} lines as PyTorch prints them")
        return 0
    if "--torch" in argv:
        import torch as m
    else:
        import tracegrad as m
    tour(m, print)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
