"""The registry is complete: every primitive has all its fields, and a row in the
table of op tests (a new op without one fails here)."""

import pytest

from tests.ops.op_cases import CASES, TESTED_ELSEWHERE, grad_cases
from tracegrad.ops import NOT_DIFFERENTIABLE, REGISTRY

PRIMS = [pytest.param(prim, id=name) for name, prim in sorted(REGISTRY.items())]


def is_rule(value):
    return callable(value) or value == NOT_DIFFERENTIABLE


@pytest.mark.parametrize("prim", PRIMS)
def test_primitive_has_every_field(prim):
    assert REGISTRY[prim.name] is prim
    assert callable(prim.type_rule) and callable(prim.impl)
    assert is_rule(prim.vjp), f"{prim.name}: vjp is {prim.vjp!r}"
    assert is_rule(prim.jvp), f"{prim.name}: jvp is {prim.jvp!r}"
    # Both rules or neither: a jvp without a vjp (or back) is a half-defined op.
    assert (prim.vjp == NOT_DIFFERENTIABLE) == (prim.jvp == NOT_DIFFERENTIABLE)
    if prim.elementwise:
        assert isinstance(prim.emit, str) and "{0}" in prim.emit, f"{prim.name}: emit"


@pytest.mark.parametrize("prim", PRIMS)
def test_primitive_has_a_test_row(prim):
    rows = [case.id for case in CASES if case.prim == prim.name]
    assert rows or prim.name in TESTED_ELSEWHERE, (
        f"op {prim.name!r} has no row in tests/ops/op_cases.py: add one (wrapper, inputs, "
        f"NumPy reference)"
    )


def test_rows_name_registered_ops():
    assert {case.prim for case in CASES} <= set(REGISTRY)
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), "row ids must be unique"


def test_differentiable_ops_have_gradient_rows():
    # A float64 row with inputs in the op's domain, for finite-difference checks;
    # rows tagged "no-fd" opt out explicitly (stop_gradient's zero derivative).
    with_grad_rows = {case.prim for case, _, _ in grad_cases()}
    opted_out = {case.prim for case in CASES if "no-fd" in case.tags}
    missing = {
        name for name, prim in REGISTRY.items()
        if prim.vjp != NOT_DIFFERENTIABLE and name not in TESTED_ELSEWHERE
    } - with_grad_rows - opted_out
    assert not missing, f"differentiable ops without a float64 gradient row: {sorted(missing)}"
