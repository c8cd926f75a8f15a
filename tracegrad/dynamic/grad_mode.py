"""Grad mode: whether operations on tensors are recorded for `backward()`.

PyTorch's names and semantics: `no_grad`, `enable_grad` and `set_grad_enabled`
are context managers and decorators; `set_grad_enabled(False)` called on its own
switches recording off until switched on again. The mode is per thread.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

_STATE = threading.local()


def is_grad_enabled() -> bool:
    """Whether operations on tensors that require grad are being recorded.

    >>> is_grad_enabled()
    True
    """
    return getattr(_STATE, "enabled", True)


def _set(mode: bool) -> None:
    _STATE.enabled = bool(mode)


class _GradMode:
    """A context manager that is also a decorator (``@no_grad()`` and ``@no_grad``)."""

    mode: bool = True

    def __init__(self, fn: Callable | None = None) -> None:
        self._saved: list[bool] = []
        self._fn = fn
        if fn is not None:  # used as a bare decorator: @no_grad
            functools.update_wrapper(self, fn)

    def __enter__(self) -> None:
        self._saved.append(is_grad_enabled())
        _set(self.mode)

    def __exit__(self, *exc: Any) -> None:
        _set(self._saved.pop())

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._fn is not None:
            with type(self)():
                return self._fn(*args, **kwargs)
        (fn,) = args  # used as @no_grad(): decorate the function

        @functools.wraps(fn)
        def wrapped(*a: Any, **kw: Any) -> Any:
            with type(self)():
                return fn(*a, **kw)

        return wrapped


class no_grad(_GradMode):
    """Do not record operations: results do not require grad (inference, updates).

    >>> import tracegrad as tg
    >>> x = tg.ones(2, requires_grad=True)
    >>> with tg.no_grad():
    ...     y = x * 2
    >>> y.requires_grad
    False
    """

    mode = False


class enable_grad(_GradMode):
    """Record operations again inside a `no_grad` region.

    >>> import tracegrad as tg
    >>> with tg.no_grad(), tg.enable_grad():
    ...     tg.is_grad_enabled()
    True
    """

    mode = True


class set_grad_enabled(_GradMode):
    """Switch recording on or off: at once when called, for a block as ``with``.

    >>> import tracegrad as tg
    >>> with tg.set_grad_enabled(False):
    ...     tg.is_grad_enabled()
    False
    """

    def __init__(self, mode: bool) -> None:
        super().__init__()
        self._previous = is_grad_enabled()
        self.mode = bool(mode)
        _set(mode)  # effective immediately, like torch.set_grad_enabled(False)

    def __enter__(self) -> None:
        self._saved.append(self._previous)
        _set(self.mode)

    def __call__(self, fn: Callable) -> Callable:  # type: ignore[override]
        _set(self._previous)  # as a decorator it only applies inside the function
        mode = self.mode

        @functools.wraps(fn)
        def wrapped(*a: Any, **kw: Any) -> Any:
            with set_grad_enabled(mode):
                return fn(*a, **kw)

        return wrapped


