"""Pytrees: nested tuples, lists, dicts and None around array leaves.

`tree_flatten` turns a structure into its leaves and a hashable `TreeDef`;
`tree_unflatten` rebuilds it. Users register their own containers with
`register_pytree_node` (JAX's API).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any

_REGISTRY: dict[type, tuple[Callable, Callable]] = {}


def register_pytree_node(
    cls: type,
    flatten: Callable[[Any], tuple[list, Hashable]],
    unflatten: Callable[[Hashable, list], Any],
) -> None:
    """Let `cls` instances be pytree nodes: ``flatten(x) -> (children, aux)``,
    ``unflatten(aux, children) -> x`` (aux must be hashable).

    >>> class Pair:
    ...     def __init__(self, a, b): self.a, self.b = a, b
    >>> register_pytree_node(Pair, lambda p: ([p.a, p.b], None), lambda _, c: Pair(*c))
    """
    _REGISTRY[cls] = (flatten, unflatten)


register_pytree_node(tuple, lambda t: (list(t), None), lambda _, c: tuple(c))
register_pytree_node(list, lambda t: (list(t), None), lambda _, c: list(c))
register_pytree_node(
    dict,
    lambda d: ([d[k] for k in sorted(d, key=repr)], tuple(sorted(d, key=repr))),
    lambda keys, c: dict(zip(keys, c)),
)
register_pytree_node(type(None), lambda _: ([], None), lambda _, c: None)


@dataclass(frozen=True)
class TreeDef:
    """The structure of a pytree with its leaves taken out; hashable."""

    kind: type | None  # None marks a leaf
    aux: Hashable
    children: tuple[TreeDef, ...]

    @property
    def num_leaves(self) -> int:
        return 1 if self.kind is None else sum(c.num_leaves for c in self.children)

    def __str__(self) -> str:
        if self.kind is None:
            return "*"
        inner = ", ".join(map(str, self.children))
        return f"{self.kind.__name__}({inner})"


LEAF = TreeDef(None, None, ())


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    """The leaves of `tree` in a fixed order, and its structure.

    >>> tree_flatten({"b": 1, "a": (2, 3)})[0]
    [2, 3, 1]
    """
    leaves: list = []
    return leaves, _flatten(tree, leaves)


def _flatten(tree: Any, leaves: list) -> TreeDef:
    entry = _REGISTRY.get(type(tree))
    if entry is None:
        leaves.append(tree)
        return LEAF
    children, aux = entry[0](tree)
    return TreeDef(type(tree), aux, tuple(_flatten(c, leaves) for c in children))


def tree_unflatten(treedef: TreeDef, leaves: list) -> Any:
    """Rebuild the pytree of structure `treedef` from `leaves`.

    >>> tree_unflatten(tree_flatten((1, [2]))[1], [5, 6])
    (5, [6])
    """
    it = iter(leaves)
    return _unflatten(treedef, it)


def _unflatten(treedef: TreeDef, it) -> Any:
    if treedef.kind is None:
        return next(it)
    children = [_unflatten(c, it) for c in treedef.children]
    return _REGISTRY[treedef.kind][1](treedef.aux, children)


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply `fn` to each leaf (and the matching leaves of `rest`).

    >>> tree_map(lambda x: x * 2, {"a": 1, "b": [2]})
    {'a': 2, 'b': [4]}
    """
    leaves, treedef = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(treedef, [fn(*xs) for xs in zip(leaves, *others)])


def tree_leaves(tree: Any) -> list:
    """The leaves of `tree`."""
    return tree_flatten(tree)[0]
