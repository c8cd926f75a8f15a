"""The one current tracing context.

Nested transformations (``grad(grad(f))``, ``compile(grad(f))``) are IR-to-IR
passes over the graph being built, so a single staging level is enough: there is
at most one active `Builder`, and every op applied while it is active is staged
into it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tracegrad.ir.builder import Builder
from tracegrad.ops import primitive

_ACTIVE: list[Builder] = []


def current_builder() -> Builder | None:
    """The builder of the trace in progress, or None outside tracing."""
    return _ACTIVE[-1] if _ACTIVE else None


@contextmanager
def tracing(builder: Builder) -> Iterator[Builder]:
    """Make `builder` the current trace: ops on concrete values are staged into it."""
    from tracegrad.tracer.tracer import Tracer

    _ACTIVE.append(builder)
    primitive.AMBIENT.append(Tracer._tg_bind)
    try:
        yield builder
    finally:
        primitive.AMBIENT.pop()
        _ACTIVE.pop()
