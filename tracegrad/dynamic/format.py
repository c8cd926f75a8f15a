"""How tensors print: PyTorch's layout, so tutorial output reads the same.

``tensor([ 5., 10., 15., 20.])``, ``tensor(2.5000, grad_fn=<MeanBackward0>)``: floats
with four decimals, or none when every value is an integer, or scientific notation
when magnitudes span more than three decades; columns right-aligned; long tensors
summarised with ``...``. A dtype other than the defaults (float32, int64, bool) is
named as ``dtype=tg.float64``, where PyTorch writes ``torch.float64``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

_DEFAULT_DTYPES = ("float32", "int64", "bool")


def tensor_repr(t: Any, prefix: str = "tensor(") -> str:
    """The PyTorch-style text of tensor `t`.

    >>> import tracegrad as tg
    >>> tensor_repr(tg.tensor([5., 10., 15., 20.]))
    'tensor([ 5., 10., 15., 20.])'
    """
    data = t._data
    suffixes = []
    if data.size == 0:
        body = "[]"
        if data.shape != (0,):
            suffixes.append(f"size={tuple(data.shape)}")
    else:
        body = np.array2string(
            data, separator=", ", prefix=prefix, max_line_width=80, threshold=1000,
            edgeitems=3, formatter=_formatter(data),
        ).replace(", ..., ", ",  ..., ")  # PyTorch's spacing around the ellipsis
    if data.dtype.name not in _DEFAULT_DTYPES:
        suffixes.append(f"dtype=tg.{data.dtype.name}")
    if t.grad_fn is not None:
        suffixes.append(f"grad_fn=<{t.grad_fn.name()}>")
    elif t.requires_grad:
        suffixes.append("requires_grad=True")
    return prefix + ", ".join([body, *suffixes]) + ")"


def _formatter(data: np.ndarray) -> dict[str, Callable[[Any], str]]:
    if data.dtype == np.bool_:
        return {"bool": _padded([str(bool(v)) for v in np.unique(data)], str)}
    if data.dtype.kind in "iu":
        return {"int": _padded([str(v) for v in _sample(data)], str)}
    if data.dtype.kind == "c":
        return {}
    fmt = _float_format(data)
    return {"float_kind": _padded_float(data, fmt)}


def _float_format(data: np.ndarray) -> Callable[[float], str]:
    finite = data[np.isfinite(data)]
    nonzero = np.abs(finite[finite != 0]).astype(np.float64)
    if nonzero.size == 0:
        return lambda v: f"{v:.0f}."
    lo, hi = nonzero.min(), nonzero.max()
    integral = bool(np.all(nonzero == np.ceil(nonzero)))
    if hi / lo > 1000.0 or hi > 1.0e8 or (not integral and lo < 1.0e-4):
        return lambda v: f"{v:.4e}"
    if integral:
        return lambda v: f"{v:.0f}."
    return lambda v: f"{v:.4f}"


def _format_one(fmt: Callable[[float], str], v: float) -> str:
    if np.isnan(v):
        return "nan"
    if np.isinf(v):
        return "inf" if v > 0 else "-inf"
    return fmt(float(v))


def _padded_float(data: np.ndarray, fmt: Callable[[float], str]) -> Callable[[Any], str]:
    # PyTorch right-aligns every element to the widest one.
    width = max(len(_format_one(fmt, v)) for v in _sample(data))
    return lambda v: _format_one(fmt, v).rjust(width)


def _sample(data: np.ndarray) -> np.ndarray:
    # The elements that are printed: all of them, or the corners of a summary.
    if data.size <= 1000:
        return data.reshape(-1)
    corners = data
    for axis in range(data.ndim):
        if corners.shape[axis] > 6:
            corners = np.concatenate([np.take(corners, range(3), axis),
                                      np.take(corners, range(-3, 0), axis)], axis)
    return corners.reshape(-1)


def _padded(texts: list[str], fn: Callable[[Any], str]) -> Callable[[Any], str]:
    width = max(len(s) for s in texts)
    return lambda v: fn(v).rjust(width)
