"""``tg.nn.functional``: activations and losses written with the op catalogue only.

Each function works on whatever kind of value flows: dynamic tensors (one grad_fn
per call, with PyTorch's name), tracers (so a module's forward can be compiled with
`tg.compile`), or NumPy arrays. That is what lets the same model train both ways.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.dynamic.graph import record_as
from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops.promote import dtype_of, shape_of
from tracegrad.tracer import numpy_api as npa
from tracegrad.tracer.errors import ShapeError, user_error


def relu(x: Any) -> Any:
    """``max(x, 0)``; the gradient at 0 is 0, as in PyTorch.

    >>> relu(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    return record_as("ReluBackward0", lambda x: ew.select(ew.gt(x, 0), x, 0), x)


def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``.

    >>> sigmoid(np.array([0.0]))
    array([0.5])
    """
    return record_as("SigmoidBackward0", ew.logistic, x)


def tanh(x: Any) -> Any:
    """Hyperbolic tangent.

    >>> tanh(np.array([0.0]))
    array([0.])
    """
    return record_as("TanhBackward0", ew.tanh, x)


def clamp(x: Any, min: Any = None, max: Any = None) -> Any:
    """`x` limited to ``[min, max]``; the gradient is 1 inside, bounds included.

    >>> clamp(np.array([-2.0, 0.5, 3.0]), -1, 1)
    array([-1. ,  0.5,  1. ])
    """
    if min is None and max is None:
        raise user_error(RuntimeError, "clamp: At least one of 'min' or 'max' must not be None")

    def clamped(x: Any) -> Any:
        if min is not None:
            x = ew.select(ew.lt(x, min), min, x)
        if max is not None:
            x = ew.select(ew.gt(x, max), max, x)
        return x

    return record_as("ClampBackward1", clamped, x)


def linear(x: Any, weight: Any, bias: Any = None) -> Any:
    """``x @ weight.T + bias`` (weight is ``(out_features, in_features)``).

    >>> linear(np.ones((2, 3)), np.ones((4, 3)), np.zeros(4)).shape
    (2, 4)
    """
    ndim = len(shape_of(x))
    if bias is None:
        name = "MmBackward0" if ndim == 2 else "MatmulBackward0"
    else:
        name = "AddmmBackward0" if ndim == 2 else "AddBackward0"

    def affine(x: Any, weight: Any, bias: Any) -> Any:
        y = npa.matmul(x, npa.transpose(weight))
        return y if bias is None else ew.add(y, bias)

    return record_as(name, affine, x, weight, bias)


def flatten(x: Any, start_dim: int = 0, end_dim: int = -1) -> Any:
    """Axes `start_dim` to `end_dim` (inclusive) merged into one.

    >>> flatten(np.ones((2, 3, 4)), 1).shape
    (2, 12)
    """
    shape = shape_of(x)
    if not shape:
        return record_as("ViewBackward0", lay.reshape, x, (1,))
    s, e = start_dim % len(shape), end_dim % len(shape)
    merged = int(np.prod(shape[s:e + 1], dtype=np.int64))
    return record_as("ViewBackward0", lay.reshape, x, shape[:s] + (merged,) + shape[e + 1:])


def _shifted(x: Any, dim: int) -> Any:
    # Subtracting the (constant) maximum keeps exp() from overflowing; it changes
    # neither the value nor the gradient of (log-)softmax.
    return ew.sub(x, ew.stop_gradient(npa.amax(x, axis=dim, keepdims=True)))


def log_softmax(x: Any, dim: int) -> Any:
    """``x - logsumexp(x, dim)``, computed stably.

    >>> np.exp(log_softmax(np.zeros((1, 4)), 1))
    array([[0.25, 0.25, 0.25, 0.25]])
    """
    def impl(x: Any) -> Any:
        z = _shifted(x, dim)
        return ew.sub(z, ew.log(npa.sum(ew.exp(z), axis=dim, keepdims=True)))

    return record_as("LogSoftmaxBackward0", impl, x)


def softmax(x: Any, dim: int) -> Any:
    """``exp(x) / sum(exp(x), dim)``, computed stably.

    >>> softmax(np.zeros((1, 2)), 1)
    array([[0.5, 0.5]])
    """
    def impl(x: Any) -> Any:
        e = ew.exp(_shifted(x, dim))
        return ew.div(e, npa.sum(e, axis=dim, keepdims=True))

    return record_as("SoftmaxBackward0", impl, x)


def logsumexp(x: Any, dim: Any, keepdim: bool = False) -> Any:
    """``log(sum(exp(x), dim))``, computed stably.

    >>> round(float(logsumexp(np.zeros(4), 0)), 4)
    1.3863
    """
    def impl(x: Any) -> Any:
        m = ew.stop_gradient(npa.amax(x, axis=dim, keepdims=True))
        out = ew.add(ew.log(npa.sum(ew.exp(ew.sub(x, m)), axis=dim, keepdims=True)), m)
        return out if keepdim else npa.squeeze(out, axis=dim)

    return record_as("LogsumexpBackward0", impl, x)


def _reduce(loss: Any, reduction: str) -> Any:
    if reduction == "mean":
        return npa.mean(loss)
    if reduction == "sum":
        return npa.sum(loss)
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


def mse_loss(input: Any, target: Any, reduction: str = "mean") -> Any:
    """The mean (or sum) of squared differences.

    >>> float(mse_loss(np.array([1.0, 3.0]), np.array([0.0, 0.0])))
    5.0
    """
    def impl(input: Any, target: Any) -> Any:
        d = ew.sub(input, target)
        return _reduce(ew.mul(d, d), reduction)

    return record_as("MseLossBackward0", impl, input, target)


def cross_entropy(input: Any, target: Any, reduction: str = "mean",
                  ignore_index: int = -100) -> Any:
    """Softmax cross-entropy of logits `input` (classes on axis 1, or 0 for one sample)
    against class indices (ints; `ignore_index` is skipped) or class probabilities.

    >>> round(float(cross_entropy(np.zeros((2, 4)), np.array([0, 3]))), 4)
    1.3863
    """
    shape = shape_of(input)
    axis = 1 if len(shape) >= 2 else 0
    if dtype_of(target).kind == "f":
        name = "NegBackward0"

        def impl(input: Any, target: Any) -> Any:
            logp = log_softmax(input, axis)
            return _reduce(ew.neg(npa.sum(ew.mul(target, logp), axis=axis)), reduction)
    else:
        name = "NllLossBackward0"
        tshape = shape_of(target)
        if tshape != shape[:axis] + shape[axis + 1:]:
            raise user_error(ShapeError, f"cross_entropy: target of shape {tshape} does not fit "
                                         f"input of shape {shape} (classes on axis {axis})")

        def impl(input: Any, target: Any) -> Any:
            logp = log_softmax(input, axis)
            classes = np.arange(shape[axis]).reshape((-1,) + (1,) * (len(shape) - axis - 1))
            picked = ew.eq(lay.reshape(target, tshape[:axis] + (1,) + tshape[axis:]), classes)
            valid = ew.ne(target, ignore_index)
            losses = ew.neg(npa.sum(ew.mul(logp, ew.convert(picked, dtype_of(logp))), axis=axis))
            if reduction == "mean":
                count = npa.sum(ew.convert(valid, dtype_of(logp)))
                return ew.div(npa.sum(losses), count)
            return _reduce(losses, reduction)

    return record_as(name, impl, input, target)
