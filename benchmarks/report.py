"""Turning results into tables (console and RESULTS.md) and one PNG chart per workload.

Every peer of a case gets a row: timed peers with their figures, WRONG peers with
their error and no times, missing peers with the reason. Charts need matplotlib
(an optional extra); without it RESULTS.md says so and links no images.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence

from benchmarks.harness import CaseResult, Result
from benchmarks.machine import Machine

DASH = "—"


def fmt_time(seconds: float | None) -> str:
    """A duration with a readable unit.

    >>> fmt_time(0.00123), fmt_time(2.5), fmt_time(4.2e-6)
    ('1.23 ms', '2.50 s', '4.20 µs')
    """
    if seconds is None or math.isnan(seconds):
        return DASH
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}" if seconds / scale < 100 else \
                f"{seconds / scale:.0f} {unit}"
    return f"{seconds * 1e9:.0f} ns"


def _fmt_ratio(x: float | None) -> str:
    return DASH if x is None else f"{x:.2f}×"


def _fmt_error(r: Result) -> str:
    e = r.max_error
    return DASH if e is None else f"{e:.1e}"


def _fmt_memory(r: Result) -> str:
    if r.peak_bytes is None:
        return DASH
    mark = "" if r.memory_method == "tracemalloc" else " †"
    return f"{r.peak_bytes / 2**20:.1f}{mark}"


def columns(cr: CaseResult, bandwidth: float | None) -> list[str]:
    """The column headers of one case's table (only those some row fills)."""
    rs = cr.results
    cols = ["peer"]
    if any(r.timing for r in rs):
        cols += ["median", "min–max", "first call", "peak MiB"]
    else:
        cols += ["first call"]
    measures = _ordered_keys(r.measures for r in rs)
    extras = _ordered_keys(r.extras for r in rs)
    cols += measures + ["rel err", "× fastest"]
    if cr.case.floor_bytes and bandwidth:
        cols += ["× floor"]
    return cols + extras + ["status"]


def _ordered_keys(dicts) -> list[str]:
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in d if k not in keys]
    return keys


def row(r: Result, cols: Sequence[str], floor_s: float | None) -> list[str]:
    """One peer's cells, in the order of `cols`."""
    t = r.timing
    cells = {
        "peer": r.peer,
        "median": fmt_time(t.median) if t else DASH,
        "min–max": f"{fmt_time(t.min)} – {fmt_time(t.max)}" if t else DASH,
        "first call": fmt_time(r.first_call) if r.status == "ok" else DASH,
        "peak MiB": _fmt_memory(r),
        "rel err": _fmt_error(r),
        "× fastest": _fmt_ratio(r.ratio),
        "× floor": _fmt_ratio(t.median / floor_s) if t and floor_s else DASH,
        "status": "ok" if r.status == "ok" else f"{r.status}: {r.reason}",
    }
    cells.update({k: fmt_time(v) for k, v in r.measures.items()})
    cells.update(r.extras)
    return [cells.get(c, DASH) for c in cols]


def floor_seconds(cr: CaseResult, bandwidth: float | None) -> float | None:
    """The time the bytes the case must move take at the measured bandwidth."""
    if not cr.case.floor_bytes or not bandwidth:
        return None
    return cr.case.floor_bytes / bandwidth


def table(cr: CaseResult, bandwidth: float | None = None) -> str:
    """The Markdown table of one case, with its notes below it.

    >>> # see tests/benchmarks/test_report.py
    """
    cols = columns(cr, bandwidth)
    floor_s = floor_seconds(cr, bandwidth)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(row(r, cols, floor_s)).replace("\n", " ") + " |"
              for r in cr.results]
    notes = list(cr.case.notes)
    if floor_s:
        notes.insert(0, f"bandwidth floor: {cr.case.floor_bytes / 1e6:.0f} MB must move "
                        f"(read x, write the gradient) at {bandwidth / 1e9:.1f} GB/s = "
                        f"{fmt_time(floor_s)}; × floor = median / floor.")
    if any(r.memory_method == "rss" for r in cr.results):
        notes.append("peak MiB: extra memory during one warm call; tracemalloc (exact) for "
                     "NumPy-allocated peers, † = growth of the process's peak resident set "
                     "(a lower bound: memory a library already holds is reused unseen).")
    return "\n".join(lines + [""] + [f"- {n}" for n in notes])


def console(case_results: Sequence[CaseResult], bandwidth: float | None) -> str:
    """The tables as printed by ``python -m benchmarks``."""
    out = []
    for cr in case_results:
        out += [f"\n## {cr.case.workload} {cr.case.label}", "", table(cr, bandwidth)]
    return "\n".join(out)


def results_markdown(machine: Machine, case_results: Sequence[CaseResult],
                     titles: dict[str, str], charts: dict[str, str], command: str) -> str:
    """The text of RESULTS.md: machine facts, method, then each workload's tables and chart."""
    m = machine
    lines = [
        "# tracegrad benchmark results",
        "",
        f"Generated {m.date} by `{command}` (regenerate with the same command; "
        "`python -m benchmarks` for the full sizes). Figures are medians of repeated "
        "calls in one process; ratios compare rows of the same run.",
        "",
        "## Machine",
        "",
        "| fact | value |",
        "|---|---|",
        f"| CPU | {m.cpu} |",
        f"| cores | {m.cores} ({m.usable_cores} usable) |",
        f"| memory | {m.memory_gib:.1f} GiB |",
        f"| memory bandwidth | {m.bandwidth / 1e9:.1f} GB/s (large np.copyto, read + write) |",
        f"| Python | {m.python} on {m.platform} |",
        "",
        "| package | version |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in m.versions.items()],
        "",
        "## Method",
        "",
        "- Every peer's first call is checked against a float64 NumPy reference (hand-derived "
        "gradients); a peer whose norm-wise relative error exceeds 1e-9 (float64 workloads) "
        "or 1e-4 (float32) is reported WRONG and not timed.",
        "- *first call* is timed on its own (tracing and compiling included); then one "
        "warm-up call measures peak memory, the remaining warm-up calls run, and each timed "
        "call is measured separately with the garbage collector off. JAX results are "
        "blocked until ready inside the timed call.",
        "- Inputs are drawn with a fixed seed per workload; every peer gets the same values.",
        "- torch.compile's first call uses Inductor's on-disk cache as a user would have it; "
        "W6 measures cold and warm caches in fresh processes.",
        "- A peer that is not installed, or a tracegrad feature or backend that does not "
        "exist yet, is listed as missing with the reason.",
    ]
    seen: set[str] = set()
    for cr in case_results:
        w = cr.case.workload
        if w not in seen:
            seen.add(w)
            lines += ["", f"## {titles.get(w, w)}", ""]
            if w in charts:
                lines += [f"![{w} chart]({charts[w]})", ""]
        lines += [f"### {cr.case.label}", "", table(cr, m.bandwidth)]
    return "\n".join(lines) + "\n"


def write_charts(case_results: Sequence[CaseResult], out_dir: str,
                 rel_to: str) -> dict[str, str]:
    """One PNG per workload under `out_dir`; returns {workload: path relative to `rel_to`}.

    Returns {} when matplotlib is not installed.
    """
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return {}
    by_workload: dict[str, list[CaseResult]] = {}
    for cr in case_results:
        by_workload.setdefault(cr.case.workload, []).append(cr)
    os.makedirs(out_dir, exist_ok=True)
    paths = {}
    for w, crs in by_workload.items():
        fig, axes = plt.subplots(len(crs), 1, figsize=(8, 0.45 * sum(
            max(len(cr.results), 1) for cr in crs) + 1.2 * len(crs)), squeeze=False)
        for ax, cr in zip(axes[:, 0], crs):
            _chart(ax, cr)
        fig.tight_layout()
        path = os.path.join(out_dir, f"{w}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths[w] = os.path.relpath(path, rel_to)
    return paths


def _chart(ax, cr: CaseResult) -> None:
    # Horizontal bars, log time axis: medians with min-max whiskers, or for the
    # latency case cold and warm first calls side by side.
    rs = cr.results
    names = [r.peer if r.status == "ok" else f"{r.peer} ({r.status})" for r in rs]
    ys = range(len(rs))
    if any(r.timing for r in rs):
        med = [r.timing.median if r.timing else 0 for r in rs]
        lo = [r.timing.median - r.timing.min if r.timing else 0 for r in rs]
        hi = [r.timing.max - r.timing.median if r.timing else 0 for r in rs]
        ax.barh(ys, med, xerr=[lo, hi], color="tab:blue", capsize=3)
        ax.set_xlabel("seconds per call (median, min–max)")
    else:
        cold = [r.first_call or 0 for r in rs]
        warm = [r.measures.get("warm first call", 0) for r in rs]
        ax.barh([y - 0.2 for y in ys], cold, height=0.4, label="cold cache")
        ax.barh([y + 0.2 for y in ys], warm, height=0.4, label="warm cache")
        ax.legend(loc="lower right", fontsize=8)
        ax.set_xlabel("seconds, first call in a fresh process")
    ax.set_yticks(list(ys), names, fontsize=8)
    ax.invert_yaxis()
    if any(b.get_width() > 0 for b in ax.patches):
        ax.set_xscale("log")
    ax.set_title(f"{cr.case.workload} {cr.case.label}", fontsize=10)
