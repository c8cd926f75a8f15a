"""Partition an optimised graph into fused groups: the kernel plan.

A *loop group* is one loop nest over an iteration space (its `domain`). It holds
elementwise nodes evaluated at the loop index (level ``inner``), reductions of
those values folded into accumulators, and elementwise nodes on reduction
results (level ``outer``, evaluated once per index of the first `prefix` axes).
A group may run several *stages* under its shared prefix loops, so a row-wise
reduce-then-map (softmax, logsumexp and their gradients) is one kernel whose
rows are swept once per stage. Layout ops (`access.VIEW_OPS`) are not placed at
all: they are views read through index arithmetic wherever they are used.
Contractions and the remaining ops get a dedicated group each.

The partition is greedy in topological order. A node joins a group only if all
the groups it reads from were created before that group, so dependencies always
point from earlier to later groups and the plan runs in creation order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import networkx as nx

from tracegrad.codegen.access import VIEW_OPS, bases, loop_index
from tracegrad.codegen.mathlib import REDUCERS
from tracegrad.ir.graph import Atom, Const, Graph, Node, Var
from tracegrad.ir.printer import format_const

LOOP = "loop"
COPY = "copy"  # a view written out as a buffer (a returned transpose, concatenation, ...)
INNER, OUTER, AFTER = "inner", "outer", "after"

# Short names used in kernel names (`k3_sin_mul_sum`).
_SHORT = {**{k: v for k, v in REDUCERS.items()}, "dot_general": "dot",
          "broadcast_in_dim": "bcast", "scatter_add": "scatter"}


@dataclass(eq=False)
class Group:
    """One kernel of the plan: a fused loop nest, or a dedicated op (`kind`)."""

    id: int
    kind: str
    domain: tuple[int, ...]
    nodes: list[Node] = field(default_factory=list)
    prefix: int | None = None
    stage: dict[Var, int] = field(default_factory=dict)
    level: dict[Var, str] = field(default_factory=dict)
    copies: list[Var] = field(default_factory=list)  # views written out as buffers

    @property
    def stages(self) -> int:
        return 1 + max(self.stage.values(), default=0)

    @property
    def name(self) -> str:
        """The kernel's name: its number and what it fuses (``k3_sin_mul_sum``)."""
        ops: list[str] = []
        for n in self.nodes:
            short = _SHORT.get(n.op.name, n.op.name)
            if short not in ops:
                ops.append(short)
        if self.copies and not ops:
            ops.append("copy")
        shown = ops[:6] + (["etc"] if len(ops) > 6 else [])
        return f"k{self.id}_" + "_".join(shown)

    def defines(self, v: Var) -> bool:
        return v in self.level


@dataclass(eq=False)
class Plan:
    """The kernel plan of a graph: its groups in execution order and its views.

    `materialized` holds the values that live in buffers: read by another group,
    read by a later stage of their own group, or returned.
    """

    graph: Graph
    groups: list[Group]
    views: dict[Var, Node]
    producer: dict[Var, Group]
    materialized: set[Var]

    def reads(self, group: Group) -> list[Atom]:
        """The values from outside `group` that it reads: inputs, array constants and
        other groups' results (scalar literals are written inline, not read)."""
        seen: dict[int, Atom] = {}
        for _, base in _operand_bases(group, self.views):
            if isinstance(base, Const) and not base.shape:
                continue
            if not (isinstance(base, Var) and group.defines(base)):
                seen.setdefault(id(base), base)
        return list(seen.values())

    def writes(self, group: Group) -> list[Var]:
        """The values `group` leaves in buffers (or scalars) for later use."""
        out = [v for n in group.nodes for v in n.outputs if v in self.materialized]
        return out + list(group.copies)

    def to_networkx(self) -> nx.DiGraph:
        """Groups as nodes, an edge where a group reads what another writes."""
        g = nx.DiGraph()
        for grp in self.groups:
            g.add_node(grp.name)
            for atom in self.reads(grp):
                src = self.producer.get(atom) if isinstance(atom, Var) else None
                if src is not None:
                    g.add_edge(src.name, grp.name)
        return g

    def __str__(self) -> str:
        names: dict[Var, str] = {v: f"%{i}" for i, v in enumerate(_numbering(self.graph))}

        def ref(a: Atom) -> str:
            return format_const(a) if isinstance(a, Const) else names.get(a, "%?")

        lines = []
        for g in self.groups:
            what = f"{g.kind} over {list(g.domain)}"
            if g.kind == LOOP and g.stages > 1:
                what += f", {g.stages} stages per index of the first {g.prefix} axes"
            lines.append(f"{g.name}: {what}")
            lines.append(f"  reads:  {', '.join(ref(a) for a in self.reads(g)) or '-'}")
            lines.append(f"  writes: {', '.join(ref(v) for v in self.writes(g)) or '-'}")
            for n in g.nodes:
                outs = ", ".join(ref(v) for v in n.outputs)
                lvl = g.level.get(n.outputs[0], "")
                tag = f" [{lvl}, stage {g.stage[n.outputs[0]]}]" if g.kind == LOOP else ""
                lines.append(f"    {outs} = {n.op.name} "
                             f"{', '.join(ref(a) for a in n.inputs)}{tag}")
        return "\n".join(lines)


def _numbering(graph: Graph) -> list[Var]:
    """Values in the order the IR printer numbers them (%0, %1, ...)."""
    return list(graph.inputs) + [v for n in graph.nodes for v in n.outputs]


def _operand_bases(group: Group, views: dict[Var, Node]):
    """(node, base) for every base value the nodes of `group` read. A node's operands
    span its own iteration space, so each is read at its own loop index."""
    for node in group.nodes:
        for atom in node.inputs:
            for base, _ in bases(atom, loop_index(len(atom.shape)), views):
                yield node, base
    for v in group.copies:
        for base, _ in bases(v, loop_index(len(v.shape)), views):
            yield None, base


# --- the partition ------------------------------------------------------------------


def partition(graph: Graph) -> Plan:
    """The kernel plan of `graph` (see the module docstring).

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sum(np.sin(x) * x))(np.ones(8))
    >>> [grp.name for grp in partition(g).groups]
    ['k0_sin_mul_sum']
    """
    return _Partitioner(graph).run()


class _Partitioner:
    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.views: dict[Var, Node] = {}
        self.producer: dict[Var, Group] = {}
        self.groups: list[Group] = []

    def run(self) -> Plan:
        for node in self.graph.nodes:
            name = node.op.name
            if name in VIEW_OPS:
                self.views[node.outputs[0]] = node
            elif node.op.elementwise:
                self._place_map(node)
            elif name in REDUCERS:
                self._place_reduce(node)
            else:
                g = self._new_group(name, node.outputs[0].shape)
                self._add(g, node, AFTER, 0)
        for atom in self.graph.outputs:
            if isinstance(atom, Var) and atom in self.views:
                g = self._new_group(COPY, atom.shape)
                g.copies.append(atom)
        plan = Plan(self.graph, self.groups, self.views, self.producer, set())
        plan.materialized = _materialized(plan)
        return plan

    # --- placement ---------------------------------------------------------------------

    def _new_group(self, kind: str, domain: tuple[int, ...], prefix: int | None = None) -> Group:
        g = Group(len(self.groups), kind, tuple(domain), prefix=prefix)
        self.groups.append(g)
        return g

    def _add(self, g: Group, node: Node, level: str, stage: int) -> None:
        g.nodes.append(node)
        for v in node.outputs:
            g.level[v] = level
            g.stage[v] = stage
            self.producer[v] = g

    def _place_map(self, node: Node) -> None:
        shape = node.outputs[0].shape
        found = self._bases(node, len(shape))
        for g in self._candidates(found):
            if g.prefix is not None and g.domain[:g.prefix] == shape and g.domain != shape:
                stage = self._fit(g, found, OUTER)
                if stage is not None:
                    return self._add(g, node, OUTER, stage)
            if g.domain == shape:
                stage = self._fit(g, found, INNER)
                if stage is not None:
                    return self._add(g, node, INNER, stage)
        self._add(self._new_group(LOOP, shape), node, INNER, 0)

    def _place_reduce(self, node: Node) -> None:
        (x,) = node.inputs
        axes = tuple(node.params["axes"])
        ndim = len(x.shape)
        # A reduction over trailing axes has one scalar accumulator per index of
        # the leading ones; others accumulate into a buffer.
        trailing = axes[0] if axes and axes == tuple(range(axes[0], ndim)) else None
        found = self._bases(node, ndim)
        for g in self._candidates(found):
            if g.domain != x.shape:
                continue
            stage = self._fit(g, found, INNER)
            if stage is None:
                continue
            if g.prefix is None and trailing is not None and g.stages == 1 and not any(
                    lv == OUTER for lv in g.level.values()):
                g.prefix = trailing
            level = OUTER if trailing is not None and trailing == g.prefix else AFTER
            return self._add(g, node, level, stage)
        g = self._new_group(LOOP, x.shape, prefix=trailing)
        self._add(g, node, OUTER if trailing is not None else AFTER, 0)

    def _bases(self, node: Node, ndim: int) -> list[tuple[Atom, list[str]]]:
        idx = loop_index(ndim)
        found = []
        for atom in node.inputs:
            found += bases(atom, idx[:len(atom.shape)] if node.op.name in REDUCERS
                           else idx, self.views)
        return found

    def _candidates(self, found) -> list[Group]:
        """Groups to try, best first: those producing an operand (latest first),
        then the most recent group, for horizontal fusion of sibling work."""
        own = {self.producer[b].id for b, _ in found if b in self.producer}
        out = [self.groups[i] for i in sorted(own, reverse=True)]
        if self.groups and self.groups[-1].id not in own:
            out.append(self.groups[-1])
        return [g for g in out if g.kind == LOOP]

    def _fit(self, g: Group, found, level: str) -> int | None:
        """The stage a node reading `found` would take in `g` at `level`, or None
        if it cannot join: it reads a later group, or a value of `g` at another
        index than `g` computes it."""
        k = g.prefix or 0
        ident = loop_index(len(g.domain) if level == INNER else k)
        stage = 0
        for base, idx in found:
            if isinstance(base, Const) or base not in self.producer:
                continue
            src = self.producer[base]
            if src is not g:
                if src.id > g.id:
                    return None
                continue
            lv = g.level[base]
            if lv == INNER and level == INNER and idx == ident:
                stage = max(stage, g.stage[base])
            elif lv == OUTER and level == INNER and idx == ident[:k]:
                stage = max(stage, g.stage[base] + 1)
            elif lv == OUTER and level == OUTER and idx == ident:
                stage = max(stage, g.stage[base])
            else:
                return None
        return stage


def _materialized(plan: Plan) -> set[Var]:
    """Values that need a buffer (see `Plan`)."""
    out: set[Var] = set()
    for g in plan.groups:
        for node, base in _operand_bases(g, plan.views):
            if not isinstance(base, Var) or base not in plan.producer:
                continue
            here = g.stage[node.outputs[0]] if node is not None else 0
            src = plan.producer[base]
            if src is not g or (g.level[base] == INNER and g.stage[base] < here):
                out.add(base)
    for atom in plan.graph.outputs:
        if isinstance(atom, Var) and atom in plan.producer:
            out.add(atom)
    for g in plan.groups:  # dedicated kernels always write their results
        if g.kind != LOOP:
            out.update(v for n in g.nodes for v in n.outputs)
        else:
            out.update(v for v, lv in g.level.items() if lv == AFTER)
    return out
