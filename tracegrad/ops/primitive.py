"""The op record (`Primitive`), the registry, and `bind`, the single dispatch point.

Every operation of tracegrad is one `Primitive` made by `defop` next to its public
wrapper. `bind(prim, *args, **params)` applies it: with traced arguments it adds a
node to the graph being built, with dynamic-mode tensors it runs eagerly and records
a tape entry, and with plain arrays it runs the NumPy `impl`. Which of these happens
is decided by the argument types' `_tg_bind` hook (the highest `_tg_priority` wins),
so this module knows nothing of tracers or tensors.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracegrad.ir.types import TensorType

# Marker for an input through which no gradient flows (comparisons, indices, ...).
NOT_DIFFERENTIABLE = "not differentiable"


@dataclass(eq=False)
class Primitive:
    """One op of the catalogue and all its rules.

    - ``type_rule(*in_types, **params) -> TensorType`` (or a tuple when
      ``multiple_results``): checks the inputs and gives the output type.
    - ``impl(*arrays, **params) -> ndarray``: the NumPy reference semantics.
    - ``vjp(g, out, *inputs, **params) -> tuple`` of one cotangent per input, each
      built with tracegrad's own ops, ``None`` for a symbolic zero; or the string
      `NOT_DIFFERENTIABLE`.
    - ``jvp(tangents, out, *inputs, **params) -> tangent`` with ``None`` entries in
      `tangents` for symbolic zeros; or `NOT_DIFFERENTIABLE`.
    - ``emit``: the scalar expression template of an elementwise op for code
      generation (``"math.sin({0})"``); ``None`` for ops that are not elementwise.
    """

    name: str
    type_rule: Callable[..., Any]
    impl: Callable[..., Any]
    vjp: Callable[..., Any] | str | None = None
    jvp: Callable[..., Any] | str | None = None
    emit: str | None = None
    elementwise: bool = False
    multiple_results: bool = False

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"

    def __call__(self, *args: Any, **params: Any) -> Any:
        return bind(self, *args, **params)


REGISTRY: dict[str, Primitive] = {}

# Staging handlers of active traces, innermost last. While a function is being
# traced, ops applied to concrete values are staged into its graph too (JAX's
# "omnistaging"), so that e.g. a zero-filled gradient is a broadcast node in the
# IR rather than a large literal; constant folding later decides what to evaluate.
AMBIENT: list[Callable[[Primitive, tuple, dict], Any]] = []


def defop(name: str, **fields: Any) -> Primitive:
    """Create and register a primitive; see `Primitive` for the fields.

    >>> neg_p = defop("neg", type_rule=lambda x: x, impl=np.negative)  # doctest: +SKIP
    """
    if name in REGISTRY:
        raise ValueError(f"op {name!r} is defined twice")
    prim = Primitive(name, **fields)
    REGISTRY[name] = prim
    return prim


def bind(prim: Primitive, *args: Any, **params: Any) -> Any:
    """Apply `prim` to `args`: trace it, run it eagerly, or evaluate it on arrays.

    >>> from tracegrad.ops.elementwise import exp_p
    >>> float(bind(exp_p, np.float64(0.0)))
    1.0
    """
    handler = None
    for a in args:
        hook = getattr(type(a), "_tg_bind", None)
        if hook is not None and (handler is None or type(a)._tg_priority > handler._tg_priority):
            handler = type(a)
    if handler is not None:
        return handler._tg_bind(prim, args, params)
    if AMBIENT:
        return AMBIENT[-1](prim, args, params)
    return evaluate(prim, args, params)


def evaluate(prim: Primitive, args: tuple, params: dict) -> Any:
    """Run `prim`'s NumPy implementation on concrete values, checking its type rule."""
    arrays = [np.asarray(a) for a in args]
    out_type = prim.type_rule(*[TensorType.of_array(a) for a in arrays], **params)
    result = prim.impl(*arrays, **params)
    if prim.multiple_results:
        return tuple(_as_type(r, t) for r, t in zip(result, out_type))
    return _as_type(result, out_type)


def _as_type(value: Any, t: TensorType) -> np.ndarray:
    # NumPy returns scalars for 0-d results and may pick another dtype for some
    # ufunc/argument combinations; the type rule is the contract, so enforce it.
    arr = np.asarray(value)
    if arr.dtype != t.dtype:
        arr = arr.astype(t.dtype)
    if arr.shape != t.shape:
        raise AssertionError(f"impl of shape {arr.shape} disagrees with type rule {t}")
    return arr
