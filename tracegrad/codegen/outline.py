"""Outlining: a serial kernel that calls vector bodies becomes a function of its own.

On AVX-512 some vector math functions are vector kernels (`vecmath.vector_kernels`:
float64 exp, expm1, tanh, sinh, cosh, the logs and pow of both types, float32
tanh): LLVM's loop vectoriser turns a loop over one into a call of its vector body
per register of elements. LLVM inlines that body, and keeps its tables in
registers across iterations, only where it optimises the loop a second time.
Numba does that for a ``prange`` loop, which it compiles apart and links into the
program, but not for a serial loop in the program itself: there each call reloads
the tables (float32 tanh over 20,000 elements: 7.3 us against 4.2 us inlined, and
NumPy's 5.1 us). Serial loops are what programs over small arrays, and programs that
call BLAS, run.

So such a kernel is written as its own ``@numba.njit`` function, which the program
calls: Numba links it into the program and optimises it again there, as it does a
``prange`` loop. The kernel's text is unchanged; its parameters are the names it
reads that the program defined before it, and it returns the names it assigns at
its top level that the program reads after it.

>>> k = "b2 = np.empty((4,), np.float64)\\nfor i0 in range(4):\\n    b2[i0] = vm_exp_f64(b0[i0])\\n"
>>> print(outline("k0_exp", k, defined={"b0"}, read_later={"b2"}, flags="cache=True").call)
(b2,) = k0_exp(b0)
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass

from tracegrad.codegen.source import INDENT, indent


@dataclass(frozen=True)
class Outlined:
    """A kernel outlined: the function's source, and the line that calls it."""

    function: str
    call: str
    assigned: frozenset[str]


# An outlined kernel is optimised twice: about 0.1 s more of compile per kernel on
# this machine, for 0.05-0.1 ns less per element and call (benchmarks/outlining.py).
# Below this many elements a program would need 100,000 calls or more to recoup it.
MIN_ELEMENTS = 1 << 14


def needs_outlining(text: str, elements: int) -> bool:
    """Whether a serial kernel over `elements` elements whose source is `text`
    gains from outlining: it is large enough (`MIN_ELEMENTS`) and calls a vector
    math function that runs a vector body on this machine (`vecmath.has_vector_body`).
    """
    if elements < MIN_ELEMENTS:
        return False
    from tracegrad.codegen import vecmath

    return any(vecmath.has_vector_body(name)
               for name in set(re.findall(r"\bvm_\w+?_f(?:32|64)\b", text)))


def names_read(text: str) -> set[str]:
    """The names `text` reads (an augmented assignment reads its target too)."""
    read = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            read.add(node.id)
        elif isinstance(node, ast.AugAssign) and isinstance(node.target, ast.Name):
            read.add(node.target.id)
    return read


def names_assigned(text: str) -> set[str]:
    """The names `text` assigns outside its loops: the buffers, accumulators and
    scalars a kernel leaves to the rest of the program (assignments inside a loop
    are the loop's temporaries)."""
    assigned: set[str] = set()

    def visit(statements: Iterable[ast.stmt]) -> None:
        for s in statements:
            if isinstance(s, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
                targets = s.targets if isinstance(s, ast.Assign) else [s.target]
                for t in targets:
                    assigned.update(n.id for n in ast.walk(t) if isinstance(n, ast.Name))
            elif isinstance(s, ast.If):  # a kernel's rerun (trig guard)
                visit(s.body)
                visit(s.orelse)

    visit(ast.parse(text).body)
    return assigned


def outline(name: str, text: str, defined: set[str], read_later: set[str],
            flags: str) -> Outlined:
    """The kernel `text` as the function `name`, given the names the program has
    `defined` before it and those it reads after it (`read_later`)."""
    params = sorted(names_read(text) & defined, key=_natural)
    assigned = names_assigned(text)
    results = sorted(assigned & read_later, key=_natural)
    body = indent(text)
    if results:
        body.append(f"{INDENT}return ({', '.join(results)},)")
    function = "\n".join([f"@numba.njit({flags})", f"def {name}({', '.join(params)}):", *body])
    call = f"{name}({', '.join(params)})"
    if results:
        call = f"({', '.join(results)},) = {call}"
    return Outlined(function + "\n", call, frozenset(assigned))


def _natural(name: str) -> tuple[str, int]:
    """Order b2 before b10."""
    m = re.match(r"([A-Za-z_]+?)(\d*)$", name)
    return (m.group(1), int(m.group(2) or -1)) if m else (name, -1)
