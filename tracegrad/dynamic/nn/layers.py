"""Layers: `Linear`, the activations, `Flatten`, and the containers `Sequential`
and `ModuleList`. Their forwards call `nn.functional`, so they run on dynamic
tensors and, through `functional_call`, on tracers."""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Iterable, Iterator
from typing import Any

from tracegrad.dynamic.creation import generator, get_default_dtype
from tracegrad.dynamic.nn import functional as F
from tracegrad.dynamic.nn.module import Module, Parameter


class Linear(Module):
    """``y = x @ weight.T + bias``, weights drawn as PyTorch draws them
    (uniform in ``±1/sqrt(in_features)``).

    >>> import tracegrad as tg
    >>> tg.nn.Linear(3, 1)
    Linear(in_features=3, out_features=1, bias=True)
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = None) -> None:
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        dtype = dtype or get_default_dtype()
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        rng = generator()
        self.weight = Parameter(rng.uniform(-bound, bound, (out_features, in_features))
                                .astype(dtype))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, out_features).astype(dtype))
        else:
            self.register_parameter("bias", None)

    def forward(self, x: Any) -> Any:
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class ReLU(Module):
    """``max(x, 0)`` elementwise."""

    def forward(self, x: Any) -> Any:
        return F.relu(x)


class Tanh(Module):
    """``tanh(x)`` elementwise."""

    def forward(self, x: Any) -> Any:
        return F.tanh(x)


class Sigmoid(Module):
    """``1 / (1 + exp(-x))`` elementwise."""

    def forward(self, x: Any) -> Any:
        return F.sigmoid(x)


class Identity(Module):
    """Returns its input."""

    def forward(self, x: Any) -> Any:
        return x


class Flatten(Module):
    """Merges axes `start_dim` to `end_dim` (by default all but the batch axis).

    >>> import tracegrad as tg
    >>> tg.nn.Flatten(0, 1)(tg.zeros(4, 1)).shape
    (4,)
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim, self.end_dim = start_dim, end_dim

    def forward(self, x: Any) -> Any:
        return F.flatten(x, self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Sequential(Module):
    """Modules applied one after the other; indexable like a list.

    >>> import tracegrad as tg
    >>> model = tg.nn.Sequential(tg.nn.Linear(3, 1), tg.nn.Flatten(0, 1))
    >>> model(tg.zeros(5, 3)).shape
    (5,)
    """

    def __init__(self, *modules: Any) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def forward(self, x: Any) -> Any:
        for module in self._modules.values():
            x = module(x)
        return x

    def __getitem__(self, index: Any) -> Any:
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module) -> Sequential:
        self.add_module(str(len(self._modules)), module)
        return self


class ModuleList(Module):
    """A list of modules whose parameters are registered."""

    def __init__(self, modules: Iterable[Module] = ()) -> None:
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, module: Module) -> ModuleList:
        self.add_module(str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

