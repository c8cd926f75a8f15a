"""The IR: values (`Var`, `Const`), operations (`Node`) and programs (`Graph`).

A `Graph` is a single-assignment program: its nodes are in topological order,
each `Var` is produced exactly once (as a graph input or a node output), and a
`Const` is a literal array embedded in the program. Everything is immutable;
passes build new graphs.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tracegrad.ir.types import TensorType

if TYPE_CHECKING:  # pragma: no cover
    import networkx

    from tracegrad.ops.primitive import Primitive

_ids = itertools.count()


@dataclass(frozen=True, eq=False)
class Var:
    """An SSA value of a static `TensorType`. Compared and hashed by identity.

    >>> v = Var(TensorType((2,), np.float64)); v.shape
    (2,)
    """

    type: TensorType
    uid: int = field(default_factory=lambda: next(_ids), repr=False)

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.type.dtype

    def __repr__(self) -> str:
        return f"Var({self.type}#{self.uid})"


@dataclass(frozen=True, eq=False)
class Const:
    """A literal array embedded in a graph (a Python scalar, a closed-over array).

    >>> Const(np.float32(2.0)).type
    TensorType(shape=(), dtype=dtype('float32'))
    """

    value: np.ndarray
    type: TensorType = field(init=False)

    def __post_init__(self) -> None:
        # A private read-only copy: later mutation of the user's array must not
        # change a traced program.
        arr = np.array(self.value, copy=True)
        arr.setflags(write=False)
        object.__setattr__(self, "value", arr)
        object.__setattr__(self, "type", TensorType(arr.shape, arr.dtype))

    @property
    def shape(self) -> tuple[int, ...]:
        return self.type.shape

    @property
    def dtype(self) -> np.dtype:
        return self.type.dtype

    def key(self) -> tuple:
        """A hashable key equal for equal literals (used by CSE)."""
        return (self.type, self.value.tobytes())

    def __repr__(self) -> str:
        return f"Const({self.value!r})"


Atom = Var | Const


class Params(Mapping[str, Any]):
    """An immutable, hashable mapping of an op's static parameters.

    >>> Params(axes=(0,), keepdims=False)["axes"]
    (0,)
    """

    __slots__ = ("_hash", "_items")

    def __init__(self, mapping: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        items = dict(mapping or {}, **kwargs)
        self._items = dict(sorted(items.items()))
        self._hash = None

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        if self._hash is None:
            self._hash = hash(tuple(self._items.items()))
        return self._hash

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Params) and self._items == other._items

    def __repr__(self) -> str:
        return f"Params({self._items!r})"


@dataclass(frozen=True, eq=False)
class Node:
    """One operation: ``outputs = op(*inputs, **params)``.

    `where` is the user's source location that created the node (``file:line``),
    kept for error messages; it takes no part in equality or printing.
    """

    op: Primitive
    inputs: tuple[Atom, ...]
    params: Params
    outputs: tuple[Var, ...]
    where: str | None = None

    @property
    def out(self) -> Var:
        """The single output of a one-output node."""
        (o,) = self.outputs
        return o


@dataclass(frozen=True, eq=False)
class Graph:
    """A typed, single-assignment program with nodes in topological order.

    >>> import numpy as np, tracegrad as tg
    >>> g = tg.make_ir(lambda x: x * 2.0)(np.ones(3)); [n.op.name for n in g.nodes]
    ['broadcast_in_dim', 'mul']
    """

    inputs: tuple[Var, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[Atom, ...]

    @property
    def in_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.inputs)

    @property
    def out_types(self) -> tuple[TensorType, ...]:
        return tuple(v.type for v in self.outputs)

    def __str__(self) -> str:
        from tracegrad.ir.printer import format_graph

        return format_graph(self)

    def to_networkx(self) -> networkx.MultiDiGraph:
        """The graph as a networkx MultiDiGraph (see `tracegrad.ir.analysis`)."""
        from tracegrad.ir.analysis import to_networkx

        return to_networkx(self)
