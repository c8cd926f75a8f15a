"""tracegrad: a JIT-traced static-graph compiler for differentiable NumPy programs.

>>> import numpy as np, tracegrad as tg
>>> f = tg.compile(lambda x: np.sum(np.tanh(x) ** 2))
>>> float(f(np.zeros(3)))
0.0
"""

__version__ = "0.1.0"

# The star imports re-export each family's public wrappers (their `__all__`).
from tracegrad import ops  # noqa: E402,F401  (registers the primitives)
from tracegrad.api import *  # noqa: E402,F401,F403
from tracegrad.ir.graph import Graph  # noqa: E402,F401
from tracegrad.ops.elementwise import *  # noqa: E402,F401,F403
from tracegrad.ops.layout import *  # noqa: E402,F401,F403
from tracegrad.ops.linalg import *  # noqa: E402,F401,F403
from tracegrad.ops.reduce import *  # noqa: E402,F401,F403
from tracegrad.tracer.numpy_api.contractions import dot, einsum, matmul  # noqa: E402,F401
from tracegrad.tracer.numpy_api.elementwise import where  # noqa: E402,F401
from tracegrad.tracer.pytree import (  # noqa: E402,F401
    register_pytree_node,
    tree_flatten,
    tree_leaves,
    tree_map,
    tree_unflatten,
)

# isort: split
# Last: the dynamic mode's creation functions (full, zeros_like, ...) accept tensors
# as well as arrays and tracers, and hand the latter to the layout versions.
from tracegrad.dynamic import *  # noqa: E402,F401,F403
