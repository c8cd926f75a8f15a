"""Turn generated source into a compiled Numba program, through the caches.

`load` looks the program up in memory, else writes its source to the disk cache
(`tracegrad.runtime.cache`), imports it as a module and compiles it for the
expected argument types right away, so that Numba's ``cache=True`` finds the
machine code of an earlier process, and so that a compile error surfaces here
rather than at the first call. Cache trouble (a corrupt file, stale machine code
that fails to load, a directory that cannot be written) falls back to a rebuild,
then to compiling in memory, with a warning.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from tracegrad.runtime import cache

_CACHED_DECORATOR = "cache=True"


class CompileError(RuntimeError):
    """Numba rejected a generated program (a bug in tracegrad's code generator)."""


def load(source: str, signature: Sequence[Any] | None = None) -> Callable:
    """The compiled ``program`` of `source`, compiled for `signature` (Numba types).

    >>> fn = load(GENERATED)  # doctest: +SKIP
    """
    key = cache.program_key(source)
    fn = cache.PROGRAMS.get(key)
    if fn is not None:
        return fn
    fn = _from_disk(key, source, signature)
    if fn is None:
        fn = _in_memory(key, source, signature)
    cache.PROGRAMS.put(key, fn)
    return fn


def load_stored(key: str, signature: Sequence[Any]) -> Callable | None:
    """The program stored under `key` by an earlier process, compiled (from Numba's
    cache) for `signature`; None if it is missing or fails in any way (the caller
    then regenerates it, and `load` reports and repairs a broken cache entry)."""
    fn = cache.PROGRAMS.get(key)
    if fn is not None:
        return fn
    path = cache.cache_dir() / f"{cache.module_name(key)}.py"
    try:
        if cache.program_key(path.read_text(encoding="utf-8")) != key:
            return None
        fn = _import(path, cache.module_name(key)).program
        _precompile(fn, signature)
    except Exception:
        return None
    cache.PROGRAMS.put(key, fn)
    return fn


def _from_disk(key: str, source: str, signature) -> Callable | None:
    for attempt in range(2):
        path = cache.store_source(key, source)
        if path is None:
            return None
        try:
            fn = _import(path, cache.module_name(key)).program
            _precompile(fn, signature)
            return fn
        except CompileError:
            raise
        except Exception as exc:  # an unreadable or stale cache entry: rebuild once
            what = f"{type(exc).__name__}: {exc}".splitlines()[0]
            action = "rebuilding it" if attempt == 0 else "compiling in memory"
            cache.warn(f"cached program {path.name} could not be loaded ({what}); {action}")
            cache.purge(key)
            try:
                path.unlink()
            except OSError:
                pass
    return None


def _in_memory(key: str, source: str, signature) -> Callable:
    # Without a file Numba cannot cache; compile from the text with cache=False.
    text = source.replace(_CACHED_DECORATOR, "cache=False")
    module = ModuleType(cache.module_name(key))
    sys.modules[module.__name__] = module
    exec(compile(text, f"<tracegrad {cache.module_name(key)}>", "exec"), module.__dict__)
    fn = module.program
    _precompile(fn, signature)
    return fn


def _import(path: Path, name: str) -> ModuleType:
    # Registered in sys.modules: Numba's cached machine code of parallel loops
    # finds its globals again by importing the module by name.
    module = sys.modules.get(name)
    if module is not None and getattr(module, "__file__", None) == str(path):
        return module
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _precompile(fn: Callable, signature) -> None:
    """Compile (or load from Numba's cache) for `signature` now."""
    if signature is None or not hasattr(fn, "compile"):  # NUMBA_DISABLE_JIT=1
        return
    from numba.core.errors import NumbaError

    try:
        fn.compile(tuple(signature))
    except NumbaError as exc:
        path = getattr(fn, "__code__", None)
        where = path.co_filename if path is not None else "?"
        raise CompileError(
            f"Numba could not compile the generated program {where}:\n{exc}"
        ) from exc
