"""The report writer: every peer has a row, RESULTS.md has the machine facts, charts exist."""

import os

import numpy as np
import pytest

from benchmarks import machine, report
from benchmarks.harness import Case, CaseResult, Result, Timing, set_ratios


def _case_result(floor_bytes=None):
    case = Case(workload="W9", label="n=4", make_inputs=dict, reference=lambda inp: (),
                peers=[], dtype=np.float64, floor_bytes=floor_bytes, notes=["a note"])
    results = [
        Result("fast", "ok", timing=Timing((1e-3, 2e-3, 3e-3)), first_call=0.5,
               peak_bytes=3 * 2**20, memory_method="tracemalloc", errors={"grad": 1e-16}),
        Result("slow", "ok", timing=Timing((4e-3,)), first_call=0.1, peak_bytes=2**20,
               memory_method="rss", errors={"grad": 2e-16}, extras={"final loss": "9.5"}),
        Result("liar", "WRONG", reason="grad off by 0.5 (tolerance 1e-09)",
               errors={"value": 0.0, "grad": 0.5}),
        Result("absent", "missing", reason="torch not installed (pip install -e .[bench])"),
    ]
    set_ratios(results)
    return CaseResult(case, results)


def _machine():
    return machine.Machine(date="2026-01-01 00:00 UTC", cpu="Test CPU", cores=2,
                           usable_cores=2, memory_gib=8.0, bandwidth=10e9, load=0.25, python="3.11",
                           platform="Linux", versions={"numpy": np.__version__,
                                                       "torch": "not installed"})


def test_table_has_a_row_for_every_peer_with_its_status():
    text = report.table(_case_result(), bandwidth=10e9)
    lines = text.splitlines()
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    assert header[:2] == ["peer", "median"] and header[-1] == "status"
    assert "final loss" in header
    rows = {ln.split("|")[1].strip(): ln for ln in lines[2:6]}
    assert set(rows) == {"fast", "slow", "liar", "absent"}
    assert "2 ms" in rows["fast"] and "1.00×" in rows["fast"]
    assert "2.00×" in rows["slow"] and "9.5" in rows["slow"] and "1.0 †" in rows["slow"]
    assert "WRONG: grad off by 0.5" in rows["liar"] and "5.0e-01" in rows["liar"]
    assert "missing: torch not installed" in rows["absent"]
    assert all(ln.count("|") == lines[0].count("|") for ln in lines[:6])
    assert "- a note" in text


def test_bandwidth_floor_column_and_note():
    text = report.table(_case_result(floor_bytes=10**7), bandwidth=10e9)
    assert "× floor" in text.splitlines()[0]
    assert "1 ms" in text  # 10 MB at 10 GB/s
    assert "2.00×" in next(ln for ln in text.splitlines() if ln.startswith("| fast"))


def test_results_markdown_has_machine_versions_and_every_case():
    text = report.results_markdown(_machine(), [_case_result()], {"W9": "W9 a title"},
                                   {"W9": "charts/W9.png"}, "python -m benchmarks --quick")
    for needle in ("Test CPU", "| cores | 2 (2 usable) |", "10.0 GB/s", np.__version__,
                   "| torch | not installed |", "## W9 a title", "![W9 chart](charts/W9.png)",
                   "### n=4", "python -m benchmarks --quick", "WRONG",
                   "| load average at start | 0.25"):
        assert needle in text


def test_doc_tables_are_copied_whole_or_not_at_all(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("intro\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nafter\n| a | c |\n")
    section = report.doc_table(str(doc), "| a |", "Title", "Words.")
    assert section == ["", "## Title", "", "Words.", "", "| a | b |", "|---|---|", "| 1 | 2 |"]
    assert report.doc_table(str(doc), "| z |", "Title", "Words.") == []
    assert report.doc_table(str(tmp_path / "missing.md"), "| a |", "T", "W.") == []
    assert report.outlining_section()[1] == "## Outlined serial kernels (from docs/codegen.md)"


def test_charts_one_png_per_workload(tmp_path):
    pytest.importorskip("matplotlib")
    latency = CaseResult(_case_result().case, [
        Result("a", "ok", first_call=2.0, measures={"warm first call": 0.5}),
        Result("b", "missing", reason="x")])
    latency.case.workload = "W8"
    paths = report.write_charts([_case_result(), latency], str(tmp_path / "charts"),
                                rel_to=str(tmp_path))
    assert paths == {"W9": os.path.join("charts", "W9.png"),
                     "W8": os.path.join("charts", "W8.png")}
    for p in paths.values():
        with open(tmp_path / p, "rb") as f:
            assert f.read(8) == b"\x89PNG\r\n\x1a\n"


def test_fmt_time_units():
    assert report.fmt_time(None) == "—"
    assert report.fmt_time(1.5e-7) == "150 ns"
    assert report.fmt_time(0.25) == "250 ms"
    assert report.fmt_time(123.0) == "123 s"


def test_copy_bandwidth_is_plausible():
    bw = machine.copy_bandwidth(2**22, repeats=2, threads=2)
    assert 1e8 < bw < 1e13


def test_summary_has_a_row_per_peer_and_a_column_per_case():
    text = report.summary([_case_result(), _case_result()])
    lines = text.splitlines()
    assert lines[0] == "| peer | W9 n=4 | W9 n=4 |"
    assert [ln.split("|")[1].strip() for ln in lines[2:]] == ["fast", "slow", "liar", "absent"]
    assert "2 ms (1.00×)" in lines[2] and "| WRONG |" in lines[4] and "| missing |" in lines[5]


def test_readme_section_is_replaced_only_between_markers(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{report.README_START}\nold figures\n{report.README_END}\nafter\n")
    text = report.readme_figures(_machine(), [_case_result()], "python -m benchmarks",
                                 "benchmarks/RESULTS.md", {"W9": "benchmarks/charts/W9.png"})
    assert report.update_marked_section(str(readme), text)
    new = readme.read_text()
    assert new.startswith("# x\n\n" + report.README_START) and new.endswith(
        report.README_END + "\nafter\n")
    assert "old figures" not in new and "| fast |" in new and "(benchmarks/charts/W9.png)" in new
    plain = tmp_path / "PLAIN.md"
    plain.write_text("no markers\n")
    assert not report.update_marked_section(str(plain), text)
    assert plain.read_text() == "no markers\n"


def test_notes_added_after_a_run_are_kept_for_the_next(tmp_path):
    path = tmp_path / "RESULTS.md"
    assert report.kept_notes(str(path)) == ""  # no file yet
    path.write_text("# Results\n\n## W1\n\n| table |\n")
    assert report.kept_notes(str(path)) == ""  # no notes in it
    notes = f"{report.NOTES_HEADING}\n\n- W1 at 1e7: page faults, see codegen.md.\n\n"
    path.write_text("# Results\n\n## W1\n\n| table |\n\n" + notes)
    kept = report.kept_notes(str(path))
    assert kept == "\n" + notes.rstrip("\n") + "\n"
    assert ("# New run\n" + kept).endswith("see codegen.md.\n")
