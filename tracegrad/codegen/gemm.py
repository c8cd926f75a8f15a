"""Contractions with one small free dimension, as Numba kernels for generated code.

When one free dimension of a matrix product is small (a linear layer with 10
outputs, or its weight gradient), the product is bound by reading the large
operand. OpenBLAS handles it as a general GEMM, on threads that spin after each
call, so a program that calls it keeps its own loops serial (see `cpu.generate`).
These kernels read the large operand ``a`` row by row, once, on Numba's threads:

- ``gemm_nn(a, b, out)``: ``out = a @ b`` for a C-contiguous ``a`` of shape (M, K)
  and a small ``b`` of shape (K, N): rows of ``a`` are dotted with columns of ``b``
  (copied once into rows, so both reads are contiguous), three rows by four
  columns at a time, so that each load feeds several multiply-adds;
- ``gemm_tn(a, b, out)``: ``out = a.T @ b`` for a C-contiguous ``a`` of shape
  (K, M) and ``b`` of shape (K, N): each row of ``a`` is added, times the entries
  of the same row of ``b``, into N accumulator rows of length M.

``out`` may be any 2-D view (a transposed result when the small operand is the
left one). The ``_par`` variants split the rows of ``a`` across threads. Sums run
in another order than NumPy's: the dot products of `gemm_nn` keep vector-wide
partial sums; `gemm_tn` adds blocks of `_BLOCK` rows into fresh accumulators and
at most `_CHUNKS` partial results at the end, in an order that does not depend
on the thread count.

The kernels are compiled at module level with ``cache=True``, once per dtype and
layout, so a new program does not compile them again. The code generator asks
`streamed` whether a contraction uses them and `call` for the statement.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

# A contraction goes to these kernels when its smaller free dimension is at most
# MAX_SMALL and no contraction of the program needs BLAS (then the program's
# loops may run in parallel too). Where some other contraction calls BLAS
# anyway, OpenBLAS's two threads beat a serial kernel, and all stay with BLAS.
MAX_SMALL = 16
# Split the rows across threads from this many multiply-adds on; below it,
# starting the threads costs more than the second core saves.
PARALLEL_FMAS = 1 << 17
# gemm_nn_par hands out rows in blocks of _ROWS (a multiple of the three-row tile).
_ROWS = 96
# gemm_tn sums _BLOCK rows into a fresh accumulator before adding it to the
# total, and gemm_tn_par sums at most _CHUNKS partial totals.
_BLOCK = 256
_CHUNKS = 8

_FLAGS = dict(cache=True, nogil=True, error_model="numpy", fastmath={"reassoc", "contract"})


# --- a @ b: rows of a dotted with rows of b.T -----------------------------------------------


@numba.njit(**_FLAGS)
def _dot_3x4(a, bt, out, i, j):
    """``out[i:i+3, j:j+4]``: 7 loads feed 12 multiply-adds."""
    x0, x1, x2 = a[i], a[i + 1], a[i + 2]
    w0, w1, w2, w3 = bt[j], bt[j + 1], bt[j + 2], bt[j + 3]
    s00 = s01 = s02 = s03 = s10 = s11 = s12 = s13 = s20 = s21 = s22 = s23 = out.dtype.type(0)
    for p in range(a.shape[1]):
        u, v, w = x0[p], x1[p], x2[p]
        s00 += u * w0[p]
        s01 += u * w1[p]
        s02 += u * w2[p]
        s03 += u * w3[p]
        s10 += v * w0[p]
        s11 += v * w1[p]
        s12 += v * w2[p]
        s13 += v * w3[p]
        s20 += w * w0[p]
        s21 += w * w1[p]
        s22 += w * w2[p]
        s23 += w * w3[p]
    out[i, j], out[i, j + 1], out[i, j + 2], out[i, j + 3] = s00, s01, s02, s03
    out[i + 1, j], out[i + 1, j + 1], out[i + 1, j + 2], out[i + 1, j + 3] = s10, s11, s12, s13
    out[i + 2, j], out[i + 2, j + 1], out[i + 2, j + 2], out[i + 2, j + 3] = s20, s21, s22, s23


@numba.njit(**_FLAGS)
def _dot_3x1(a, bt, out, i, j):
    """``out[i:i+3, j]``."""
    x0, x1, x2 = a[i], a[i + 1], a[i + 2]
    w0 = bt[j]
    s0 = s1 = s2 = out.dtype.type(0)
    for p in range(a.shape[1]):
        s0 += x0[p] * w0[p]
        s1 += x1[p] * w0[p]
        s2 += x2[p] * w0[p]
    out[i, j], out[i + 1, j], out[i + 2, j] = s0, s1, s2


@numba.njit(**_FLAGS)
def _dot_1x1(a, bt, out, i, j):
    """``out[i, j]``."""
    x0, w0 = a[i], bt[j]
    s0 = out.dtype.type(0)
    for p in range(a.shape[1]):
        s0 += x0[p] * w0[p]
    out[i, j] = s0


@numba.njit(**_FLAGS)
def _nn_rows(a, bt, out, r0, r1):
    """``out[i, j] = a[i] . bt[j]`` for the rows ``r0 <= i < r1``."""
    n = bt.shape[0]
    i = r0
    while i + 3 <= r1:
        j = 0
        while j + 4 <= n:
            _dot_3x4(a, bt, out, i, j)
            j += 4
        while j < n:
            _dot_3x1(a, bt, out, i, j)
            j += 1
        i += 3
    while i < r1:
        for j in range(n):
            _dot_1x1(a, bt, out, i, j)
        i += 1


@numba.njit(**_FLAGS)
def gemm_nn(a, b, out):
    """``out[...] = a @ b``, serially; see the module docstring."""
    _nn_rows(a, np.ascontiguousarray(b.T), out, 0, a.shape[0])


@numba.njit(parallel=True, **_FLAGS)
def gemm_nn_par(a, b, out):
    """``out[...] = a @ b`` with the rows of ``a`` split across threads."""
    bt = np.ascontiguousarray(b.T)
    m = a.shape[0]
    for c in prange((m + _ROWS - 1) // _ROWS):  # each thread gets a run of blocks
        _nn_rows(a, bt, out, c * _ROWS, min((c + 1) * _ROWS, m))


# --- a.T @ b: rows of a added into accumulator rows -----------------------------------------


@numba.njit(**_FLAGS)
def _tn_rows(a, b, acc, r0, r1):
    """``acc[j] += sum_r b[r, j] * a[r]`` over the rows ``r0 <= r < r1``, four rows
    at a time, so that each accumulator element is loaded and stored once per four."""
    n, m = acc.shape
    r = r0
    while r + 4 <= r1:
        x0, x1, x2, x3 = a[r], a[r + 1], a[r + 2], a[r + 3]
        for j in range(n):
            g0, g1, g2, g3 = b[r, j], b[r + 1, j], b[r + 2, j], b[r + 3, j]
            row = acc[j]
            for p in range(m):
                row[p] += (g0 * x0[p] + g1 * x1[p]) + (g2 * x2[p] + g3 * x3[p])
        r += 4
    while r < r1:
        x0 = a[r]
        for j in range(n):
            g0 = b[r, j]
            row = acc[j]
            for p in range(m):
                row[p] += g0 * x0[p]
        r += 1


@numba.njit(**_FLAGS)
def _tn_blocked(a, b, total, r0, r1):
    """``total[j] = sum_r b[r, j] * a[r]`` over the rows ``r0 <= r < r1``, summed in
    blocks of `_BLOCK` rows so that no sum runs sequentially over all of them."""
    total[:] = 0
    block = np.empty_like(total)
    for s in range(r0, r1, _BLOCK):
        block[:] = 0
        _tn_rows(a, b, block, s, min(s + _BLOCK, r1))
        total += block


@numba.njit(**_FLAGS)
def _store_sum_transposed(acc, out):
    """``out[p, j] = sum_c acc[c, j, p]``."""
    for p in range(out.shape[0]):
        for j in range(out.shape[1]):
            s = acc[0, j, p]
            for c in range(1, acc.shape[0]):
                s += acc[c, j, p]
            out[p, j] = s


@numba.njit(**_FLAGS)
def gemm_tn(a, b, out):
    """``out[...] = a.T @ b``, serially; see the module docstring."""
    acc = np.empty((1, b.shape[1], a.shape[1]), out.dtype)
    _tn_blocked(a, b, acc[0], 0, a.shape[0])
    _store_sum_transposed(acc, out)


@numba.njit(parallel=True, **_FLAGS)
def gemm_tn_par(a, b, out):
    """``out[...] = a.T @ b`` with the rows of ``a`` split into chunks across
    threads, each chunk summing into its own accumulator."""
    k = a.shape[0]
    chunks = min(max(k // _BLOCK, 1), _CHUNKS)
    acc = np.empty((chunks, b.shape[1], a.shape[1]), out.dtype)
    for c in prange(chunks):
        _tn_blocked(a, b, acc[c], c * k // chunks, (c + 1) * k // chunks)
    _store_sum_transposed(acc, out)


# --- for the code generator -------------------------------------------------------------------


def _dims(node) -> tuple[int, int, int, int]:
    """(B, M, K, N) of a dot_general node: batch, free of x, contracted, free of y."""
    x, y = node.inputs
    (cx, cy), (bx, by) = node.params["contracting"], node.params.get("batch", ((), ()))
    fx = [a for a in range(len(x.shape)) if a not in cx and a not in bx]
    fy = [a for a in range(len(y.shape)) if a not in cy and a not in by]
    return (math.prod(x.shape[a] for a in bx), math.prod(x.shape[a] for a in fx),
            math.prod(x.shape[a] for a in cx), math.prod(y.shape[a] for a in fy))


def _fits(node) -> bool:
    """Whether a float contraction is one these kernels compute (else BLAS would)."""
    x, y = node.inputs
    out = node.outputs[0]
    b, m, k, n = _dims(node)
    return (out.dtype.kind == "f" and x.dtype == y.dtype == out.dtype and b == 1
            and not node.params.get("batch", ((), ()))[0] and min(m, n) <= MAX_SMALL)


def _calls_blas(node) -> bool:
    """Whether the contraction calls BLAS when it does not go to these kernels."""
    return node.outputs[0].dtype.kind in "fc" and 0 not in _dims(node)


def program_calls_blas(groups) -> bool:
    """Whether a program of these plan groups calls BLAS: when some float
    contraction does not fit these kernels (then every one calls BLAS)."""
    dots = [g.nodes[0] for g in groups if g.kind == "dot_general"]
    return any(_calls_blas(d) and not _fits(d) for d in dots)


def streamed(node, groups) -> bool:
    """Whether the contraction `node` of a program of `groups` uses these kernels."""
    return _calls_blas(node) and _fits(node) and not program_calls_blas(groups)


def call(m: int, k: int, n: int, x: tuple[str, bool], y: tuple[str, bool], out: str) -> str:
    """The statement computing ``out[...] = X @ Y`` of shapes (m, k) and (k, n).

    Each operand comes as (name of a C-contiguous 2-D array, whether the operand
    is its transpose). The large operand is streamed; when it is the right one,
    the kernel computes ``out.T = Y.T @ X.T``.

    >>> call(10000, 784, 10, ("a", False), ("w", False), "d")
    'gemm_nn_par(a, w, d)'
    >>> call(10, 5000, 784, ("g", True), ("a", False), "d")
    'gemm_tn_par(a, g, d.T)'
    """
    (xs, xt), (ys, yt) = x, y
    suffix = "_par" if m * k * n >= PARALLEL_FMAS else ""
    if n <= MAX_SMALL and (n <= m or m > MAX_SMALL):  # X is the large operand
        small = f"{ys}.T" if yt else ys
        kind = "tn" if xt else "nn"
        return f"gemm_{kind}{suffix}({xs}, {small}, {out})"
    small = xs if xt else f"{xs}.T"  # X.T, of shape (k, m)
    kind = "nn" if yt else "tn"
    return f"gemm_{kind}{suffix}({ys}, {small}, {out}.T)"


def import_line(names) -> str:
    """The import statement of the generated module for the kernels it calls (a
    change to this file renames every program: its key hashes the generator's
    source, `tracegrad.runtime.cache.environment_key`).

    >>> import_line(["gemm_nn"])
    'from tracegrad.codegen.gemm import gemm_nn'
    """
    return f"from tracegrad.codegen.gemm import {', '.join(sorted(set(names)))}"
