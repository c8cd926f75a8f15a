"""The math and shape methods of `Tensor`, with PyTorch's names and arguments.

Each method is one call of the op catalogue (or of a NumPy-level composition from
`tracer/numpy_api.py`) run by `op`, which records everything the call binds as one
grad_fn with PyTorch's name (``x.mean()`` is one ``MeanBackward0``). PyTorch's
``dim``/``keepdim`` become NumPy's ``axis``/``keepdims``.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.dynamic.graph import record_as
from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops.primitive import bind
from tracegrad.ops.promote import broadcast_to_shape
from tracegrad.tracer.errors import ShapeError, UnsupportedError, user_error

# torch.return_types.max / min: the values and where they are.
MaxResult = namedtuple("max", ["values", "indices"])
MinResult = namedtuple("min", ["values", "indices"])


def op(name: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Apply `fn` (an op wrapper or NumPy-level function); one grad_fn named `name`."""
    return record_as(name, fn, *args, **kwargs)


def np_function(func: Callable) -> Callable:
    """tracegrad's implementation of NumPy function or ufunc `func` (``numpy_api``)."""
    from tracegrad.tracer import numpy_api

    fn = numpy_api.FUNCTIONS.get(func) or numpy_api.UFUNCS.get(func)
    if fn is None:
        raise user_error(UnsupportedError, f"np.{func.__name__} is not supported on tensors",
                         f"the supported functions are listed in {numpy_api.SUPPORTED_DOC}")
    return fn


def _functional() -> Any:
    from tracegrad.dynamic.nn import functional

    return functional


def _shape_arg(shape: tuple) -> tuple[int, ...]:
    """``view(2, 3)`` and ``view((2, 3))`` alike."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(d) for d in shape)


def _dim(dim: int, ndim: int) -> int:
    if not -ndim <= dim < max(ndim, 1):
        raise user_error(IndexError, f"Dimension out of range (expected to be in range of "
                                     f"[{-ndim}, {ndim - 1}], but got {dim})")
    return dim % ndim if ndim else 0


def _fresh(fn: Callable) -> Callable:
    """`fn`, but returning a new tensor (a view, as PyTorch's view ops do) where the op
    wrapper would hand back its input unchanged (a reshape to the same shape...)."""
    def apply(x: Any, *args: Any) -> Any:
        out = fn(x, *args)
        return bind(lay.reshape_p, x, shape=tuple(x.shape)) if out is x else out

    return apply


_reshape = _fresh(lay.reshape)
_transpose = _fresh(lay.transpose)
_expand = _fresh(broadcast_to_shape)


def _axis(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


class MathMethods:
    """Elementwise math, reductions, products and conversions."""

    __slots__ = ()

    # --- elementwise ----------------------------------------------------------------------

    def exp(self): return op("ExpBackward0", ew.exp, self)
    def log(self): return op("LogBackward0", ew.log, self)
    def log1p(self): return op("Log1PBackward0", ew.log1p, self)
    def expm1(self): return op("Expm1Backward0", ew.expm1, self)
    def sin(self): return op("SinBackward0", ew.sin, self)
    def cos(self): return op("CosBackward0", ew.cos, self)
    def tan(self): return op("TanBackward0", ew.tan, self)
    def tanh(self): return op("TanhBackward0", ew.tanh, self)
    def sinh(self): return op("SinhBackward0", ew.sinh, self)
    def cosh(self): return op("CoshBackward0", ew.cosh, self)
    def asin(self): return op("AsinBackward0", ew.asin, self)
    def acos(self): return op("AcosBackward0", ew.acos, self)
    def atan(self): return op("AtanBackward0", ew.atan, self)
    def sqrt(self): return op("SqrtBackward0", ew.sqrt, self)
    def rsqrt(self): return op("RsqrtBackward0", ew.rsqrt, self)
    def abs(self): return op("AbsBackward0", ew.abs, self)
    def neg(self): return op("NegBackward0", ew.neg, self)
    def sign(self): return op("SignBackward0", ew.sign, self)
    def floor(self): return op("FloorBackward0", ew.floor, self)
    def ceil(self): return op("CeilBackward0", ew.ceil, self)
    def reciprocal(self): return op("ReciprocalBackward0", ew.reciprocal, self)
    def square(self): return op("PowBackward0", ew.square, self)
    def sigmoid(self): return op("SigmoidBackward0", ew.logistic, self)
    def erf(self): return op("ErfBackward0", ew.erf, self)

    arcsin, arccos, arctan, negative, absolute = asin, acos, atan, neg, abs

    def relu(self):
        """``max(x, 0)``, with gradient 0 at 0 as in PyTorch."""
        return _functional().relu(self)

    def clamp(self, min: Any = None, max: Any = None):
        """Values limited to ``[min, max]``; the gradient is 1 inside (bounds included)."""
        return _functional().clamp(self, min, max)

    clip = clamp

    def pow(self, exponent: Any): return self ** exponent
    def add(self, other: Any, *, alpha: Any = 1): return self + _alpha(other, alpha)
    def sub(self, other: Any, *, alpha: Any = 1): return self - _alpha(other, alpha)
    def mul(self, other: Any): return self * other
    def div(self, other: Any): return self / other
    def maximum(self, other: Any): return op("MaximumBackward0", ew.max, self, other)
    def minimum(self, other: Any): return op("MinimumBackward0", ew.min, self, other)
    def atan2(self, other: Any): return op("Atan2Backward0", ew.atan2, self, other)

    subtract, multiply, divide, true_divide = sub, mul, div, div

    def eq(self, other: Any): return ew.eq(self, other)
    def ne(self, other: Any): return ew.ne(self, other)
    def lt(self, other: Any): return ew.lt(self, other)
    def le(self, other: Any): return ew.le(self, other)
    def gt(self, other: Any): return ew.gt(self, other)
    def ge(self, other: Any): return ew.ge(self, other)

    def where(self, condition: Any, other: Any):
        """``self`` where `condition` holds, else `other` (``torch.where(cond, self, other)``)."""
        return op("WhereBackward0", ew.select, condition, self, other)

    def masked_fill(self, mask: Any, value: Any):
        """`value` where `mask` is True."""
        return op("MaskedFillBackward0", ew.select, mask, value, self)

    def isnan(self): return np_function(np.isnan)(self)
    def isfinite(self): return np_function(np.isfinite)(self)

    # --- reductions -----------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None):
        """Sum over `dim` (all axes when None).

        >>> import tracegrad as tg
        >>> tg.tensor([[1., 2.], [3., 4.]]).sum(dim=0)
        tensor([4., 6.])
        """
        name = "SumBackward0" if dim is None else "SumBackward1"
        return op(name, np_function(np.sum), self, axis=_axis(dim), keepdims=keepdim,
                  dtype=dtype)

    def mean(self, dim: Any = None, keepdim: bool = False, *, dtype: Any = None):
        """Mean over `dim` (all axes when None)."""
        name = "MeanBackward0" if dim is None else "MeanBackward1"
        return op(name, np_function(np.mean), self, axis=_axis(dim), keepdims=keepdim,
                  dtype=dtype)

    def prod(self, dim: Any = None, keepdim: bool = False):
        name = "ProdBackward0" if dim is None else "ProdBackward1"
        return op(name, np_function(np.prod), self, axis=dim, keepdims=keepdim)

    def var(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: Any = None):
        """Variance with Bessel's correction by default (``correction=1``), as PyTorch."""
        ddof = (1 if unbiased else 0) if correction is None else correction
        return op("VarBackward0", np_function(np.var), self, axis=_axis(dim), ddof=ddof,
                  keepdims=keepdim)

    def std(self, dim: Any = None, unbiased: bool = True, keepdim: bool = False, *,
            correction: Any = None):
        """Standard deviation with ``correction=1`` by default, as PyTorch."""
        ddof = (1 if unbiased else 0) if correction is None else correction
        return op("StdBackward0", np_function(np.std), self, axis=_axis(dim), ddof=ddof,
                  keepdims=keepdim)

    def max(self, dim: Any = None, keepdim: bool = False):
        """The maximum; with `dim`, the ``(values, indices)`` along it; with a tensor,
        the elementwise maximum."""
        if dim is not None and not isinstance(dim, (int, np.integer)):
            return self.maximum(dim)
        if dim is None:
            return op("MaxBackward1", np_function(np.max), self)
        values = op("MaxBackward0", np_function(np.max), self, axis=dim, keepdims=keepdim)
        return MaxResult(values, self.argmax(dim, keepdim))

    def min(self, dim: Any = None, keepdim: bool = False):
        """The minimum; with `dim`, the ``(values, indices)`` along it."""
        if dim is not None and not isinstance(dim, (int, np.integer)):
            return self.minimum(dim)
        if dim is None:
            return op("MinBackward1", np_function(np.min), self)
        values = op("MinBackward0", np_function(np.min), self, axis=dim, keepdims=keepdim)
        return MinResult(values, self.argmin(dim, keepdim))

    def amax(self, dim: Any = None, keepdim: bool = False):
        return op("AmaxBackward0", np_function(np.max), self, axis=_axis(dim), keepdims=keepdim)

    def amin(self, dim: Any = None, keepdim: bool = False):
        return op("AminBackward0", np_function(np.min), self, axis=_axis(dim), keepdims=keepdim)

    def argmax(self, dim: Any = None, keepdim: bool = False):
        """Where the maximum is (int64; flat index when `dim` is None)."""
        return _index_result(np.argmax(self._data, axis=dim, keepdims=keepdim))

    def argmin(self, dim: Any = None, keepdim: bool = False):
        return _index_result(np.argmin(self._data, axis=dim, keepdims=keepdim))

    def all(self, dim: Any = None, keepdim: bool = False):
        return _index_result(np.all(self._data, axis=dim, keepdims=keepdim))

    def any(self, dim: Any = None, keepdim: bool = False):
        return _index_result(np.any(self._data, axis=dim, keepdims=keepdim))

    def norm(self, p: Any = 2, dim: Any = None, keepdim: bool = False):
        """The vector p-norm over `dim` (all elements when None), for p = 1 or 2."""
        if p not in (1, 2, "fro"):
            raise user_error(UnsupportedError, f"norm: p={p!r} is not supported",
                             "use p=1 or p=2, or write it with abs, pow and sum")
        if p == 1:
            return op("NormBackward1", lambda x: x.abs().sum(dim, keepdim), self)
        return op("NormBackward1", lambda x: (x * x).sum(dim, keepdim).sqrt(), self)

    def logsumexp(self, dim: Any, keepdim: bool = False):
        """``log(sum(exp(x), dim))`` computed stably."""
        return _functional().logsumexp(self, dim, keepdim)

    def softmax(self, dim: int):
        return _functional().softmax(self, dim)

    def log_softmax(self, dim: int):
        return _functional().log_softmax(self, dim)

    # --- products -------------------------------------------------------------------------

    def matmul(self, other: Any):
        """The matrix product with NumPy's (and PyTorch's) broadcasting rules."""
        from tracegrad.dynamic.tensor import _matmul_name

        return op(_matmul_name(self, other), np_function(np.matmul), self, other)

    def mm(self, other: Any):
        if self.ndim != 2 or getattr(other, "ndim", np.ndim(other)) != 2:
            raise user_error(RuntimeError, "mm: both operands must be matrices (2-d)")
        return self.matmul(other)

    def mv(self, vec: Any): return self.matmul(vec)
    def dot(self, other: Any): return self.matmul(other)
    def bmm(self, other: Any): return self.matmul(other)

    # --- conversions ----------------------------------------------------------------------

    def to(self, *args: Any, **kwargs: Any):
        """``to(dtype)``, ``to("cpu")`` or ``to(other_tensor)``: a converted tensor."""
        dtype = kwargs.get("dtype")
        for a in args:
            if hasattr(a, "_data"):
                dtype = a.dtype
            elif not isinstance(a, str):
                dtype = a
        device = kwargs.get("device") or next((a for a in args if isinstance(a, str)), "cpu")
        if str(device) != "cpu":
            raise user_error(RuntimeError, f"tracegrad's dynamic mode runs on the CPU; "
                                           f"device {device!r} is not available")
        if dtype is None or np.dtype(dtype) == self.dtype:
            return self
        return op("ToCopyBackward0", ew.convert, self, np.dtype(dtype))

    def type(self, dtype: Any = None):
        return self.dtype.name if dtype is None else self.to(dtype)

    def cpu(self): return self
    def contiguous(self): return self

    def clone(self):
        """A copy that stays connected to the graph (``CloneBackward0``)."""
        from tracegrad.dynamic.grad_mode import is_grad_enabled
        from tracegrad.dynamic.tensor import Tensor

        if not (self._requires_grad and is_grad_enabled()):
            return Tensor._wrap(self._data.copy())
        return op("CloneBackward0", ew.mul, self, 1)  # x * 1 keeps -0.0 and NaN payloads

    def new_tensor(self, data: Any):
        from tracegrad.dynamic.creation import tensor

        return tensor(data, dtype=self.dtype)

    def new_zeros(self, *size: Any):
        from tracegrad.dynamic.tensor import Tensor

        return Tensor._wrap(np.zeros(_shape_arg(size), self.dtype))

    def new_ones(self, *size: Any):
        from tracegrad.dynamic.tensor import Tensor

        return Tensor._wrap(np.ones(_shape_arg(size), self.dtype))

    def new_full(self, size: Any, fill_value: Any):
        from tracegrad.dynamic.tensor import Tensor

        return Tensor._wrap(np.full(_shape_arg((size,)), fill_value, self.dtype))

    def float(self): return self.to(np.float32)
    def double(self): return self.to(np.float64)
    def half(self): return self.to(np.float16)
    def long(self): return self.to(np.int64)
    def int(self): return self.to(np.int32)
    def bool(self): return self.to(np.bool_)


def _alpha(other: Any, alpha: Any) -> Any:
    return other if alpha == 1 else other * alpha


def _index_result(value: Any) -> Any:
    from tracegrad.dynamic.tensor import Tensor

    return Tensor._wrap(np.asarray(value))


class ShapeMethods:
    """Views and reshapes: view, reshape, flatten, squeeze, transpose, expand, ..."""

    __slots__ = ()

    def view(self, *shape: Any):
        """The same elements in a new shape (one entry may be -1).

        >>> import tracegrad as tg
        >>> tg.arange(6).view(2, -1).shape
        (2, 3)
        """
        return op("ViewBackward0", _reshape, self, _shape_arg(shape))

    def reshape(self, *shape: Any):
        return op("ViewBackward0", _reshape, self, _shape_arg(shape))

    def view_as(self, other: Any): return self.view(other.shape)
    def reshape_as(self, other: Any): return self.reshape(other.shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        """Axes `start_dim` to `end_dim` (inclusive) merged into one."""
        shape = self.shape
        if not shape:
            return self.reshape(1)
        s, e = _dim(start_dim, len(shape)), _dim(end_dim, len(shape))
        if s > e:
            raise user_error(RuntimeError, "flatten() has invalid args: start_dim cannot come "
                                           "after end_dim")
        merged = math.prod(shape[s:e + 1])
        return self.reshape(shape[:s] + (merged,) + shape[e + 1:])

    ravel = flatten

    def unflatten(self, dim: int, sizes: Any):
        d = _dim(dim, self.ndim)
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def unsqueeze(self, dim: int):
        """A new axis of size 1 at `dim`."""
        d = _dim(dim, self.ndim + 1)
        return op("UnsqueezeBackward0", _reshape, self, self.shape[:d] + (1,) + self.shape[d:])

    def squeeze(self, dim: Any = None):
        """Size-1 axes removed (only `dim`, when given and of size 1)."""
        shape = self.shape
        if dim is None:
            keep, name = [d for d in shape if d != 1], "SqueezeBackward0"
        else:
            dims = {_dim(d, len(shape)) for d in (dim if isinstance(dim, (tuple, list))
                                                    else (dim,))}
            keep = [n for i, n in enumerate(shape) if not (i in dims and n == 1)]
            name = "SqueezeBackward1"
        return op(name, _reshape, self, tuple(keep))

    def t(self):
        """The transpose of a matrix (vectors and scalars are returned as they are)."""
        if self.ndim > 2:
            raise user_error(RuntimeError, f"t() expects a tensor with <= 2 dimensions, but "
                                           f"self is {self.ndim}D")
        return self if self.ndim < 2 else op("TBackward0", _transpose, self, (1, 0))

    @property
    def T(self):
        return op("PermuteBackward0", _transpose, self, tuple(reversed(range(self.ndim))))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def transpose(self, dim0: int, dim1: int):
        """Axes `dim0` and `dim1` exchanged."""
        perm = list(range(self.ndim))
        a, b = _dim(dim0, self.ndim), _dim(dim1, self.ndim)
        perm[a], perm[b] = perm[b], perm[a]
        return op("TransposeBackward0", _transpose, self, tuple(perm))

    swapaxes = transpose

    def permute(self, *dims: Any):
        perm = tuple(_dim(d, self.ndim) for d in _shape_arg(dims))
        return op("PermuteBackward0", _transpose, self, perm)

    def expand(self, *sizes: Any):
        """A broadcast view (-1 keeps a size); written-to views must be cloned first."""
        sizes = _shape_arg(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise user_error(RuntimeError, f"expand: the number of sizes provided "
                                           f"({len(sizes)}) must be greater or equal to the "
                                           f"number of dimensions in the tensor ({self.ndim})")
        shape = tuple(self.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return op("ExpandBackward0", _expand, self, shape)

    def expand_as(self, other: Any): return self.expand(other.shape)
    def broadcast_to(self, *sizes: Any): return self.expand(*sizes)

    def unbind(self, dim: int = 0):
        """The slices along `dim`, as a tuple (one grad_fn with several outputs)."""
        d = _dim(dim, self.ndim)
        index = (slice(None),) * d
        return op("UnbindBackward0", lambda x: tuple(x[index + (i,)]
                                                     for i in range(x.shape[d])), self)

    def split(self, split_size: Any, dim: int = 0):
        """Pieces of `split_size` along `dim` (or of the sizes in a list)."""
        d = _dim(dim, self.ndim)
        n = self.shape[d]
        if isinstance(split_size, (int, np.integer)):
            sizes = [min(split_size, n - i) for i in range(0, n, split_size)]
        else:
            sizes = list(split_size)
            if sum(sizes) != n:
                raise user_error(ShapeError, f"split: sizes {sizes} do not add up to {n}")
        bounds = np.cumsum([0, *sizes])
        index = (slice(None),) * d
        return op("SplitBackward0", lambda x: tuple(
            x[index + (slice(int(a), int(b)),)] for a, b in zip(bounds[:-1], bounds[1:])), self)

    def chunk(self, chunks: int, dim: int = 0):
        n = self.shape[_dim(dim, self.ndim)]
        return self.split(-(-n // chunks), dim)
