"""The deterministic text dump of a `Graph`: a signature, one line per node, results.

    graph(%0:f64[3], %1:f64[]) -> (f64[]) {
      %2:f64[3] = broadcast_in_dim %1  dims=()  shape=(3,)
      %3:f64[3] = mul %0, %2
      %4:f64[] = reduce_sum %3  axes=(0,)
      return %4
    }

Values are numbered in order of first appearance, so the same graph always prints
the same text (the runtime cache keys on it); scalar literals print inline
(``2.0:f32``), larger literals by type and a short preview. Params print sorted by
name; a sub-graph param (the body of a control-flow op) prints indented under its
node and continues the numbering of the enclosing graph, so a value of the outer
graph read inside the body keeps its name.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from tracegrad.ir.graph import Atom, Const, Graph, Node, Var
from tracegrad.ir.types import TensorType, short_dtype


class Names:
    """Names values ``%0, %1, ...`` in order of first appearance.

    >>> from tracegrad.ir.types import TensorType
    >>> names = Names(); v = Var(TensorType((), np.float64))
    >>> names(v), names(Var(v.type)), names(v)
    ('%0', '%1', '%0')
    """

    def __init__(self) -> None:
        self._names: dict[Var, str] = {}

    def __call__(self, v: Var) -> str:
        name = self._names.get(v)
        if name is None:
            name = self._names[v] = f"%{len(self._names)}"
        return name

    def ref(self, a: Atom) -> str:
        """How an operand is written: a name for a `Var`, the literal for a `Const`."""
        if isinstance(a, Const):
            return format_const(a)
        # Anything else is a bug that `verify` is reporting: show it, do not crash.
        return self(a) if isinstance(a, Var) else f"<{type(a).__name__}>"


def format_graph(graph: Graph, indent: str = "", names: Names | None = None) -> str:
    """The text dump of `graph` (pass `names` to continue an enclosing graph's numbering).

    >>> import numpy as np, tracegrad as tg
    >>> print(format_graph(tg.make_ir(lambda x: x * 2.0)(np.ones(3))))
    graph(%0:f64[3]) -> (f64[3]) {
      %1:f64[3] = broadcast_in_dim 2.0:f64  dims=()  shape=(3,)
      %2:f64[3] = mul %0, %1
      return %2
    }
    """
    names = Names() if names is None else names
    sig = ", ".join(f"{names(v)}:{_type(v.type)}" for v in graph.inputs)
    outs = ", ".join(_type(a.type) for a in graph.outputs)
    lines = [f"{indent}graph({sig}) -> ({outs}) {{"]
    lines += [format_node(node, names, indent + "  ") for node in graph.nodes]
    lines.append(f"{indent}  return {', '.join(names.ref(a) for a in graph.outputs)}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def format_node(node: Node, names: Names | None = None, indent: str = "") -> str:
    """One node as it appears in a dump: ``%3:f64[1000] = mul %1, %2  params``.

    Without `names` the values are numbered from ``%0`` within this line alone.
    """
    names = Names() if names is None else names
    lhs = ", ".join(f"{names.ref(v)}:{_type(v.type)}" for v in node.outputs)
    args = ", ".join(names.ref(a) for a in node.inputs)
    line = f"{indent}{lhs} = {node.op.name} {args}".rstrip()
    params = "  ".join(
        f"{k}={format_param(v, indent + '    ', names)}" for k, v in node.params.items()
    )
    return f"{line}  {params}" if params else line


def format_const(c: Const) -> str:
    """A literal as it appears in a dump: the value for scalars, else type and preview."""
    if c.type.shape == ():
        return f"{_scalar(c.value)}:{_dtype(c.dtype)}"
    flat = c.value.ravel()
    preview = ", ".join(_scalar(v) for v in flat[:3]) + (", ..." if flat.size > 3 else "")
    return f"const{_type(c.type)}[{preview}]"


def format_param(value: Any, indent: str = "", names: Names | None = None) -> str:
    """A parameter value as it appears in a dump (dtypes short, sub-graphs indented)."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return _dtype(value)
    if isinstance(value, Graph):
        return "\n" + format_graph(value, indent, names)
    if isinstance(value, tuple):
        # (a sub-graph starts on a new line: no space before it)
        inner = ", ".join(format_param(v, indent, names) for v in value).replace(", \n", ",\n")
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value) if not callable(value) else getattr(value, "__name__", repr(value))


# Dumps are hashed for the compile cache on every trace, and NumPy's dtype names
# are slow to compute: remember them.
@functools.lru_cache(maxsize=4096)
def _type(t: TensorType) -> str:
    return str(t)


@functools.lru_cache(maxsize=256)
def _dtype(dtype: Any) -> str:
    return short_dtype(dtype)


def _scalar(v: Any) -> str:
    return repr(np.asarray(v).item())
