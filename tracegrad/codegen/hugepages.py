"""Large buffers on transparent huge pages, as NumPy allocates its large arrays.

A fresh buffer of tens of megabytes comes from the kernel page by page: each 4 KiB
page faults in on its first write, about 1.7 ms per 4 MiB on this machine (a
float32 array of 1e7 elements took 17 ms to allocate and fill in a Numba program,
against 3 ms for NumPy's ``np.empty(...)`` and fill). NumPy asks Linux for huge
pages on arrays of 4 MiB and more (``madvise(MADV_HUGEPAGE)``), so that a 2 MiB page
faults in at once. Numba's ``np.empty`` does not; generated programs wrap their
large buffers in `hugepages`, which does what NumPy does, where NumPy does it.

>>> import numpy as np
>>> hugepages(np.empty(10))  # doctest: +SKIP
array([...])
"""

from __future__ import annotations

import sys

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils, config
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
    getter = getattr(getattr(np, "_core", np.core).multiarray, "_get_madvise_hugepage", None)
    return bool(getter()) if getter is not None else False


@intrinsic
def _madvise(typingctx, address, length, advice):
    """``madvise(address, length, advice)`` from the C library, by name (a cached
    program finds the symbol again when it is loaded)."""
    if not all(isinstance(t, types.Integer) for t in (address, length, advice)):
        return None

    def codegen(context, builder, signature, args):
        fnty = ir.FunctionType(ir.IntType(32), [ir.IntType(8).as_pointer(), ir.IntType(64),
                                                ir.IntType(32)])
        fn = cgutils.get_or_insert_function(builder.module, fnty, "madvise")
        a, n, adv = (context.cast(builder, v, t, types.int64)
                     for v, t in zip(args, signature.args))
        return builder.call(fn, [builder.inttoptr(a, ir.IntType(8).as_pointer()), n,
                                 builder.trunc(adv, ir.IntType(32))])

    return types.int32(address, length, advice), codegen


if enabled():

    @numba.njit(cache=True, nogil=True)
    def hugepages(a):
        """`a` (a fresh array of `THRESHOLD` bytes or more), its whole pages advised
        onto huge pages before anything is written to them; returns `a`."""
        start = a.ctypes.data
        end = start + a.nbytes
        first = (start + PAGE - 1) // PAGE * PAGE
        if end - first >= THRESHOLD:
            _madvise(first, (end - first) // PAGE * PAGE, MADV_HUGEPAGE)
        return a

else:

    @numba.njit(cache=True, nogil=True)
    def hugepages(a):
        """`a` as it is: huge pages are not asked for on this system (see `enabled`)."""
        return a
