"""``tg.nn``: modules, parameters and losses, PyTorch's names (``torch.nn``)."""

from tracegrad.dynamic.nn import functional
from tracegrad.dynamic.nn.layers import (
    Flatten,
    Identity,
    Linear,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    Tanh,
)
from tracegrad.dynamic.nn.loss import CrossEntropyLoss, MSELoss
from tracegrad.dynamic.nn.module import Module, Parameter, functional_call

__all__ = [
    "CrossEntropyLoss",
    "Flatten",
    "Identity",
    "Linear",
    "MSELoss",
    "Module",
    "ModuleList",
    "Parameter",
    "ReLU",
    "Sequential",
    "Sigmoid",
    "Tanh",
    "functional",
    "functional_call",
]
