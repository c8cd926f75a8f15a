"""``tg.autograd``: PyTorch's ``torch.autograd`` names for the dynamic mode.

``tg.autograd.grad(outputs, inputs)`` returns gradients without touching ``.grad``
(``create_graph=True`` makes them differentiable again, for higher orders);
``tg.autograd.backward(tensors, grad_tensors)`` accumulates like ``Tensor.backward``.
"""

from tracegrad.dynamic.engine import backward, grad
from tracegrad.dynamic.function import Function, FunctionCtx
from tracegrad.dynamic.grad_mode import enable_grad, no_grad, set_grad_enabled

__all__ = ["Function", "FunctionCtx", "backward", "enable_grad", "grad", "no_grad",
           "set_grad_enabled"]
