"""tracegrad's peers, discovered rather than listed: one per backend, plus dynamic mode.

The backends are read from ``tracegrad.runtime.backends.available()`` and the
transformations a workload needs (``value_and_grad``, ``hessian``, ``tensor``...) are
looked up on the package, so new backends and modes show up in the tables without
editing the harness. Until a feature lands its row reads "missing: ...", and a
backend that raises while compiling is missing with the error's first line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks.harness import Missing, Peer, first_line
from benchmarks.peers import optional

# build(tg, backend, inputs) -> step, for a static peer; build(tg, inputs) -> step, dynamic.
StaticBuild = Callable[[ModuleType, str, dict[str, np.ndarray]], Callable[[], Sequence[Any]]]
DynamicBuild = Callable[[ModuleType, dict[str, np.ndarray]], Callable[[], Sequence[Any]]]


def backends() -> tuple[str, ...]:
    """The backend names tracegrad offers here; raises `Missing` if it cannot say."""
    try:
        from tracegrad.runtime import backends as registry
    except Exception as exc:  # tracegrad absent or mid-edit: its rows say why
        raise Missing(f"tracegrad backends unknown: {first_line(exc)}") from None
    return tuple(registry.available())


def static_peers(build: StaticBuild, needs: Sequence[str] = ("compile", "value_and_grad"),
                 ) -> list[Peer]:
    """One ``tracegrad[<backend>]`` peer per available backend, each built by `build`.

    The NumPy backend allocates through NumPy, so its memory is measured exactly
    (tracemalloc); compiled backends by resident-set growth.
    """
    try:
        names = backends()
    except Missing as exc:
        return [Peer("tracegrad", partial(_raise, exc))]
    return [
        Peer(f"tracegrad[{b}]", partial(_build_static, build, b, tuple(needs)),
             memory="tracemalloc" if b == "numpy" else "rss")
        for b in names
    ]


def dynamic_peer(build: DynamicBuild, needs: Sequence[str] = ("tensor",)) -> Peer:
    """The ``tracegrad dynamic`` peer (eager tensors and ``.backward()``)."""
    return Peer("tracegrad dynamic", partial(_build_dynamic, build, tuple(needs)),
                memory="tracemalloc")


def flat(tree: Any) -> tuple[Any, ...]:
    """The leaves of nested tuples/lists, in order: ``(v, (g1, g2))`` -> ``(v, g1, g2)``.

    >>> flat((1, (2, [3])))
    (1, 2, 3)
    """
    if type(tree) is tuple:  # already flat (the usual case): no copy, no generator
        for t in tree:
            if isinstance(t, (tuple, list)):
                break
        else:
            return tree
    if isinstance(tree, (tuple, list)):
        return tuple(leaf for t in tree for leaf in flat(t))
    return (tree,)


def _require(tg: ModuleType, needs: Sequence[str]) -> None:
    absent = [n for n in needs if not hasattr(tg, n)]
    if absent:
        raise Missing(f"tracegrad has no {', '.join('tg.' + n for n in absent)} yet")


def _build_static(build: StaticBuild, backend: str, needs: tuple[str, ...],
                  inputs: dict[str, np.ndarray]) -> Callable[[], Sequence[Any]]:
    tg = optional.tracegrad()
    _require(tg, needs)
    return build(tg, backend, inputs)


def _build_dynamic(build: DynamicBuild, needs: tuple[str, ...],
                   inputs: dict[str, np.ndarray]) -> Callable[[], Sequence[Any]]:
    tg = optional.tracegrad()
    _require(tg, needs)
    return build(tg, inputs)


def _raise(exc: Exception, inputs: dict[str, np.ndarray]) -> Callable[[], Sequence[Any]]:
    raise exc
