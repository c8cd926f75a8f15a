"""Make the repository's `benchmarks` package importable however pytest is started.

`benchmarks/` sits at the repository root and is not installed with tracegrad, so
plain ``pytest`` (unlike ``python -m pytest``) would not find it.
"""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
