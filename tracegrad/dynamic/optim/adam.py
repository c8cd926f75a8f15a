"""`Adam` and `AdamW`: PyTorch's update rules (bias-corrected moments, optional AMSGrad)."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from tracegrad.dynamic.optim.optimizer import Optimizer


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam``: ``m = b1*m + (1-b1)*g``, ``v = b2*v + (1-b2)*g²``,
    ``p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)``; `weight_decay` adds
    ``wd*p`` to the gradient (L2), `amsgrad` uses the running maximum of ``v``.

    >>> import tracegrad as tg
    >>> w = tg.tensor([1.0], requires_grad=True)
    >>> opt = tg.optim.Adam([w], lr=0.1)
    >>> (w * w).sum().backward(); opt.step(); w
    tensor([0.9000], requires_grad=True)
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        if lr < 0 or eps < 0 or not (0 <= betas[0] < 1 and 0 <= betas[1] < 1):
            raise ValueError(f"Invalid Adam setting: lr={lr}, betas={betas}, eps={eps}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def _update(self, param: np.ndarray, grad: np.ndarray, state: dict, group: dict) -> None:
        if not state:
            state["step"] = 0
            state["exp_avg"] = np.zeros_like(param)
            state["exp_avg_sq"] = np.zeros_like(param)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = np.zeros_like(param)
        lr, (beta1, beta2), wd = group["lr"], group["betas"], group["weight_decay"]
        if wd and self._decoupled:
            param *= 1 - lr * wd
        elif wd:
            grad = grad + wd * param
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m += (grad - m) * (1 - beta1)  # PyTorch's lerp
        v *= beta2
        v += (1 - beta2) * grad * grad
        if group["amsgrad"]:
            np.maximum(state["max_exp_avg_sq"], v, out=state["max_exp_avg_sq"])
            v = state["max_exp_avg_sq"]
        step_size = lr / (1 - beta1 ** t)
        denom = np.sqrt(v) / math.sqrt(1 - beta2 ** t) + group["eps"]
        param -= step_size * (m / denom)


class AdamW(Adam):
    """Adam with decoupled weight decay (``p *= 1 - lr*wd`` before the step; default
    ``weight_decay=0.01``), as ``torch.optim.AdamW``."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
