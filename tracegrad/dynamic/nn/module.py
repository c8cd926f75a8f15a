"""`Module` and `Parameter`: PyTorch's containers of trainable state.

Assigning a `Parameter` or a `Module` to an attribute registers it, so that
``parameters()``, ``named_parameters()``, ``zero_grad()``, ``state_dict()`` and
``load_state_dict()`` find it. `functional_call` runs a module with other values
(tracers, arrays) in place of its parameters: the bridge to the static mode.
"""

from __future__ import annotations

from collections import OrderedDict, namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from tracegrad.dynamic.format import tensor_repr
from tracegrad.dynamic.grad_mode import no_grad
from tracegrad.dynamic.tensor import Tensor
from tracegrad.tracer.errors import user_error

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A tensor that a `Module` registers as trainable (requires grad by default).

    It shares memory with the data it is made from.

    >>> import tracegrad as tg
    >>> tg.nn.Parameter(tg.tensor([1., 2.]))
    Parameter containing:
    tensor([1., 2.], requires_grad=True)
    """

    def __init__(self, data: Any = None, requires_grad: bool = True) -> None:
        if data is None:
            data = np.zeros(0, np.float32)
        self._setup(data._data if isinstance(data, Tensor) else np.asarray(data))
        self.requires_grad = requires_grad

    def __repr__(self) -> str:
        return "Parameter containing:\n" + tensor_repr(self)


class Module:
    """Base class of layers and models: subclass it, assign layers and `Parameter`s
    in ``__init__`` (after ``super().__init__()``) and write ``forward``.

    >>> import tracegrad as tg
    >>> class Affine(tg.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.w = tg.nn.Parameter(tg.ones(2))
    ...     def forward(self, x):
    ...         return x * self.w
    >>> [name for name, _ in Affine().named_parameters()]
    ['w']
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f'Module [{type(self).__name__}] is missing the required '
                                  f'"forward" function')

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # --- registration ------------------------------------------------------------------

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._forget(name)
            params[name] = value
        elif isinstance(value, Module):
            if params is None:
                raise AttributeError("cannot assign module before Module.__init__() call")
            self._forget(name)
            self._modules[name] = value
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                                "(tg.nn.Parameter or None expected)")
            params[name] = None
        elif params is not None and name in self._buffers:
            self._buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name: str) -> None:
        for store in (self.__dict__, self._parameters, self._buffers, self._modules):
            store.pop(name, None)

    def __getattr__(self, name: str) -> Any:
        for store in ("_parameters", "_buffers", "_modules"):
            values = self.__dict__.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in (self._parameters, self._buffers, self._modules):
            if name in store:
                del store[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register `param` (or None: a slot without a parameter) as `name`."""
        if param is None:
            self._parameters[name] = None
        else:
            setattr(self, name, param)

    def register_buffer(self, name: str, tensor: Any, persistent: bool = True) -> None:
        """Register non-trainable state (running statistics...) that state_dict saves."""
        self._forget(name)
        self._buffers[name] = tensor
        if not persistent:
            self._non_persistent.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register a submodule under `name`."""
        self._forget(name)
        self._modules[name] = module

    register_module = add_module

    # --- walking ----------------------------------------------------------------------

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module and all below it, with dotted names, each once."""
        seen: set[int] = set()
        stack = [(prefix, self)]
        while stack:
            name, module = stack.pop(0)
            if id(module) in seen:
                continue
            seen.add(id(module))
            yield name, module
            children = [(f"{name}.{n}" if name else n, m)
                        for n, m in module._modules.items() if m is not None]
            stack[0:0] = children

    def modules(self) -> Iterator[Module]:
        return (m for _, m in self.named_modules())

    def named_children(self) -> Iterator[tuple[str, Module]]:
        return ((n, m) for n, m in self._modules.items() if m is not None)

    def children(self) -> Iterator[Module]:
        return (m for _, m in self.named_children())

    def _named(self, store: str, prefix: str, recurse: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, module in modules:
            for n, v in getattr(module, store).items():
                if v is None or id(v) in seen:
                    continue
                seen.add(id(v))
                yield (f"{mname}.{n}" if mname else n), v

    def named_parameters(self, prefix: str = "", recurse: bool = True
                         ) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, parameter)`` pairs, each parameter once.

        >>> import tracegrad as tg
        >>> [n for n, _ in tg.nn.Linear(2, 1).named_parameters()]
        ['weight', 'bias']
        """
        return self._named("_parameters", prefix, recurse)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters, for an optimizer: ``tg.optim.SGD(model.parameters(), lr=0.1)``."""
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator[tuple[str, Any]]:
        return self._named("_buffers", prefix, recurse)

    def buffers(self, recurse: bool = True) -> Iterator[Any]:
        return (b for _, b in self.named_buffers(recurse=recurse))

    def get_submodule(self, target: str) -> Module:
        module = self
        for part in filter(None, target.split(".")):
            if part not in module._modules:
                raise AttributeError(f"{type(module).__name__} has no attribute `{part}`")
            module = module._modules[part]
        return module

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on every submodule (children first), then on this module."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # --- training state ------------------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode (here and below); returns the module."""
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode: ``train(False)``."""
        return self.train(False)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of all parameters (to None, PyTorch 2's default)."""
        for p in self.parameters():
            if p._grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p._grad.detach_()
                    p._grad.zero_()

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def to(self, dtype: Any = None, *args: Any, **kwargs: Any) -> Module:
        """Convert floating parameters and buffers to `dtype`, in place."""
        dtype = kwargs.get("dtype", dtype)
        if dtype is None or isinstance(dtype, str):
            return self
        for t in [*self.parameters(), *self.buffers()]:
            if isinstance(t, Tensor) and t.dtype.kind == "f":
                t._data = t._data.astype(dtype)
                if t._grad is not None:
                    t._grad = Tensor._wrap(t._grad._data.astype(dtype))
        return self

    def float(self) -> Module: return self.to(np.float32)
    def double(self) -> Module: return self.to(np.float64)

    # --- state_dict ----------------------------------------------------------------------

    def state_dict(self, prefix: str = "", keep_vars: bool = False) -> OrderedDict:
        """Parameters and persistent buffers by dotted name (detached, sharing memory)."""
        out: OrderedDict = OrderedDict()
        for mname, module in self.named_modules(prefix.rstrip(".")):
            dot = f"{mname}." if mname else ""
            for n, p in module._parameters.items():
                if p is not None:
                    out[dot + n] = p if keep_vars else p.detach()
            for n, b in module._buffers.items():
                if b is not None and n not in module._non_persistent:
                    out[dot + n] = b if keep_vars or not isinstance(b, Tensor) else b.detach()
        return out

    def load_state_dict(self, state_dict: dict, strict: bool = True) -> IncompatibleKeys:
        """Copy values into the parameters and buffers of the same names."""
        own = self.state_dict(keep_vars=True)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        errors = []
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = state_dict[name]
            value = value._data if isinstance(value, Tensor) else np.asarray(value)
            if value.shape != target.shape:
                errors.append(f"size mismatch for {name}: copying a param with shape "
                              f"{_size(value.shape)} from checkpoint, the shape in current "
                              f"model is {_size(target.shape)}.")
                continue
            with no_grad():
                np.copyto(target._data, value, casting="unsafe")
                target._version_counter.value += 1
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                                 + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                                 + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise user_error(RuntimeError, f"Error(s) in loading state_dict for "
                                           f"{type(self).__name__}:\n\t" + "\n\t".join(errors))
        return IncompatibleKeys(missing, unexpected)

    # --- printing --------------------------------------------------------------------------

    def extra_repr(self) -> str:
        """The text inside the parentheses of this module's line (override it)."""
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, module in self._modules.items():
            text = repr(module).replace("\n", "\n  ")
            lines.append(f"({name}): {text}")
        extra = self.extra_repr()
        if not lines:
            return f"{type(self).__name__}({extra})"
        body = "\n  ".join(([extra] if extra else []) + lines)
        return f"{type(self).__name__}(\n  {body}\n)"


def _size(shape: tuple) -> str:
    return f"Size({list(shape)})"


def functional_call(module: Module, parameters_and_buffers: dict, args: Any = (),
                    kwargs: dict | None = None, *, strict: bool = False) -> Any:
    """Run ``module(*args, **kwargs)`` with the given values in place of its parameters
    and buffers (``torch.func.functional_call``): arrays, tensors, or tracers.

    This is how a model's forward is compiled or differentiated by the static API:
    ``tg.grad(lambda p, x, y: loss(functional_call(model, p, x), y))(params, x, y)``.

    >>> import tracegrad as tg
    >>> lin = tg.nn.Linear(2, 1)
    >>> p = {"weight": np.ones((1, 2)), "bias": np.zeros(1)}
    >>> functional_call(lin, p, np.array([[1.0, 2.0]]))
    array([[3.]])
    """
    if not isinstance(args, tuple):
        args = (args,)
    with _swapped(module, parameters_and_buffers, strict):
        return module(*args, **(kwargs or {}))


@contextmanager
def _swapped(module: Module, values: dict, strict: bool) -> Iterator[None]:
    slots = []
    for name in values:
        owner_name, _, leaf = name.rpartition(".")
        try:
            owner = module.get_submodule(owner_name)
        except AttributeError:
            owner = None
        store = None
        if owner is not None:
            store = next((s for s in (owner._parameters, owner._buffers) if leaf in s), None)
        if store is None:
            raise user_error(KeyError, f"functional_call: the module has no parameter or buffer "
                                       f"named {name!r}",
                             "use the names of module.named_parameters()")
        slots.append((store, leaf, store[leaf]))
    if strict:
        missing = [n for n, _ in module.named_parameters() if n not in values]
        if missing:
            raise user_error(KeyError, f"functional_call: missing values for {missing}")
    try:
        for (store, leaf, _), name in zip(slots, values):
            store[leaf] = values[name]
        yield
    finally:
        for store, leaf, old in slots:
            store[leaf] = old
