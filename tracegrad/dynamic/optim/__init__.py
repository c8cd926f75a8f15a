"""``tg.optim``: optimizers with PyTorch's names and update rules (``torch.optim``)."""

from tracegrad.dynamic.optim.adam import Adam, AdamW
from tracegrad.dynamic.optim.optimizer import Optimizer
from tracegrad.dynamic.optim.sgd import SGD

__all__ = ["SGD", "Adam", "AdamW", "Optimizer"]
