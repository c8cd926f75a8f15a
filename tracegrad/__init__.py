"""tracegrad: a JIT-traced static-graph compiler for differentiable NumPy programs.

>>> import numpy as np, tracegrad as tg
>>> f = tg.compile(lambda x: np.sum(np.tanh(x) ** 2))
>>> float(f(np.zeros(3)))
0.0
"""

__version__ = "0.1.0"

from tracegrad import ops
from tracegrad.api import compile, make_ir
from tracegrad.ir.graph import Graph
from tracegrad.ops.elementwise import *
from tracegrad.tracer.pytree import (
    register_pytree_node,
    tree_flatten,
    tree_map,
    tree_unflatten,
)

__all__ = [
    "Graph",
    "compile",
    "make_ir",
    "ops",
    "register_pytree_node",
    "tree_flatten",
    "tree_map",
    "tree_unflatten",
]
