"""The Numba CPU backend: one ``@numba.njit`` program per compiled function.

`generate` partitions the graph (`schedule`), lowers each group to a kernel
(`kernel`) and writes them, in order, into the body of a single function
``program(inputs..., constants...)`` that returns a tuple of the outputs, so a
call costs one Numba dispatch (a serial kernel over vector bodies is written as a
function of its own that the program calls, for LLVM to optimise it twice:
`outline`). The backend factory that loads or builds a program
is `tracegrad.runtime.executable.cpu_executable`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from math import prod

import numpy as np

from tracegrad.codegen.kernel import Env, Kernel, lower
from tracegrad.codegen.outline import names_assigned, names_read, needs_outlining, outline
from tracegrad.codegen.rewrite import prepare
from tracegrad.codegen.schedule import LOOP, Plan, partition
from tracegrad.codegen.source import Writer, indent, render
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


def generate(graph: Graph, name: str = "fn", math: str | None = None,
             fastmath: bool = False, outline_kernels: bool = True) -> Program:
    """The Numba source of `graph` (nothing is compiled). `outline_kernels=False`
    keeps every kernel in the program's body (`outline`; for comparisons).

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x) * 2.0)(np.ones(4))
    >>> "math.sin" in generate(g, "f").source
    True
    """
    from tracegrad.codegen.vecmath import select as vecmath

    mode = vecmath.math_mode(math)
    graph = prepare(graph)
    plan = partition(graph)
    env = Env(plan, mode)
    # BLAS runs its own threads, and they spin after each call: a prange loop in
    # the same program then waits for cores they hold (on 2 cores each call costs
    # milliseconds). A program that calls BLAS keeps its loops serial.
    serial = _uses_blas(plan)
    kernels = [lower(g, env, allow_parallel=not serial) for g in plan.groups]
    returns = _returns(graph, plan, env)  # may add array literals to env.consts
    parallel = any(k.parallel for k in kernels)

    flags = f"cache=True, fastmath={_fastmath(mode, fastmath)}, error_model=\"numpy\", nogil=True"
    params = [env.buf(v) for v in graph.inputs] + [f"c{j}" for j in range(len(env.consts))]
    body, functions = _body(graph, env, kernels, params, returns, flags, outline_kernels)

    w = Writer()
    w.line(f"# tracegrad program for `{name}` (generated code; edits are overwritten)")
    w.line(f"# {str(graph).splitlines()[0].rstrip(' {')}")
    w.line("import math")
    w.line()
    w.line("import numba")
    w.line("import numpy as np")
    w.line("from numba import prange")
    for function in functions:
        w.lines += ["", "", *function.rstrip("\n").split("\n")]
    w.lines.append("")
    w.lines.append("")
    w.line(f"@numba.njit({flags}{', parallel=True' if parallel else ''})")
    w.line(f"def program({', '.join(params)}):")
    w.lines += body
    consts = tuple(c.value for c in env.consts)
    source = w.text()
    used = sorted(set(re.findall(r"\bvm_\w+?_f(?:32|64)\b", source)))
    if used:  # the vector math functions the kernels call, imported by name
        source = source.replace("from numba import prange\n",
                                f"from numba import prange\n{vecmath.import_line(used)}\n", 1)
    used = re.findall(r"\bgemm_(?:tiles_)?(?:nn|tn)(?:_par)?\b", source)
    if used:  # the contraction kernels, imported by name (see `gemm`)
        from tracegrad.codegen import gemm

        source = source.replace("from numba import prange\n",
                                f"from numba import prange\n{gemm.import_line(used)}\n", 1)
    if "hugepages(" in source:
        source = source.replace("from numba import prange\n",
                                "from numba import prange\n"
                                "from tracegrad.codegen.hugepages import hugepages\n", 1)
    return Program(name, plan, kernels, source, consts, parallel)


def _body(graph: Graph, env: Env, kernels: list[Kernel], params: list[str],
          returns: list[str], flags: str, outline_kernels: bool) -> tuple[list[str], list[str]]:
    """The lines of the program's body, and the source of the kernels outlined from it
    (`outline`): those that call vector bodies serially over enough elements."""
    body = Writer()
    body.depth = 1
    for v in graph.inputs:
        if v in env.contiguous:
            body.line(f"{env.buf(v)} = np.ascontiguousarray({env.buf(v)})")
        if not v.shape:
            body.line(f"{env.local(v)} = {env.buf(v)}[()]")
    texts = [_text(k) for k in kernels]
    ret = f"return ({''.join(r + ', ' for r in returns)})"
    outlined = [outline_kernels and not k.parallel and needs_outlining(t, prod(k.group.domain))
                for k, t in zip(kernels, texts)]
    functions = []
    if any(outlined):  # what each kernel finds defined, and what is read after it
        defined = set(params) | names_assigned("\n".join(line.strip() for line in body.lines))
        read_after = _read_after(texts, ret)
    for i, (k, text) in enumerate(zip(kernels, texts)):
        body.blank()
        body.line(comment=f"--- {k.name}: {_describe(k)} ---")
        if outlined[i]:
            kernel = outline(k.name, text, defined, read_after[i], flags)
            functions.append(kernel.function)
            body.line(kernel.call, comment="outlined: optimised again where the program "
                                           "links it (see outline.py)")
            defined |= kernel.assigned
        else:  # the text rendered above, one level in
            body.lines += indent(text)
            if any(outlined[i + 1:]):
                defined |= names_assigned(text)
    body.blank()
    body.line(ret)
    return body.lines, functions


def _read_after(texts: list[str], ret: str) -> list[set[str]]:
    """For each kernel's text, the names the program reads after it (each text
    parsed once)."""
    after, seen = [], names_read(ret)
    for text in reversed(texts):
        after.append(set(seen))
        seen |= names_read(text)
    return after[::-1]


def _text(k: Kernel) -> str:
    """The kernel's statements, unindented."""
    w = Writer()
    render(w, k.body)
    return w.text()


def _fastmath(mode: str, fastmath: bool) -> str:
    """Numba's fastmath flags for the program. Vector math lets LLVM reassociate
    float sums: without it a loop that accumulates stays scalar, and its vector
    math with it (sums then differ from NumPy's pairwise sums in the last bits, as
    in XLA and Inductor). ``fastmath=True`` opts into all of LLVM's fast-math."""
    if fastmath:
        return "True"
    return '{"reassoc"}' if mode == "vector" else "False"


def _uses_blas(plan: Plan) -> bool:
    """Whether some contraction of the program calls BLAS (see `gemm`)."""
    if not any(g.kind == "dot_general" for g in plan.groups):
        return False
    from tracegrad.codegen import gemm  # imports Numba

    return gemm.program_calls_blas(plan.groups)


def _describe(k: Kernel) -> str:
    g = k.group
    what = f"{g.kind} over [{', '.join(map(str, g.domain))}]"
    if g.stages > 1:
        what += f" in {g.stages} stages"
    return what + (", parallel" if k.parallel else "")


def _returns(graph: Graph, plan: Plan, env: Env) -> list[str]:
    """The returned expressions. A 0-d result is returned as a scalar, which the
    executable wraps as a 0-d array: Numba boxes a 0-d array about 0.4 us slower
    than a scalar, a third of a small training step's time with three of them."""
    copies = {v for g in plan.groups for v in g.copies}
    names = []
    for atom in graph.outputs:
        if isinstance(atom, Const):
            name = env.const(atom)
        elif atom.shape or atom in graph.inputs or atom in copies or (
                atom in plan.producer and plan.producer[atom].kind != LOOP):
            name = env.buf(atom)
        else:
            names.append(env.local(atom))
            continue
        names.append(name if atom.shape else f"{name}[()]")
    return names
