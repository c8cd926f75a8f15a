"""Views of a `Graph` for analysis: who uses a value, who makes it, and networkx.

`users` and `producers` are the two maps passes and code generation keep asking
for; `to_networkx` gives the whole data-flow graph to networkx, for scheduling
algorithms and for drawing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tracegrad.ir.graph import Const, Graph, Node, Var
from tracegrad.ir.printer import Names, format_const, format_node

if TYPE_CHECKING:  # pragma: no cover
    import networkx


def producers(graph: Graph) -> dict[Var, Node]:
    """The node that defines each node output (graph inputs are not in the map).

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x))(np.ones(2))
    >>> producers(g)[g.outputs[0]].op.name
    'sin'
    """
    return {v: node for node in graph.nodes for v in node.outputs}


def users(graph: Graph) -> dict[Var, list[Node]]:
    """The nodes that read each value, in graph order, each node once.

    Every graph input and node output is a key (unused values map to ``[]``); being
    a graph output does not count as a use.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: np.sin(x) * np.cos(x))(np.ones(2))
    >>> [n.op.name for n in users(g)[g.inputs[0]]]
    ['sin', 'cos']
    """
    result: dict[Var, list[Node]] = {v: [] for v in graph.inputs}
    for node in graph.nodes:
        for v in node.outputs:
            result[v] = []
    for node in graph.nodes:
        seen: set[Var] = set()
        for a in node.inputs:
            if isinstance(a, Var) and a not in seen:
                seen.add(a)
                result.setdefault(a, []).append(node)
    return result


def to_networkx(graph: Graph) -> networkx.MultiDiGraph:
    """The data-flow graph as a networkx ``MultiDiGraph``.

    Vertices (keyed by strings, with a ``kind`` attribute):

    - ``"in0", "in1", ...`` (kind ``"input"``): the graph inputs, with ``type`` and ``var``;
    - ``"c0", ...`` (kind ``"const"``): one per literal object, with ``type``, ``const``
      and ``label`` (the literal as printed);
    - ``"n0", ...`` (kind ``"node"``): the IR nodes in graph order, with ``op`` (name),
      ``params``, ``types`` (output types), ``node`` and ``label`` (the printed line);
    - ``"out0", ...`` (kind ``"output"``): the graph results, with ``type``.

    One edge per operand (parallel edges when a node reads a value twice), with
    ``pos`` (the operand position at the consumer), ``out`` (which output of the
    producer) and ``type``.

    >>> import numpy as np, tracegrad as tg
    >>> G = tg.make_ir(lambda x: np.sin(x) * x)(np.ones(2)).to_networkx()
    >>> G.number_of_nodes(), G.number_of_edges()
    (4, 4)
    """
    import networkx as nx

    G = nx.MultiDiGraph()
    names = Names()
    source: dict[Var, tuple[str, int]] = {}  # value -> (vertex, output index)
    const_ids: dict[Const, str] = {}

    def vertex_of(a) -> tuple[str, int]:
        if isinstance(a, Var):
            return source[a]
        if a not in const_ids:
            const_ids[a] = key = f"c{len(const_ids)}"
            G.add_node(key, kind="const", type=a.type, const=a, label=format_const(a))
        return const_ids[a], 0

    for i, v in enumerate(graph.inputs):
        G.add_node(f"in{i}", kind="input", type=v.type, var=v, label=f"{names(v)}:{v.type}")
        source[v] = (f"in{i}", 0)
    for i, node in enumerate(graph.nodes):
        key = f"n{i}"
        G.add_node(key, kind="node", op=node.op.name, params=node.params,
                   types=tuple(v.type for v in node.outputs), node=node,
                   label=format_node(node, names))
        for pos, a in enumerate(node.inputs):
            src, out = vertex_of(a)
            G.add_edge(src, key, pos=pos, out=out, type=a.type)
        for j, v in enumerate(node.outputs):
            source[v] = (key, j)
    for i, a in enumerate(graph.outputs):
        G.add_node(f"out{i}", kind="output", type=a.type, label=f"return {names.ref(a)}")
        src, out = vertex_of(a)
        G.add_edge(src, f"out{i}", pos=i, out=out, type=a.type)
    return G
