"""Large buffers on transparent huge pages, as NumPy allocates its large arrays.

A fresh buffer of tens of megabytes comes from the kernel page by page: each 4 KiB
page faults in on its first write, about 1.7 ms per 4 MiB on this machine (a
float32 array of 1e7 elements took 17 ms to allocate and fill in a Numba program,
against 3 ms for NumPy's ``np.empty(...)`` and fill). NumPy asks Linux for huge
pages on arrays of 4 MiB and more (``madvise(MADV_HUGEPAGE)``), so that a 2 MiB page
faults in at once. Numba's ``np.empty`` does not; generated programs wrap their
large buffers in `hugepages`, which does what NumPy does, where NumPy does it.

>>> import numba, numpy as np
>>> numba.njit(lambda n: hugepages(np.empty(n)))(10)  # doctest: +SKIP
array([...])
"""

from __future__ import annotations

import sys

import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils, config
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic

# NumPy's threshold: smaller arrays gain nothing, and a huge page needs 2 MiB
THRESHOLD = 4 << 20
MADV_HUGEPAGE = 14  # Linux
PAGE = 4096


def enabled() -> bool:
    """Whether buffers are advised onto huge pages: on Linux, where NumPy does it too
    (NumPy's own switch, ``NUMPY_MADVISE_HUGEPAGE``, decides)."""
    if sys.platform != "linux" or config.DISABLE_JIT:
        return False
    getter = getattr(np._core.multiarray, "_get_madvise_hugepage", None)
    return bool(getter()) if getter is not None else False


def _advise(context, builder, array_type, value) -> None:
    """Emit ``madvise(first, length, MADV_HUGEPAGE)`` over the whole pages of the
    array `value` when they add up to `THRESHOLD` bytes or more."""
    i64 = ir.IntType(64)
    array = context.make_array(array_type)(context, builder, value)
    start = builder.ptrtoint(array.data, i64)
    end = builder.add(start, builder.mul(array.nitems, array.itemsize))
    page = ir.Constant(i64, PAGE)
    first = builder.and_(builder.add(start, ir.Constant(i64, PAGE - 1)), ir.Constant(i64, -PAGE))
    length = builder.sub(end, first)  # negative for a tiny array: below the threshold
    with builder.if_then(builder.icmp_signed(">=", length, ir.Constant(i64, THRESHOLD))):
        fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(8).as_pointer(), i64, ir.IntType(32)])
        madvise = cgutils.get_or_insert_function(builder.module, fnty, "madvise")
        whole = builder.sub(length, builder.urem(length, page))
        builder.call(madvise, [builder.inttoptr(first, ir.IntType(8).as_pointer()), whole,
                               ir.Constant(ir.IntType(32), MADV_HUGEPAGE)])


@intrinsic
def _hugepages(typingctx, array):
    if not isinstance(array, types.Array):
        return None
    advise = enabled()

    def codegen(context, builder, signature, args):
        if advise:
            _advise(context, builder, array, args[0])
        return impl_ret_borrowed(context, builder, array, args[0])

    return array(array), codegen


if config.DISABLE_JIT:

    def hugepages(a):
        """`a` as it is (``NUMBA_DISABLE_JIT``: no machine code to advise from)."""
        return a

else:
    # An intrinsic, not a function of its own: a program that uses it compiles no
    # second function (Numba's dispatcher took 0.1-0.4 s per process to type it).
    hugepages = _hugepages
    hugepages.__doc__ = """`a` (a fresh array), its whole pages advised onto huge pages
    before anything is written to them when they add up to `THRESHOLD` bytes or more
    (see `enabled`); returns `a`. Callable from compiled code only."""
