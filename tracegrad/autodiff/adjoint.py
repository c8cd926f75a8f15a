"""The adjoint pass: the gradient of a traced value as more IR.

`backward` walks, in reverse, the nodes of the graph being built that lie on a
path from the differentiated inputs to the output, and emits each node's VJP rule
into the same graph. Cotangents of a value used several times are summed, a
`None` cotangent is a symbolic zero that never materialises, and broadcasts are
undone by `broadcast_in_dim`'s own rule (a sum). Because the adjoint nodes land in
the graph that holds the forward nodes, primal values are shared, not recomputed,
and the result can be differentiated again by the same pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tracegrad.ir.graph import Node, Var
from tracegrad.ir.types import is_float
from tracegrad.ops import elementwise as ew
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE
from tracegrad.tracer.context import current_builder
from tracegrad.tracer.tracer import Tracer


def active_nodes(nodes: Sequence[Node], wrt: Sequence[Var], outputs: Sequence[Var]) -> list[Node]:
    """The nodes on a float path from some `wrt` variable to some output, in order."""
    forward = set(wrt)
    reached: list[Node] = []
    for node in nodes:
        if any(isinstance(a, Var) and a in forward for a in node.inputs):
            floats = [o for o in node.outputs if is_float(o.dtype)]
            if floats:
                forward.update(floats)
                reached.append(node)
    backward = {o for o in outputs if o in forward}
    on_path: list[Node] = []
    for node in reversed(reached):
        if any(o in backward for o in node.outputs):
            on_path.append(node)
            backward.update(a for a in node.inputs if isinstance(a, Var) and a in forward)
    on_path.reverse()
    return on_path


def backward(outputs: Sequence[Tracer], cotangents: Sequence[Any],
             wrt: Sequence[Tracer]) -> list[Tracer | None]:
    """Cotangents of `wrt` given cotangents of `outputs`, emitted into the current graph.

    Returns one entry per `wrt` value; ``None`` where no gradient flows (a symbolic
    zero the caller materialises if it must).

    >>> import tracegrad as tg
    >>> print(tg.make_ir(tg.grad(lambda x: np.sum(x * x)))(np.ones(2)))  # doctest: +SKIP
    """
    builder = current_builder()
    out_vars = [o.atom for o in outputs]
    wrt_vars = [w.atom for w in wrt]
    ct: dict[Var, Any] = {}
    for v, c in zip(out_vars, cotangents):
        if isinstance(v, Var) and c is not None:
            _accumulate(ct, v, c)
    for node in reversed(active_nodes(list(builder.nodes), wrt_vars, out_vars)):
        gs = [ct.pop(o, None) for o in node.outputs]
        if all(g is None for g in gs) or node.op.vjp == NOT_DIFFERENTIABLE:
            continue
        in_cts = apply_rule(node, gs, builder, reverse=True)
        for a, c in zip(node.inputs, in_cts):
            if c is not None and isinstance(a, Var) and is_float(a.dtype):
                _accumulate(ct, a, c)
    return [ct.get(v) for v in wrt_vars]


def _accumulate(ct: dict, var: Var, value: Any) -> None:
    prev = ct.get(var)
    ct[var] = value if prev is None else ew.add(prev, value)


def apply_rule(node: Node, derivatives: Sequence[Any], builder: Any, reverse: bool) -> tuple:
    """Call `node`'s vjp rule (`reverse`) or jvp rule on traced values.

    `derivatives` holds one cotangent per output (vjp) or one tangent per input
    (jvp). A one-output op's vjp takes its single cotangent and output; a
    multiple-result op's rules take tuples. Returns a tuple: one cotangent per
    input (vjp) or one tangent per output (jvp).
    """
    ins = [Tracer(a, builder) for a in node.inputs]
    rule = node.op.vjp if reverse else node.op.jvp
    if node.op.multiple_results:
        outs = tuple(Tracer(o, builder) for o in node.outputs)
        return tuple(rule(tuple(derivatives), outs, *ins, **node.params))
    out = Tracer(node.out, builder)
    if reverse:
        return tuple(rule(derivatives[0], out, *ins, **node.params))
    return (rule(tuple(derivatives), out, *ins, **node.params),)
