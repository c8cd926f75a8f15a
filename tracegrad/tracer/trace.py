"""Tracing a Python function on pytree arguments into a `Graph`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tracegrad.ir.builder import Builder
from tracegrad.ir.graph import Atom, Const, Graph
from tracegrad.ir.types import TensorType
from tracegrad.ops.promote import PY_SCALARS
from tracegrad.tracer.context import tracing
from tracegrad.tracer.errors import UnsupportedError, user_error
from tracegrad.tracer.pytree import TreeDef, tree_flatten, tree_unflatten
from tracegrad.tracer.tracer import Tracer


@dataclass(frozen=True)
class Traced:
    """A traced function: its graph and the pytree structures of its inputs and outputs."""

    graph: Graph
    in_tree: TreeDef
    out_tree: TreeDef


def leaf_type(leaf: Any) -> tuple[TensorType, bool]:
    """The IR type of an argument leaf and whether it is weakly typed (a Python scalar)."""
    if isinstance(leaf, Tracer):
        return leaf.atom.type, leaf.weak_type
    if isinstance(leaf, PY_SCALARS) and not isinstance(leaf, np.generic):
        return TensorType.of(leaf), True
    data = getattr(leaf, "_tg_constant", None)  # a dynamic-mode Tensor
    arr = data() if data is not None else leaf
    if not hasattr(arr, "shape") and not isinstance(arr, (list, np.generic)):
        raise user_error(
            TypeError,
            f"argument of type {type(leaf).__name__} is not an array, a scalar or a pytree "
            f"of them",
            "mark it static with static_argnums, or register its type with "
            "tg.register_pytree_node",
        )
    arr = np.asarray(arr)
    if arr.dtype == object:
        raise user_error(TypeError, "argument has dtype object, which cannot be traced")
    return TensorType(arr.shape, arr.dtype), False


def trace(fn: Callable, args: Sequence[Any]) -> Traced:
    """Trace ``fn(*args)`` with a fresh tracer for every array leaf of `args`.

    >>> trace(lambda x: x + 1.0, (np.ones(2),)).graph.out_types[0].shape
    (2,)
    """
    builder = Builder()
    with tracing(builder):
        leaves, in_tree = tree_flatten(tuple(args))
        tracers = []
        for leaf in leaves:
            t, weak = leaf_type(leaf)
            tracers.append(Tracer(builder.add_input(t), builder, weak_type=weak))
        out = fn(*tree_unflatten(in_tree, tracers))
        out_leaves, out_tree = tree_flatten(out)
        atoms = [output_atom(o) for o in out_leaves]
    return Traced(builder.build(atoms), in_tree, out_tree)


def output_atom(value: Any) -> Atom:
    """The IR value a function result leaf stands for (constants become `Const`)."""
    if isinstance(value, Tracer):
        return value.atom
    data = getattr(value, "_tg_constant", None)
    arr = np.asarray(data() if data is not None else value)
    if arr.dtype == object:
        raise user_error(
            UnsupportedError,
            f"the function returned a {type(value).__name__}, which is not an array",
            "return arrays, scalars, or tuples/lists/dicts of them",
        )
    return Const(arr)
