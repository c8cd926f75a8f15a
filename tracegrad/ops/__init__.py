"""The operation catalogue: every primitive defined once, by family.

Importing this package registers all primitives in `REGISTRY`.
"""

from tracegrad.ops import elementwise, layout, reduce  # noqa: F401  (registration)
from tracegrad.ops.primitive import NOT_DIFFERENTIABLE, REGISTRY, Primitive, bind, defop

__all__ = ["NOT_DIFFERENTIABLE", "REGISTRY", "Primitive", "bind", "defop"]
