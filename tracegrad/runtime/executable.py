"""Executables: the callables a backend hands `CompiledFunction`.

`cpu_executable` is the CPU backend's factory. It looks the optimised graph up by
its hash first (`tracegrad.runtime.cache.graph_key`): a warm process imports the
stored program and loads Numba's cached machine code without scheduling or
generating code (the code generator, and networkx, are not even imported). On a
miss it generates the program (`tracegrad.codegen.cpu.generate`) and compiles it.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tracegrad.ir.graph import Graph
from tracegrad.runtime import cache


def signature(graph: Graph, consts: tuple[np.ndarray, ...]) -> list:
    """The Numba argument types a call is expected to have: C-contiguous arrays."""
    import numba

    types = [numba.types.Array(numba.from_dtype(v.dtype), len(v.shape), "C")
             for v in graph.inputs]
    return types + [numba.typeof(c) for c in consts]


def cpu_executable(graph: Graph, name: str, math: str | None = None,
                   fastmath: bool = False) -> Callable[[list], tuple]:
    """The backend factory: a callable taking the input arrays, returning the outputs.

    The callable carries ``.dispatcher`` (the Numba dispatcher, e.g. for
    ``.stats.cache_hits``); the plan and source are `generate`'s, also available
    from ``CompiledFunction.lower(...)``.

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(2))
    >>> cpu_executable(g, "double")([np.array([1.0, 2.0])])  # doctest: +SKIP
    (array([2., 4.]),)
    """
    from tracegrad.codegen.compile import load, load_stored

    # A warm process finds the program by the graph's hash: no scheduling, no code
    # generation, and networkx is never imported.
    from tracegrad.codegen.vecmath.select import math_mode

    math = math_mode(math)
    graph_hash = cache.graph_key(graph, f"math={math};fastmath={fastmath}")
    stored = cache.load_index(graph_hash)
    fn = load_stored(stored[0], signature(graph, stored[1])) if stored else None
    if fn is not None:
        consts = stored[1]
    else:
        from tracegrad.codegen.cpu import generate

        prog = generate(graph, name, math=math, fastmath=fastmath)
        consts = prog.consts
        fn = load(prog.source, signature(graph, consts))
        cache.store_index(graph_hash, cache.program_key(prog.source), consts)
    dtypes = [v.dtype for v in graph.inputs]

    def convert(args) -> list:
        # Python scalars, NumPy scalars, lists, dynamic-mode tensors: arrays of the
        # traced dtype (the fast path below never gets here).
        out = []
        for a, dt in zip(args, dtypes):
            if type(a) is not np.ndarray:
                data = getattr(a, "_tg_constant", None)
                a = np.asarray(data() if data is not None else a, dtype=dt)
            out.append(a)
        return out

    if consts:
        def run(args):
            for a in args:
                if type(a) is not np.ndarray:
                    return fn(*convert(args), *consts)
            return fn(*args, *consts)
    else:
        def run(args):
            for a in args:
                if type(a) is not np.ndarray:
                    return fn(*convert(args))
            return fn(*args)

    run.dispatcher = fn
    return _with_0d_arrays(run, graph) if any(not a.shape for a in graph.outputs) else run


def _with_0d_arrays(run: Callable[[list], tuple], graph: Graph) -> Callable[[list], tuple]:
    """`run` with its 0-d results, which the program returns as scalars (cheaper to
    box), turned into 0-d arrays of the output dtypes, as the other backends give.

    The wrapper is written out for the graph's outputs, e.g. ``return
    (asarray(out[0], d0), out[1])``: a loop over the outputs cost W3's step, which
    has three 0-d results among five, 0.3 us more than this one expression.
    """
    items = [f"asarray(out[{i}], d{i})" if not a.shape else f"out[{i}]"
             for i, a in enumerate(graph.outputs)]
    namespace = {"run": run, "asarray": np.asarray}
    namespace.update({f"d{i}": a.dtype for i, a in enumerate(graph.outputs) if not a.shape})
    exec(f"def run_0d(args):\n    out = run(args)\n    return ({', '.join(items)},)",
         namespace)
    run_0d = namespace["run_0d"]
    run_0d.dispatcher = run.dispatcher
    return run_0d
