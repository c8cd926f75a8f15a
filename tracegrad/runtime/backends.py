"""The backends a graph can be executed on, by name.

A backend is a factory ``make_executable(graph, name, **options) -> callable(list
of arrays) -> list of arrays``; options are code generation switches (``math``,
``fastmath``) that a backend may ignore. Factories are named by import path and loaded on first use,
so `import tracegrad` does not import Numba.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from tracegrad.ir.graph import Graph

Executable = Callable[[list], list]

_FACTORIES: dict[str, str] = {
    "numpy": "tracegrad.runtime.interpreter:make_executable",
    "cpu": "tracegrad.runtime.executable:cpu_executable",
}


def available() -> tuple[str, ...]:
    """The backend names `tg.compile(backend=...)` accepts."""
    return tuple(_FACTORIES)


def make_executable(backend: str, graph: Graph, name: str, **options: object) -> Executable:
    """An executable of `graph` for `backend` (see the module docstring).

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: x + 1.0)(np.zeros(2))
    >>> make_executable("numpy", g, "f")([np.ones(2)])
    [array([2., 2.])]
    """
    module, attr = _FACTORIES[backend].split(":")
    return getattr(importlib.import_module(module), attr)(graph, name, **options)
