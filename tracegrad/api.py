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
from tracegrad.autodiff.checks import check_grads
from tracegrad.autodiff.custom import custom_vjp
from tracegrad.autodiff.split import SplitFunction
from tracegrad.ir.graph import Graph
from tracegrad.ops import layout
from tracegrad.ops.elementwise import stop_gradient
from tracegrad.ops.promote import dtype_of, shape_of
from tracegrad.runtime.dispatch import CompiledFunction
from tracegrad.tracer.context import current_builder
from tracegrad.tracer.errors import user_error
from tracegrad.tracer.pytree import tree_flatten, tree_unflatten
from tracegrad.tracer.trace import trace

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
) -> Any:
    """Compile `fn` into a static graph, traced once per input signature.

    Usable as ``@compile`` and ``@compile(backend="numpy", static_argnums=(1,))``.
    A call with new shapes, dtypes, pytree structure or static values traces again;
    other calls hit the cache.

    >>> import numpy as np, tracegrad as tg
    >>> @tg.compile
    ... def f(x): return np.sum(np.sin(x) ** 2)
    >>> round(float(f(np.ones(3))), 6)
    2.124112
    """
    if fn is None:
        return lambda f: CompiledFunction(f, backend=backend, static_argnums=static_argnums)
    return CompiledFunction(fn, backend=backend, static_argnums=static_argnums)


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
    """A Jacobian function: basis rows (rev) or columns (fwd) through one graph.

    On arrays, ``D(args, direction)`` is traced once, split into the part that does
    not depend on the direction (run once) and the part that does (run per basis
    vector); inside a trace, one derivative is emitted per basis vector.
    """

    def __init__(self, fn: Callable, argnums: int | Sequence[int], mode: str) -> None:
        self.fn, self.argnums, self.mode = fn, argnums, mode
        self.__name__ = f"jac{mode}({_name(fn)})"
        self._split = SplitFunction(self._joint, self.__name__)

    def _joint(self, args: tuple, direction: Any) -> tuple:
        """``(fn(*args), derivative along direction)``: a pullback of the output
        cotangent `direction` (rev) or a JVP along the input tangents (fwd)."""
        nums = T.normalize_argnums(self.argnums, len(args), self.__name__)
        diff = [args[i] for i in nums]
        if self.mode == "rev":
            out, pullback = T.vjp_traced(self._partial(args, nums), diff)
            return out, pullback(direction)
        return T.jvp_traced(self._partial(args, nums), diff, direction)

    def _partial(self, args: tuple, nums: tuple[int, ...]) -> Callable:
        def partial(*diff: Any) -> Any:
            full = list(args)
            for i, d in zip(nums, diff):
                full[i] = d
            return self.fn(*full)

        return partial

    def __call__(self, *args: Any) -> Any:
        nums = T.normalize_argnums(self.argnums, len(args), self.__name__)
        diff = [args[i] for i in nums]
        for x in diff:
            if isinstance(x, (tuple, list, dict)):
                raise user_error(TypeError, f"{self.__name__}: differentiated arguments must "
                                 f"be arrays, got {type(x).__name__}")
        out_shape, out_dtype = self._output_type(args)
        in_shapes = [shape_of(x) for x in diff]
        run = self._directions(args, out_shape, out_dtype, in_shapes)
        if self.mode == "rev":
            rows = [run(e) for e in _basis(out_shape, out_dtype)]
            jacs = [_stack([r[j] for r in rows], out_shape + in_shapes[j])
                    for j in range(len(nums))]
        else:
            jacs = []
            for j, x in enumerate(diff):
                cols = []
                for e in _basis(in_shapes[j], dtype_of(x)):
                    cols.append(run(tuple(e if k == j else _zeros(diff[k])
                                          for k in range(len(nums)))))
                jacs.append(_stack_columns(cols, out_shape, in_shapes[j]))
        return jacs[0] if isinstance(self.argnums, int) else tuple(jacs)

    def _directions(self, args: tuple, out_shape: tuple, out_dtype: np.dtype,
                    in_shapes: list) -> Callable:
        """A function of one basis vector giving the derivative along it."""
        if current_builder() is not None:
            return lambda d: self._joint(args, d)[1]
        if self.mode == "rev":
            example = np.zeros(out_shape, out_dtype)
        else:
            nums = T.normalize_argnums(self.argnums, len(args), self.__name__)
            example = tuple(np.zeros(s, dtype_of(args[i])) for s, i in zip(in_shapes, nums))
        return self._split.prepare(args, example)[1]

    def _output_type(self, args: tuple) -> tuple[tuple[int, ...], np.dtype]:
        if current_builder() is not None:
            # Inside a trace: the extra forward nodes are dead and DCE drops them.
            out = self.fn(*args)
            leaves = tree_flatten(out)[0]
            types = [(tuple(o.shape), np.dtype(o.dtype)) for o in leaves]
        else:
            graph = CompiledFunction(self.fn, name=self.__name__).lower(*args).ir
            types = [(t.shape, t.dtype) for t in graph.out_types]
        if len(types) != 1:
            raise user_error(TypeError, f"{self.__name__}: the function must return one "
                             f"array, got {len(types)} outputs", "use one jacobian per output")
        return types[0]


def _zeros(x: Any) -> Any:
    return layout.zeros_like(x) if current_builder() else np.zeros(shape_of(x), dtype_of(x))


def _basis(shape: tuple[int, ...], dtype: Any) -> list[np.ndarray]:
    n = int(np.prod(shape, dtype=np.int64))
    eye = np.eye(n, dtype=dtype)
    return [eye[k].reshape(shape) for k in range(n)]


def _stack(parts: list, shape: tuple[int, ...]) -> Any:
    """Stack equally shaped parts along a new leading axis and reshape to `shape`."""
    if current_builder() is None:
        return np.stack([np.asarray(p) for p in parts]).reshape(shape)
    flat = [layout.reshape(p, (1, -1)) for p in parts]
    return layout.reshape(layout.concatenate(flat, 0), shape)


def _stack_columns(cols: list, out_shape: tuple, in_shape: tuple) -> Any:
    """Columns (one per input element, each of `out_shape`) as ``out_shape + in_shape``."""
    n_out = int(np.prod(out_shape, dtype=np.int64))
    stacked = _stack(cols, (len(cols), n_out))  # (n_in, n_out)
    if current_builder() is None:
        return stacked.T.reshape(out_shape + in_shape)
    return layout.reshape(layout.transpose(stacked, (1, 0)), out_shape + in_shape)

