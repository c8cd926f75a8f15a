"""`custom_vjp`: a function with a user-supplied reverse-mode derivative (JAX's API).

The call becomes one `custom_vjp_call` node holding the function's graph. Its VJP
rule runs the user's ``fwd`` and ``bwd`` on the values flowing through the
backward pass; inside a trace those are traced into ordinary IR, so the derivative
can be differentiated again (a Hessian through a `custom_vjp`, which JAX refuses).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tracegrad.ir.graph import Graph, Node, Var
from tracegrad.ops.control import CustomCall, custom_vjp_call_p
from tracegrad.ops.primitive import bind
from tracegrad.tracer.errors import user_error
from tracegrad.tracer.pytree import tree_flatten, tree_unflatten
from tracegrad.tracer.trace import trace


class custom_vjp:
    """Decorator: give `fun` a custom VJP with ``.defvjp(fwd, bwd)``.

    ``fwd(*args) -> (out, residuals)``; ``bwd(residuals, g) -> tuple`` of one
    cotangent per argument.

    >>> import numpy as np, tracegrad as tg
    >>> @tg.custom_vjp
    ... def clip_grad(x): return x
    >>> clip_grad.defvjp(lambda x: (x, None), lambda res, g: (np.clip(g, -1, 1),))
    >>> tg.grad(lambda x: np.sum(clip_grad(x) * 5.0))(np.ones(2))
    array([1., 1.])
    """

    def __init__(self, fun: Callable) -> None:
        self.fun = fun
        self.fwd: Callable | None = None
        self.bwd: Callable | None = None
        self._calls: dict[Any, CustomCall] = {}
        functools.update_wrapper(self, fun)

    def defvjp(self, fwd: Callable, bwd: Callable) -> None:
        """Set the forward function (returning ``(out, residuals)``) and the backward one."""
        self.fwd, self.bwd = fwd, bwd

    def __call__(self, *args: Any) -> Any:
        if self.fwd is None:
            raise user_error(TypeError, f"custom_vjp function {self.__name__} has no VJP",
                             "call .defvjp(fwd, bwd) before calling it")
        leaves, in_tree = tree_flatten(args)
        call = self._call_for(leaves, in_tree)
        outs = bind(custom_vjp_call_p, *leaves, call=call)
        return tree_unflatten(call.out_tree, list(outs))

    def _call_for(self, leaves: list, in_tree: Any) -> CustomCall:
        from tracegrad.tracer.trace import leaf_type

        key = (in_tree, tuple(leaf_type(x) for x in leaves))
        call = self._calls.get(key)
        if call is None:
            traced = trace(lambda *a: self.fun(*a), tree_unflatten(in_tree, leaves))
            call = CustomCall(self.__name__, traced.graph, self.fwd, self.bwd,
                              in_tree, traced.out_tree)
            self._calls[key] = call
        return call


def inline_custom_calls(graph: Graph) -> Graph:
    """`graph` with every `custom_vjp_call` replaced by the nodes of its function.

    Run after differentiation: the code generators then see only primitive ops, and
    CSE can merge the primal body with the recomputation in the user's ``fwd``.
    """
    if not any(n.op is custom_vjp_call_p for n in graph.nodes):
        return graph
    rename: dict[Var, Any] = {}
    nodes: list[Node] = []
    for node in graph.nodes:
        inputs = tuple(rename.get(a, a) if isinstance(a, Var) else a for a in node.inputs)
        if node.op is not custom_vjp_call_p:
            nodes.append(Node(node.op, inputs, node.params, node.outputs, node.where))
            continue
        sub = inline_custom_calls(node.params["call"].graph)
        env: dict[Var, Any] = dict(zip(sub.inputs, inputs))
        for inner in sub.nodes:
            ins = tuple(env.get(a, a) if isinstance(a, Var) else a for a in inner.inputs)
            outs = tuple(Var(o.type) for o in inner.outputs)
            env.update(zip(inner.outputs, outs))
            nodes.append(Node(inner.op, ins, inner.params, outs, node.where))
        for o, a in zip(node.outputs, sub.outputs):
            rename[o] = env.get(a, a) if isinstance(a, Var) else a
    outputs = tuple(rename.get(a, a) if isinstance(a, Var) else a for a in graph.outputs)
    return Graph(graph.inputs, tuple(nodes), outputs)
