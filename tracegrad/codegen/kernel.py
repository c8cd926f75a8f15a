"""Lower each group of the plan to a kernel: loops and scalar statements.

A `Kernel` is a small tree of `Loop`s and `Line`s (one statement of generated
code, with the IR node it comes from as a comment). `Env` names the program's
values: an n-d value lives in a buffer ``b<N>`` and a 0-d value in a local
``v<N>``, ``N`` being its number in the IR dump (``%N``); array literals are
program arguments ``c<J>`` and scalar literals are written inline.

Loop groups are lowered by `_LoopLowering`: each statement is placed at the
shallowest loop depth whose indices it uses (loop-invariant work is hoisted),
each buffer element is loaded once per iteration, and accumulators live at the
depth where their reduction ends. Dedicated kernels (contractions, scatters,
argmax) have one lowering function each in `DEDICATED`.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np

from tracegrad.codegen import mathlib
from tracegrad.codegen.access import loop_index, read
from tracegrad.codegen.schedule import AFTER, INNER, LOOP, OUTER, Group, Plan, _numbering
from tracegrad.codegen.vecmath import select as vecmath
from tracegrad.ir.graph import Atom, Const, Node, Var
from tracegrad.ir.printer import format_const, format_param

# A loop group runs its outer loop with prange when it does at least this much
# work (elements times a rough per-element cost). Below it, a parallel loop's
# start-up costs more than it saves on 2 cores.
PARALLEL_WORK = 1 << 18
PARALLEL_MIN_OUTER = 4
_TRANSCENDENTAL = {"exp", "log", "log1p", "expm1", "sin", "cos", "tan", "tanh", "sinh", "cosh",
                   "asin", "acos", "atan", "atan2", "erf", "logistic", "pow"}


@dataclass
class Line:
    """One statement of generated code and the IR line it implements."""

    code: str
    comment: str | None = None


@dataclass
class Loop:
    """``for <var> in range(<extent>):`` (``prange`` when `parallel`)."""

    var: str
    extent: int
    body: list[Line | Loop] = field(default_factory=list)
    parallel: bool = False


@dataclass
class Branch:
    """``if <cond>:`` and the statements it guards."""

    cond: str
    body: list[Line | Loop | Branch] = field(default_factory=list)


@dataclass
class Kernel:
    """One group of the plan as code."""

    name: str
    group: Group
    body: list[Line | Loop]
    parallel: bool = False


class CodegenError(NotImplementedError):
    """The cpu backend cannot compile an op or a dtype of this graph."""


# --- naming ---------------------------------------------------------------------------------


class Env:
    """Names of the program's values and the node comments, shared by all kernels."""

    def __init__(self, plan: Plan, math: str = "vector") -> None:
        self.plan = plan
        self.math = math  # "vector" or "libm": which scalar math the kernels call
        self.number = {v: i for i, v in enumerate(_numbering(plan.graph))}
        self.consts: list[Const] = []  # array literals, passed as arguments c0, c1, ...
        self._const_names: dict[int, str] = {}
        self.contiguous: set[Var] = set()  # graph inputs that must be made C-contiguous

    def buf(self, v: Var) -> str:
        return f"b{self.number[v]}"

    def local(self, v: Var) -> str:
        return f"v{self.number[v]}"

    def const(self, c: Const) -> str:
        key = id(c)
        if key not in self._const_names:
            self._const_names[key] = f"c{len(self.consts)}"
            self.consts.append(c)
        return self._const_names[key]

    def array(self, atom: Atom) -> str:
        """The name of the array holding `atom` (a buffer, input or array literal)."""
        if isinstance(atom, Const):
            return self.const(atom)
        return self.buf(atom)

    def element(self, atom: Atom, idx: list[str]) -> str:
        """`atom` at `idx` when it is stored outside the kernel reading it."""
        if isinstance(atom, Const):
            if not atom.shape:
                return mathlib.literal(atom.value, atom.dtype)
            return f"{self.const(atom)}[{', '.join(idx)}]"
        if not atom.shape:
            return self.local(atom)
        return f"{self.buf(atom)}[{', '.join(idx)}]"

    def ref(self, a: Atom) -> str:
        return format_const(a) if isinstance(a, Const) else f"%{self.number[a]}"

    def comment(self, node: Node) -> str:
        """The node as the IR printer shows it (``%3:f64[8] = mul %1, %2``)."""
        lhs = ", ".join(f"%{self.number[v]}:{v.type}" for v in node.outputs)
        args = ", ".join(self.ref(a) for a in node.inputs)
        params = "  ".join(f"{k}={format_param(v)}" for k, v in node.params.items())
        line = f"{lhs} = {node.op.name} {args}".rstrip()
        return f"{line}  {params}" if params else line


def alloc(env: Env, v: Var, shape: tuple[int, ...] | None = None) -> Line:
    shape = v.shape if shape is None else shape
    return Line(f"{env.buf(v)} = {empty(shape, v.dtype)}")


def empty(shape: tuple[int, ...], dtype) -> str:
    """``np.empty(shape, dtype)`` in generated code; a large buffer on huge pages,
    as NumPy allocates it (`hugepages`: its pages then fault in 2 MiB at a time)."""
    expr = f"np.empty({_shape(shape) if shape else '()'}, {mathlib.ctor(dtype)})"
    from tracegrad.codegen.hugepages import THRESHOLD  # imports Numba, as compiling does

    if math.prod(shape) * np.dtype(dtype).itemsize >= THRESHOLD:
        return f"hugepages({expr})"
    return expr


def _shape(shape: tuple[int, ...]) -> str:
    return f"({shape[0]},)" if len(shape) == 1 else f"({', '.join(map(str, shape))})"


def _ix(idx: list[str]) -> str:
    return ", ".join(idx) if idx else "()"


# --- loop groups ------------------------------------------------------------------------------


@dataclass
class _Stage:
    head: list[Line] = field(default_factory=list)  # at the prefix depth, before the nest
    body: dict[int, list[Line]] = field(default_factory=lambda: defaultdict(list))
    tail: list[Line] = field(default_factory=list)  # at the prefix depth, after the nest
    loads: dict[tuple, str] = field(default_factory=dict)


_NAME = re.compile(r"\b([a-z]+\d+(?:_\d+)?)\b")


class _LoopLowering:
    def __init__(self, group: Group, env: Env, allow_parallel: bool,
                 trig_flag: str | None = None, rerun: bool = False) -> None:
        self.g, self.env, self.plan = group, env, env.plan
        self.allow_parallel = allow_parallel
        # With a flag name: call the fast trig variants and count the arguments they
        # are not exact for (see `_with_trig_guard`), one counter per argument:
        # Numba's prange takes one reduction statement per variable.
        self.trig_flag = trig_flag
        self.trig_counters: dict[tuple[int, str], str] = {}  # (stage, argument) -> name
        # The rerun of `_with_trig_guard`: the exact trig functions, libm's for the
        # rest whatever the program's math, into the buffers the first run allocated
        # (LLVM left a loop that stores into a buffer allocated again in the branch
        # scalar: float64 exact tan over 1e6 elements took 26 ms instead of 3.1).
        self.rerun = rerun
        self.ndim = len(group.domain)
        self.k = min(group.prefix or 0, self.ndim)
        self.idx = loop_index(self.ndim)
        self.stages = [_Stage() for _ in range(group.stages)]
        self.before: list[Line] = []
        self.after: list[Line] = []
        self.depth: dict[str, int] = {}  # locals of this kernel -> loop depth defined at

    # --- placement helpers ----------------------------------------------------------------

    def allocate(self, out: Var) -> None:
        """Allocate the buffer of `out` before the loops (unless the buffer is reused)."""
        if not self.rerun:
            self.before.append(alloc(self.env, out))

    def depth_of(self, expr: str) -> int:
        d = 0
        for name in _NAME.findall(expr):
            if name[0] == "i" and name[1:].isdigit():
                d = max(d, int(name[1:]) + 1)
            else:
                d = max(d, self.depth.get(name, 0))
        return d

    def place(self, st: _Stage, depth: int, line: Line) -> None:
        (st.head if depth <= self.k else st.body[depth]).append(line)

    def define(self, st: _Stage, name: str, expr: str, comment: str | None) -> None:
        d = self.depth_of(expr)
        self.place(st, d, Line(f"{name} = {expr}", comment))
        self.depth[name] = max(d, self.k) if d <= self.k else d

    # --- reading values -----------------------------------------------------------------------

    def value(self, atom: Atom, idx: list[str], stage: int) -> str:
        st = self.stages[stage]

        def leaf(base: Atom, bidx: list[str], guarded: bool) -> str:
            if isinstance(base, Var) and self.g.defines(base):
                if self.g.level[base] != INNER or self.g.stage[base] == stage:
                    return self.env.local(base)
            expr = self.env.element(base, bidx)
            if guarded or "[" not in expr:
                return expr
            key = (id(base), tuple(bidx))
            if key not in st.loads:  # load each element once per iteration
                name = "x" + expr[expr[0] == "b":expr.index("[")]
                n = sum(1 for k in st.loads if k[0] == id(base))
                name = name if n == 0 else f"{name}_{n}"
                st.loads[key] = name
                self.define(st, name, expr, None)
            return st.loads[key]

        return read(atom, idx, self.plan.views, leaf)

    # --- nodes ------------------------------------------------------------------------------------

    def lower(self) -> Kernel:
        mat = self.plan.materialized
        for node in self.g.nodes:
            out = node.outputs[0]
            if node.op.name in mathlib.REDUCERS:
                self.reduction(node)
            elif self.g.level[out] == INNER:
                self.inner(node, out in mat)
            else:
                self.outer(node, out in mat)
        return Kernel(self.g.name, self.g, self.assemble(), self.parallel())

    def scalar(self, node: Node, at: list[str], stage: int) -> str:
        args = [self.value(a, at, stage) for a in node.inputs]
        in_dtype = node.inputs[-1].dtype  # select's condition comes first
        fast_trig = self.trig_flag is not None and _fast_trig(node)
        if fast_trig and (stage, args[0]) not in self.trig_counters:
            counter = f"{self.trig_flag}_{len(self.trig_counters)}"
            self.trig_counters[stage, args[0]] = counter
            check = vecmath.trig_guard(in_dtype).format(args[0])
            self.place(self.stages[stage], self.depth_of(args[0]),
                       Line(f"{counter} += not {check}"))
        math_mode = "libm" if self.rerun else self.env.math
        if self.rerun and _fast_trig(node):
            math_mode = "vector"  # and not fast_trig: the exact vector functions
        return mathlib.scalar_expr(node.op.name, node.op.emit, args, in_dtype,
                                   node.outputs[0].dtype, dict(node.params), math_mode,
                                   fast_trig)

    def inner(self, node: Node, materialized: bool) -> None:
        out = node.outputs[0]
        stage = self.g.stage[out]
        st = self.stages[stage]
        self.define(st, self.env.local(out), self.scalar(node, self.idx, stage),
                    self.env.comment(node))
        if materialized and self.ndim:
            self.allocate(out)
            st.body[self.ndim].append(
                Line(f"{self.env.buf(out)}[{_ix(self.idx)}] = {self.env.local(out)}"))

    def outer(self, node: Node, materialized: bool) -> None:
        out = node.outputs[0]
        stage = self.g.stage[out]
        st = self.stages[stage]
        name = self.env.local(out)
        st.tail.append(Line(f"{name} = {self.scalar(node, self.idx[:self.k], stage)}",
                            self.env.comment(node)))
        self.depth[name] = self.k
        self.write_outer(st, out, materialized)

    def write_outer(self, st: _Stage, out: Var, materialized: bool) -> None:
        if materialized and self.k:
            self.allocate(out)
            st.tail.append(Line(f"{self.env.buf(out)}[{_ix(self.idx[:self.k])}] = "
                                f"{self.env.local(out)}"))

    def reduction(self, node: Node) -> None:
        out = node.outputs[0]
        kind = mathlib.REDUCERS[node.op.name]
        stage = self.g.stage[out]
        st = self.stages[stage]
        terms = math.prod(node.inputs[0].shape[a] for a in node.params["axes"])
        acc_dt = mathlib.accumulator_dtype(kind, out.dtype, terms)
        val = self.value(node.inputs[0], self.idx, stage)
        num = self.env.number[out]
        comment = self.env.comment(node)
        final = mathlib.convert_expr(f"acc{num}", acc_dt, out.dtype)
        if self.g.level[out] == OUTER:
            st.head.append(Line(f"acc{num} = {mathlib.identity(kind, acc_dt)}", comment))
            st.body[self.ndim].append(Line(mathlib.accumulate(kind, f"acc{num}", val, acc_dt)))
            st.tail.append(Line(f"{self.env.local(out)} = {final}"))
            self.depth[self.env.local(out)] = self.k
            self.write_outer(st, out, out in self.plan.materialized)
            return
        axes = node.params["axes"]
        kept = [e for a, e in enumerate(self.idx) if a not in axes]
        if not kept:  # a scalar accumulated across the whole group
            self.before.append(Line(f"acc{num} = {mathlib.identity(kind, acc_dt)}", comment))
            st.body[self.ndim].append(Line(mathlib.accumulate(kind, f"acc{num}", val, acc_dt)))
            self.after.append(Line(f"{self.env.local(out)} = {final}"))
            return
        buf = self.env.buf(out)
        identity = mathlib.identity(kind, out.dtype)
        if self.rerun:
            self.before.append(Line(f"{buf}.fill({identity})", comment))
        else:
            self.before.append(Line(
                f"{buf} = np.full({_shape(out.shape)}, {identity}, {mathlib.ctor(out.dtype)})",
                comment))
        target = f"{buf}[{', '.join(kept)}]"
        st.body[self.ndim].append(Line(mathlib.accumulate(kind, target, val, out.dtype)))

    # --- loops -----------------------------------------------------------------------------------

    def parallel(self) -> bool:
        """Whether the outermost loop may run as prange (see PARALLEL_WORK)."""
        if not self.allow_parallel or self.ndim == 0 or self.g.domain[0] < PARALLEL_MIN_OUTER:
            return False
        cost = 1
        for n in self.g.nodes:
            cost += 8 if n.op.name in _TRANSCENDENTAL else 1
        if math.prod(self.g.domain) * cost < PARALLEL_WORK:
            return False
        for n in self.g.nodes:
            kind = mathlib.REDUCERS.get(n.op.name)
            if kind is None:
                continue
            out = n.outputs[0]
            shared = self.g.level[out] == OUTER and self.k == 0
            after = self.g.level[out] == AFTER
            # Races: a buffer accumulated across the outer loop; Numba's prange
            # recognises scalar += and *= reductions only.
            if after and 0 in n.params["axes"] and len(out.shape) > 0:
                return False
            if (shared or (after and not out.shape)) and kind in ("max", "min"):
                return False
        return True

    def nest(self, st: _Stage, depth: int) -> list[Line | Loop]:
        items: list[Line | Loop] = list(st.body.get(depth, [])) if depth > self.k else []
        if depth < self.ndim:
            items.append(Loop(self.idx[depth], self.g.domain[depth], self.nest(st, depth + 1)))
        return items

    def assemble(self) -> list[Line | Loop]:
        parallel = self.parallel()
        sweep: list[Line | Loop] = []
        for st in self.stages:
            inner = self.nest(st, self.k)
            if parallel and self.k == 0 and inner and isinstance(inner[-1], Loop):
                inner[-1].parallel = True
            sweep += st.head + inner + st.tail
        for d in reversed(range(self.k)):
            sweep = [Loop(self.idx[d], self.g.domain[d], sweep, parallel and d == 0)]
        return self.before + sweep + self.after


# --- dedicated kernels ------------------------------------------------------------------------


def _peel(env: Env, atom: Atom, perm: tuple[int, ...]):
    """`atom` seen through transposes (composed into `perm`) and then reshapes, which
    keep the flat order of a C-contiguous base. Returns (base, shape, perm): `perm`
    applies to an array of `shape` that has the flat order of `base`."""
    views = env.plan.views
    while isinstance(atom, Var) and atom in views and views[atom].op.name == "transpose":
        tperm = views[atom].params["perm"]
        perm = tuple(tperm[p] for p in perm)
        atom = views[atom].inputs[0]
    shape = atom.shape
    while isinstance(atom, Var) and atom in views and views[atom].op.name == "reshape":
        atom = views[atom].inputs[0]
    return atom, shape, perm


def _operand_2d(env: Env, atom: Atom, perm: tuple[int, ...], split: int, tmp: str,
                body: list[Line | Loop]) -> tuple[str, bool]:
    """`atom` with axes in `perm` order, merged to 2-D at `split`, as (expression of
    a C-contiguous 2-D array, whether the operand is that array's transpose): a
    reshape of the stored array (BLAS reads it or its ``.T``), or else a copy."""
    base, shape, perm = _peel(env, atom, perm)
    stored = bool(base.shape) and not (isinstance(base, Var) and base in env.plan.views)
    if stored:
        name = env.array(base)
        if base in env.plan.graph.inputs:
            env.contiguous.add(base)
        n = len(perm)
        for s in range(n + 1):  # perm = (s, ..., n-1, 0, ..., s-1): a transposed 2-D view
            if perm == tuple(range(s, n)) + tuple(range(s)):
                r, c = math.prod(shape[:s]), math.prod(shape[s:])
                if s == 0 or s == n:
                    rows = math.prod(shape[p] for p in perm[:split])
                    return f"{name}.reshape(({rows}, {math.prod(shape) // max(rows, 1)}))", False
                if math.prod(shape[p] for p in perm[:split]) == c:
                    return f"{name}.reshape(({r}, {c}))", True
    return _copy(env, atom, perm, split, tmp, body), False


def _copy(env: Env, atom: Atom, perm: tuple[int, ...], split: int | None, tmp: str,
          body: list[Line | Loop]) -> str:
    """Copy `atom` into a new C-contiguous array with axes in `perm` order (read
    through views), returned merged to 2-D at `split` (or as is when None)."""
    permuted = tuple(atom.shape[p] for p in perm)
    idx = [f"j{d}" for d in range(len(perm))]
    src = [""] * len(perm)
    for i, p in enumerate(perm):
        src[p] = idx[i]
    expr = read(atom, src, env.plan.views, lambda a, i, g: env.element(a, i))
    body.append(Line(f"{tmp} = {empty(permuted, atom.dtype)}"))
    body += _loops(permuted, idx, [Line(f"{tmp}[{_ix(idx)}] = {expr}")])
    if split is None:
        return tmp
    rows = math.prod(permuted[:split])
    return f"{tmp}.reshape(({rows}, {math.prod(permuted[split:])}))"


def _loops(shape, idx, inner: list[Line | Loop]) -> list[Line | Loop]:
    items = inner
    for d in reversed(range(len(shape))):
        items = [Loop(idx[d], shape[d], items)]
    return items


def _dot_general(g: Group, env: Env) -> list[Line | Loop]:
    from tracegrad.codegen import gemm  # imports Numba: only when a program has a dot

    (node,) = g.nodes
    x, y = node.inputs
    out = node.outputs[0]
    (cx, cy), (bx, by) = node.params["contracting"], node.params.get("batch", ((), ()))
    cx, cy, bx, by = map(tuple, (cx, cy, bx, by))
    fx = tuple(a for a in range(len(x.shape)) if a not in cx and a not in bx)
    fy = tuple(a for a in range(len(y.shape)) if a not in cy and a not in by)
    B = math.prod(x.shape[a] for a in bx)
    M = math.prod(x.shape[a] for a in fx)
    K = math.prod(x.shape[a] for a in cx)
    N = math.prod(y.shape[a] for a in fy)
    num = env.number[out]
    dt = mathlib.ctor(out.dtype)
    lhs, rhs, res = f"lhs{num}", f"rhs{num}", f"d{num}"
    body: list[Line | Loop] = [Line("", env.comment(node))]
    if 0 in (B, M, K, N):
        body.append(Line(f"{res} = np.zeros(({B}, {M}, {N}), {dt})"))
    elif gemm.streamed(node, env.plan.groups):
        # A narrow operand: register tiles of `gemm`, or its streaming kernels.
        xs = _operand_2d(env, x, fx + cx, len(fx), f"t{num}x", body)
        ys = _operand_2d(env, y, cy + fy, len(cy), f"t{num}y", body)
        body.append(Line(f"{res} = {empty((M, N), out.dtype)}"))
        body.append(Line(gemm.call(M, K, N, xs, ys, res, out.dtype)))
    elif out.dtype.kind in "fc" and not bx:
        # One GEMM (or GEMV) through Numba's np.dot, which calls BLAS.
        (xs, xt), (ys, yt) = (_operand_2d(env, x, fx + cx, len(fx), f"t{num}x", body),
                              _operand_2d(env, y, cy + fy, len(cy), f"t{num}y", body))
        body.append(Line(f"{res} = np.dot({xs}{'.T' * xt}, {ys}{'.T' * yt})"))
    else:
        xs = _copy(env, x, bx + fx + cx, None, f"t{num}x", body)
        ys = _copy(env, y, by + cy + fy, None, f"t{num}y", body)
        body.append(Line(f"{lhs} = {xs}.reshape(({B}, {M}, {K}))"))
        body.append(Line(f"{rhs} = {ys}.reshape(({B}, {K}, {N}))"))
        body.append(Line(f"{res} = {empty((B, M, N), out.dtype)}"))
        if out.dtype.kind in "fc":
            body.append(Loop("j0", B, [Line(f"np.dot({lhs}[j0], {rhs}[j0], {res}[j0])")]))
        else:
            acc_dt = mathlib.accumulator_dtype("sum", out.dtype)
            acc = f"acc{num}"
            inner = [
                Line(f"{acc} = {mathlib.identity('sum', acc_dt)}"),
                Loop("j3", K, [Line(f"{acc} += {lhs}[j0, j1, j3] * {rhs}[j0, j3, j2]")]),
                Line(f"{res}[j0, j1, j2] = {mathlib.convert_expr(acc, acc_dt, out.dtype)}"),
            ]
            body += _loops((B, M, N), ["j0", "j1", "j2"], inner)
    body.append(Line(f"{env.buf(out)} = {res}.reshape({_shape(out.shape) if out.shape else '()'})"))
    return body


def _arg_reduce(g: Group, env: Env) -> list[Line | Loop]:
    (node,) = g.nodes
    (x,) = node.inputs
    out = node.outputs[0]
    axis = node.params["axis"]
    cmp = ">" if node.op.name == "argmax" else "<"
    idx = [f"j{d}" for d in range(len(out.shape))]
    at = idx[:axis] + ["0"] + idx[axis:]
    at_j = idx[:axis] + ["jr"] + idx[axis:]

    def rd(i):
        return read(x, i, env.plan.views, lambda a, ii, gg: env.element(a, ii))

    num = env.number[out]
    best, val, pos = f"best{num}", f"val{num}", f"pos{num}"
    nan = f" or ({val} != {val} and {best} == {best})" if x.dtype.kind in "fc" else ""
    inner: list[Line | Loop] = [
        Line(f"{best} = {rd(at)}"),
        Line(f"{pos} = 0"),
        Loop("jr", x.shape[axis], [
            Line(f"{val} = {rd(at_j)}"),
            Line(f"if {val} {cmp} {best}{nan}:"),
            Line(f"    {best} = {val}"),
            Line(f"    {pos} = jr"),
        ]),
        Line(f"{env.buf(out)}[{_ix(idx)}] = {pos}"),
    ]
    return [Line("", env.comment(node)), alloc(env, out, out.shape)] + _loops(
        out.shape, idx, inner)


def _scatter_add(g: Group, env: Env) -> list[Line | Loop]:
    (node,) = g.nodes
    operand, indices, updates = node.inputs
    out = node.outputs[0]
    axis = node.params["axis"]
    k = len(indices.shape)
    n = operand.shape[axis]
    buf = env.buf(out)

    def rd(a, i):
        return read(a, i, env.plan.views, lambda aa, ii, gg: env.element(aa, ii))

    oidx = [f"j{d}" for d in range(len(out.shape))]
    uidx = [f"j{d}" for d in range(len(updates.shape))]
    j = rd(indices, uidx[axis:axis + k])
    target = uidx[:axis] + ["jt"] + uidx[axis + k:]
    body: list[Line | Loop] = [Line("", env.comment(node)), alloc(env, out)]
    body += _loops(out.shape, oidx, [Line(f"{buf}[{_ix(oidx)}] = {rd(operand, oidx)}")])
    body += _loops(updates.shape, uidx, [
        Line(f"jt = min(max({j}, 0), {n - 1})"),  # out-of-range indices clamp, as in the impl
        Line(f"{buf}[{_ix(target)}] += {rd(updates, uidx)}"),
    ])
    return body


def _copy_view(g: Group, env: Env) -> list[Line | Loop]:
    """Write a view out as a buffer; a concatenation one loop per operand."""
    (v,) = g.copies
    buf = env.buf(v)
    body: list[Line | Loop] = [alloc(env, v)]
    node = env.plan.views[v]
    pieces = [(v, 0)]
    if node.op.name == "concatenate":
        axis = node.params["axis"]
        offsets = np.cumsum([0] + [x.shape[axis] for x in node.inputs])
        pieces = list(zip(node.inputs, offsets))
    for src, offset in pieces:
        idx = [f"j{d}" for d in range(len(src.shape))]
        at = list(idx)
        if src is not v:
            at[axis] = f"j{axis} + {offset}" if offset else idx[axis]
        expr = read(src, idx, env.plan.views, lambda a, i, gg: env.element(a, i))
        body += _loops(src.shape, idx, [Line(f"{buf}[{_ix(at)}] = {expr}",
                                             f"%{env.number[v]} <- {env.ref(src)}")])
    return body


DEDICATED = {"copy": _copy_view, "dot_general": _dot_general, "argmax": _arg_reduce,
             "argmin": _arg_reduce, "scatter_add": _scatter_add}


def lower(group: Group, env: Env, allow_parallel: bool = True) -> Kernel:
    """The kernel of one group of the plan (loops serial unless `allow_parallel`)."""
    if group.kind == LOOP:
        for node in group.nodes:
            for a in (*node.inputs, *node.outputs):
                _check_dtype(a.dtype, node)
        if env.math == "vector" and any(_fast_trig(n) for n in group.nodes):
            return _with_trig_guard(group, env, allow_parallel)
        return _LoopLowering(group, env, allow_parallel).lower()
    rule = DEDICATED.get(group.kind)
    if rule is None:
        raise CodegenError(
            f"the cpu backend has no lowering for op {group.kind!r} yet; "
            f"use backend='numpy' for this function"
        )
    body = rule(group, env)
    for node in group.nodes:  # 0-d results are read as locals from here on
        for v in node.outputs:
            if not v.shape:
                body.append(Line(f"{env.local(v)} = {env.buf(v)}[()]"))
    return Kernel(group.name, group, body)


def _fast_trig(node: Node) -> bool:
    return node.op.name in vecmath.FAST_TRIG and node.inputs[0].dtype.kind == "f"


def _with_trig_guard(group: Group, env: Env, allow_parallel: bool) -> Kernel:
    """The loop group run with the fast trig functions, and run again with the exact
    ones if any argument was beyond the fast range (|x| > 2**30, where they give NaN).

    The exact vector functions pay for a huge-argument reduction in every lane, which
    made sin and cos 2.7x slower; the check is a compare and an add per argument.
    The rare rerun is a serial loop, into the buffers the first run filled, calling
    the exact sin, cos and tan and libm's functions for the rest (within 1 ulp too):
    with the vector functions inlined a second time, or as a second prange loop,
    it cost W1 0.4 s of compile. The exact trig functions add 0.05-0.13 s to W1's
    compile and run 4-13x faster there than libm's (over 1e6 elements with one
    argument beyond 2**30: float32 sin 1.2 ms instead of 7.6-9.5, float64 tan 3.5
    instead of 17.5-20; NumPy 0.5-0.9 and 1.1).
    """
    flag = f"trig_misses{env.number[group.nodes[0].outputs[0]]}"
    lowering = _LoopLowering(group, env, allow_parallel, trig_flag=flag)
    fast = lowering.lower()
    # Serial too: each prange loop is a gufunc of its own for Numba to compile.
    exact = _LoopLowering(group, env, allow_parallel=False, rerun=True).lower()
    counters = list(lowering.trig_counters.values())
    body: list[Line | Loop | Branch] = [
        Line(f"{c} = 0", "fast trig functions: exact unless this counts arguments" if i == 0
             else None) for i, c in enumerate(counters)]
    body += fast.body
    body.append(Branch(f"{' + '.join(counters)} > 0", exact.body))
    return Kernel(group.name, group, body, fast.parallel)


def _check_dtype(dtype: np.dtype, node: Node) -> None:
    if dtype == np.float16:
        raise CodegenError(
            f"the cpu backend does not support float16 ({node.op.name}); "
            "use float32, or backend='numpy'"
        )
