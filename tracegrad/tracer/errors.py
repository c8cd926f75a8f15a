"""Errors users get, each naming the user's file and line, the cause, and a fix.

Every message is built by `user_error`, which finds the innermost stack frame that
belongs to neither tracegrad nor NumPy: that is the line the user wrote.
"""

from __future__ import annotations

import os
import sys

import numpy as np

import tracegrad

_SKIP_DIRS = tuple(
    os.path.dirname(m.__file__) + os.sep for m in (tracegrad, np)
)


class TracegradError(Exception):
    """Base class of tracegrad's own errors."""


class TracerBoolConversionError(TracegradError, TypeError):
    """Python control flow or a conversion needed the value of a traced array."""


class UnsupportedError(TracegradError, NotImplementedError):
    """A NumPy function, ufunc, argument or indexing form tracegrad cannot trace."""


class ShapeError(TracegradError, ValueError):
    """Operands whose shapes do not fit the operation."""


class DTypeError(TracegradError, TypeError):
    """Operands whose dtypes do not fit the operation."""


class LeakedTracerError(TracegradError, RuntimeError):
    """A traced value was used after the function that made it returned."""


def user_location() -> str | None:
    """``file:line`` of the innermost frame outside tracegrad and NumPy, if any."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_SKIP_DIRS) and not filename.startswith("<frozen"):
            return f"{filename}:{frame.f_lineno}"
        frame = frame.f_back
    return None


def user_error(cls: type[Exception], what: str, fix: str | None = None) -> Exception:
    """An exception of type `cls` whose message says where, what, and what to do.

    >>> str(user_error(ShapeError, "add: shapes (3,) and (4,) do not broadcast"))  # doctest: +SKIP
    'add: shapes (3,) and (4,) do not broadcast\\n  at /home/me/fit.py:12'
    """
    where = user_location()
    msg = what
    if where:
        msg += f"\n  at {where}"
    if fix:
        msg += f"\n  fix: {fix}"
    return cls(msg)
