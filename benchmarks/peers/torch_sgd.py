"""The PyTorch training step the SGD workloads share (W2, W3)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np


def sgd_step(torch: Any, loss: Callable, inputs: dict[str, np.ndarray],
             params: Sequence[str], lr: float) -> Callable[[], tuple]:
    """A step for PyTorch eager or a `torch.compile`d `loss`: ``loss(**tensors)``,
    ``backward()``, an in-place SGD update of the `params` tensors (which share memory
    with `inputs`); returns ``(value, *grads)`` in `params` order."""
    tensors = {k: torch.from_numpy(v) for k, v in inputs.items()}
    leaves = [tensors[k].requires_grad_(True) for k in params]

    def step() -> tuple:
        value = loss(**tensors)
        value.backward()
        grads = [p.grad for p in leaves]
        with torch.no_grad():
            for p, g in zip(leaves, grads):
                p.sub_(lr * g)
        for p in leaves:
            p.grad = None
        return (value.detach(), *grads)

    return step
