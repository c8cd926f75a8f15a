"""`SGD` with momentum, dampening, Nesterov and weight decay: PyTorch's update rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from tracegrad.dynamic.optim.optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent, exactly PyTorch's ``torch.optim.SGD``:
    ``d = g + wd*p``; ``buf = momentum*buf + (1 - dampening)*d`` (``buf = d`` at the
    first step); ``d = d + momentum*buf`` (Nesterov) or ``buf``; ``p -= lr*d``.

    >>> import tracegrad as tg
    >>> w = tg.tensor([1.0], requires_grad=True)
    >>> opt = tg.optim.SGD([w], lr=0.1, momentum=0.9)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.8000], requires_grad=True)
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f"Invalid SGD setting: lr={lr}, momentum={momentum}, "
                             f"weight_decay={weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        d = grad
        if group["weight_decay"]:
            d = d + group["weight_decay"] * param
        momentum = group["momentum"]
        if momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = np.array(d, copy=True)
            else:
                buf *= momentum
                buf += (1 - group["dampening"]) * d
            d = d + momentum * buf if group["nesterov"] else buf
        param -= group["lr"] * d
