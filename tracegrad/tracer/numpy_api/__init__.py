"""NumPy functions and ufuncs on traced values, each mapped to tracegrad's ops.

`UFUNCS` maps a NumPy ufunc to an op wrapper (``__array_ufunc__``); `FUNCTIONS`
maps a NumPy function to its composition of ops (``__array_function__``);
`METHODS` names the array methods that are these functions. The functions here work
on any operand kind (tracer, dynamic tensor, array), so the dynamic mode reuses
the table. They follow NumPy 2's results and dtypes; a Python scalar is weak where
NumPy's ufuncs treat it so (``where``, ``clip``, arithmetic) and an ordinary array
where NumPy converts it first (``dot``, ``concatenate``). Anything not listed fails
with `UnsupportedError` naming the function; so does an argument that cannot be
traced (``out=``, ``where=``, ``initial=``, ...).
The supported list, with the primitives each entry maps to, is docs/numpy-support.md.
"""

# Importing the families registers their functions; their names are re-exported
# because the tracer and the dynamic mode call some of them directly.
from tracegrad.tracer.numpy_api.contractions import *  # noqa: E402,F401,F403
from tracegrad.tracer.numpy_api.elementwise import *  # noqa: E402,F401,F403
from tracegrad.tracer.numpy_api.reductions import *  # noqa: E402,F401,F403
from tracegrad.tracer.numpy_api.registry import (  # noqa: F401
    FUNCTIONS,
    METHODS,
    SUPPORTED_DOC,
    UFUNCS,
    dispatch_function,
    dispatch_ufunc,
    implements,
)
from tracegrad.tracer.numpy_api.shapes import *  # noqa: E402,F401,F403
