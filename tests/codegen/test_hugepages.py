"""Large buffers of generated programs on transparent huge pages (codegen/hugepages.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.codegen import hugepages
from tracegrad.codegen.cpu import generate

RNG = np.random.default_rng(11)


def _source(fn, *args) -> str:
    graph = tg.compile(fn, backend="numpy").lower(*args).optimized
    return generate(graph, "fn").source


def test_large_buffers_and_only_they_are_wrapped():
    big = RNG.standard_normal(hugepages.THRESHOLD // 8)  # exactly the threshold
    small = RNG.standard_normal(hugepages.THRESHOLD // 8 - 1)
    src = _source(lambda x: np.tanh(x) * 2.0, big)
    assert f"hugepages(np.empty(({big.size},), np.float64))" in src
    assert "from tracegrad.codegen.hugepages import hugepages" in src
    src = _source(lambda x: np.tanh(x) * 2.0, small)
    assert "hugepages" not in src


def test_a_program_with_a_large_buffer_computes_as_numpy():
    x = RNG.uniform(-3, 3, 600_000)  # 4.8 MB per buffer
    f = tg.compile(lambda x: np.sum(np.tanh(x) * x) + x * 2.0)
    np.testing.assert_allclose(f(x), np.sum(np.tanh(x) * x) + x * 2.0, rtol=1e-12)
    assert "hugepages(" in f.lower(x).source


def _smaps_entry(address: int) -> dict[str, str]:
    """The /proc/self/smaps fields of the mapping holding `address`."""
    fields, inside = {}, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()[0]
        if "-" in head and ":" not in head:  # a mapping's first line: "lo-hi perms ..."
            lo, hi = (int(v, 16) for v in head.split("-"))
            if inside:
                break
            inside = lo <= address < hi
        elif inside:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def _thp_mode() -> str:
    try:
        text = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text()
    except OSError:
        return "absent"
    return text[text.index("[") + 1:text.index("]")]


@pytest.mark.skipif(not hugepages.enabled() or _thp_mode() != "madvise",
                    reason="needs Linux with transparent huge pages on madvise")
def test_the_advice_reaches_the_kernel():
    """A buffer Numba allocates (NumPy's own arrays are advised by NumPy) is marked
    for huge pages: the mapping carries the advice (``hg``) and is eligible.
    Whether the kernel finds free 2 MiB pages is its own business."""
    numba = pytest.importorskip("numba")

    @numba.njit
    def fresh(n, advise):
        a = np.empty(n)
        return hugepages.hugepages(a) if advise else a

    # Above glibc's largest mmap threshold (32 MiB), every allocation is a fresh
    # mapping: memory an earlier test (or NumPy) advised cannot come back here.
    n = (40 << 20) // 8 + 123
    for advise in (True, False):
        a = fresh(n, advise)
        a[:] = 1.0
        entry = _smaps_entry(a.ctypes.data + hugepages.THRESHOLD)
        assert ("hg" in entry["VmFlags"].split()) is advise, entry["VmFlags"]
        if "THPeligible" in entry:
            assert entry["THPeligible"] == str(int(advise))


def test_arrays_come_back_as_they_went_in():
    """The wrapper returns its array (small or large, any dtype and layout) with
    its contents and its reference count right."""
    numba = pytest.importorskip("numba")

    @numba.njit
    def wrap(a):
        return hugepages.hugepages(a)

    for a in (np.arange(10.0), RNG.standard_normal((700, 800)).astype(np.float32),
              np.arange(12).reshape(3, 4)[:, ::2]):
        before = sys.getrefcount(a)
        out = wrap(a)
        assert out.base is a or out is a or np.shares_memory(out, a)
        np.testing.assert_array_equal(out, a)
        del out
        assert sys.getrefcount(a) == before


@pytest.mark.skipif(sys.platform == "linux", reason="off Linux only")
def test_not_enabled_off_linux():  # pragma: no cover - CI runs on Linux
    assert not hugepages.enabled()
