"""The public transformations: thin wiring over the tracer, autodiff and the runtime.

Every transformation returns a `CompiledFunction`: called on arrays it traces once
per signature into a static graph (forward and derivative nodes together) and runs
it on the backend; called inside another trace it adds its nodes to that graph, so
``grad(grad(f))`` and ``compile(hessian(f))`` are graphs too.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from tracegrad.autodiff import transforms as T
from tracegrad.autodiff.batching import batch_nodes, direction_nodes
from tracegrad.autodiff.checks import check_grads
from tracegrad.autodiff.custom import custom_vjp
from tracegrad.autodiff.split import SplitFunction
from tracegrad.ir.graph import Const, Graph
from tracegrad.ops import layout
from tracegrad.ops.elementwise import stop_gradient
from tracegrad.ops.promote import dtype_of, shape_of
from tracegrad.runtime.dispatch import CompiledFunction
from tracegrad.tracer.context import current_builder
from tracegrad.tracer.errors import user_error
from tracegrad.tracer.pytree import tree_unflatten
from tracegrad.tracer.trace import trace
from tracegrad.tracer.tracer import Tracer

__all__ = [
    "check_grads",
    "compile",
    "custom_vjp",
    "grad",
    "hessian",
    "jacfwd",
    "jacobian",
    "jacrev",
    "jvp",
    "make_ir",
    "stop_gradient",
    "value_and_grad",
    "vjp",
]


def compile(
    fn: Callable | None = None,
    *,
    backend: str | None = None,
    static_argnums: int | Sequence[int] = (),
    fastmath: bool = False,
    math: str | None = None,
    tiered: bool | None = None,
) -> Any:
    """Compile `fn` into a static graph, traced once per input signature.

    Usable as ``@compile`` and ``@compile(backend="numpy", static_argnums=(1,))``.
    A call with new shapes, dtypes, pytree structure or static values traces again;
    other calls hit the cache. For the ``cpu`` backend, ``math="libm"`` (or
    ``TRACEGRAD_MATH=libm``) calls scalar libm instead of tracegrad's vector math,
    and ``fastmath=True`` opts into LLVM's fast-math (see docs/vecmath.md). Its
    program loads or compiles in the background while the NumPy interpreter answers
    the first calls; ``tiered=False`` (or ``TRACEGRAD_TIERED=0``) makes the first
    call wait for it instead (see docs/codegen.md).

    >>> import numpy as np, tracegrad as tg
    >>> @tg.compile
    ... def f(x): return np.sum(np.sin(x) ** 2)
    >>> round(float(f(np.ones(3))), 6)
    2.124112
    """
    options = dict(backend=backend, static_argnums=static_argnums, fastmath=fastmath,
                   math=math, tiered=tiered)
    if fn is None:
        return lambda f: CompiledFunction(f, **options)
    return CompiledFunction(fn, **options)


def make_ir(fn: Callable, static_argnums: int | Sequence[int] = ()) -> Callable[..., Graph]:
    """A function that traces `fn` on its arguments and returns the `Graph`.

    ``str(graph)`` is the readable text dump.

    >>> import numpy as np, tracegrad as tg
    >>> print(tg.make_ir(lambda x: np.exp(x))(np.ones(2)))
    graph(%0:f64[2]) -> (f64[2]) {
      %1:f64[2] = exp %0
      return %1
    }
    """
    if isinstance(fn, CompiledFunction):
        return lambda *args: fn.lower(*args).ir
    if static_argnums != ():
        return lambda *args: CompiledFunction(fn, static_argnums=static_argnums).lower(*args).ir
    return lambda *args: trace(fn, args).graph


def _name(fn: Callable) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


def _derivative(traced_fn: Callable, label: str, fn: Callable) -> CompiledFunction:
    return CompiledFunction(traced_fn, name=f"{label}({_name(fn)})", dump_stage="adjoint")


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0,
                   has_aux: bool = False) -> CompiledFunction:
    """A function returning ``(fn(*args), gradient)`` (``((value, aux), grad)`` with aux).

    The gradient is with respect to argument `argnums` (a tuple gives a tuple of
    gradients); each may be a pytree of float arrays. `fn` must return a scalar.

    >>> import numpy as np, tracegrad as tg
    >>> v, g = tg.value_and_grad(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> float(v), g
    (5.0, array([2., 4.]))
    """
    def value_and_grad_fn(*args: Any) -> Any:
        return T.value_and_grad_traced(fn, args, argnums, has_aux, "value_and_grad")

    return _derivative(value_and_grad_fn, "value_and_grad", fn)


def grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> CompiledFunction:
    """The gradient of scalar-valued `fn` with respect to argument(s) `argnums`.

    With ``has_aux=True``, `fn` returns ``(output, aux)`` and the result is
    ``(gradient, aux)``. Composes: ``grad(grad(f))``, ``compile(grad(f))``.

    >>> import numpy as np, tracegrad as tg
    >>> tg.grad(lambda x: np.sum(np.sin(x)))(np.zeros(2))
    array([1., 1.])
    """
    def grad_fn(*args: Any) -> Any:
        value, g = T.value_and_grad_traced(fn, args, argnums, has_aux, "grad")
        return (g, value[1]) if has_aux else g

    return _derivative(grad_fn, "grad", fn)


def vjp(fn: Callable, *primals: Any) -> tuple[Any, Callable]:
    """``(fn(*primals), pullback)``; ``pullback(ct)`` gives one cotangent per primal.

    On arrays, the forward part runs once here and each pullback call runs only the
    backward part, on the residuals the forward part kept.

    >>> import numpy as np, tracegrad as tg
    >>> out, pullback = tg.vjp(lambda x: x * 2.0, np.ones(2))
    >>> pullback(np.array([1.0, 3.0]))
    (array([2., 6.]),)
    """
    if current_builder() is not None:
        return T.vjp_traced(fn, primals)
    out_types = CompiledFunction(fn, name=_name(fn)).lower(*primals)
    example_ct = tree_unflatten(out_types.out_tree,
                                [np.zeros(t.shape, t.dtype) for t in out_types.ir.out_types])
    return _split_vjp(fn).prepare(primals, example_ct)


def _joint_vjp(fn: Callable) -> Callable:
    def joint(primals: tuple, ct: Any) -> tuple:
        out, pullback = T.vjp_traced(fn, primals)
        return out, pullback(ct)

    return joint


_SPLIT_VJPS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _split_vjp(fn: Callable) -> SplitFunction:
    """The compiled forward/backward pair of `fn`, kept while `fn` lives."""
    try:
        sf = _SPLIT_VJPS.get(fn)
    except TypeError:  # not weakly referenceable
        return SplitFunction(_joint_vjp(fn), f"vjp({_name(fn)})")
    if sf is None:
        sf = _SPLIT_VJPS[fn] = SplitFunction(_joint_vjp(fn), f"vjp({_name(fn)})")
    return sf


def jvp(fn: Callable, primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(fn(*primals), tangent of the output)`` along `tangents` (forward mode).

    >>> import numpy as np, tracegrad as tg
    >>> tg.jvp(np.sin, (np.array(0.0),), (np.array(2.0),))
    (array(0.), array(2.))
    """
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise user_error(TypeError, "jvp: primals and tangents must be tuples or lists")
    if current_builder() is not None:
        return T.jvp_traced(fn, primals, tangents)

    def jvp_fn(primals: tuple, tangents: tuple) -> Any:
        return T.jvp_traced(fn, primals, tangents)

    return _derivative(jvp_fn, "jvp", fn)(tuple(primals), tuple(tangents))


def jacrev(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of `fn` by reverse mode: one pullback per output element.

    The result has shape ``out.shape + x.shape``. The VJP graph is traced once, with
    the cotangent as an input, and evaluated per basis row.

    >>> import numpy as np, tracegrad as tg
    >>> tg.jacrev(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _Jacobian(fn, argnums, mode="rev")


jacobian = jacrev


def jacfwd(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Jacobian of `fn` by forward mode: one tangent per input element.

    >>> import numpy as np, tracegrad as tg
    >>> tg.jacfwd(lambda x: x ** 2)(np.array([1.0, 2.0]))
    array([[2., 0.],
           [0., 4.]])
    """
    return _Jacobian(fn, argnums, mode="fwd")


def hessian(fn: Callable, argnums: int | Sequence[int] = 0) -> Callable:
    """The Hessian of scalar `fn`: forward-over-reverse, ``jacfwd(grad(fn))``.

    >>> import numpy as np, tracegrad as tg
    >>> tg.hessian(lambda x: np.sum(x ** 3))(np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    return jacfwd(grad(fn, argnums), argnums)


class _Jacobian:
    """A Jacobian function, one static graph per signature.

    The derivative along a direction (an output cotangent for rev mode, an input
    tangent for fwd mode) is emitted once with the direction as a placeholder; the
    nodes that depend on it are then batched over all basis vectors at once
    (`tracegrad.autodiff.batching`), so the graph holds one batched derivative, not
    one copy per basis vector, and the whole Jacobian is one compiled call.
    """

    def __init__(self, fn: Callable, argnums: int | Sequence[int], mode: str) -> None:
        self.fn, self.argnums, self.mode = fn, argnums, mode
        self.__name__ = f"jac{mode}({_name(fn)})"
        self._compiled = CompiledFunction(self._traced, name=self.__name__,
                                          dump_stage="adjoint")

    def __call__(self, *args: Any) -> Any:
        return self._compiled(*args)

    def lower(self, *args: Any) -> Any:
        """The lowered Jacobian graph for the signature of `args` (see `compile`)."""
        return self._compiled.lower(*args)

    def block_until_compiled(self) -> None:
        """Wait for the programs compiling in the background (see `compile`)."""
        self._compiled.block_until_compiled()

    def _traced(self, *args: Any) -> Any:
        nums = T.normalize_argnums(self.argnums, len(args), self.__name__)
        diff = [args[i] for i in nums]
        for x in diff:
            if isinstance(x, (tuple, list, dict)):
                raise user_error(TypeError, f"{self.__name__}: differentiated arguments must "
                                 f"be arrays, got {type(x).__name__}")
        partial = self._partial(args, nums)
        if self.mode == "rev":
            jacs = self._rev(partial, diff)
        else:
            jacs = [self._fwd(partial, diff, j) for j in range(len(diff))]
        return jacs[0] if isinstance(self.argnums, int) else tuple(jacs)

    def _partial(self, args: tuple, nums: tuple[int, ...]) -> Callable:
        def partial(*diff: Any) -> Any:
            full = list(args)
            for i, d in zip(nums, diff):
                full[i] = d
            return self.fn(*full)

        return partial

    def _rev(self, partial: Callable, diff: list) -> list:
        out, pullback = T.vjp_traced(partial, diff)
        _check_single_array(out, self.__name__)
        ct = _placeholder(out)
        grads = _batched(lambda: pullback(ct), ct, shape_of(out), dtype_of(out))
        out_shape = tuple(shape_of(out))
        return [layout.reshape(g, out_shape + tuple(shape_of(x))) for g, x in zip(grads, diff)]

    def _fwd(self, partial: Callable, diff: list, j: int) -> Any:
        t = _placeholder(diff[j])
        tangents = [t if k == j else layout.zeros_like(x) for k, x in enumerate(diff)]
        holder: dict = {}

        def tangent_out() -> list:
            out, t_out = T.jvp_traced(partial, diff, tangents)
            _check_single_array(out, self.__name__)
            holder["out_shape"] = tuple(shape_of(out))
            return [t_out]

        (cols,) = _batched(tangent_out, t, shape_of(diff[j]), dtype_of(diff[j]))
        # cols is (n_in, *out_shape): move the input axis last, then unflatten it.
        n_out = len(holder["out_shape"])
        cols = layout.transpose(cols, tuple(range(1, n_out + 1)) + (0,))
        return layout.reshape(cols, holder["out_shape"] + tuple(shape_of(diff[j])))


def _check_single_array(out: Any, what: str) -> None:
    if not hasattr(out, "shape"):
        raise user_error(TypeError, f"{what}: the function must return one array, got "
                         f"{type(out).__name__}", "use one jacobian per output")


def _placeholder(like: Any) -> Tracer:
    """A traced direction with `like`'s type, produced by no node: it stands for
    every basis vector at once until `_batched` replaces it."""
    from tracegrad.ir.graph import Var
    from tracegrad.ir.types import TensorType

    return Tracer(Var(TensorType(tuple(shape_of(like)), dtype_of(like))), current_builder())


def _batched(emit: Callable[[], list], direction: Tracer, shape: tuple, dtype: Any) -> list:
    """Run ``emit()`` (which computes derivatives from `direction`) and return its
    results batched over all basis vectors of `direction`'s space: each result
    gains a leading axis of length ``prod(shape)``."""
    builder = current_builder()
    start = len(builder.nodes)
    results = emit()
    emitted = builder.nodes[start:]
    varying = direction_nodes(emitted, [direction.atom])
    n = int(np.prod(shape, dtype=np.int64))
    basis = Tracer(Const(np.eye(n, dtype=dtype).reshape((n,) + tuple(shape))), builder)
    env = batch_nodes(varying, {direction.atom: basis}, builder, n)
    # The unbatched copies read the placeholder, which no node defines: drop them.
    dropped = set(varying)
    builder.nodes[start:start + len(emitted)] = [nd for nd in emitted if nd not in dropped]
    out = []
    for r in results:
        atom = r.atom if isinstance(r, Tracer) else None
        if atom is not None and atom in env:
            out.append(env[atom])
        else:  # does not depend on the direction: the same for every basis vector
            shape_r = tuple(shape_of(r))
            out.append(layout.broadcast_in_dim(r, (n,) + shape_r,
                                               tuple(range(1, len(shape_r) + 1))))
    return out
