"""Forward mode: the tangent of a traced computation as more IR.

`forward` walks the nodes of the graph being built that depend on the perturbed
inputs, in order, and emits each node's JVP rule into the same graph. A `None`
tangent is a symbolic zero.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tracegrad.autodiff.adjoint import apply_rule
from tracegrad.ir.graph import Var
from tracegrad.ir.types import is_float
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE
from tracegrad.tracer.context import current_builder
from tracegrad.tracer.tracer import Tracer


def forward(fn: Callable[[], Sequence[Tracer]], inputs: Sequence[Tracer],
            tangents: Sequence[Any]) -> tuple[list[Tracer], list[Any]]:
    """Run ``fn()`` (which computes from `inputs`) and the tangents of its outputs.

    The nodes `fn` adds to the current graph are differentiated in forward mode
    with `tangents` for `inputs`; returns ``(outputs, output_tangents)`` with
    ``None`` for outputs whose tangent is zero.

    >>> import tracegrad as tg
    >>> tg.jvp(lambda x: x * x, (np.array(3.0),), (np.array(1.0),))[1]
    array(6.)
    """
    builder = current_builder()
    start = len(builder.nodes)
    outputs = list(fn())
    tan: dict[Var, Any] = {}
    for x, t in zip(inputs, tangents):
        if t is not None and isinstance(x.atom, Var):
            tan[x.atom] = t
    for node in builder.nodes[start:len(builder.nodes)]:
        ts = [tan.get(a) if isinstance(a, Var) else None for a in node.inputs]
        if all(t is None for t in ts) or node.op.jvp == NOT_DIFFERENTIABLE:
            continue
        if not any(is_float(o.dtype) for o in node.outputs):
            continue
        t_outs = apply_rule(node, ts, builder, reverse=False)
        for o, t in zip(node.outputs, t_outs):
            if t is not None:
                tan[o] = t
    out_tangents = [tan.get(o.atom) if isinstance(o, Tracer) else None for o in outputs]
    return outputs, out_tangents
