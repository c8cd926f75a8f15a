"""Ops that hold sub-graphs. For now `custom_vjp_call`: a user function with a
user-supplied VJP (`tracegrad.custom_vjp`); `cond`, `while` and `scan` come next.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tracegrad.ir.graph import Graph
from tracegrad.ops.primitive import defop
from tracegrad.tracer.pytree import TreeDef, tree_flatten, tree_unflatten


@dataclass(frozen=True, eq=False)
class CustomCall:
    """What a `custom_vjp_call` node holds: the function's traced graph, the user's
    `fwd` and `bwd`, and the pytree structures of arguments and results.
    Compared by identity (one per traced call site and signature)."""

    name: str
    graph: Graph
    fwd: Any
    bwd: Any
    in_tree: TreeDef
    out_tree: TreeDef

    def __repr__(self) -> str:
        return f"custom_vjp({self.name})"


def _impl(*args: Any, call: CustomCall) -> tuple:
    from tracegrad.runtime.interpreter import run_graph

    return tuple(run_graph(call.graph, args))


def _vjp(gs: tuple, outs: tuple, *xs: Any, call: CustomCall) -> list:
    # The user's fwd and bwd run on the values flowing here: traced into IR inside
    # a trace (so the backward pass can itself be differentiated), evaluated on
    # arrays in dynamic mode.
    from tracegrad.ops.layout import zeros_like

    args = tree_unflatten(call.in_tree, list(xs))
    _, residuals = call.fwd(*args)
    g = tree_unflatten(call.out_tree, [zeros_like(o) if g is None else g
                                       for g, o in zip(gs, outs)])
    cts = call.bwd(residuals, g)
    if not isinstance(cts, tuple):
        raise TypeError(f"custom_vjp {call.name}: bwd must return a tuple with one "
                        f"cotangent per argument, got {type(cts).__name__}")
    leaves, _ = tree_flatten(cts)
    if len(leaves) != len(xs):
        raise TypeError(f"custom_vjp {call.name}: bwd returned {len(leaves)} cotangent "
                        f"leaves for {len(xs)} argument leaves")
    return leaves


def _jvp(ts: tuple, outs: tuple, *xs: Any, call: CustomCall) -> tuple:
    # Forward mode differentiates the function's own body.
    from tracegrad.autodiff.jvp import forward
    from tracegrad.tracer.tracer import Tracer

    fun = lambda: tree_flatten(_inline(call, xs))[0]  # noqa: E731
    if not all(isinstance(x, Tracer) for x in xs):
        raise TypeError(f"custom_vjp {call.name}: forward mode runs only on traced values")
    _, out_ts = forward(fun, xs, ts)
    return tuple(out_ts)


def _inline(call: CustomCall, xs: Any) -> Any:
    from tracegrad.runtime.interpreter import inline_graph

    return tree_unflatten(call.out_tree, inline_graph(call.graph, list(xs)))


custom_vjp_call_p = defop(
    "custom_vjp_call",
    type_rule=lambda *types, call: call.graph.out_types,
    impl=_impl,
    vjp=_vjp,
    jvp=_jvp,
    multiple_results=True,
)
