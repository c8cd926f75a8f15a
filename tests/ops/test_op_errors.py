"""Mistakes with layout, reduction and contraction ops fail in the type rule, with an
error that names the op and the user's line, both eagerly and while tracing."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ops import layout as lay
from tracegrad.ops import linalg as la
from tracegrad.ops import reduce as red
from tracegrad.tracer.errors import DTypeError, ShapeError

X = np.arange(12.0).reshape(3, 4)

MISTAKES = [
    ("transpose", ShapeError, lambda x: lay.transpose(x, (0, 0))),
    ("transpose", ShapeError, lambda x: lay.transpose(x, (0, 1, 2))),
    ("slice", ShapeError, lambda x: lay.slice(x, (0, 0), (4, 4))),
    ("slice", ShapeError, lambda x: lay.slice(x, (2, 0), (1, 4))),
    ("slice", ShapeError, lambda x: lay.slice(x, (0, 0), (3, 4), (1, 0))),
    ("rev", ShapeError, lambda x: lay.rev(x, (2,))),
    ("pad", ShapeError, lambda x: lay.pad(x, 0.0, ((0, 0, 0),))),
    ("pad", ShapeError, lambda x: lay.pad(x, 0.0, ((0, 0, -1), (0, 0, 0)))),
    ("pad", ShapeError, lambda x: lay.pad(x, 0.0, ((-2, -2, 0), (0, 0, 0)))),
    ("pad", ShapeError, lambda x: lay.pad(x, np.zeros(2), ((0, 0, 0), (0, 0, 0)))),
    ("concatenate", ShapeError, lambda x: lay.concatenate([x, np.ones((3, 5))], 0)),
    ("concatenate", ShapeError, lambda x: lay.concatenate([x, np.ones(4)], 0)),
    ("concatenate", ShapeError, lambda x: lay.concatenate([x, x], 2)),
    ("gather", DTypeError, lambda x: lay.gather(x, np.array([0.0, 1.0]), 0)),
    ("gather", ShapeError, lambda x: lay.gather(x, np.array([0]), 2)),
    ("scatter_add", ShapeError, lambda x: lay.scatter_add(x, np.array([0, 1]), np.ones(2), 0)),
    ("reshape", ShapeError, lambda x: lay.reshape(x, (5, -1))),
    ("reshape", ShapeError, lambda x: lay.reshape(x, (2, 2))),
    ("broadcast_in_dim", ShapeError, lambda x: lay.broadcast_in_dim(x, (3, 5), (0, 1))),
    ("reduce_max", ShapeError, lambda x: red.reduce_max(x, (0, -2))),
    ("reduce_prod", ShapeError, lambda x: red.reduce_prod(x, 2)),
    ("argmax", ShapeError, lambda x: red.argmax(x, -3)),
    ("argmin", ShapeError, lambda x: red.argmin(lay.slice(x, (0, 0), (0, 4)), 0)),
    ("dot_general", ShapeError, lambda x: la.dot_general(x, x, ((1,), (1,)), ((0,), (1,)))),
    ("dot_general", ShapeError, lambda x: la.dot_general(x, x, ((1,), (0,)))),
    ("dot_general", ShapeError, lambda x: la.dot_general(x, x, ((1, 1), (1, 1)))),
    ("dot_general", ShapeError, lambda x: la.dot_general(x, x, ((1,), ()))),
]


@pytest.mark.parametrize(
    "op, error, mistake", [pytest.param(*m, id=f"{m[0]}-{i}") for i, m in enumerate(MISTAKES)]
)
@pytest.mark.parametrize("traced", [False, True], ids=["eager", "traced"])
def test_mistake_is_a_user_error(op, error, mistake, traced):
    with pytest.raises(error) as info:
        tg.make_ir(mistake)(X) if traced else mistake(X)
    message = str(info.value)
    assert op in message or op.split("_")[-1] in message, message
    assert "test_op_errors.py" in message, "the error should name the user's line"
