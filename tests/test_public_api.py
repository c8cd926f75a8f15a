"""The public names of DESIGN.md exist at top level, and the op wrappers serve
NumPy arrays, traced values and dynamic-mode tensors alike."""

import numpy as np
import pytest

import tracegrad as tg

PUBLIC = (
    "compile grad value_and_grad vjp jvp jacobian jacrev jacfwd hessian make_ir "
    "stop_gradient custom_vjp check_grads register_pytree_node tree_flatten tree_unflatten "
    "tensor Tensor no_grad enable_grad set_grad_enabled Function nn optim "
    "exp add mul select matmul dot einsum where Graph"
).split()


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_exists(name):
    assert hasattr(tg, name), f"tracegrad.{name} is part of the public API (DESIGN.md)"


@pytest.mark.parametrize("fn, ref", [
    (lambda a, b: tg.matmul(a, b), lambda a, b: a @ b),
    (lambda a, b: tg.where(a > 0, a, tg.exp(b[0])), lambda a, b: np.where(a > 0, a, np.exp(b[0]))),
    (lambda a, b: tg.einsum("ij,jk->ik", a, b), lambda a, b: a @ b),
])
def test_wrappers_serve_arrays_tracers_and_tensors(rng, fn, ref):
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 4))
    want = ref(a, b)
    np.testing.assert_allclose(fn(a, b), want, rtol=1e-12)
    np.testing.assert_allclose(tg.compile(fn, backend="numpy")(a, b), want, rtol=1e-12)
    out = fn(tg.tensor(a), tg.tensor(b))
    assert isinstance(out, tg.Tensor)
    np.testing.assert_allclose(out.numpy(), want, rtol=1e-12)
