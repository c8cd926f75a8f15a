"""Custom `Function`s: forward/backward with ctx, PyTorch's semantics."""

import numpy as np
import pytest

import tracegrad.dynamic as tg


class Sigmoid(tg.Function):
    @staticmethod
    def forward(ctx, x):
        out = 1 / (1 + (-x).exp())
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class ScaleBy(tg.Function):
    @staticmethod
    def forward(ctx, x, factor, k):
        ctx.k = k
        ctx.save_for_backward(x, factor)
        return x * factor * k

    @staticmethod
    def backward(ctx, g):
        x, factor = ctx.saved_tensors
        seen.append(ctx.needs_input_grad)
        return g * factor * ctx.k, (g * x * ctx.k).sum(), None


seen: list = []


def test_custom_sigmoid_matches_builtin(rng):
    a = rng.standard_normal(5)
    x = tg.tensor(a, requires_grad=True)
    y = Sigmoid.apply(x)
    assert y.grad_fn.name() == "SigmoidBackward" and not y.is_leaf
    y.sum().backward()
    s = 1 / (1 + np.exp(-a))
    np.testing.assert_allclose(y.detach().numpy(), s)
    np.testing.assert_allclose(x.grad.numpy(), s * (1 - s))


def test_forward_is_not_recorded_and_needs_input_grad(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    f = tg.tensor(2.0, dtype=tg.float64)
    seen.clear()
    out = ScaleBy.apply(x, f, 3)
    assert isinstance(out.grad_fn.next_functions[0][0], object)
    assert out.grad_fn.next_functions[1] == (None, 0)
    out.sum().backward()
    assert seen == [(True, False, False)]
    np.testing.assert_allclose(x.grad.numpy(), 6)


def test_saved_tensors_are_freed_after_backward(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    y = Sigmoid.apply(x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        y.backward()


def test_saved_tensor_modified_in_place(rng):
    x = tg.tensor(rng.standard_normal(3), requires_grad=True)
    a = x * 1
    f = tg.tensor(2.0, dtype=tg.float64)
    out = ScaleBy.apply(a, f, 1)
    a.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        out.sum().backward()


def test_wrong_number_of_gradients(rng):
    class Bad(tg.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return g

    x = tg.tensor(rng.standard_normal(2), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"returned an incorrect number of gradients "
                                           r"\(expected 2, got 1\)"):
        Bad.apply(x, x).sum().backward()


def test_no_graph_when_no_input_requires_grad(rng):
    y = Sigmoid.apply(tg.tensor(rng.standard_normal(2)))
    assert y.grad_fn is None and not y.requires_grad


def test_function_composes_with_builtin_ops(rng):
    a = rng.standard_normal(4)
    x = tg.tensor(a, requires_grad=True)
    (Sigmoid.apply(x * 2) ** 2).sum().backward()
    s = 1 / (1 + np.exp(-2 * a))
    np.testing.assert_allclose(x.grad.numpy(), 2 * s * s * (1 - s) * 2)
