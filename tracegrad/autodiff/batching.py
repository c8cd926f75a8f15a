"""Batching: run the part of a computation that depends on a direction for many
directions at once, by giving those values a leading batch axis.

Jacobians and Hessians need a derivative along every basis vector. Instead of
emitting one copy of the derivative nodes per basis vector, `batch_nodes` rewrites
the nodes that depend on the direction once, each with its batching rule (JAX's
vmap rules, for tracegrad's primitives): values that depend on the direction carry
a leading axis of length B, values that don't are shared with the unbatched
computation and broadcast where an op meets both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from tracegrad.ir.graph import Node, Var
from tracegrad.ops import layout
from tracegrad.ops.primitive import bind
from tracegrad.tracer.errors import UnsupportedError, user_error
from tracegrad.tracer.tracer import Tracer

# rule(node, values, batched flags, B) -> batched value of the node's single output
BatchRule = Callable[[Node, list, list, int], Any]
RULES: dict[str, BatchRule] = {}


def direction_nodes(nodes: Sequence[Node], direction: Sequence[Var]) -> list[Node]:
    """The nodes among `nodes` that depend (transitively) on the `direction` variables."""
    varying = set(direction)
    out = []
    for node in nodes:
        if any(isinstance(a, Var) and a in varying for a in node.inputs):
            varying.update(node.outputs)
            out.append(node)
    return out


def batch_nodes(nodes: Sequence[Node], batched_inputs: dict[Var, Any], builder: Any,
                size: int) -> dict[Var, Any]:
    """Emit batched versions of `nodes` (in order) into `builder`.

    `batched_inputs` maps the direction variables to traced values with a leading
    axis of length `size`; every other variable a node reads is unbatched and read
    as it is. Returns the batched value of every output of `nodes`.
    """
    env: dict[Var, Any] = dict(batched_inputs)
    for node in nodes:
        vals, flags = [], []
        for a in node.inputs:
            if isinstance(a, Var) and a in env:
                vals.append(env[a])
                flags.append(True)
            else:
                vals.append(Tracer(a, builder))
                flags.append(False)
        if not any(flags):
            raise AssertionError("batch_nodes: a node that does not depend on the direction")
        rule = RULES.get(node.op.name) or (_elementwise if node.op.elementwise else None)
        if rule is None or node.op.multiple_results:
            raise user_error(UnsupportedError,
                             f"{node.op.name} cannot be batched (for a Jacobian or Hessian)",
                             "use tg.jacrev/tg.jacfwd on arrays outside tg.compile, which "
                             "evaluates one direction at a time")
        env[node.out] = rule(node, vals, flags, size)
    return env


def _lift(x: Any, batched: bool, size: int) -> Any:
    """`x` with the batch axis: broadcast along a new leading axis if unbatched."""
    if batched:
        return x
    shape = tuple(x.shape)
    return layout.broadcast_in_dim(x, (size,) + shape, tuple(range(1, len(shape) + 1)))


def _shift(axes: Sequence[int]) -> tuple[int, ...]:
    return tuple(a + 1 for a in axes)


def _elementwise(node: Node, vals: list, flags: list, size: int) -> Any:
    return bind(node.op, *[_lift(v, f, size) for v, f in zip(vals, flags)], **node.params)


def _rule(*names: str) -> Callable[[BatchRule], BatchRule]:
    def register(fn: BatchRule) -> BatchRule:
        for n in names:
            RULES[n] = fn
        return fn

    return register


@_rule("broadcast_in_dim")
def _broadcast_in_dim(node, vals, flags, size):
    p = node.params
    return bind(node.op, vals[0], shape=(size,) + p["shape"], dims=(0,) + _shift(p["dims"]))


@_rule("reshape")
def _reshape(node, vals, flags, size):
    return bind(node.op, vals[0], shape=(size,) + node.params["shape"])


@_rule("transpose")
def _transpose(node, vals, flags, size):
    return bind(node.op, vals[0], perm=(0,) + _shift(node.params["perm"]))


@_rule("reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "rev")
def _axes(node, vals, flags, size):
    return bind(node.op, vals[0], axes=_shift(node.params["axes"]))


@_rule("argmax", "argmin")
def _arg(node, vals, flags, size):
    return bind(node.op, vals[0], axis=node.params["axis"] + 1)


@_rule("slice")
def _slice(node, vals, flags, size):
    p = node.params
    return bind(node.op, vals[0], start=(0,) + p["start"], limit=(size,) + p["limit"],
                strides=(1,) + p["strides"])


@_rule("pad")
def _pad(node, vals, flags, size):
    config = ((0, 0, 0),) + node.params["config"]
    if not flags[1]:
        return bind(node.op, _lift(vals[0], flags[0], size), vals[1], config=config)
    # A padding value that depends on the direction: pad with zero, then add the
    # value times the mask of padded positions.
    from tracegrad.ops import elementwise as ew

    dtype = vals[1].dtype
    x_shape = tuple(vals[0].shape[1:]) if flags[0] else tuple(vals[0].shape)
    zero, one = layout.full((), 0, dtype), layout.full((), 1, dtype)
    padded = bind(node.op, _lift(vals[0], flags[0], size), zero, config=config)
    mask = bind(node.op, layout.full(x_shape, 0, dtype), one, config=node.params["config"])
    value = layout.broadcast_in_dim(vals[1], tuple(padded.shape), (0,))
    return ew.add(padded, ew.mul(value, _lift(mask, False, size)))


@_rule("concatenate")
def _concatenate(node, vals, flags, size):
    lifted = [_lift(v, f, size) for v, f in zip(vals, flags)]
    return bind(node.op, *lifted, axis=node.params["axis"] + 1)


@_rule("gather")
def _gather(node, vals, flags, size):
    if flags[1]:
        raise user_error(UnsupportedError, "gather with direction-dependent indices cannot "
                         "be batched")
    return bind(node.op, vals[0], vals[1], axis=node.params["axis"] + 1)


@_rule("scatter_add")
def _scatter_add(node, vals, flags, size):
    if flags[1]:
        raise user_error(UnsupportedError, "scatter_add with direction-dependent indices "
                         "cannot be batched")
    return bind(node.op, _lift(vals[0], flags[0], size), vals[1],
                _lift(vals[2], flags[2], size), axis=node.params["axis"] + 1)


@_rule("dot_general")
def _dot_general(node, vals, flags, size):
    (xc, yc), (xb, yb) = node.params["contracting"], node.params["batch"]
    x, y = vals
    if flags[0] and flags[1]:
        return bind(node.op, x, y, contracting=(_shift(xc), _shift(yc)),
                    batch=((0,) + _shift(xb), (0,) + _shift(yb)))
    if flags[0]:
        # The batch axis is x's first free axis: it lands after the batch axes.
        out = bind(node.op, x, y, contracting=(_shift(xc), yc), batch=(_shift(xb), yb))
        return _to_front(out, len(xb))
    out = bind(node.op, x, y, contracting=(xc, _shift(yc)), batch=(xb, _shift(yb)))
    x_free = len(x.shape) - len(xc) - len(xb)
    return _to_front(out, len(xb) + x_free)


def _to_front(x: Any, axis: int) -> Any:
    if axis == 0:
        return x
    n = len(x.shape)
    perm = (axis,) + tuple(i for i in range(n) if i != axis)
    return layout.transpose(x, perm)
