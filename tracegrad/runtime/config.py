"""Environment flags, read once at import (tests may patch `FLAGS`).

The table of flags, with examples, is docs/env-vars.md:
``TRACEGRAD_BACKEND`` (default backend: ``cpu``), ``TRACEGRAD_DUMP`` (stages to print:
``ir``, ``adjoint``, ``optimized``, ``kernels``, ``source``),
``TRACEGRAD_DUMP_DIR`` (write dumps there instead of stderr),
``TRACEGRAD_CHECKS=1`` (verify the IR after every pass) and ``TRACEGRAD_TIERED=0``
(compile before the first call returns; see `tracegrad.runtime.tiered`).
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field

DUMP_STAGES = ("ir", "adjoint", "optimized", "kernels", "source")


@dataclass
class Flags:
    """The environment flags in force (see the table in this module's docstring)."""

    backend: str = "cpu"
    dump: frozenset[str] = field(default_factory=frozenset)
    dump_dir: str | None = None
    checks: bool = False
    tiered: bool = True

    @staticmethod
    def from_env(env: dict[str, str] | None = None) -> Flags:
        env = os.environ if env is None else env
        dump = frozenset(s.strip() for s in env.get("TRACEGRAD_DUMP", "").split(",") if s.strip())
        unknown = dump - set(DUMP_STAGES)
        if unknown:
            print(f"tracegrad: ignoring unknown TRACEGRAD_DUMP stages {sorted(unknown)}; "
                  f"known: {', '.join(DUMP_STAGES)}", file=sys.stderr)
        return Flags(
            backend=env.get("TRACEGRAD_BACKEND", "cpu"),
            dump=dump & set(DUMP_STAGES),
            dump_dir=env.get("TRACEGRAD_DUMP_DIR") or None,
            checks=env.get("TRACEGRAD_CHECKS", "") not in ("", "0"),
            tiered=env.get("TRACEGRAD_TIERED", "1") not in ("", "0"),
        )


FLAGS = Flags.from_env()


def dump(stage: str, name: str, text: str) -> None:
    """Emit a dump of `stage` for function `name` if TRACEGRAD_DUMP asks for it."""
    if stage not in FLAGS.dump:
        return
    if FLAGS.dump_dir:
        os.makedirs(FLAGS.dump_dir, exist_ok=True)
        safe = re.sub(r"[^\w.()-]", "_", name)  # "<lambda>" is no file name everywhere
        path = os.path.join(FLAGS.dump_dir, f"{safe}.{stage}.txt")
        with open(path, "w") as f:
            f.write(text + "\n")
    else:
        print(f"--- tracegrad {stage}: {name} ---\n{text}", file=sys.stderr)
