"""Inline the sub-graphs of call nodes, so the code generator sees only primitives.

A `custom_vjp_call` node runs its traced function graph in the forward direction
(its user-supplied VJP only matters to autodiff, which has already run), so for
code generation it is replaced by a copy of that graph's nodes.
"""

from __future__ import annotations

from tracegrad.ir.graph import Atom, Graph, Node, Var

INLINED = frozenset({"custom_vjp_call"})


def inline_calls(graph: Graph) -> Graph:
    """`graph` with every `custom_vjp_call` replaced by its function's nodes.

    >>> import tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(2))
    >>> inline_calls(g) is g
    True
    """
    if not any(n.op.name in INLINED for n in graph.nodes):
        return graph
    subst: dict[Var, Atom] = {}

    def get(a: Atom, table: dict) -> Atom:
        return table.get(a, a) if isinstance(a, Var) else a

    nodes: list[Node] = []
    for node in graph.nodes:
        inputs = tuple(get(a, subst) for a in node.inputs)
        if node.op.name not in INLINED:
            same = all(a is b for a, b in zip(inputs, node.inputs))
            nodes.append(node if same else Node(node.op, inputs, node.params, node.outputs,
                                                node.where))
            continue
        inner = inline_calls(node.params["call"].graph)
        table: dict[Var, Atom] = dict(zip(inner.inputs, inputs))
        for n in inner.nodes:  # fresh variables: the same call may be inlined twice
            outs = tuple(Var(v.type) for v in n.outputs)
            table.update(zip(n.outputs, outs))
            nodes.append(Node(n.op, tuple(get(a, table) for a in n.inputs), n.params, outs,
                              n.where))
        for out, atom in zip(node.outputs, inner.outputs):
            subst[out] = get(atom, table)
    return Graph(graph.inputs, tuple(nodes), tuple(get(a, subst) for a in graph.outputs))
