"""The dynamic mode: eager tensors with a tape, PyTorch's names and semantics.

It runs the same ops as the static mode (their NumPy `impl`) and differentiates
with the same VJP rules, evaluated on the arrays saved during the forward pass:
one rule per op serves both modes. ``tracegrad`` re-exports `__all__`, so
``tg.tensor``, ``tg.no_grad``, ``tg.nn`` and ``tg.optim`` work as in PyTorch.

>>> import tracegrad as tg
>>> x = tg.tensor([10., 20., 30., 40.], requires_grad=True)
>>> f = (x ** 2 + 20).mean(); f.backward(); x.grad
tensor([ 5., 10., 15., 20.])
"""

from tracegrad.dynamic import autograd, nn, optim
from tracegrad.dynamic.creation import (
    arange,
    as_tensor,
    cat,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    get_default_dtype,
    is_tensor,
    linspace,
    manual_seed,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    set_default_dtype,
    tensor,
    zeros,
    zeros_like,
)
from tracegrad.dynamic.dtypes import *  # noqa: F403  (tg.float32, tg.int64, tg.bool, ...)
from tracegrad.dynamic.dtypes import __all__ as _dtype_names
from tracegrad.dynamic.function import Function
from tracegrad.dynamic.grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from tracegrad.dynamic.tensor import Tensor

__all__ = [
    "Function",
    "Tensor",
    "arange",
    "as_tensor",
    "autograd",
    "cat",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "get_default_dtype",
    "is_grad_enabled",
    "is_tensor",
    "linspace",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "set_default_dtype",
    "set_grad_enabled",
    "tensor",
    "zeros",
    "zeros_like",
    *_dtype_names,
]
