"""A tour of tracegrad's transformations: gradients as static graphs.

Run: python examples/autodiff_tour.py
"""

import numpy as np
import scipy.optimize

import tracegrad as tg

rng = np.random.default_rng(0)


def loss(w, x, y):
    pred = np.tanh(x @ w)
    return np.mean((pred - y) ** 2)


w, x, y = rng.normal(size=3), rng.normal(size=(20, 3)), rng.normal(size=20)

# 1. grad and value_and_grad: the gradient graph is traced once per signature.
print("grad w.r.t. w:", tg.grad(loss)(w, x, y))
value, (gw, gx) = tg.value_and_grad(loss, argnums=(0, 1))(w, x, y)
print("value:", float(value), " grad shapes:", gw.shape, gx.shape)

# 2. The adjoint graph is IR: print it, before and after the IR passes.
print("\nThe adjoint graph of sum(sin(x) * x):")
print(tg.make_ir(tg.grad(lambda x: np.sum(np.sin(x) * x)))(np.ones(4)))

# 3. Pytrees: a dict of parameters in, a dict of gradients out.
params = {"w": rng.normal(size=(3, 4)), "b": np.zeros(4)}


def mlp_loss(p, x):
    return np.sum(np.tanh(x @ p["w"] + p["b"]) ** 2)


grads = tg.grad(mlp_loss)(params, x)
print("\ndict gradients:", {k: v.shape for k, v in grads.items()})

# 4. Higher order: grad of grad, Hessians, Jacobians.
print("\nd2/dx2 sin(x) * x at 0.5:", float(tg.grad(tg.grad(lambda x: np.sin(x) * x))(0.5)))


def rosenbrock(x):
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


print("Hessian of Rosenbrock at (1, 1, 1):\n", tg.hessian(rosenbrock)(np.ones(3)))
print("Jacobian of x * sum(x):\n", tg.jacobian(lambda x: x * np.sum(x))(np.arange(3.0)))

# 5. vjp and jvp.
out, pullback = tg.vjp(lambda x: np.sin(x) * 2.0, np.arange(3.0))
print("\nvjp:", pullback(np.ones(3)))
print("jvp:", tg.jvp(np.exp, (np.zeros(2),), (np.ones(2),)))

# 6. custom_vjp: your own derivative, and still a Hessian through it.


@tg.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


softplus.defvjp(lambda x: (softplus(x), x), lambda x, g: (g / (1.0 + np.exp(-x)),))
print("\nHessian through custom_vjp (diag = sigmoid'):\n",
      np.diag(tg.hessian(lambda x: np.sum(softplus(x)))(np.array([-1.0, 0.0, 1.0]))))

# 7. check_grads: your function's derivatives against finite differences.
tg.check_grads(rosenbrock, (rng.normal(size=4),), order=2)
print("\ncheck_grads(rosenbrock, order=2): ok")

# 8. scipy.optimize with a compiled value-and-gradient.
fun = tg.value_and_grad(rosenbrock)
result = scipy.optimize.minimize(fun, np.full(5, -1.0), jac=True, method="BFGS")
print("\nminimize(rosenbrock): x =", np.round(result.x, 4), " calls:", result.nfev,
      " traced signatures:", fun.cache_size)
