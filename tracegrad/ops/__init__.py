"""The operation catalogue: every primitive defined once, by family.

Importing this package registers all primitives in `REGISTRY`: elementwise math,
layout (broadcasts, reshapes, slicing, gathers), reductions, contraction and the
ops that hold sub-graphs (control).
"""

from tracegrad.ops import control, elementwise, layout, linalg, reduce  # noqa: F401  (registration)
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, REGISTRY, Primitive, bind, defop

__all__ = ["NOT_DIFFERENTIABLE", "REGISTRY", "Primitive", "bind", "defop"]
