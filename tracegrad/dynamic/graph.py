"""The tape: grad_fn nodes, and how the ops of one user-level call become one node.

Every op on tensors goes through `bind`, so the tape is made of primitives; but a
PyTorch user expects ``x.mean().grad_fn`` to be one ``MeanBackward0``, not the
``reduce_sum`` and ``div`` it binds. `record_as(name, fn, ...)` runs a user-level
call inside a `Scope`: the primitives bound on tensors while it runs are recorded as
the *steps* of one node, named `name`. A primitive bound outside any scope (e.g.
``tg.exp(t)`` straight from the op catalogue) is a node on its own, named after it.

A node's backward runs its steps' VJP rules in reverse, the same rules the static
autodiff uses, on `Saved` values (see `saved.py`). Cotangents live in *slots*: one
per tensor that requires grad inside the call, the call's inputs from outside first
in order of use (its ``next_functions``), its internal values after them.
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from tracegrad.dynamic.grad_mode import enable_grad, is_grad_enabled
from tracegrad.dynamic.saved import Saved, force
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, bind
from tracegrad.tracer.errors import user_error

_SEQUENCE = itertools.count()
_STATE = threading.local()

# grad_fn names (PyTorch's) of primitives bound outside a user-level call.
_PRIM_NAMES = {
    "add": "Add", "sub": "Sub", "mul": "Mul", "div": "Div", "pow": "Pow", "neg": "Neg",
    "logistic": "Sigmoid", "max": "Maximum", "min": "Minimum", "select": "Where",
    "convert": "ToCopy", "broadcast_in_dim": "Expand", "reshape": "View",
    "transpose": "Permute", "reduce_sum": "Sum", "reduce_max": "Max", "reduce_min": "Min",
    "reduce_prod": "Prod", "dot_general": "Mm", "slice": "Slice", "gather": "Index",
    "concatenate": "Cat", "pad": "ConstantPadNd", "scatter_add": "ScatterAdd",
    "log1p": "Log1P", "atan2": "Atan2",
}


def prim_grad_fn_name(prim: Any) -> str:
    """The grad_fn name of a primitive bound on its own: ``MulBackward0``."""
    base = _PRIM_NAMES.get(prim.name) or prim.name.title().replace("_", "")
    return base + "Backward0"


# --- nodes ---------------------------------------------------------------------------


class Node:
    """A ``grad_fn``: computes the gradients of its inputs from those of its outputs.

    `next_functions` holds, per differentiable input, ``(node, output_nr)`` of the
    node that produced it (an `AccumulateGrad` for a leaf), ``(None, 0)`` for an
    input that needs no gradient: PyTorch's structure, so graphs can be walked.
    """

    def __init__(self, next_functions: list[tuple[Any, int]], num_outputs: int) -> None:
        self.next_functions = tuple(next_functions)
        self.num_outputs = num_outputs
        self._sequence_nr = next(_SEQUENCE)  # later nodes run first, as in PyTorch
        self._pre_hooks: dict[int, dict[int, Callable]] = {}
        self._retained: dict[int, Any] = {}

    def name(self) -> str:
        """The PyTorch-style name: ``MulBackward0``."""
        return type(self).__name__

    def __repr__(self) -> str:
        return f"<{self.name()} object at {hex(id(self))}>"

    def apply(self, grads: list, create_graph: bool) -> list:
        """The gradients of the inputs (per `next_functions`) from `grads`."""
        raise NotImplementedError

    def release(self) -> None:
        """Free what was saved for backward (after a backward without retain_graph)."""

    def run_pre_hooks(self, grads: list, create_graph: bool) -> list:
        """Apply the tensor hooks registered on this node's outputs, then retain_grad."""
        for nr, hooks in self._pre_hooks.items():
            if grads[nr] is not None:
                grads[nr] = run_hooks(hooks.values(), grads[nr])
        for nr, ref in self._retained.items():
            tensor = ref()
            if tensor is not None and grads[nr] is not None:
                accumulate_grad(tensor, grads[nr], create_graph)
        return grads


_NODE_CLASSES: dict[tuple[str, type], type] = {}


def node_class(name: str, base: type) -> type:
    """A `base` subclass named `name`, so ``type(y.grad_fn).__name__`` reads as in PyTorch."""
    cls = _NODE_CLASSES.get((name, base))
    if cls is None:
        cls = _NODE_CLASSES[(name, base)] = type(name, (base,), {})
    return cls


class AccumulateGrad(Node):
    """The node of a leaf tensor: runs its hooks and adds the gradient into ``.grad``."""

    def __init__(self, variable: Any) -> None:
        super().__init__([], 1)
        self.variable = variable

    def run_pre_hooks(self, grads: list, create_graph: bool) -> list:
        hooks = self.variable._hooks
        if hooks and grads[0] is not None:
            grads[0] = run_hooks(list(hooks.values()), grads[0])
        return grads

    def apply(self, grads: list, create_graph: bool) -> list:
        if grads[0] is not None:
            accumulate_grad(self.variable, grads[0], create_graph)
        return []


def accumulator(tensor: Any) -> AccumulateGrad:
    """The leaf's `AccumulateGrad`, shared by the graphs alive at the same time."""
    ref = tensor._accumulator
    node = ref() if ref is not None else None
    if node is None:
        node = AccumulateGrad(tensor)
        tensor._accumulator = weakref.ref(node)
    return node


def edge(tensor: Any) -> tuple[Node, int]:
    """Where the gradient of `tensor` (which requires grad) goes: its producer's output."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn, tensor._output_nr
    return accumulator(tensor), 0


def run_hooks(hooks: Any, g: Any) -> Any:
    """Call tensor hooks in order; a hook that returns a value replaces the gradient.

    Hooks see tensors; without create_graph the gradients flowing are arrays.
    """
    from tracegrad.dynamic.tensor import Tensor

    for hook in hooks:
        result = hook(g if isinstance(g, Tensor) else Tensor._wrap(g))
        if result is None:
            continue
        if isinstance(g, Tensor):
            g = result
        else:
            g = result._data if isinstance(result, Tensor) else np.asarray(result)
    return g


def accumulate_grad(tensor: Any, g: Any, create_graph: bool) -> None:
    """``tensor.grad += g`` with PyTorch's semantics (in place unless create_graph)."""
    from tracegrad.dynamic.tensor import Tensor

    if isinstance(g, Tensor):
        if not create_graph:
            g = g._data
    if tensor._grad is None:
        if isinstance(g, Tensor):
            tensor._grad = g
        else:
            tensor._grad = Tensor._wrap(np.array(g, dtype=tensor.dtype, copy=True))
    elif isinstance(g, Tensor) or tensor._grad.requires_grad:
        tensor._grad = tensor._grad + g
    else:
        grad = tensor._grad
        if grad._data.flags.writeable:
            np.add(grad._data, g, out=grad._data, casting="unsafe")
            grad._version_counter.value += 1
        else:
            tensor._grad = Tensor._wrap(grad._data + g)


# --- the node of a user-level call ------------------------------------------------------


class Step:
    """One primitive applied inside a node: its operands and result, and their slots."""

    __slots__ = ("prim", "params", "ins", "in_slots", "out", "out_slot")

    def __init__(self, prim, params, ins, in_slots, out, out_slot) -> None:
        self.prim, self.params = prim, params
        self.ins, self.in_slots = ins, in_slots
        self.out, self.out_slot = out, out_slot


class OpNode(Node):
    """The grad_fn of one user-level call (or of one primitive bound on its own)."""

    def __init__(self, steps: list[Step], ext_slots: list[int | None], ext_saved: list[Saved],
                 edges: list[tuple[Node, int]], out_slots: list[int], num_slots: int) -> None:
        super().__init__(edges, len(out_slots))
        self._steps = steps
        self._ext_slots = ext_slots
        self._ext_saved = ext_saved
        self._out_slots = out_slots
        self._num_slots = num_slots

    def apply(self, grads: list, create_graph: bool) -> list:
        if create_graph:
            return self._apply_differentiable(grads)
        ct: list[Any] = [None] * self._num_slots
        for slot, g in zip(self._out_slots, grads):
            ct[slot] = g
        for step in reversed(self._steps):
            g = _step_cotangent(step, ct)
            if g is None:
                continue
            cts = _rule(step)(g, step.out, *step.ins, **step.params)
            for slot, saved_in, c in zip(step.in_slots, step.ins, cts):
                if slot is None or c is None:
                    continue  # only the cotangents of inputs that require grad are computed
                c = _checked(step, saved_in, force(c))
                ct[slot] = c if ct[slot] is None else ct[slot] + c
        return [None if s is None else ct[s] for s in self._ext_slots]

    def _apply_differentiable(self, grads: list) -> list:
        """Backward as recorded ops (``create_graph=True``): the steps are replayed on
        the saved input tensors so that the rules' results have a graph of their own."""
        env: dict[int, Any] = {}
        for slot, saved in zip(self._ext_slots, self._ext_saved):
            if slot is not None:
                saved.value()  # PyTorch's errors if it was freed or modified
                env[slot] = saved.tensor
        with enable_grad(), np.errstate(all="ignore"):
            replayed = []
            for step in self._steps:
                args = [env[s] if s is not None else _constant(v)
                        for s, v in zip(step.in_slots, step.ins)]
                out = bind(step.prim, *args, **step.params)
                for s, o in zip(_as_tuple(step.out_slot), _as_tuple(out)):
                    env[s] = o
                replayed.append((args, out))
            ct: dict[int, Any] = {s: g for s, g in zip(self._out_slots, grads) if g is not None}
            for step, (args, out) in zip(reversed(self._steps), reversed(replayed)):
                g = ct.pop(step.out_slot, None) if not isinstance(step.out_slot, tuple) \
                    else _tuple_cotangent(step, ct, out)
                if g is None:
                    continue
                for slot, c in zip(step.in_slots, _rule(step)(g, out, *args, **step.params)):
                    if slot is not None and c is not None:
                        ct[slot] = c if slot not in ct else ct[slot] + c
        return [None if s is None else ct.get(s) for s in self._ext_slots]

    def release(self) -> None:
        for step in self._steps:
            for v in (*step.ins, *_as_tuple(step.out)):
                if isinstance(v, Saved):
                    v.free()


def _as_tuple(x: Any) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def _step_cotangent(step: Step, ct: list) -> Any:
    """The cotangent of a step's result (None: nothing flows back through it)."""
    if not any(s is not None for s in step.in_slots):
        return None
    if not isinstance(step.out_slot, tuple):
        g, ct[step.out_slot] = ct[step.out_slot], None
        return g
    gs = [ct[s] for s in step.out_slot]
    if all(g is None for g in gs):
        return None
    return tuple(g if g is not None else np.zeros(o.shape, o.dtype)
                 for g, o in zip(gs, step.out))


def _tuple_cotangent(step: Step, ct: dict, out: tuple) -> Any:
    from tracegrad.ops.layout import zeros_like

    gs = [ct.pop(s, None) for s in step.out_slot]
    if all(g is None for g in gs):
        return None
    return tuple(g if g is not None else zeros_like(o) for g, o in zip(gs, out))


def _rule(step: Step) -> Callable:
    rule = step.prim.vjp
    if rule is None or rule is NOT_DIFFERENTIABLE:
        raise user_error(
            RuntimeError,
            f"the derivative for '{step.prim.name}' is not implemented",
            "detach() the input of this operation, or compute it under tg.no_grad()",
        )
    return rule


def _checked(step: Step, saved_in: Any, c: Any) -> Any:
    shape = getattr(saved_in, "shape", None)
    if shape is not None and np.shape(c) != tuple(shape):
        raise RuntimeError(
            f"internal error: the VJP rule of '{step.prim.name}' returned a cotangent of "
            f"shape {np.shape(c)} for an operand of shape {tuple(shape)}"
        )
    return c


def _constant(v: Any) -> Any:
    if isinstance(v, Saved):
        data = v.value()
        if v.tensor is not None:
            return v.tensor
        from tracegrad.dynamic.tensor import Tensor

        return Tensor._wrap(data)
    return v


# --- scopes: one node per user-level call ------------------------------------------------


class Scope:
    """Collects the steps recorded while one user-level call runs."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.steps: list[Step] = []
        self.slots: dict[int, int] = {}  # id(tensor) -> slot
        self.saved: dict[int, Saved] = {}  # id(tensor) -> its Saved
        self.internal: dict[int, Any] = {}  # id -> tensor made inside (kept alive)
        self.num_slots = 0
        self.ext_slots: list[int] = []
        self.ext_saved: list[Saved] = []
        self.edges: list[tuple[Node | None, int]] = []
        self.inputs: set[int] = set()  # ids of the tensors from outside

    def record(self, prim: Any, params: dict, args: tuple, outs: list) -> None:
        """Add ``outs = prim(*args, **params)`` as a step; `outs` become internal values."""
        from tracegrad.dynamic.tensor import Tensor

        ins = tuple(self._save(a) if isinstance(a, Tensor) else a for a in args)
        in_slots = tuple(self._slot(a) if isinstance(a, Tensor) else None for a in args)
        out_saved, out_slots = [], []
        for o in outs:
            o._requires_grad = True
            self.internal[id(o)] = o
            self.slots[id(o)] = self.num_slots
            out_slots.append(self.num_slots)
            self.num_slots += 1
            s = self.saved[id(o)] = Saved(o._data, o._version_counter, ref=o)
            out_saved.append(s)
        multi = prim.multiple_results
        self.steps.append(Step(prim, params, ins, in_slots,
                               tuple(out_saved) if multi else out_saved[0],
                               tuple(out_slots) if multi else out_slots[0]))

    def _save(self, t: Any) -> Saved:
        s = self.saved.get(id(t))
        if s is None:  # an operand from outside the call
            s = self.saved[id(t)] = Saved(t._data, t._version_counter, tensor=t)
        return s

    def _slot(self, t: Any) -> int | None:
        s = self.slots.get(id(t))
        if s is not None or id(t) in self.inputs:
            return s
        # An input from outside: a next_function, with a slot if it requires grad.
        self.inputs.add(id(t))
        if t._requires_grad:
            s = self.slots[id(t)] = self.num_slots
            self.num_slots += 1
            self.edges.append(edge(t))
        else:
            self.edges.append((None, 0))
        self.ext_slots.append(s)
        self.ext_saved.append(self._save(t))
        return s

    def finish(self, result: Any) -> Any:
        """Make the node; the call's results that were made inside become its outputs."""
        if not self.steps:
            return result
        outs = result if isinstance(result, (tuple, list)) else (result,)
        node_outs: dict[int, Any] = {}
        for o in outs:
            if id(o) in self.internal:
                node_outs.setdefault(id(o), o)
        for tid, t in self.internal.items():
            if tid not in node_outs:
                t._requires_grad = False  # an intermediate the user never sees
        if not node_outs:
            return result
        cls = node_class(self.name, OpNode)
        node = cls(self.steps, self.ext_slots, self.ext_saved, self.edges,
                   [self.slots[tid] for tid in node_outs], self.num_slots)
        for i, o in enumerate(node_outs.values()):
            o.grad_fn = node
            o._output_nr = i
        return result


def record_as(name: str, fn: Callable, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)``; the ops it applies to tensors form one grad_fn `name`.

    Calls nest: inside a recorded call, another one is part of the outer node.

    >>> import tracegrad as tg
    >>> x = tg.ones(3, requires_grad=True)
    >>> record_as("MeanBackward0", lambda t: t.sum() / 3, x).grad_fn.name()
    'MeanBackward0'
    """
    if getattr(_STATE, "scope", None) is not None or not is_grad_enabled():
        return fn(*args, **kwargs)
    scope = _STATE.scope = Scope(name)
    try:
        result = fn(*args, **kwargs)
    finally:
        _STATE.scope = None
    return scope.finish(result)


def record(prim: Any, params: dict, args: tuple, outs: list) -> None:
    """Record a primitive applied to tensors: into the current call's node, or as a node."""
    scope = getattr(_STATE, "scope", None)
    if scope is not None:
        scope.record(prim, params, args, outs)
        return
    scope = Scope(prim_grad_fn_name(prim))
    scope.record(prim, params, args, outs)
    scope.finish(tuple(outs))
