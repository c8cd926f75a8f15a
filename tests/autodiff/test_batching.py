"""Jacobians and Hessians are one batched derivative, not one copy per basis vector:
each batching rule, through jacfwd and jacrev, against finite differences."""

import numpy as np
import pytest

import tracegrad as tg
from tracegrad.ops import layout, linalg

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((2, 4, 3))


def numerical_jacobian(f, x, eps=1e-6):
    out = np.asarray(f(x))
    jac = np.zeros(out.shape + x.shape)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = eps
        jac[(...,) + idx] = (np.asarray(f(x + e)) - np.asarray(f(x - e))) / (2 * eps)
    return jac


CASES = {
    "elementwise_select": (lambda x: np.where(x > 0, np.sin(x) * x, np.exp(x)), (5,)),
    "broadcast_reduce": (lambda x: np.sum(x[:, None] * x[None, :] ** 2, axis=0), (4,)),
    "max_min_prod": (lambda x: np.max(x.reshape(2, 3), axis=1) * np.prod(x[:3]), (6,)),
    "transpose_reshape": (lambda x: np.transpose(x.reshape(2, 3)).ravel() * x[::-1], (6,)),
    "slice_rev_concat": (lambda x: np.concatenate([x[1:4:2], x[::-1] ** 2]), (5,)),
    "pad": (lambda x: layout.pad(x * x, 0.0, ((1, 2, 1),)), (3,)),
    "gather_scatter": (lambda x: layout.scatter_add(np.zeros(4), np.array([0, 2, 0]),
                                                    x[np.array([1, 1, 2])] * x[:3], 0), (4,)),
    "matmul_x_batched": (lambda x: np.tanh(A @ x), (4,)),
    "matmul_y_batched": (lambda x: (x.reshape(2, 3) @ A).ravel(), (6,)),
    "dot_general_batch_dims": (lambda x: linalg.dot_general(
        x.reshape(2, 3, 4), B, ((2,), (1,)), ((0,), (0,))).ravel(), (24,)),
    "mlp": (lambda x: np.sum(np.maximum(A @ np.tanh(x), 0.1) ** 2) * x, (4,)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("jac", [tg.jacfwd, tg.jacrev], ids=["fwd", "rev"])
def test_jacobian_matches_finite_differences(name, jac):
    f, shape = CASES[name]
    x = rng.standard_normal(shape) + 0.05
    np.testing.assert_allclose(jac(f)(x), numerical_jacobian(f, x), rtol=1e-5, atol=1e-7)


def test_hessian_graph_does_not_grow_with_the_input_size():
    def rosenbrock(x):
        return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)

    small = tg.hessian(rosenbrock).lower(np.ones(50)).optimized
    large = tg.hessian(rosenbrock).lower(np.ones(300)).optimized
    assert len(large.nodes) == len(small.nodes)


def test_hessian_inside_compile_and_grad_of_jacobian():
    x = rng.standard_normal(3)
    h = tg.compile(tg.hessian(lambda x: np.sum(np.sin(x) * x[0])))(x)
    expected = np.diag(-np.sin(x) * x[0])
    expected[0, :] += np.cos(x)
    expected[:, 0] += np.cos(x)
    np.testing.assert_allclose(h, expected, rtol=1e-12, atol=1e-14)
    g = tg.grad(lambda x: np.sum(tg.jacfwd(lambda y: y**3)(x)))(x)
    np.testing.assert_allclose(g, 6 * x, rtol=1e-12)
