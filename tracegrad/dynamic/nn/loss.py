"""Losses as modules: `MSELoss` and `CrossEntropyLoss`, with PyTorch's `reduction`."""

from __future__ import annotations

from typing import Any

from tracegrad.dynamic.nn import functional as F
from tracegrad.dynamic.nn.module import Module


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"{reduction} is not a valid value for reduction")
        self.reduction = reduction


class MSELoss(_Loss):
    """Mean (``reduction='mean'``), sum or per-element squared error.

    >>> import tracegrad as tg
    >>> tg.nn.MSELoss()(tg.tensor([1., 3.]), tg.tensor([0., 0.]))
    tensor(5.)
    """

    def forward(self, input: Any, target: Any) -> Any:
        return F.mse_loss(input, target, self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of logits against class indices or probabilities.

    >>> import tracegrad as tg
    >>> tg.nn.CrossEntropyLoss()(tg.zeros(2, 4), tg.tensor([0, 3]))
    tensor(1.3863)
    """

    def __init__(self, reduction: str = "mean", ignore_index: int = -100) -> None:
        super().__init__(reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Any, target: Any) -> Any:
        return F.cross_entropy(input, target, self.reduction, self.ignore_index)
