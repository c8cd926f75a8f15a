"""NumPy contractions on traced values: dot, vdot, inner, outer, matmul,
tensordot, einsum, linalg.norm; all built on `dot_general`."""

from __future__ import annotations

import builtins
import string
from collections.abc import Sequence
from typing import Any

import numpy as np

from tracegrad.ops import elementwise as ew
from tracegrad.ops import layout as lay
from tracegrad.ops import linalg
from tracegrad.ops import reduce as red
from tracegrad.ops.promote import (
    broadcast_shapes,
    broadcast_to_shape,
    cast,
    dtype_of,
    float_dtype,
    shape_of,
)
from tracegrad.tracer.errors import ShapeError, UnsupportedError, user_error
from tracegrad.tracer.numpy_api.registry import (
    _array,
    _axis,
    _reject,
    implements,
)
from tracegrad.tracer.numpy_api.shapes import ravel

# --- contractions -----------------------------------------------------------------------


def _common(*operands: Any) -> list[Any]:
    """Operands as arrays of their common dtype. These functions convert their
    arguments with ``asarray``, so Python scalars count as float64/int64 here."""
    arrays = [_array(o) for o in operands]
    dtype = np.result_type(*[dtype_of(a) for a in arrays])
    return [cast(a, dtype) for a in arrays]


def _check_aligned(name: str, a: Any, b: Any, a_dims: Sequence[int],
                   b_dims: Sequence[int]) -> None:
    sa, sb = shape_of(a), shape_of(b)
    for i, j in zip(a_dims, b_dims):
        if sa[i] != sb[j]:
            raise user_error(
                ShapeError,
                f"{name}: shapes {sa} and {sb} are not aligned: dimension {i} of the first "
                f"({sa[i]}) != dimension {j} of the second ({sb[j]})",
            )


def _dot_general(a: Any, b: Any, contracting: tuple, batch: tuple = ((), ())) -> Any:
    """`linalg.dot_general`, with bools contracted as integers (``or`` of ``and``s)
    and no contraction at all done as a broadcast product."""
    if not contracting[0] and not batch[0]:
        return _outer_product(a, b)
    if dtype_of(a) == np.bool_:
        a, b = ew.convert(a, np.int64), ew.convert(b, np.int64)
        return ew.ne(linalg.dot_general(a, b, contracting=contracting, batch=batch), 0)
    return linalg.dot_general(a, b, contracting=contracting, batch=batch)


def _outer_product(a: Any, b: Any) -> Any:
    """``out[i..., j...] = a[i...] * b[j...]``: the axes of `a` followed by those of `b`."""
    sa = shape_of(a)
    return ew.mul(lay.reshape(a, sa + (1,) * len(shape_of(b))), b)


@implements(np.dot, method="dot")
def dot(a: Any, b: Any, out: Any = None) -> Any:
    """``np.dot``: the last axis of `a` with the last (1-d `b`) or second-to-last axis
    of `b`; a product when either is 0-d.

    >>> dot(np.ones((2, 3)), np.ones((4, 3, 5))).shape
    (2, 4, 5)
    """
    _reject("dot", out=out)
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return ew.mul(a, b)
    contract = ((na - 1,), (0 if nb == 1 else nb - 2,))
    _check_aligned("np.dot", a, b, *contract)
    return _dot_general(a, b, contract)


@implements(np.vdot)
def vdot(a: Any, b: Any) -> Any:
    """``np.vdot``: the dot product of the flattened arrays (real arrays only).

    >>> float(vdot(np.ones((2, 2)), np.full((2, 2), 2.0)))
    8.0
    """
    a, b = (ravel(x) for x in _common(a, b))
    if shape_of(a) != shape_of(b):
        raise user_error(ShapeError, f"np.vdot: the arrays have different sizes "
                                     f"({shape_of(a)[0]} and {shape_of(b)[0]})")
    return _dot_general(a, b, ((0,), (0,)))


@implements(np.inner)
def inner(a: Any, b: Any) -> Any:
    """``np.inner``: contract the last axes of `a` and `b`.

    >>> inner(np.ones((2, 3)), np.ones((4, 3))).shape
    (2, 4)
    """
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if na == 0 or nb == 0:
        return ew.mul(a, b)
    contract = ((na - 1,), (nb - 1,))
    _check_aligned("np.inner", a, b, *contract)
    return _dot_general(a, b, contract)


@implements(np.outer)
def outer(a: Any, b: Any, out: Any = None) -> Any:
    """``np.outer``: ``out[i, j] = a.ravel()[i] * b.ravel()[j]``.

    >>> outer(np.ones(2), np.ones(3)).shape
    (2, 3)
    """
    _reject("outer", out=out)
    a, b = _common(a, b)
    return _outer_product(ravel(a), ravel(b))


@implements(np.matmul)
def matmul(a: Any, b: Any, /, out: Any = None, **unsupported: Any) -> Any:
    """``a @ b``: matrix products over the last two axes, leading (batch) axes
    broadcast; a 1-d operand is a vector (NumPy's rules).

    >>> matmul(np.ones((5, 1, 2, 3)), np.ones((4, 3, 6))).shape
    (5, 4, 2, 6)
    """
    _reject("matmul", out=out, **unsupported)
    a, b = _common(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if not sa or not sb:
        raise user_error(ShapeError, f"matmul: operands of shapes {sa} and {sb}: a 0-d "
                                     f"operand has no dimension to multiply over",
                         "use * to multiply by a scalar")
    a2 = lay.reshape(a, (1,) + sa) if len(sa) == 1 else a
    b2 = lay.reshape(b, sb + (1,)) if len(sb) == 1 else b
    sa2, sb2 = shape_of(a2), shape_of(b2)
    if sa2[-1] != sb2[-2]:
        raise user_error(ShapeError, f"matmul: shapes {sa} and {sb} do not align: "
                                     f"{sa2[-1]} (last dimension of the first) != "
                                     f"{sb2[-2]} (second-to-last of the second)")
    if len(sb2) == 2:  # no batch axes in b: one contraction, nothing broadcast
        result = _dot_general(a2, b2, ((len(sa2) - 1,), (0,)))
    else:
        batch = broadcast_shapes("matmul", sa2[:-2], sb2[:-2])
        a2 = broadcast_to_shape(a2, batch + sa2[-2:])
        b2 = broadcast_to_shape(b2, batch + sb2[-2:])
        nb = len(batch)
        result = _dot_general(a2, b2, ((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb))))
    shape = shape_of(result)
    keep = shape[:-2] + (shape[-2],) * (len(sa) > 1) + (shape[-1],) * (len(sb) > 1)
    return lay.reshape(result, keep)


@implements(np.tensordot)
def tensordot(a: Any, b: Any, axes: Any = 2) -> Any:
    """``np.tensordot``: contract the last `axes` axes of `a` with the first of `b`,
    or the axes listed in ``axes = (a_axes, b_axes)``.

    >>> tensordot(np.ones((2, 3, 4)), np.ones((3, 4, 5)), axes=2).shape
    (2, 5)
    """
    a, b = _common(a, b)
    na, nb = len(shape_of(a)), len(shape_of(b))
    if isinstance(axes, (int, np.integer)):
        a_axes, b_axes = tuple(range(na - int(axes), na)), tuple(range(int(axes)))
    else:
        a_axes, b_axes = (tuple(np.atleast_1d(x).tolist()) for x in axes)
    if len(a_axes) != len(b_axes):
        raise user_error(ShapeError, f"np.tensordot: {len(a_axes)} axes of the first operand "
                                     f"for {len(b_axes)} axes of the second")
    a_axes = tuple(_axis("tensordot", i, na) for i in a_axes)
    b_axes = tuple(_axis("tensordot", i, nb) for i in b_axes)
    _check_aligned("np.tensordot", a, b, a_axes, b_axes)
    return _dot_general(a, b, (a_axes, b_axes))


# --- einsum -------------------------------------------------------------------------------
# Labels are the subscript letters; the axes an ellipsis stands for get the integer
# labels 0, 1, ... (aligned to the right, as NumPy broadcasts them).


def _einsum_term(term: str, ndim: int | None, where: str) -> tuple[list, int]:
    """The labels of one subscript term, and how many axes its ellipsis covers."""
    head, ell, tail = term.partition("...")
    if "." in head + tail or not all(c in string.ascii_letters for c in head + tail):
        raise user_error(ValueError, f"np.einsum: invalid subscripts {where!r}",
                         "use letters a-z, A-Z and at most one '...' per operand")
    letters = list(head + tail)
    covered = 0
    if ndim is not None:
        covered = ndim - len(letters)
        if covered < 0 or (covered and not ell):
            raise user_error(ShapeError, f"np.einsum: subscripts {term!r} name {len(letters)} "
                                         f"axes of an operand with {ndim}")
    return [*head, *range(covered), *tail] if ell else letters, covered


def _parse_einsum(subscripts: str, shapes: list[tuple[int, ...]]) -> tuple[list[list], list]:
    spec = subscripts.replace(" ", "")
    lhs, arrow, rhs = spec.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise user_error(ValueError, f"np.einsum: {len(terms)} subscript terms for "
                                     f"{len(shapes)} operands")
    parsed = [_einsum_term(t, len(s), subscripts) for t, s in zip(terms, shapes)]
    width = builtins.max([c for _, c in parsed], default=0)
    # Ellipsis axes are right-aligned: operand k's first axis is label width - c.
    inputs = [[lab + width - c if isinstance(lab, int) else lab for lab in labels]
              for labels, c in parsed]
    for labels in inputs:
        if len(set(labels)) != len(labels):
            raise user_error(
                UnsupportedError,
                f"np.einsum: a letter repeated within one operand ({subscripts!r}) takes a "
                f"diagonal, which is not supported",
                "take the diagonal first, or write the sum with explicit indexing",
            )
    if arrow:
        head, ell, tail = rhs.partition("...")
        _einsum_term(rhs, None, subscripts)  # the same letters-only check
        if width and not ell:
            raise user_error(ValueError, f"np.einsum: {subscripts!r} has '...' in its inputs "
                                         f"but not in its output")
        out = [*head, *range(width), *tail]
        used = {lab for labels in inputs for lab in labels}
        if len(set(out)) != len(out) or not set(out) <= used:
            raise user_error(ValueError, f"np.einsum: output subscripts of {subscripts!r} must "
                                         f"be distinct letters that appear in the inputs")
    else:
        letters = [lab for labels in inputs for lab in labels if isinstance(lab, str)]
        out = [*range(width), *sorted(c for c in set(letters) if letters.count(c) == 1)]
    return inputs, out


def _label_sizes(inputs: list[list], shapes: list[tuple[int, ...]], subscripts: str) -> dict:
    sizes: dict = {}
    for labels, shape in zip(inputs, shapes):
        for lab, d in zip(labels, shape):
            if sizes.get(lab, 1) not in (1, d) and d != 1:
                raise user_error(ShapeError, f"np.einsum: {subscripts!r}: label {lab!r} has "
                                             f"sizes {sizes[lab]} and {d} in operands of shapes "
                                             f"{', '.join(map(str, shapes))}")
            sizes[lab] = builtins.max(sizes.get(lab, 1), d)
    return sizes


def _drop_broadcast_axes(x: Any, labels: list, sizes: dict) -> tuple[Any, list]:
    """Remove axes of size 1 whose label is larger elsewhere: a broadcast axis is
    constant along the label, so the operand simply does not depend on it."""
    shape = shape_of(x)
    keep = [i for i, lab in enumerate(labels) if not (shape[i] == 1 and sizes[lab] > 1)]
    if len(keep) == len(labels):
        return x, labels
    return lay.reshape(x, tuple(shape[i] for i in keep)), [labels[i] for i in keep]


def _sum_labels(x: Any, labels: list, keep: set) -> tuple[Any, list]:
    """Sum out the axes whose labels are not in `keep`."""
    axes = tuple(i for i, lab in enumerate(labels) if lab not in keep)
    if not axes:
        return x, labels
    return red.reduce_sum(x, axes), [lab for lab in labels if lab in keep]


@implements(np.einsum)
def einsum(subscripts: Any, *operands: Any, out: Any = None, optimize: Any = False,
           **unsupported: Any) -> Any:
    """``np.einsum`` with explicit (``->``) or implicit output, ellipses and
    broadcasting; contracted pairwise, left to right, as `dot_general`.

    >>> einsum("bij,bjk->bik", np.ones((2, 3, 4)), np.ones((2, 4, 5))).shape
    (2, 3, 5)
    """
    _reject("einsum", out=out, **unsupported)
    if not isinstance(subscripts, str):
        raise user_error(UnsupportedError, "np.einsum: only the string form of the subscripts "
                                           "is supported", "write e.g. 'ij,jk->ik'")
    arrays = _common(*operands)
    shapes = [shape_of(a) for a in arrays]
    inputs, out_labels = _parse_einsum(subscripts, shapes)
    sizes = _label_sizes(inputs, shapes, subscripts)
    terms = [_drop_broadcast_axes(a, labels, sizes) for a, labels in zip(arrays, inputs)]

    def needed_after(k: int) -> set:
        return set(out_labels).union(*[labels for _, labels in terms[k + 1:]])

    acc, acc_labels = _sum_labels(*terms[0], needed_after(0))
    for k in range(1, len(terms)):
        later = needed_after(k)
        b, b_labels = _sum_labels(*terms[k], later | set(acc_labels))
        common = [lab for lab in acc_labels if lab in b_labels]
        batch = [lab for lab in common if lab in later]
        contract = [lab for lab in common if lab not in later]
        acc = _dot_general(
            acc, b,
            (tuple(acc_labels.index(lab) for lab in contract),
             tuple(b_labels.index(lab) for lab in contract)),
            (tuple(acc_labels.index(lab) for lab in batch),
             tuple(b_labels.index(lab) for lab in batch)),
        )
        acc_labels = batch + [lab for lab in acc_labels if lab not in common] + [
            lab for lab in b_labels if lab not in common]
    # Every output label is still there: each step keeps the labels needed later.
    return lay.transpose(acc, tuple(acc_labels.index(lab) for lab in out_labels))


# --- linalg.norm -------------------------------------------------------------------------


def _vector_norm(x: Any, ord: Any, axes: tuple[int, ...]) -> Any:
    if ord is None or ord == 2:
        return ew.sqrt(red.reduce_sum(ew.mul(x, x), axes))
    if ord == np.inf:
        return red.reduce_max(ew.abs(x), axes)
    if ord == -np.inf:
        return red.reduce_min(ew.abs(x), axes)
    if ord == 0:
        return red.reduce_sum(ew.convert(ew.ne(x, 0), dtype_of(x)), axes)
    if ord == 1:
        return red.reduce_sum(ew.abs(x), axes)
    if isinstance(ord, str):
        raise user_error(ValueError, f"np.linalg.norm: invalid norm order {ord!r} for vectors")
    p = float(ord)
    return ew.pow(red.reduce_sum(ew.pow(ew.abs(x), p), axes), 1.0 / p)


def _matrix_norm(x: Any, ord: Any, row: int, col: int) -> Any:
    if ord is None or ord in ("fro", "f"):
        return ew.sqrt(red.reduce_sum(ew.mul(x, x), (row, col)))
    if ord in (1, -1, np.inf, -np.inf):
        # 1-norms: the largest column sum; inf-norms: the largest row sum.
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        sums = red.reduce_sum(ew.abs(x), summed)
        if other > summed:
            other -= 1
        return (red.reduce_max if ord > 0 else red.reduce_min)(sums, other)
    raise user_error(UnsupportedError, f"np.linalg.norm: matrix norm ord={ord!r} needs singular "
                                       f"values, which are not supported",
                     "use ord='fro', 1, -1, np.inf or -np.inf")


@implements(np.linalg.norm)
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Any:
    """``np.linalg.norm``: vector norms (ord None/2, 1, inf, -inf, 0, p) over one axis,
    matrix norms ('fro', 1, -1, inf, -inf) over two, the 2-norm of all elements when
    both `ord` and `axis` are None.

    >>> float(norm(np.array([[3.0, 0.0], [0.0, 4.0]])))
    5.0
    """
    x = _array(x)
    x = ew.convert(x, float_dtype(dtype_of(x)))
    shape = shape_of(x)
    ndim = len(shape)
    if axis is None and ord is None:
        axes = tuple(range(ndim))
        result = ew.sqrt(red.reduce_sum(ew.mul(x, x)))
    else:
        if axis is None and ndim > 2:
            raise user_error(ShapeError, f"np.linalg.norm: ord={ord!r} needs axis= for an "
                                         f"array of rank {ndim}")
        axis = tuple(range(ndim)) if axis is None else axis
        axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
        axes = tuple(_axis("norm", a, ndim) for a in axes)
        if len(axes) == 1:
            result = _vector_norm(x, ord, axes)
        elif len(axes) == 2 and axes[0] != axes[1]:
            result = _matrix_norm(x, ord, *axes)
        else:
            raise user_error(ShapeError, f"np.linalg.norm: axis={axis!r} must name one axis "
                                         f"(vector norm) or two distinct axes (matrix norm)")
    if keepdims:
        result = lay.reshape(result, tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return result


