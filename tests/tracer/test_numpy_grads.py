"""The NumPy compositions are differentiable: forward and reverse mode against finite
differences, through indexing, contractions, joins and the stable formulas."""

import numpy as np
import pytest

from tracegrad.autodiff.checks import check_grads

rng = np.random.default_rng(7)


def normal(*shape):
    return rng.standard_normal(shape)


def positive(*shape):
    return rng.uniform(0.5, 2.0, shape)


ROWS = [
    ("index-slices", lambda x: x[1:, ::-2] * 2.0, lambda: (normal(4, 5),)),
    ("index-gather-repeated", lambda x: x[[0, 2, 0], 1:], lambda: (normal(3, 4),)),
    ("index-arrays-adjacent", lambda x: x[:, [0, 1], [2, 0]], lambda: (normal(2, 3, 4),)),
    ("index-arrays-separated", lambda x: x[[0, 1], :, [2, 0]], lambda: (normal(2, 3, 4),)),
    ("index-traced", lambda x, i: x[i] ** 2, lambda: (normal(4, 2), np.array([3, 0, -1]))),
    ("take-wrap", lambda x: np.take(x, [5, -1], mode="wrap"), lambda: (normal(4),)),
    ("matmul-batched", np.matmul, lambda: (normal(2, 1, 2, 3), normal(3, 3, 2))),
    ("matmul-vectors", np.matmul, lambda: (normal(3), normal(2, 3, 4))),
    ("dot-nd", np.dot, lambda: (normal(2, 3), normal(4, 3, 2))),
    ("tensordot", lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])),
     lambda: (normal(2, 3, 4), normal(4, 2, 5))),
    ("einsum-three", lambda a, b, c: np.einsum("bi,ij,bj->b", a, b, c),
     lambda: (normal(3, 2), normal(2, 4), normal(3, 4))),
    ("einsum-ellipsis-broadcast", lambda a, b: np.einsum("...ij,...jk", a, b),
     lambda: (normal(2, 1, 2, 3), normal(4, 3, 2))),
    ("outer-inner-vdot", lambda a, b: np.outer(a, b).sum() + np.inner(a, b) * np.vdot(a, b),
     lambda: (normal(3), normal(3))),
    ("norm-default", np.linalg.norm, lambda: (normal(3, 4),)),
    ("norm-vector-ords", lambda x: np.linalg.norm(x, ord=3, axis=1)
     + np.linalg.norm(x, ord=np.inf, axis=1) + np.linalg.norm(x, ord=1, axis=1),
     lambda: (normal(2, 5),)),
    ("norm-matrix-1", lambda x: np.linalg.norm(x, ord=1), lambda: (normal(3, 4),)),
    ("logaddexp", np.logaddexp, lambda: (normal(5) * 10, normal(5) * 10)),
    ("var-std", lambda x: np.var(x, axis=0, ddof=1) + np.std(x, axis=0),
     lambda: (normal(5, 3),)),
    ("cumsum", lambda x: np.cumsum(x, axis=1), lambda: (normal(2, 7),)),
    ("split-concatenate", lambda x: np.concatenate(np.split(x, [1, 3])[::-1]) * x,
     lambda: (normal(5),)),
    ("stack-hstack-vstack", lambda a, b: np.vstack([np.stack([a, b], -1).ravel(),
                                                    np.hstack([b, a])]),
     lambda: (normal(3), normal(3))),
    ("clip-where", lambda x: np.where(x > 0, np.clip(x, 0.2, 0.8), x ** 2),
     lambda: (rng.uniform(-1.0, 1.0, 8) + 0.01,)),
    ("mod-floor-divide", lambda x: x % 0.7 + x // 0.7, lambda: (rng.uniform(0.1, 0.6, 5),)),
    ("moveaxis-flip-broadcast", lambda x: np.flip(np.moveaxis(np.broadcast_to(x, (2, 3, 4)),
                                                              0, -1), 1),
     lambda: (normal(3, 1),)),
    ("prod-max-mean", lambda x: np.prod(x, axis=0) + np.max(x, axis=1).sum() + x.mean(),
     lambda: (positive(3, 4),)),
    ("log2-exp2", lambda x: np.log2(x) * np.exp2(x), lambda: (positive(4),)),
]


@pytest.mark.parametrize("fn, make_args", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_compositions_have_correct_derivatives(fn, make_args):
    args = make_args()
    floats = tuple(a for a in args if np.asarray(a).dtype.kind == "f")
    ints = tuple(a for a in args if np.asarray(a).dtype.kind != "f")
    # Integer arguments (indices) are held fixed: differentiate w.r.t. the floats.
    check_grads(lambda *xs: fn(*xs, *ints), floats, rtol=1e-5, atol=1e-6)
