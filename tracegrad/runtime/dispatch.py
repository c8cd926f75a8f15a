"""`CompiledFunction`: the callable `tg.compile` returns.

A call flattens the arguments, builds the signature key (pytree structure, shape
and dtype of every array leaf, values of static arguments), and looks it up; a
miss traces, optimises and prepares an executable for the backend; for the CPU
backend, the program loads or compiles on a background thread while the NumPy
interpreter answers (`tracegrad.runtime.tiered`). Inside another trace, a compiled
function is simply inlined: its graph becomes part of the outer one.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from tracegrad.autodiff.custom import inline_custom_calls
from tracegrad.ir.graph import Graph
from tracegrad.ir.passes import optimize
from tracegrad.runtime import backends, config, tiered
from tracegrad.tracer.context import current_builder
from tracegrad.tracer.errors import user_error
from tracegrad.tracer.pytree import TreeDef, tree_flatten, tree_unflatten
from tracegrad.tracer.trace import Traced, leaf_type, trace


@dataclass(frozen=True)
class Lowered:
    """What `CompiledFunction.lower` returns: every stage of one signature.

    `ir` is the traced graph, `optimized` the graph after the IR passes; for the
    CPU backend, `kernels` is the fusion plan and `source` the generated Numba code
    (generated on first access).
    """

    ir: Graph
    optimized: Graph
    in_tree: TreeDef
    out_tree: TreeDef
    backend: str
    name: str = "fn"
    options: tuple = ()  # code generation options, as (name, value) pairs

    @functools.cached_property
    def program(self) -> Any:
        """The CPU code generator's program for `optimized` (plan, kernels, source)."""
        from tracegrad.codegen.cpu import generate

        return generate(self.optimized, self.name, **dict(self.options))

    @property
    def kernels(self) -> Any:
        """The fusion plan: which nodes run in which kernel (print it)."""
        return self.program.plan

    @property
    def source(self) -> str:
        """The generated Numba source of the whole program."""
        return self.program.source

    def __str__(self) -> str:
        return str(self.optimized)


class CompiledFunction:
    """A function traced once per signature into a static graph, then executed.

    >>> import tracegrad as tg
    >>> f = tg.compile(lambda x: np.sum(x * x), backend="numpy")
    >>> float(f(np.arange(3.0)))
    5.0
    """

    def __init__(
        self,
        fn: Callable,
        *,
        backend: str | None = None,
        static_argnums: int | Sequence[int] = (),
        name: str | None = None,
        dump_stage: str = "ir",
        math: str | None = None,
        fastmath: bool = False,
        tiered: bool | None = None,
    ) -> None:
        self.fn = fn
        self.backend = backend or config.FLAGS.backend
        if self.backend not in backends.available():
            raise ValueError(
                f"unknown backend {self.backend!r}; available: {', '.join(backends.available())}"
            )
        if isinstance(static_argnums, int):
            static_argnums = (static_argnums,)
        self.static_argnums = tuple(sorted(int(i) for i in static_argnums))
        self.name = name or getattr(fn, "__name__", "fn")
        self.dump_stage = dump_stage
        if math is not None:
            from tracegrad.codegen.vecmath.select import math_mode

            math_mode(math)  # validate now, not at the first call
        self.options = (("math", math), ("fastmath", bool(fastmath)))
        self.tiered = tiered  # None: TRACEGRAD_TIERED decides at each compile
        self._cache: dict[Hashable, _Entry] = {}
        self._fast: dict[Hashable, _Entry] = {}
        self._compiling: list[threading.Thread] = []
        functools.update_wrapper(self, fn, updated=())

    # --- calling ---------------------------------------------------------------

    def __call__(self, *args: Any) -> Any:
        if current_builder() is not None:
            return self._inline(args)
        # Fast path: positional ndarrays and no static arguments (the hot loop of a
        # training step). The key includes the type, so tracers, tensors, scalars
        # and pytrees always take the general path below.
        if not self.static_argnums:
            try:
                key = tuple([(type(a), a.shape, a.dtype) for a in args])
            except AttributeError:
                key = None
            entry = self._fast.get(key) if key is not None else None
            if entry is not None:
                return entry.finish(entry.run(args))
        static, dynamic = self._split(args)
        leaves, tree = tree_flatten(dynamic)
        # Dynamic-mode tensors (an nn.Module's parameters) enter as their data.
        leaves = [x._tg_constant() if hasattr(x, "_tg_constant") else x for x in leaves]
        key = (tree, static, tuple(_leaf_key(x) for x in leaves))
        entry = self._cache.get(key)
        if entry is None:
            fast_key = None
            if not self.static_argnums and all(type(a) is np.ndarray for a in args):
                fast_key = tuple([(type(a), a.shape, a.dtype) for a in args])
            entry = self._build(args, partial(self._install, key, fast_key))
        return entry.finish(entry.run(leaves))

    def block_until_compiled(self) -> None:
        """Wait for the programs still compiling in the background (see
        `tracegrad.runtime.tiered`); afterwards every traced signature runs compiled.

        >>> import tracegrad as tg
        >>> f = tg.compile(lambda x: np.sum(np.tanh(x)))
        >>> _ = f(np.ones(3))  # answered by the interpreter
        >>> f.block_until_compiled()  # doctest: +SKIP
        """
        while self._compiling:
            self._compiling.pop().join()

    def lower(self, *args: Any) -> Lowered:
        """Trace and optimise for the signature of `args`, without running.

        >>> import tracegrad as tg
        >>> print(tg.compile(lambda x: x + 1.0).lower(np.ones(2)).ir)  # doctest: +SKIP
        """
        traced = self._trace_with_statics(args)
        graph = traced.graph
        if self.dump_stage == "adjoint":
            # A derivative's graph is shown after the IR passes: the raw adjoint is
            # full of multiplications by a seed of ones, literals like 2 - 1 and
            # nodes dead once the rules are emitted.
            graph = self._optimize(graph)
        return Lowered(graph, self._optimize(graph), traced.in_tree, traced.out_tree,
                       self.backend, self.name, self.options)

    @property
    def cache_size(self) -> int:
        """How many signatures have been traced and compiled."""
        return len(self._cache)

    # --- internals -------------------------------------------------------------------

    def _split(self, args: Sequence[Any]) -> tuple[tuple, tuple]:
        n = len(args)
        for i in self.static_argnums:
            if i >= n:
                raise user_error(
                    TypeError,
                    f"static_argnums={self.static_argnums} but {self.name} was called with "
                    f"{n} positional arguments",
                )
        static = tuple(_static_key(args[i]) for i in self.static_argnums)
        dynamic = tuple(a for i, a in enumerate(args) if i not in self.static_argnums)
        return static, dynamic

    def _trace_with_statics(self, args: Sequence[Any]) -> Traced:
        statics = {i: args[i] for i in self.static_argnums}
        dynamic = [a for i, a in enumerate(args) if i not in statics]

        def with_statics(*dyn: Any) -> Any:
            it = iter(dyn)
            full = [statics[i] if i in statics else next(it) for i in range(len(args))]
            return self.fn(*full)

        with_statics.__name__ = self.name
        return trace(with_statics, dynamic)

    def _inline(self, args: Sequence[Any]) -> Any:
        # Inside another trace the function's ops go straight into the outer graph
        # (a transformation's fn builds its derivative graph there too).
        return self.fn(*args)

    def _optimize(self, graph: Graph) -> Graph:
        return optimize(inline_custom_calls(graph), checks=config.FLAGS.checks)

    def _build(self, args: Sequence[Any], install: Callable[[_Entry], None]) -> _Entry:
        lowered = self.lower(*args)
        config.dump(self.dump_stage, self.name, str(lowered.ir))
        config.dump("optimized", self.name, str(lowered.optimized))
        if self._compiles_in_background():
            entry = _Entry(backends.make_executable("numpy", lowered.optimized, self.name),
                           lowered.out_tree)
            install(entry)
            # finished threads are dropped here, so that the list stays short
            self._compiling = [t for t in self._compiling if t.is_alive()]
            self._compiling.append(tiered.compile_in_background(
                partial(self._executable, lowered),
                lambda run: install(_Entry(run, lowered.out_tree)), self.name))
            return entry
        entry = _Entry(self._executable(lowered), lowered.out_tree)
        install(entry)
        return entry

    def _compiles_in_background(self) -> bool:
        tiered = config.FLAGS.tiered if self.tiered is None else self.tiered
        return tiered and self.backend == "cpu"

    def _executable(self, lowered: Lowered) -> Callable[[list], list]:
        run = backends.make_executable(self.backend, lowered.optimized, self.name,
                                       **dict(self.options))
        if self.backend == "cpu" and {"kernels", "source"} & config.FLAGS.dump:
            config.dump("kernels", self.name, str(lowered.kernels))
            config.dump("source", self.name, lowered.source)
        return run

    def _install(self, key: Hashable, fast_key: Hashable | None, entry: _Entry) -> None:
        # Plain dict stores: the background thread swapping in the compiled entry
        # needs no lock, and a call never sees a half-built one.
        self._cache[key] = entry
        if fast_key is not None:
            self._fast[fast_key] = entry


@dataclass(frozen=True)
class _Entry:
    run: Callable[[list], list]
    out_tree: TreeDef
    # The outputs' pytree from the executable's list, chosen once: a single array
    # or a flat tuple (a training step's usual result) skips the general unflatten,
    # which cost a microsecond per call for five outputs.
    finish: Callable[[Any], Any] = field(init=False)

    def __post_init__(self) -> None:
        tree = self.out_tree
        if tree.kind is None:
            finish = itemgetter(0)
        elif tree.kind is tuple and all(c.kind is None for c in tree.children):
            finish = tuple
        else:
            finish = partial(tree_unflatten, tree)
        object.__setattr__(self, "finish", finish)


def _leaf_key(x: Any) -> Hashable:
    """What of an argument leaf selects a compiled version: its type and weakness."""
    shape = getattr(x, "shape", None)
    dtype = getattr(x, "dtype", None)
    if shape is not None and dtype is not None and not hasattr(x, "_tg_constant"):
        return (tuple(shape), dtype, False)
    t, weak = leaf_type(x)
    return (t.shape, t.dtype, weak)


def _static_key(value: Any) -> Hashable:
    try:
        hash(value)
        return value
    except TypeError:
        if isinstance(value, np.ndarray):
            return ("ndarray", value.shape, value.dtype.str, value.tobytes())
        raise user_error(
            TypeError,
            f"a static argument must be hashable, got {type(value).__name__}",
            "pass a tuple instead of a list, or make the argument non-static",
        ) from None
