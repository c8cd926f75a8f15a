"""Tiered execution: the first call of a signature runs on the NumPy interpreter
while Numba prepares the program on a background thread.

Preparing a program costs Numba's own start-up in a new process (about 0.3 s here:
its typing registries, SciPy's BLAS), plus, if no disk cache holds the program, one
to three seconds of compiling. Interpreting the same optimised graph op by op
costs milliseconds to a few hundred. So `CompiledFunction` answers from the
interpreter at once and swaps the compiled program in when the thread finishes;
the calls in between are correct (the interpreter is the reference every backend
is tested against), only slower, and round differently in the last bits.

The thread is not a daemon: a process that exits early waits for the compile, so
the next process finds the program in the disk cache. Its Python work (Numba's
typing and lowering) takes turns with the caller on the GIL; LLVM's optimisation
and code generation, and the NumPy kernels of the interpreted calls, run beside
each other on two cores. ``TRACEGRAD_TIERED=0`` or ``tg.compile(..., tiered=False)``
prepares the program before the first call returns, as Numba and JAX do.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Callable
from typing import Any


class TieredWarning(UserWarning):
    """A background compile failed; the function keeps running on the interpreter."""


def compile_in_background(build: Callable[[], Any], install: Callable[[Any], None],
                          name: str) -> threading.Thread:
    """Run ``install(build())`` on a new (non-daemon) thread; a failure of `build`
    is reported as a `TieredWarning` and leaves the interpreter in place.

    >>> t = compile_in_background(lambda: 42, print, "f")  # doctest: +SKIP
    42
    """

    def work() -> None:
        try:
            executable = build()
        except Exception as exc:  # noqa: BLE001 - the interpreter keeps serving the calls
            warnings.warn(_message(name, exc), TieredWarning, stacklevel=1)
            return
        install(executable)

    thread = threading.Thread(target=work, name=f"tracegrad-compile-{name}", daemon=False)
    thread.start()
    return thread


def _message(name: str, exc: Exception) -> str:
    from tracegrad.codegen.kernel import CodegenError

    if isinstance(exc, CodegenError):  # a documented limit (float16): say what to do
        return (f"tracegrad: {name} keeps running on the NumPy interpreter: {exc} "
                "(with tiered=False this is an error at the first call)")
    what = f"{type(exc).__name__}: {exc}".splitlines()[0]
    return (f"tracegrad: compiling {name} for the CPU failed ({what}); it keeps running "
            "on the NumPy interpreter. Please report this: the code generator should "
            "compile every graph (with tiered=False it raises at the first call).")
