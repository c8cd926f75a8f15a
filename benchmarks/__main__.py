"""``python -m benchmarks``: run the workloads against every peer, print and record them.

    python -m benchmarks                  # every workload at every size
    python -m benchmarks --quick          # small sizes, few repeats: under 2 minutes
    python -m benchmarks --only W1,W3     # some workloads
    python -m benchmarks --peers numpy,tracegrad   # peers whose names contain these
    python -m benchmarks --readme README.md        # also refresh README's figures

Writes RESULTS.md and charts/<workload>.png into --out (default: this directory).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

# The steady-state tables time the compiled program, and their "first call" is the
# compile: tiered execution (the interpreter answering while a program compiles in
# the background) is off here, before tracegrad reads its flags. W6 measures the
# default in fresh processes, both ways.
os.environ.setdefault("TRACEGRAD_TIERED", "0")

from benchmarks import machine, report
from benchmarks.harness import CaseResult, run_case
from benchmarks.workloads import MODULES, load

HERE = os.path.dirname(os.path.abspath(__file__))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes and few repeats")
    p.add_argument("--only", default="", help="comma list of workloads, e.g. W1,W3")
    p.add_argument("--peers", default="", help="comma list of substrings of peer names")
    p.add_argument("--out", default=HERE, help="where RESULTS.md and charts/ go")
    p.add_argument("--no-charts", action="store_true", help="skip the PNG charts")
    p.add_argument("--readme", metavar="PATH", default=None,
                   help="also put the summary between the benchmarks markers of this "
                        "README (e.g. README.md)")
    args = p.parse_args(argv)
    args.only = [w.strip().upper() for w in args.only.split(",") if w.strip()] or list(MODULES)
    unknown = [w for w in args.only if w not in MODULES]
    if unknown:
        p.error(f"unknown workload(s) {', '.join(unknown)}; known: {', '.join(MODULES)}")
    args.peers = [s.strip() for s in args.peers.split(",") if s.strip()]
    return args


def run_workloads(names: list[str], quick: bool, peers: list[str]) -> list[CaseResult]:
    """Run the named workloads in order, reporting progress on stderr."""
    def progress(msg: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)

    out: list[CaseResult] = []
    for name in names:
        module = load(name)
        if hasattr(module, "run"):
            out += module.run(quick, peers, progress)
        else:
            out += [run_case(case, peers, progress) for case in module.cases(quick)]
    return out


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # The peers' own deprecation chatter is not the benchmark's output.
    for module in ("torch", "jax", "numba"):
        warnings.filterwarnings("ignore", module=module)
    command = "python -m benchmarks" + "".join(f" {a}" for a in (argv or sys.argv[1:]))
    t0 = time.perf_counter()
    facts = machine.describe(quick=args.quick)
    results = run_workloads(args.only, args.quick, args.peers)
    print(report.console(results, facts.bandwidth))

    charts = {} if args.no_charts else report.write_charts(
        results, os.path.join(args.out, "charts"), rel_to=args.out, bandwidth=facts.bandwidth)
    titles = {name: load(name).TITLE for name in args.only}
    path = os.path.join(args.out, "RESULTS.md")
    os.makedirs(args.out, exist_ok=True)
    notes = report.kept_notes(path)  # the engineers' notes on the last run stay
    with open(path, "w") as f:
        f.write(report.results_markdown(facts, results, titles, charts, command) + notes)
    if args.readme:
        here = os.path.dirname(os.path.abspath(args.readme))
        text = report.readme_figures(
            facts, results, command, os.path.relpath(path, here),
            {w: os.path.relpath(os.path.join(args.out, p), here) for w, p in charts.items()})
        if not report.update_marked_section(args.readme, text):
            print(f"{args.readme} has no {report.README_START} ... {report.README_END} "
                  "markers; left unchanged", file=sys.stderr)
    print(f"\nwrote {path}" + (f" and {len(charts)} charts" if charts else
                              " (no charts: matplotlib not installed or --no-charts)")
          + f" in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
