"""The caches of compiled programs: in memory (LRU) and on disk.

On disk, a generated program is a Python source file in the cache directory
(``TRACEGRAD_CACHE_DIR``, default ``~/.cache/tracegrad``) named after a hash of
its text and of everything its machine code depends on (tracegrad, Numba, NumPy
and Python versions, the CPU). Numba's ``cache=True`` keeps the machine code
next to it (``__pycache__/``), so a fresh process imports the file and loads
machine code instead of compiling. A file whose text does not match its name is
rewritten; a directory that cannot be written is bypassed. Both with a
`CacheWarning`, never an error. A small index (``ir_<hash>.npz``) maps the hash of
an optimised graph to its program and array literals, so a warm process skips
scheduling and code generation altogether.
"""

from __future__ import annotations

import hashlib
import os
import platform
import sys
import warnings
from collections import OrderedDict
from collections.abc import Hashable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np


class CacheWarning(UserWarning):
    """The on-disk program cache was unusable and was rebuilt or bypassed."""


def cache_dir() -> Path:
    """The directory of the on-disk cache (read from the environment on each call)."""
    env = os.environ.get("TRACEGRAD_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "tracegrad"


@lru_cache(maxsize=1)
def environment_key() -> str:
    """What compiled code depends on besides its source: versions and the CPU."""
    import llvmlite.binding as llvm
    import numba
    import numpy

    import tracegrad
    from tracegrad.codegen.vecmath.select import fingerprint

    parts = [
        f"tracegrad={tracegrad.__version__}", f"numba={numba.__version__}",
        # Numba's cache does not notice a change in an inlined callee: the vector
        # math functions' source is part of every program's key.
        f"vecmath={fingerprint()}",
        # Nor a change of the generator: the graph -> program index, and the
        # contraction kernels programs call (gemm.py), depend on it.
        f"codegen={fingerprint(Path(tracegrad.__file__).parent / 'codegen')}",
        f"numpy={numpy.__version__}", f"python={sys.version_info[:3]}",
        f"machine={platform.machine()}", f"cpu={llvm.get_host_cpu_name()}",
    ]
    return ";".join(parts)


def program_key(source: str) -> str:
    """The content hash naming a program: sha256 of its source and `environment_key`.

    >>> len(program_key("x = 1"))
    64
    """
    h = hashlib.sha256(environment_key().encode())
    h.update(b"\0")
    h.update(source.encode())
    return h.hexdigest()


def graph_key(graph: Any, options: str = "") -> str:
    """The content hash of an optimised graph: its printed IR, the bytes of its array
    literals (the dump shows only a preview of them) and `environment_key`. A warm
    process finds its program through this key without generating code.
    """
    from tracegrad.ir.graph import Const

    h = hashlib.sha256(environment_key().encode())
    h.update(b"\0")
    h.update(options.encode())
    h.update(b"\0")
    h.update(str(graph).encode())
    for node in graph.nodes:
        for a in node.inputs:
            if isinstance(a, Const) and a.value.ndim:
                h.update(a.value.tobytes())
    return h.hexdigest()


def store_index(graph_hash: str, program: str, consts: tuple) -> None:
    """Record which program (by `program_key`) a graph compiles to, with its array
    literal arguments; a failure to write only costs the next process a codegen."""
    path = cache_dir() / f"ir_{graph_hash[:32]}.npz"
    try:
        cache_dir().mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, program=np.array(program),
                 **{f"c{i}": c for i, c in enumerate(consts)})
        os.replace(tmp, path)
    except OSError:
        pass


def load_index(graph_hash: str) -> tuple[str, tuple] | None:
    """``(program_key, consts)`` recorded for a graph, or None."""
    path = cache_dir() / f"ir_{graph_hash[:32]}.npz"
    try:
        with np.load(path, allow_pickle=False) as data:
            consts = tuple(data[f"c{i}"] for i in range(len(data.files) - 1))
            return str(data["program"]), consts
    except (OSError, KeyError, ValueError):
        return None


def module_name(key: str) -> str:
    """The module (and file) name of the program with `key`."""
    return f"tg_{key[:32]}"


def store_source(key: str, source: str) -> Path | None:
    """The path of the program's source file, written if missing or corrupt; None
    (with a `CacheWarning`) when the cache directory cannot be written."""
    directory = cache_dir()
    path = directory / f"{module_name(key)}.py"
    try:
        if path.exists():
            if path.read_text(encoding="utf-8", errors="replace") == source:
                return path
            warn(f"cache file {path} does not match its content hash; rewriting it")
            purge(key)
        directory.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
        tmp.write_text(source, encoding="utf-8")
        os.replace(tmp, path)  # atomic: readers never see half a file
        return path
    except OSError as exc:
        warn(f"cannot write the program cache in {directory} ({exc}); compiling in memory "
             f"(set TRACEGRAD_CACHE_DIR to a writable directory to keep compiled code)")
        return None


def purge(key: str) -> None:
    """Remove Numba's cached machine code (index and data files) of a program."""
    pycache = cache_dir() / "__pycache__"
    if not pycache.is_dir():
        return
    for f in pycache.glob(f"{module_name(key)}.*"):
        try:
            f.unlink()
        except OSError:
            pass


def warn(message: str) -> None:
    warnings.warn(f"tracegrad: {message}", CacheWarning, stacklevel=3)


class LRU:
    """A small least-recently-used map (the in-memory program cache).

    >>> c = LRU(2); c.put("a", 1); c.put("b", 2); c.get("a"); c.put("c", 3); c.get("b")
    1
    """

    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._data: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable) -> Any:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: Hashable, value: Any) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)

    def clear(self) -> None:
        self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


# Compiled programs of this process, by program key.
PROGRAMS = LRU()
