"""Render kernels as Python source: indented lines, the IR node as a comment above each.

`Writer` collects lines with indentation; `render` writes a tree of `kernel.Loop`
and `kernel.Line` into it. A line's comment is the IR node it implements, printed
as the IR dump prints it, so a reader of the generated program can find every
line's origin in ``str(graph)``.
"""

from __future__ import annotations

from tracegrad.codegen.kernel import Branch, Line, Loop

INDENT = "    "


class Writer:
    """Accumulates source lines at the current indentation.

    >>> w = Writer(); w.line("x = 1", comment="%1:f64[] = ..."); print(w.text(), end="")
    # %1:f64[] = ...
    x = 1
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.depth = 0

    def line(self, code: str = "", comment: str | None = None) -> None:
        pad = INDENT * self.depth
        if comment:
            self.lines.append(f"{pad}# {comment}")
        if code:
            self.lines.append(f"{pad}{code}")

    def blank(self) -> None:
        if self.lines and self.lines[-1]:
            self.lines.append("")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def indent(text: str) -> list[str]:
    """The lines of `text` one level in (blank lines stay empty).

    >>> indent("x = 1\\n\\ny = 2\\n")
    ['    x = 1', '', '    y = 2']
    """
    return [INDENT + line if line else line for line in text.rstrip("\n").split("\n")]


def render(w: Writer, items: list[Line | Loop | Branch]) -> None:
    """Write a tree of loops, branches and lines at `w`'s current indentation."""
    for item in items:
        if isinstance(item, Line):
            w.line(item.code, item.comment)
            continue
        if isinstance(item, Branch):
            w.line(f"if {item.cond}:")
            w.depth += 1
            render(w, item.body)
            w.depth -= 1
            continue
        rng = "prange" if item.parallel else "range"
        w.line(f"for {item.var} in {rng}({item.extent}):")
        w.depth += 1
        if not any(isinstance(i, Loop) or i.code for i in item.body):
            w.line("pass")
        render(w, item.body)
        w.depth -= 1
