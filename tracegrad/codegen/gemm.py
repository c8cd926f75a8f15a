"""Matrix products as Numba kernels for generated code, in place of BLAS.

OpenBLAS runs each product on threads that spin after the call, so a program that
calls it keeps its own loops serial (see `cpu.generate`); and the OpenBLAS of
NumPy and SciPy runs its AVX2 (Haswell) kernels on CPUs with AVX-512. These
kernels run on Numba's threads. Two families:

- Register tiles (``out = a @ b`` with ``b`` from half a SIMD vector to
  `panel_width` columns wide: a layer of up to a hundred or so units and its
  gradients; see `tiled`). An LLVM intrinsic, `_tile`, keeps a block of rows by
  up to four SIMD vectors of ``out`` in registers and adds, for each step ``p``
  of the contraction, ``a[i, p]`` (broadcast) times the row ``p`` of ``b`` (vector
  loads, the last one masked): FMAs on AVX-512 registers. ``a`` may have any
  strides, so one kernel serves ``x @ w`` and ``x.T @ g``. The contraction runs in
  blocks of ``kc`` steps, each summed into fresh registers and then added to
  ``out``; each element of ``out`` is summed by one thread, in one order,
  whatever the thread count.
- Streaming (``b`` narrower, or a small left operand): the product is bound by
  reading the large operand ``a``, row by row, once. ``gemm_nn`` dots rows of
  ``a`` with columns of ``b`` (copied once into rows, so both reads are
  contiguous), three rows by four columns at a time; ``gemm_tn`` adds each row of
  ``a``, times the entries of the same row of ``b``, into accumulator rows,
  blocks of `_BLOCK` rows into fresh accumulators and at most `_CHUNKS` partial
  results at the end, in an order that does not depend on the thread count.

The entry points compute ``out[...] = a @ b`` (``_nn``) or ``out[...] = a.T @ b``
(``_tn``) for a C-contiguous ``a``: ``gemm_tiles_nn``, ``gemm_tiles_tn`` (which
need an ``out`` with contiguous rows) and the streaming ``gemm_nn``, ``gemm_tn``
(``out`` may be any 2-D view: a transposed result when the small operand is the
left one), and their ``_par`` variants, which split the rows of ``out`` (tiles)
or of ``a`` (streaming) across threads. Sums run in another order than NumPy's.

The kernels are compiled at module level with ``cache=True``, once per dtype and
layout, so a new program does not compile them again. The code generator asks
`streamed` whether a contraction uses them and `call` for the statement.
"""

from __future__ import annotations

import math

import llvmlite.binding as llvm
import numba
import numpy as np
from llvmlite import ir
from numba import prange, types
from numba.core import cgutils
from numba.extending import intrinsic

# A contraction goes to these kernels when its smaller free dimension is at most
# MAX_SMALL, or its result is at most `panel_width` columns wide, and no
# contraction of the program needs BLAS (then the program's loops may run in
# parallel too). Where some other contraction calls BLAS anyway, its threads
# spin between calls and would starve the kernels' own: all stay with BLAS.
MAX_SMALL = 16
# A tile holds up to _VECTORS SIMD vectors (of _VECTOR_BYTES) of a row of `out`, in
# as many rows as keep _REGISTERS accumulators (of the 32 vector registers of
# AVX-512, or 16 of AVX2, the rest hold a row of `b` and a broadcast):
# _TILE_ROWS[v] for v vectors. Each v is a specialised loop: four of them, not
# eight, halve the compile time, and 4 + 3 vectors for 100 columns run faster
# than one tile of 7 (more rows per load of `b`).
_AVX512 = "+avx512f" in llvm.get_host_cpu_features().flatten()
_VECTOR_BYTES = 64 if _AVX512 else 32
_VECTORS = 4
_REGISTERS = 24 if _AVX512 else 12
_TILE_ROWS = tuple(min(12, _REGISTERS // v) if v else 0 for v in range(_VECTORS + 1))
# The tiles of a wider `b` run panel by panel over blocks of _ROW_BLOCK rows (a
# multiple of every tile's rows), up to _MAX_WIDTH_BYTES of a row of `b`.
_ROW_BLOCK = 24
_MAX_WIDTH_BYTES = 512
# The contraction runs in blocks of kc steps (summed into fresh registers): long
# ones when `a` has contiguous rows (they stream from memory best in one pass),
# short ones when a step of `a` is a new cache line (x.T), so that the lines read
# for one tile stay in cache for the tiles of the neighbouring rows.
_KC_ROWS, _KC_STRIDED = 1024, 256
# The parallel tiles split the rows into one run per thread Numba starts with
# (numba.get_num_threads() would keep the kernel out of the cache). A run of
# rows sums the same way on any thread: the count changes no result.
_RUNS = numba.config.NUMBA_NUM_THREADS
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


# --- register tiles: out = a @ b for a narrow b ----------------------------------------------


def panel_width(dtype) -> int:
    """The widest ``b`` (in columns) that the code generator sends to the tiles
    (wider ones, as a square product, go to BLAS, whose packed panels win there).

    >>> panel_width(np.float32) in (64, 128)  # AVX2 or AVX-512
    True
    """
    return _MAX_WIDTH_BYTES // np.dtype(dtype).itemsize


def _splat(builder, value, lanes):
    """The vector of `lanes` copies of a scalar (LLVM folds it into the FMA's operand)."""
    vec = ir.VectorType(value.type, lanes)
    i32 = ir.IntType(32)
    one = builder.insert_element(ir.Constant(vec, ir.Undefined), value, ir.Constant(i32, 0))
    return builder.shuffle_vector(one, ir.Constant(vec, ir.Undefined),
                                  ir.Constant(ir.VectorType(i32, lanes), [0] * lanes))


class _Vectors:
    """The SIMD operations of a tile in LLVM IR: loads and stores of the vectors of
    a row (the last one masked to the `cols_last` columns left) and the FMA."""

    def __init__(self, builder, elt, size, cols_last):
        self.builder, self.size, self.lanes = builder, size, _VECTOR_BYTES // size
        self.vec = vec = ir.VectorType(elt, self.lanes)
        self.zero = ir.Constant(vec, None)
        i32 = ir.IntType(32)
        self.align = ir.Constant(i32, size)
        lane = ir.Constant(ir.VectorType(i32, self.lanes), list(range(self.lanes)))
        self.mask = builder.icmp_signed("<", lane, _splat(builder, builder.trunc(cols_last, i32),
                                                          self.lanes))
        name, ptr, module = f"v{self.lanes}f{size * 8}", ir.PointerType(vec), builder.module
        self._fma = cgutils.get_or_insert_function(
            module, ir.FunctionType(vec, [vec, vec, vec]), f"llvm.fma.{name}")
        self._masked_load = cgutils.get_or_insert_function(
            module, ir.FunctionType(vec, [ptr, i32, self.mask.type, vec]),
            f"llvm.masked.load.{name}.p0")
        self._masked_store = cgutils.get_or_insert_function(
            module, ir.FunctionType(ir.VoidType(), [vec, ptr, i32, self.mask.type]),
            f"llvm.masked.store.{name}.p0")

    def _ptr(self, row, k):
        offset = ir.Constant(ir.IntType(64), k * self.lanes)
        return self.builder.bitcast(self.builder.gep(row, [offset]), ir.PointerType(self.vec))

    def load(self, row, k, last):
        """Vector `k` of the row at element pointer `row`."""
        if last:
            return self.builder.call(self._masked_load,
                                     [self._ptr(row, k), self.align, self.mask, self.zero])
        value = self.builder.load(self._ptr(row, k))
        value.align = self.size
        return value

    def store(self, value, row, k, last):
        if last:
            self.builder.call(self._masked_store, [value, self._ptr(row, k), self.align, self.mask])
        else:
            self.builder.store(value, self._ptr(row, k)).align = self.size

    def fma(self, x, scalar, acc):
        return self.builder.call(self._fma, [x, _splat(self.builder, scalar, self.lanes), acc])


def _emit_tile(ops, v, tile_rows, a_at, b_row, out_row, rows, p0, p1, first):
    """IR for ``out[r, :] (+)= sum_p a[r, p] * b[p, :]`` over ``p0 <= p < p1`` for the
    rows ``r < rows`` of a tile of `tile_rows` rows by `v` vectors. The sums are
    phi nodes, so that they stay in registers; rows past `rows` repeat the last
    row (computed and dropped, which keeps one loop for the ragged edge)."""
    builder = ops.builder
    intp = p0.type
    row_of = [builder.select(builder.icmp_signed("<", ir.Constant(intp, r), rows),
                             ir.Constant(intp, r), builder.sub(rows, ir.Constant(intp, 1)))
              for r in range(tile_rows)]
    entry = builder.block
    loop = builder.append_basic_block("tile_loop")
    done = builder.append_basic_block("tile_done")
    builder.cbranch(builder.icmp_signed("<", p0, p1), loop, done)

    builder.position_at_end(loop)
    p = builder.phi(intp)
    acc = [[builder.phi(ops.vec) for _ in range(v)] for _ in range(tile_rows)]
    brow = b_row(p)
    bvec = [ops.load(brow, k, k == v - 1) for k in range(v)]
    new = [[ops.fma(bvec[k], builder.load(a_at(row_of[r], p)), acc[r][k]) for k in range(v)]
           for r in range(tile_rows)]
    p_next = builder.add(p, ir.Constant(intp, 1))
    body = builder.block
    p.add_incoming(p0, entry)
    p.add_incoming(p_next, body)
    for r in range(tile_rows):
        for k in range(v):
            acc[r][k].add_incoming(ops.zero, entry)
            acc[r][k].add_incoming(new[r][k], body)
    builder.cbranch(builder.icmp_signed("<", p_next, p1), loop, done)

    builder.position_at_end(done)
    sums = [[builder.phi(ops.vec) for _ in range(v)] for _ in range(tile_rows)]
    for r in range(tile_rows):
        for k in range(v):
            sums[r][k].add_incoming(ops.zero, entry)
            sums[r][k].add_incoming(new[r][k], body)
    for r in range(tile_rows):
        with builder.if_then(builder.icmp_signed("<", ir.Constant(intp, r), rows), likely=True):
            orow = out_row(ir.Constant(intp, r))
            for k in range(v):
                total = builder.fadd(ops.load(orow, k, k == v - 1), sums[r][k])
                ops.store(builder.select(first, sums[r][k], total), orow, k, k == v - 1)


@intrinsic
def _tile(typingctx, a, b, out, i0, rows, j0, cols, p0, p1, first):
    """``out[i0+r, j0:j0+cols] = sum_p a[i0+r, p] * b[p, j0:j0+cols]`` over
    ``p0 <= p < p1`` for ``r < rows``, added to ``out`` unless `first`. ``b`` and
    ``out`` need contiguous rows (``b`` C-contiguous; the caller checks ``out``),
    ``cols <= panel_width`` and ``rows <= _TILE_ROWS[vectors of cols]``."""
    if not (isinstance(a, types.Array) and isinstance(b, types.Array) and b.layout == "C"
            and isinstance(out, types.Array) and a.dtype == b.dtype == out.dtype
            and out.dtype in (types.float32, types.float64)):
        return None
    sig = types.void(a, b, out, *[types.intp] * 6, types.boolean)

    def codegen(context, builder, signature, args):
        arrays = [context.make_array(t)(context, builder, x)
                  for t, x in zip(signature.args[:3], args[:3])]
        i0, rows, j0, cols, p0, p1, first = args[3:]
        elt = context.get_data_type(out.dtype)
        size = out.dtype.bitwidth // 8
        intp = i0.type
        a_s0, a_s1 = cgutils.unpack_tuple(builder, arrays[0].strides, 2)
        b_s0 = cgutils.unpack_tuple(builder, arrays[1].strides, 2)[0]
        out_s0 = cgutils.unpack_tuple(builder, arrays[2].strides, 2)[0]

        def at(array, offset):  # the element pointer `offset` bytes into `array`
            byte = builder.gep(builder.bitcast(array.data, ir.IntType(8).as_pointer()), [offset])
            return builder.bitcast(byte, elt.as_pointer())

        col = builder.mul(j0, ir.Constant(intp, size))
        a_top = builder.mul(i0, a_s0)
        out_top = builder.add(builder.mul(i0, out_s0), col)

        def a_at(r, p):
            return at(arrays[0], builder.add(a_top, builder.add(builder.mul(r, a_s0),
                                                                builder.mul(p, a_s1))))

        def b_row(p):
            return at(arrays[1], builder.add(builder.mul(p, b_s0), col))

        def out_row(r):
            return at(arrays[2], builder.add(out_top, builder.mul(r, out_s0)))

        # One specialised loop per vector count: a switch on the count of `cols`.
        lanes = ir.Constant(intp, _VECTOR_BYTES // size)
        one = ir.Constant(intp, 1)
        count = builder.add(builder.sdiv(builder.sub(cols, one), lanes), one)
        ops = _Vectors(builder, elt, size, builder.sub(cols, builder.mul(builder.sub(count, one),
                                                                         lanes)))
        merge = builder.append_basic_block("tile_merge")
        switch = builder.switch(count, merge)
        for v in range(1, _VECTORS + 1):
            case = builder.append_basic_block(f"tile_{v}")
            switch.add_case(ir.Constant(intp, v), case)
            builder.position_at_end(case)
            _emit_tile(ops, v, _TILE_ROWS[v], a_at, b_row, out_row, rows, p0, p1, first)
            builder.branch(merge)
        builder.position_at_end(merge)
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(**_FLAGS)
def _tile_rows(a, b, out, r0, r1, kc):
    """``out[r0:r1] = a[r0:r1] @ b`` by tiles, the contraction in blocks of `kc`
    steps, for a C-contiguous ``b``."""
    if out.shape[1] > 1 and out.strides[1] != out.itemsize:
        raise ValueError("gemm: the tiles need an `out` with contiguous rows")
    k, n = b.shape
    lanes = _VECTOR_BYTES // out.itemsize
    width = _VECTORS * lanes
    for p0 in range(0, max(k, 1), kc):  # once when k == 0: out is zeroed
        p1 = min(p0 + kc, k)
        for i0 in range(r0, r1, _ROW_BLOCK):  # its block of `a` stays in cache across panels
            i1 = min(i0 + _ROW_BLOCK, r1)
            for j0 in range(0, n, width):
                cols = min(width, n - j0)
                step = _TILE_ROWS[(cols + lanes - 1) // lanes]
                for i in range(i0, i1, step):
                    _tile(a, b, out, i, min(step, i1 - i), j0, cols, p0, p1, p0 == 0)


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
    """``out[...] = a @ b``, serially, streaming; see the module docstring."""
    _nn_rows(a, np.ascontiguousarray(b.T), out, 0, a.shape[0])


@numba.njit(parallel=True, **_FLAGS)
def gemm_nn_par(a, b, out):
    """`gemm_nn` with the rows of ``a`` split across threads."""
    m = a.shape[0]
    bt = np.ascontiguousarray(b.T)
    for c in prange((m + _ROWS - 1) // _ROWS):  # each thread gets a run of blocks
        _nn_rows(a, bt, out, c * _ROWS, min((c + 1) * _ROWS, m))


@numba.njit(**_FLAGS)
def gemm_tiles_nn(a, b, out):
    """``out[...] = a @ b``, serially, by register tiles."""
    _tile_rows(a, np.ascontiguousarray(b), out, 0, a.shape[0], _KC_ROWS)


@numba.njit(parallel=True, **_FLAGS)
def gemm_tiles_nn_par(a, b, out):
    """`gemm_tiles_nn` with the rows of ``out`` split across threads."""
    m = a.shape[0]
    b = np.ascontiguousarray(b)
    for c in prange(_RUNS):
        _tile_rows(a, b, out, c * m // _RUNS, (c + 1) * m // _RUNS, _KC_ROWS)


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
    """``out[...] = a.T @ b``, serially, streaming; see the module docstring."""
    acc = np.empty((1, b.shape[1], a.shape[1]), out.dtype)
    _tn_blocked(a, b, acc[0], 0, a.shape[0])
    _store_sum_transposed(acc, out)


@numba.njit(parallel=True, **_FLAGS)
def gemm_tn_par(a, b, out):
    """`gemm_tn` with the rows of ``a`` split across threads (chunks, each summing
    into its own accumulator)."""
    k = a.shape[0]
    chunks = min(max(k // _BLOCK, 1), _CHUNKS)
    acc = np.empty((chunks, b.shape[1], a.shape[1]), out.dtype)
    for c in prange(chunks):
        _tn_blocked(a, b, acc[c], c * k // chunks, (c + 1) * k // chunks)
    _store_sum_transposed(acc, out)


@numba.njit(**_FLAGS)
def gemm_tiles_tn(a, b, out):
    """``out[...] = a.T @ b``, serially, by register tiles."""
    _tile_rows(a.T, np.ascontiguousarray(b), out, 0, a.shape[1], _KC_STRIDED)


@numba.njit(parallel=True, **_FLAGS)
def gemm_tiles_tn_par(a, b, out):
    """`gemm_tiles_tn` with the rows of ``out`` split across threads."""
    m = a.shape[1]
    b = np.ascontiguousarray(b)
    for c in prange(_RUNS):
        _tile_rows(a.T, b, out, c * m // _RUNS, (c + 1) * m // _RUNS, _KC_STRIDED)


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
    narrow = min(m, n) <= MAX_SMALL or n <= panel_width(out.dtype)
    return (out.dtype.kind == "f" and x.dtype == y.dtype == out.dtype and b == 1
            and not node.params.get("batch", ((), ()))[0] and narrow)


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


def tiled(m: int, n: int, dtype) -> bool:
    """Whether ``out = X @ Y`` of shapes (m, k) and (k, n) goes to the register
    tiles: when ``X`` is the large operand and ``Y`` at least half a SIMD vector
    wide (narrower, the masked lanes cost more than streaming saves).

    >>> tiled(4096, 40, np.float32), tiled(10000, 10, np.float32), tiled(10000, 3, np.float32)
    (True, True, False)
    """
    wide = 2 * n * np.dtype(dtype).itemsize >= _VECTOR_BYTES
    return m > MAX_SMALL and wide and n <= panel_width(dtype)


def call(m: int, k: int, n: int, x: tuple[str, bool], y: tuple[str, bool], out: str,
         dtype=np.float32) -> str:
    """The statement computing ``out[...] = X @ Y`` of shapes (m, k) and (k, n).

    Each operand comes as (name of a C-contiguous 2-D array, whether the operand
    is its transpose), and ``out`` names a C-contiguous (m, n) array. Register
    tiles compute it when `tiled`. Else the large operand is streamed; when it is
    the right one, the kernel computes ``out.T = Y.T @ X.T``.

    >>> call(4096, 1000, 40, ("x", False), ("w", False), "d")
    'gemm_tiles_nn_par(x, w, d)'
    >>> call(10000, 784, 3, ("a", False), ("w", False), "d")
    'gemm_nn_par(a, w, d)'
    >>> call(10, 5000, 784, ("g", True), ("a", False), "d")
    'gemm_tn_par(a, g, d.T)'
    """
    (xs, xt), (ys, yt) = x, y
    suffix = "_par" if m * k * n >= PARALLEL_FMAS else ""
    kind = "tn" if xt else "nn"
    if tiled(m, n, dtype):
        # Rows of Y, copied when Y is a transpose (as the kernel would): one
        # signature, one compiled kernel, for both layouts.
        rows = f"np.ascontiguousarray({ys}.T)" if yt else ys
        return f"gemm_tiles_{kind}{suffix}({xs}, {rows}, {out})"
    if n <= MAX_SMALL and (n <= m or m > MAX_SMALL):  # X is the large operand
        small = f"{ys}.T" if yt else ys
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
