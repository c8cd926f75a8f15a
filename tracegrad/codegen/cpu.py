"""The Numba CPU backend: one ``@numba.njit`` program per compiled function.

`generate` partitions the graph (`schedule`), lowers each group to a kernel
(`kernel`) and writes them, in order, into the body of a single function
``program(inputs..., constants...)`` that returns a tuple of the outputs, so a
call costs one Numba dispatch. `make_executable` is the backend factory named in
`tracegrad.runtime.backends`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tracegrad.codegen import mathlib
from tracegrad.codegen.kernel import Env, Kernel, lower
from tracegrad.codegen.rewrite import prepare
from tracegrad.codegen.schedule import LOOP, Plan, partition
from tracegrad.codegen.source import Writer, render
from tracegrad.ir.graph import Const, Graph


@dataclass(frozen=True)
class Program:
    """A generated program: its plan, kernels, source and array-literal arguments."""

    name: str
    plan: Plan
    kernels: list[Kernel]
    source: str
    consts: tuple[np.ndarray, ...]
    parallel: bool

    def __str__(self) -> str:
        return self.source


def generate(graph: Graph, name: str = "fn") -> Program:
    """The Numba source of `graph` (nothing is compiled).

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x) * 2.0)(np.ones(4))
    >>> "math.sin" in generate(g, "f").source
    True
    """
    graph = prepare(graph)
    plan = partition(graph)
    env = Env(plan)
    # BLAS runs its own threads, and they spin after each call: a prange loop in
    # the same program then waits for cores they hold (on 2 cores each call costs
    # milliseconds). A program that calls BLAS keeps its loops serial.
    serial = any(g.kind == "dot_general" and _uses_blas(g) for g in plan.groups)
    kernels = [lower(g, env, allow_parallel=not serial) for g in plan.groups]
    returns = _returns(graph, plan, env)  # may add array literals to env.consts
    parallel = any(k.parallel for k in kernels)

    w = Writer()
    w.line(f"# tracegrad program for `{name}` (generated code; edits are overwritten)")
    w.line(f"# {str(graph).splitlines()[0].rstrip(' {')}")
    w.line("import math")
    w.line()
    w.line("import numba")
    w.line("import numpy as np")
    w.line("from numba import prange")
    w.lines.append("")
    w.lines.append("")
    flags = "cache=True, fastmath=False, error_model=\"numpy\", nogil=True"
    w.line(f"@numba.njit({flags}{', parallel=True' if parallel else ''})")
    params = [env.buf(v) for v in graph.inputs] + [f"c{j}" for j in range(len(env.consts))]
    w.line(f"def program({', '.join(params)}):")
    w.depth += 1
    for v in graph.inputs:
        if v in env.contiguous:
            w.line(f"{env.buf(v)} = np.ascontiguousarray({env.buf(v)})")
        if not v.shape:
            w.line(f"{env.local(v)} = {env.buf(v)}[()]")
    for k in kernels:
        w.blank()
        w.line(comment=f"--- {k.name}: {_describe(k)} ---")
        render(w, k.body)
    w.blank()
    for line in returns[1]:
        w.line(line)
    w.line(f"return ({''.join(r + ', ' for r in returns[0])})")
    consts = tuple(c.value for c in env.consts)
    return Program(name, plan, kernels, w.text(), consts, parallel)


def _uses_blas(group) -> bool:
    return group.nodes[0].outputs[0].dtype.kind in "fc"


def _describe(k: Kernel) -> str:
    g = k.group
    what = f"{g.kind} over [{', '.join(map(str, g.domain))}]"
    if g.stages > 1:
        what += f" in {g.stages} stages"
    return what + (", parallel" if k.parallel else "")


def _returns(graph: Graph, plan: Plan, env: Env) -> tuple[list[str], list[str]]:
    """The returned expressions, and the lines that box 0-d results as arrays."""
    copies = {v for g in plan.groups for v in g.copies}
    names, lines = [], []
    for atom in graph.outputs:
        if isinstance(atom, Const):
            names.append(env.const(atom))
        elif atom.shape or atom in graph.inputs or atom in copies or (
                atom in plan.producer and plan.producer[atom].kind != LOOP):
            names.append(env.buf(atom))
        else:
            out = f"o{env.number[atom]}"
            if out not in names:
                lines.append(f"{out} = np.empty((), {mathlib.ctor(atom.dtype)})")
                lines.append(f"{out}[()] = {env.local(atom)}")
            names.append(out)
    return names, lines


def signature(graph: Graph, consts: tuple[np.ndarray, ...]) -> list:
    """The Numba argument types a call is expected to have: C-contiguous arrays."""
    import numba

    types = [numba.types.Array(numba.from_dtype(v.dtype), len(v.shape), "C")
             for v in graph.inputs]
    return types + [numba.typeof(c) for c in consts]


def make_executable(graph: Graph, name: str) -> Callable[[list], tuple]:
    """The backend factory: a callable taking the input arrays, returning the outputs.

    The callable carries ``.program`` (the `Program`: ``.plan``, ``.source``) and
    ``.dispatcher`` (the Numba dispatcher, e.g. for ``.stats.cache_hits``).

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(2))
    >>> make_executable(g, "double")([np.array([1.0, 2.0])])  # doctest: +SKIP
    (array([2., 4.]),)
    """
    from tracegrad.codegen.compile import load

    prog = generate(graph, name)
    fn = load(prog.source, signature(graph, prog.consts))
    consts = prog.consts
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

    run.program = prog
    run.dispatcher = fn
    return run


