"""The public transformations: thin wiring over the tracer, the passes and the runtime."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tracegrad.ir.graph import Graph
from tracegrad.runtime.dispatch import CompiledFunction
from tracegrad.tracer.trace import trace


def compile(
    fn: Callable | None = None,
    *,
    backend: str | None = None,
    static_argnums: int | Sequence[int] = (),
) -> Any:
    """Compile `fn` into a static graph, traced once per input signature.

    Usable as ``@compile`` and ``@compile(backend="numpy", static_argnums=(1,))``.
    A call with new shapes, dtypes, pytree structure or static values traces again;
    other calls hit the cache.

    >>> import numpy as np, tracegrad as tg
    >>> @tg.compile
    ... def f(x): return np.sum(np.sin(x) ** 2)
    >>> round(float(f(np.ones(3))), 6)
    2.124112
    """
    if fn is None:
        return lambda f: CompiledFunction(f, backend=backend, static_argnums=static_argnums)
    return CompiledFunction(fn, backend=backend, static_argnums=static_argnums)


def make_ir(fn: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., Graph]:
    """A function that traces `fn` on its arguments and returns the `Graph`.

    ``str(graph)`` is the readable text dump.

    >>> import numpy as np, tracegrad as tg
    >>> print(tg.make_ir(lambda x: np.exp(x))(np.ones(2)))
    graph(%0:f64[2]) -> (f64[2]) {
      %1:f64[2] = exp %0
      return %1
    }
    """
    if isinstance(fn, CompiledFunction):
        return lambda *args: fn.lower(*args).ir
    if static_argnums != ():
        return lambda *args: CompiledFunction(fn, static_argnums=static_argnums).lower(*args).ir
    return lambda *args: trace(fn, args).graph
