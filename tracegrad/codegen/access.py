"""Layout ops as index arithmetic: reading a view at an index reads its operand.

Broadcasts, transposes, reshapes, slices, reversals, pads, concatenations and
gathers are never copied by the code generator. Each is a *view*: reading it at
the index ``idx`` (a list of index expressions such as ``["i0", "(i1 + 2)"]``)
reads its operand at a transformed index, possibly under a condition (``pad``,
``concatenate``) or through a loaded index (``gather``). `read` follows a chain of
views down to *base* values (buffers, locals, literals) and returns one scalar
expression; the caller decides how a base is read with its `leaf` callback.

Index expressions are plain strings kept tidy (``i0`` rather than ``(i0 * 1 + 0)``)
so that generated code stays readable and identity maps stay recognisable.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np  # noqa: F401  (doctests)

from tracegrad.ir.graph import Atom, Node, Var

VIEW_OPS = frozenset(
    {"broadcast_in_dim", "transpose", "reshape", "slice", "rev", "pad", "concatenate", "gather"}
)

# leaf(base, index, guarded) -> expression; `guarded` reads sit under a condition
# (inside a pad or a concatenation) and must not be hoisted or loaded early.
Leaf = Callable[[Atom, list[str], bool], str]


def loop_index(ndim: int, start: int = 0) -> list[str]:
    """The loop variables ``i0, i1, ...`` of an `ndim`-dimensional nest."""
    return [f"i{d}" for d in range(start, start + ndim)]


def read(atom: Atom, idx: Sequence[str], views: dict[Var, Node], leaf: Leaf,
         guarded: bool = False) -> str:
    """The scalar expression of `atom` at `idx`, following views down to leaves.

    >>> from tracegrad.ir.types import TensorType
    >>> x = Var(TensorType((3,), np.float64))
    >>> read(x, ["(2 - i0)"], {}, lambda a, i, g: f"x[{', '.join(i)}]")
    'x[(2 - i0)]'
    """
    node = views.get(atom) if isinstance(atom, Var) else None
    if node is None:
        return leaf(atom, list(idx), guarded)

    def rd(a: Atom, i: list[str], cond: bool = False) -> str:
        return read(a, i, views, leaf, guarded or cond)

    return _RULES[node.op.name](node, list(idx), rd)


def bases(atom: Atom, idx: Sequence[str], views: dict[Var, Node]) -> list[tuple[Atom, list[str]]]:
    """The base values `read` would reach from `atom` at `idx`, with their indices."""
    found: list[tuple[Atom, list[str]]] = []

    def leaf(a: Atom, i: list[str], guarded: bool) -> str:
        found.append((a, i))
        return "_"

    read(atom, idx, views, leaf)
    return found


# --- index expression helpers --------------------------------------------------------

_INT = re.compile(r"-?\d+$")


def add(e: str, c: int) -> str:
    """``e + c`` as a tidy expression."""
    if c == 0:
        return e
    if _INT.match(e):
        return str(int(e) + c)
    return f"({e} + {c})" if c > 0 else f"({e} - {-c})"


def mul(e: str, c: int) -> str:
    """``e * c`` as a tidy expression."""
    if c == 1:
        return e
    if c == 0:
        return "0"
    if _INT.match(e):
        return str(int(e) * c)
    return f"({e} * {c})"


def rsub(c: int, e: str) -> str:
    """``c - e`` as a tidy expression."""
    if _INT.match(e):
        return str(c - int(e))
    return f"({c} - {e})"


def floordiv(e: str, c: int) -> str:
    if c == 1:
        return e
    if _INT.match(e):
        return str(int(e) // c)
    return f"({e} // {c})"


def mod(e: str, c: int) -> str:
    if c == 1:
        return "0"
    if _INT.match(e):
        return str(int(e) % c)
    return f"({e} % {c})"


# --- one rule per view op: (node, idx, read_operand) -> expression ----------------------


def _broadcast_in_dim(node: Node, idx: list[str], rd) -> str:
    return rd(node.inputs[0], [idx[d] for d in node.params["dims"]])


def _transpose(node: Node, idx: list[str], rd) -> str:
    perm = node.params["perm"]
    src = [""] * len(perm)
    for i, p in enumerate(perm):
        src[p] = idx[i]
    return rd(node.inputs[0], src)


def _slice(node: Node, idx: list[str], rd) -> str:
    start = node.params["start"]
    strides = node.params.get("strides") or (1,) * len(start)
    return rd(node.inputs[0], [add(mul(e, s), b) for e, s, b in zip(idx, strides, start)])


def _rev(node: Node, idx: list[str], rd) -> str:
    x = node.inputs[0]
    axes = node.params["axes"]
    return rd(x, [rsub(x.shape[a] - 1, e) if a in axes else e for a, e in enumerate(idx)])


def _reshape(node: Node, idx: list[str], rd) -> str:
    x = node.inputs[0]
    return rd(x, reshape_index(node.outputs[0].shape, x.shape, idx))


def reshape_index(out_shape: Sequence[int], in_shape: Sequence[int],
                  idx: Sequence[str]) -> list[str]:
    """The operand index of a reshape from `in_shape` to `out_shape` at `idx`.

    Axes are matched in groups of equal size (a split, a merge, or one axis), so
    adding or dropping size-1 axes costs nothing and a merge is one multiply-add.

    >>> reshape_index((2, 3, 4), (6, 4), ["i0", "i1", "i2"])
    ['((i0 * 3) + i1)', 'i2']
    """
    src = ["0"] * len(in_shape)
    if 0 in out_shape:  # an empty array is never read
        return src
    for outs, ins in _axis_groups(tuple(out_shape), tuple(in_shape)):
        outs = [a for a in outs if out_shape[a] != 1]
        ins_live = [b for b in ins if in_shape[b] != 1]
        if len(outs) == 1 and len(ins_live) == 1:
            src[ins_live[0]] = idx[outs[0]]
            continue
        flat = "0"
        for a in outs:  # row-major flat offset inside the group
            flat = idx[a] if flat == "0" else f"({mul(flat, out_shape[a])} + {idx[a]})"
        stride = 1
        for b in reversed(ins_live):
            e = floordiv(flat, stride)
            if b != ins_live[0]:
                e = mod(e, in_shape[b])
            src[b] = e
            stride *= in_shape[b]
    return src


def _axis_groups(out_shape: tuple[int, ...], in_shape: tuple[int, ...]):
    """Pairs (out axes, in axes) of consecutive axes with equal products."""
    groups = []
    a = b = 0
    while a < len(out_shape) or b < len(in_shape):
        outs, ins = [], []
        po = pi = 1
        if a < len(out_shape):
            po, a = out_shape[a], a + 1
            outs.append(a - 1)
        if b < len(in_shape):
            pi, b = in_shape[b], b + 1
            ins.append(b - 1)
        while po != pi:
            if po < pi:
                po, a = po * out_shape[a], a + 1
                outs.append(a - 1)
            else:
                pi, b = pi * in_shape[b], b + 1
                ins.append(b - 1)
        groups.append((outs, ins))
    return groups


def _pad(node: Node, idx: list[str], rd) -> str:
    x, value = node.inputs
    src, conds = [], []
    for e, n, (lo, _hi, interior) in zip(idx, x.shape, node.params["config"]):
        p = add(e, -lo)
        step = interior + 1
        if step == 1:
            src.append(p)
            conds.append(f"0 <= {p} < {n}")
        else:
            src.append(floordiv(p, step))
            conds.append(f"0 <= {p} <= {(n - 1) * step} and {mod(p, step)} == 0")
    fill = rd(value, [])
    if not conds:
        return rd(x, src)
    return f"({rd(x, src, True)} if ({' and '.join(conds)}) else {fill})"


def _concatenate(node: Node, idx: list[str], rd) -> str:
    axis = node.params["axis"]
    pieces, offset = [], 0
    for x in node.inputs:
        at = list(idx)
        at[axis] = add(idx[axis], -offset)
        offset += x.shape[axis]
        pieces.append((offset, rd(x, at, True)))
    expr = pieces[-1][1]
    for end, piece in reversed(pieces[:-1]):
        expr = f"({piece} if {idx[axis]} < {end} else {expr})"
    return expr


def _gather(node: Node, idx: list[str], rd) -> str:
    x, indices = node.inputs
    axis = node.params["axis"]
    k = len(indices.shape)
    j = rd(indices, idx[axis:axis + k])
    n = x.shape[axis]
    clipped = f"min(max({j}, 0), {n - 1})"  # out-of-range indices clip, as in the impl
    return rd(x, idx[:axis] + [clipped] + idx[axis + k:])


_RULES = {
    "broadcast_in_dim": _broadcast_in_dim,
    "transpose": _transpose,
    "reshape": _reshape,
    "slice": _slice,
    "rev": _rev,
    "pad": _pad,
    "concatenate": _concatenate,
    "gather": _gather,
}
