"""The deterministic text dump of a `Graph`: a signature, one line per node, results.

    graph(%0:f64[3], %1:f64[]) -> (f64[]) {
      %2:f64[3] = broadcast_in_dim %1  dims=() shape=(3,)
      %3:f64[3] = mul %0, %2
      %4:f64[] = reduce_sum %3  axes=(0,)
      return %4
    }

Values are numbered in order of appearance; scalar literals print inline
(``2.0:f32``), larger literals by type and a short preview.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tracegrad.ir.graph import Atom, Const, Graph, Var
from tracegrad.ir.types import short_dtype


def format_graph(graph: Graph, indent: str = "") -> str:
    """The text dump of `graph`.

    >>> import tracegrad as tg
    >>> print(format_graph(tg.make_ir(lambda x: x * 2.0)(np.ones(3))))
    graph(%0:f64[3]) -> (f64[3]) {
      %1:f64[3] = mul %0, 2.0:f64
      return %1
    }
    """
    names: dict[Var, str] = {}

    def name(v: Var) -> str:
        if v not in names:
            names[v] = f"%{len(names)}"
        return names[v]

    def ref(a: Atom) -> str:
        return format_const(a) if isinstance(a, Const) else name(a)

    sig = ", ".join(f"{name(v)}:{v.type}" for v in graph.inputs)
    outs = ", ".join(str(a.type) for a in graph.outputs)
    lines = [f"{indent}graph({sig}) -> ({outs}) {{"]
    for node in graph.nodes:
        lhs = ", ".join(f"{name(v)}:{v.type}" for v in node.outputs)
        args = ", ".join(ref(a) for a in node.inputs)
        params = "  ".join(
            f"{k}={format_param(v, indent + '    ')}" for k, v in node.params.items()
        )
        line = f"{indent}  {lhs} = {node.op.name} {args}".rstrip()
        lines.append(f"{line}  {params}" if params else line)
    lines.append(f"{indent}  return {', '.join(ref(a) for a in graph.outputs)}")
    lines.append(f"{indent}}}")
    return "\n".join(lines)


def format_const(c: Const) -> str:
    """A literal as it appears in a dump: the value for scalars, else type and preview."""
    if c.type.shape == ():
        return f"{_scalar(c.value)}:{short_dtype(c.dtype)}"
    flat = c.value.ravel()
    preview = ", ".join(_scalar(v) for v in flat[:3]) + (", ..." if flat.size > 3 else "")
    return f"const{c.type}[{preview}]"


def format_param(value: Any, indent: str = "") -> str:
    """A parameter value as it appears in a dump (dtypes short, sub-graphs indented)."""
    if isinstance(value, np.dtype) or (isinstance(value, type) and issubclass(value, np.generic)):
        return short_dtype(value)
    if isinstance(value, Graph):
        return "\n" + format_graph(value, indent)
    if isinstance(value, tuple):
        inner = ", ".join(format_param(v, indent) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    return repr(value) if not callable(value) else getattr(value, "__name__", repr(value))


def _scalar(v: Any) -> str:
    return repr(np.asarray(v).item())
