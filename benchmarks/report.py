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
    else:  # the latency case: its first call is the cold-cache one
        cols += ["cold first call"]
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
        "cold first call": fmt_time(r.first_call) if r.status == "ok" else DASH,
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


def summary(case_results: Sequence[CaseResult]) -> str:
    """One Markdown table, a row per peer and a column per case: median (× fastest).

    For latency cases the cell is the cold first call. Missing and WRONG show as such.
    """
    peers = _ordered_keys({r.peer: None for r in cr.results} for cr in case_results)
    heads = [f"{cr.case.workload} {cr.case.label}" for cr in case_results]
    lines = ["| peer | " + " | ".join(heads) + " |", "|---|" + "---|" * len(heads)]
    for peer in peers:
        cells = []
        for cr in case_results:
            r = next((r for r in cr.results if r.peer == peer), None)
            cells.append(_summary_cell(r))
        lines.append(f"| {peer} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _summary_cell(r: Result | None) -> str:
    if r is None:
        return DASH
    if r.status != "ok":
        return r.status
    t = r.timing.median if r.timing else r.first_call
    return f"{fmt_time(t)} ({_fmt_ratio(r.ratio)})"


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
        f"| load average at start | {m.load:.2f} (figures from a busy machine are noisy) |",
        f"| thread settings | {', '.join(f'{k}={v}' for k, v in m.threads.items()) or 'n/a'} |",
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
        "- Every library uses its default threads. On a machine busy with other work, "
        "multi-threaded BLAS (NumPy's and SciPy's OpenBLAS, used by Numba's np.dot) can "
        "stall for tens of ms per call; compare figures only from a quiet machine "
        "(load average near 0).",
        "",
        "## Summary",
        "",
        "Median time per call (× the fastest peer of that case); W6: cold first call.",
        "",
        summary(case_results),
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
    lines += vecmath_section()
    lines += outlining_section()
    return "\n".join(lines) + "\n"


DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")
VECMATH_DOC = os.path.join(DOCS, "vecmath.md")
CODEGEN_DOC = os.path.join(DOCS, "codegen.md")


def doc_table(doc: str, header: str, title: str, intro: str) -> list[str]:
    """The first markdown table of `doc` whose header line starts with `header`, as a
    section `title` with `intro`; empty if there is none. Tables that take minutes
    to measure live in the docs, and the harness copies them rather than
    re-measuring."""
    try:
        with open(doc, encoding="utf-8") as f:
            text = f.read().splitlines()
    except OSError:
        return []
    start = next((i for i, line in enumerate(text) if line.startswith(header)), None)
    if start is None:
        return []
    end = next((i for i in range(start, len(text)) if not text[i].startswith("|")), len(text))
    return ["", f"## {title}", "", intro, "", *text[start:end]]


def vecmath_section(doc: str = VECMATH_DOC) -> list[str]:
    """The per-function throughput table of the vector math, as measured by
    ``benchmarks/vecmath_throughput.py`` and kept in docs/vecmath.md."""
    return doc_table(
        doc, "| function | dtype | vecmath (ms)", "Vector math throughput (from docs/vecmath.md)",
        "Each function over 1e7 elements on one thread: tracegrad's vector math in the "
        "`prange` loop a generated program runs (sin, cos, tan as it calls them: the "
        "fast variants with the rerun count; `_exact`: the exact element functions), "
        "NumPy's ufunc, and a Numba loop calling libm "
        "(`python benchmarks/vecmath_throughput.py`; method and accuracy in "
        "[docs/vecmath.md](../docs/vecmath.md)).")


def outlining_section(doc: str = CODEGEN_DOC) -> list[str]:
    """The table of serial kernels outlined or not, as measured by
    ``benchmarks/outlining.py`` and kept in docs/codegen.md."""
    return doc_table(
        doc, "| `f(x) * 2`, n = ", "Outlined serial kernels (from docs/codegen.md)",
        "A serial kernel over a vector body as its own function (outlined, the default) "
        "or left in the program's body, and NumPy; one thread, medians of interleaved "
        "calls (`python benchmarks/outlining.py`; why in "
        "[docs/codegen.md](../docs/codegen.md), \"Outlined kernels\").")


NOTES_HEADING = "## Notes added after the run"


def kept_notes(path: str) -> str:
    """The section `NOTES_HEADING` of the RESULTS.md at `path` (to the end of the
    file), written by hand after a run, for the next run to keep; empty if none.
    Figures in it may then be one run old: it says when they were measured."""
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return ""
    start = text.find(NOTES_HEADING)
    return "" if start < 0 else "\n" + text[start:].rstrip("\n") + "\n"


README_START = "<!-- benchmarks:start -->"
README_END = "<!-- benchmarks:end -->"


def readme_figures(machine: Machine, case_results: Sequence[CaseResult], command: str,
                   results_link: str, chart_links: dict[str, str]) -> str:
    """The figures README shows: when and where measured, the summary, links."""
    m = machine
    charts = " · ".join(f"[{w}]({p})" for w, p in chart_links.items())
    return "\n".join([
        f"Measured {m.date} by `{command}` on {m.cpu} ({m.usable_cores} cores, "
        f"{m.bandwidth / 1e9:.0f} GB/s copy bandwidth). Median time per call "
        "(× the fastest peer); W6: cold first call in a fresh process. Full tables, "
        f"machine facts and method: [{os.path.basename(results_link)}]({results_link}).",
        "",
        summary(case_results),
        *(["", f"Charts: {charts}"] if charts else []),
    ])


def update_marked_section(path: str, text: str) -> bool:
    """Replace what lies between `README_START` and `README_END` in `path` by `text`.

    Returns False (and changes nothing) if the file lacks the markers.
    """
    with open(path) as f:
        old = f.read()
    start, end = old.find(README_START), old.find(README_END)
    if start < 0 or end < start:
        return False
    new = old[:start + len(README_START)] + "\n" + text + "\n" + old[end:]
    with open(path, "w") as f:
        f.write(new)
    return True


def write_charts(case_results: Sequence[CaseResult], out_dir: str, rel_to: str,
                 bandwidth: float | None = None) -> dict[str, str]:
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
        height = sum(0.35 * max(len(cr.results), 1) + 1.0 for cr in crs) + 0.3
        fig, axes = plt.subplots(len(crs), 1, figsize=(8, height), squeeze=False)
        for ax, cr in zip(axes[:, 0], crs):
            _chart(ax, cr, floor_seconds(cr, bandwidth))
        fig.tight_layout()
        path = os.path.join(out_dir, f"{w}.png")
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths[w] = os.path.relpath(path, rel_to)
    return paths


def _chart(ax, cr: CaseResult, floor_s: float | None) -> None:
    # Dots on a log time axis (bars would be misleading there): the median with a
    # min-max whisker, or for the latency case the cold and warm first calls. Rows
    # that were not timed keep their place, labelled with their status.
    rs = cr.results
    names = [r.peer if r.status == "ok" else f"{r.peer} ({r.status})" for r in rs]
    timed = [(y, r) for y, r in enumerate(rs) if r.status == "ok"]
    if any(r.timing for r in rs):
        pts = [(y, r.timing) for y, r in timed if r.timing]
        ax.errorbar([t.median for _, t in pts], [y for y, _ in pts],
                    xerr=[[t.median - t.min for _, t in pts], [t.max - t.median for _, t in pts]],
                    fmt="o", capsize=3, label="median (min–max)")
        for y, t in pts:
            ax.annotate(fmt_time(t.median), (t.median, y), xytext=(4, 4),
                        textcoords="offset points", fontsize=7)
        if floor_s:
            ax.axvline(floor_s, color="tab:red", linestyle="--", label="bandwidth floor")
        ax.set_xlabel("seconds per call")
    else:
        for key, marker, label in (("cold", "o", "cold caches"), ("warm", "s", "warm caches")):
            pts = [(y, r.first_call if key == "cold" else r.measures.get("warm first call"))
                   for y, r in timed]
            pts = [(y, v) for y, v in pts if v]
            ax.plot([v for _, v in pts], [y for y, _ in pts], marker, label=label)
        ax.set_xlabel("seconds, first call in a fresh process")
    if timed:
        ax.set_xscale("log")
        ax.legend(loc="best", fontsize=7)
    ax.set_yticks(list(range(len(rs))), names, fontsize=8)
    ax.set_ylim(len(rs) - 0.5, -0.5)
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.set_title(f"{cr.case.workload} {cr.case.label}", fontsize=10)
