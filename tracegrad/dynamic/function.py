"""Custom differentiable operations: `Function` with ``forward(ctx, ...)`` and
``backward(ctx, ...)``, PyTorch's ``torch.autograd.Function``.

``forward`` runs with recording off; ``apply`` then makes one grad_fn node (named
``<Class>Backward``) whose backward calls the user's ``backward`` with tensors.
``ctx.save_for_backward`` keeps tensors as `Saved` values, so reading
``ctx.saved_tensors`` raises PyTorch's errors after the graph was freed or when a
saved tensor was modified in place.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.dynamic.grad_mode import is_grad_enabled, no_grad, set_grad_enabled
from tracegrad.dynamic.graph import Node, edge, node_class
from tracegrad.dynamic.saved import FREED, Saved
from tracegrad.dynamic.tensor import Tensor
from tracegrad.tracer.errors import user_error


class FunctionCtx:
    """What ``forward`` and ``backward`` share: saved tensors and any attributes."""

    def __init__(self, needs_input_grad: tuple[bool, ...]) -> None:
        self.needs_input_grad = needs_input_grad
        self.materialize_grads = True
        self._to_save: tuple = ()
        self._saved: list[Saved] | None = None
        self._non_differentiable: list[Any] = []

    def save_for_backward(self, *tensors: Any) -> None:
        """Keep `tensors` (inputs or outputs of forward) for ``backward``."""
        self._to_save = tensors

    @property
    def saved_tensors(self) -> tuple:
        """The tensors given to `save_for_backward`, checked for in-place changes."""
        if self._saved is None:
            raise user_error(RuntimeError, FREED)
        result = []
        for s in self._saved:
            if s is None:
                result.append(None)
                continue
            data = s.value()
            owner = s.tensor if s.tensor is not None else (s.ref() if s.ref else None)
            result.append(owner if owner is not None else Tensor._wrap(data))
        return tuple(result)

    def mark_non_differentiable(self, *tensors: Any) -> None:
        """Outputs that get no gradient (indices, masks)."""
        self._non_differentiable.extend(tensors)

    def set_materialize_grads(self, value: bool) -> None:
        """Whether ``backward`` receives zeros (True, default) or None for unused outputs."""
        self.materialize_grads = value

    def mark_dirty(self, *tensors: Any) -> None:
        """Accepted for compatibility; in-place custom functions are not tracked."""


class Function:
    """Subclass with static ``forward(ctx, *args)`` and ``backward(ctx, *grads)``; call
    ``MyFunction.apply(*args)``. ``backward`` returns one gradient per forward argument
    (None for arguments that need none).

    >>> import tracegrad as tg
    >>> class Square(tg.Function):
    ...     @staticmethod
    ...     def forward(ctx, x):
    ...         ctx.save_for_backward(x)
    ...         return x * x
    ...     @staticmethod
    ...     def backward(ctx, g):
    ...         (x,) = ctx.saved_tensors
    ...         return 2 * x * g
    >>> x = tg.tensor([3.], requires_grad=True)
    >>> Square.apply(x).backward(); x.grad
    tensor([6.])
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx: FunctionCtx, *grad_outputs: Any) -> Any:
        raise NotImplementedError("a Function subclass must define backward(ctx, ...)")

    @classmethod
    def apply(cls, *args: Any, **kwargs: Any) -> Any:
        """Run ``forward`` and, if an input requires grad, record one grad_fn for it."""
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        ctx = FunctionCtx(needs)
        with no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        many = isinstance(out, tuple)
        outs = list(out) if many else [out]
        for i, o in enumerate(outs):
            if isinstance(o, Tensor) and any(o is a for a in args):
                outs[i] = o.detach()  # an input returned as it is: a new tensor, same memory
        if is_grad_enabled() and any(needs):
            edges = [edge(a) if n else (None, 0) for a, n in zip(args, needs)]
            node = node_class(cls.__name__ + "Backward", FunctionNode)(cls, ctx, edges, args, outs)
            for i, o in enumerate(outs):
                if (isinstance(o, Tensor) and o.dtype.kind in "fc"
                        and not any(o is t for t in ctx._non_differentiable)):
                    o.grad_fn, o._output_nr, o._requires_grad = node, i, True
        ctx._saved = [_save(t, outs) for t in ctx._to_save]
        ctx._to_save = ()
        return tuple(outs) if many else outs[0]


def _save(t: Any, outs: list) -> Saved | None:
    if t is None:
        return None
    if not isinstance(t, Tensor):
        raise TypeError(f"save_for_backward can only save tensors, got {type(t).__name__}")
    if any(t is o for o in outs):  # an output: no strong reference back to its grad_fn
        return Saved(t._data, t._version_counter, ref=t)
    return Saved(t._data, t._version_counter, tensor=t)


class FunctionNode(Node):
    """The grad_fn of a `Function` call: calls the user's ``backward``."""

    def __init__(self, fn: type, ctx: FunctionCtx, edges: list, args: tuple, outs: list) -> None:
        super().__init__(edges, len(outs))
        self._fn, self._ctx = fn, ctx
        self._in_meta = [(a.shape, a.dtype) if isinstance(a, Tensor) else None for a in args]
        self._out_meta = [(o.shape, o.dtype) if isinstance(o, Tensor) else None for o in outs]

    def apply(self, grads: list, create_graph: bool) -> list:
        gs = [self._grad_in(g, meta) for g, meta in zip(grads, self._out_meta)]
        with set_grad_enabled(create_graph):
            result = self._fn.backward(self._ctx, *gs)
        result = list(result) if isinstance(result, (tuple, list)) else [result]
        n = len(self.next_functions)
        if len(result) > n and all(r is None for r in result[n:]):
            result = result[:n]
        if len(result) != n:
            raise user_error(RuntimeError, f"function {self.name()} returned an incorrect "
                                           f"number of gradients (expected {n}, got {len(result)})")
        return [self._grad_out(i, r, create_graph) for i, r in enumerate(result)]

    def _grad_in(self, g: Any, meta: Any) -> Any:
        if g is None:
            if meta is None or not self._ctx.materialize_grads:
                return None
            return Tensor._wrap(np.zeros(*meta))
        return g if isinstance(g, Tensor) else Tensor._wrap(g)

    def _grad_out(self, i: int, r: Any, create_graph: bool) -> Any:
        if r is None or self.next_functions[i][0] is None:
            return None
        shape, dtype = self._in_meta[i]
        value = r if isinstance(r, Tensor) else Tensor._wrap(np.asarray(r))
        if value.shape != shape:
            raise user_error(
                RuntimeError,
                f"Function {self.name()} returned an invalid gradient at index {i} - got "
                f"{list(value.shape)} but expected shape compatible with {list(shape)}",
            )
        if value.dtype != dtype:
            value = value.to(dtype)
        return value if create_graph else value._data

    def release(self) -> None:
        if self._ctx._saved is not None:
            for s in self._ctx._saved:
                if s is not None:
                    s.free()
