"""Every supported NumPy function and ufunc, traced, against NumPy itself.

Each row is ``(id, function, argument factory)``; the id starts with the NumPy name
the row exercises (``sum-axis0``). `test_every_supported_name_has_a_row` fails when
a function or ufunc of the tables in `numpy_api` has no row, and
`test_every_supported_name_is_documented` when docs/numpy-support.md lacks it.
"""

import pathlib

import numpy as np
import pytest

from tracegrad.tracer import numpy_api

from .conftest import assert_same


def normal(r, *shape, dtype=np.float64):
    return r.normal(size=shape).astype(dtype)


def positive(r, *shape, dtype=np.float64):
    return r.uniform(0.5, 3.0, size=shape).astype(dtype)


def unit(r, *shape):
    return r.uniform(-0.9, 0.9, size=shape)


def ints(r, *shape, low=-5, high=6, dtype=np.int64):
    return r.integers(low, high, size=shape).astype(dtype)


def nonzero_ints(r, n):
    """Divisors of both signs, never zero."""
    return r.integers(1, 6, size=n) * r.choice([-1, 1], size=n)


def bools(r, *shape):
    return r.random(size=shape) < 0.5


def specials(r, *shape):
    x = r.normal(size=shape)
    x.flat[::3] = np.nan
    x.flat[1::4] = np.inf
    x.flat[2::5] = -np.inf
    return x


F32 = np.float32

UFUNC_ROWS = [
    ("negative", np.negative, lambda r: (normal(r, 3, 4),)),
    ("negative-int", np.negative, lambda r: (ints(r, 5),)),
    ("positive", np.positive, lambda r: (normal(r, 3),)),
    ("exp", np.exp, lambda r: (normal(r, 3, 4),)),
    ("exp-f32", np.exp, lambda r: (normal(r, 5, dtype=F32),)),
    ("exp-int", np.exp, lambda r: (ints(r, 5),)),
    ("exp-0d", np.exp, lambda r: (np.float64(r.normal()),)),
    ("log", np.log, lambda r: (positive(r, 4),)),
    ("log1p", np.log1p, lambda r: (positive(r, 4),)),
    ("expm1", np.expm1, lambda r: (normal(r, 4),)),
    ("sin", np.sin, lambda r: (normal(r, 4),)),
    ("cos", np.cos, lambda r: (normal(r, 4, dtype=F32),)),
    ("tan", np.tan, lambda r: (unit(r, 4),)),
    ("tanh", np.tanh, lambda r: (normal(r, 2, 3),)),
    ("sinh", np.sinh, lambda r: (normal(r, 4),)),
    ("cosh", np.cosh, lambda r: (normal(r, 4),)),
    ("arcsin", np.arcsin, lambda r: (unit(r, 4),)),
    ("arccos", np.arccos, lambda r: (unit(r, 4),)),
    ("arctan", np.arctan, lambda r: (normal(r, 4),)),
    ("arctan2", np.arctan2, lambda r: (normal(r, 3, 4), normal(r, 4))),
    ("sqrt", np.sqrt, lambda r: (positive(r, 4),)),
    ("sqrt-int", np.sqrt, lambda r: (ints(r, 4, low=0),)),
    ("square", np.square, lambda r: (normal(r, 4),)),
    ("square-int", np.square, lambda r: (ints(r, 4, dtype=np.int32),)),
    ("absolute", np.absolute, lambda r: (normal(r, 4),)),
    ("absolute-abs-int", np.abs, lambda r: (ints(r, 6, dtype=np.int16),)),
    ("sign", np.sign, lambda r: (normal(r, 4),)),
    ("sign-int", np.sign, lambda r: (ints(r, 6),)),
    ("floor", np.floor, lambda r: (normal(r, 4) * 3,)),
    ("ceil", np.ceil, lambda r: (normal(r, 4, dtype=F32) * 3,)),
    ("reciprocal", np.reciprocal, lambda r: (positive(r, 4),)),
    ("log2", np.log2, lambda r: (positive(r, 4),)),
    ("log2-int", np.log2, lambda r: (ints(r, 4, low=1),)),
    ("log10", np.log10, lambda r: (positive(r, 4, dtype=F32),)),
    ("exp2", np.exp2, lambda r: (normal(r, 4),)),
    ("exp2-int", np.exp2, lambda r: (ints(r, 4),)),
    ("isnan", np.isnan, lambda r: (specials(r, 12),)),
    ("isinf", np.isinf, lambda r: (specials(r, 12),)),
    ("isfinite", np.isfinite, lambda r: (specials(r, 12),)),
    ("add", np.add, lambda r: (normal(r, 3, 1), normal(r, 4))),
    ("add-f32-weak", lambda x: np.add(x, 2.5), lambda r: (normal(r, 3, dtype=F32),)),
    ("add-mixed", np.add, lambda r: (normal(r, 3, dtype=F32), ints(r, 3))),
    ("subtract", np.subtract, lambda r: (normal(r, 2, 3, 4), normal(r, 3, 1))),
    ("multiply", np.multiply, lambda r: (np.float64(r.normal()), normal(r, 3))),
    ("divide", np.divide, lambda r: (normal(r, 3), positive(r, 3))),
    ("divide-int", np.true_divide, lambda r: (ints(r, 4), ints(r, 4, low=1))),
    ("maximum", np.maximum, lambda r: (normal(r, 3, 4), normal(r, 4))),
    ("minimum", np.minimum, lambda r: (normal(r, 3, dtype=F32), 0.0)),
    ("power", np.power, lambda r: (positive(r, 4), normal(r, 4))),
    ("power-int", np.power, lambda r: (ints(r, 4), ints(r, 4, low=0, high=4))),
    ("power-f32-weak", lambda x: np.power(x, 3), lambda r: (normal(r, 4, dtype=F32),)),
    ("floor_divide", np.floor_divide, lambda r: (normal(r, 6) * 5, positive(r, 6))),
    ("floor_divide-negative", np.floor_divide, lambda r: (normal(r, 6) * 5, -positive(r, 6))),
    ("floor_divide-int", np.floor_divide, lambda r: (ints(r, 8, low=-20, high=20),
                                                     nonzero_ints(r, 8))),
    ("floor_divide-int32-weak", lambda x: np.floor_divide(x, 3),
     lambda r: (ints(r, 8, low=-20, high=20, dtype=np.int32),)),
    ("floor_divide-int-by-zero", np.floor_divide, lambda r: (ints(r, 4), np.zeros(4, np.int64))),
    ("remainder", np.remainder, lambda r: (normal(r, 6) * 5, positive(r, 6))),
    ("remainder-mod-negative", np.mod, lambda r: (normal(r, 6) * 5, -positive(r, 6))),
    ("remainder-int", np.remainder, lambda r: (ints(r, 8, low=-20, high=20),
                                               nonzero_ints(r, 8))),
    ("remainder-int-by-zero", np.remainder, lambda r: (ints(r, 4), np.zeros(4, np.int64))),
    ("logaddexp", np.logaddexp, lambda r: (normal(r, 3, 4) * 30, normal(r, 4) * 30)),
    ("logaddexp-f32", np.logaddexp, lambda r: (normal(r, 4, dtype=F32), 1.0)),
    ("logaddexp-equal-and-infinite", lambda x: np.logaddexp(x, x),
     lambda r: (np.array([-np.inf, np.inf, 1e300, 2.0]),)),
    ("equal", np.equal, lambda r: (ints(r, 8, low=0, high=3), ints(r, 8, low=0, high=3))),
    ("not_equal", np.not_equal, lambda r: (ints(r, 8, low=0, high=3), 1)),
    ("less", np.less, lambda r: (normal(r, 3, 4), normal(r, 4))),
    ("less_equal", np.less_equal, lambda r: (ints(r, 8, low=0, high=3), ints(r, 8, low=0, high=3))),
    ("greater", np.greater, lambda r: (normal(r, 5, dtype=F32), 0.0)),
    ("greater_equal", np.greater_equal, lambda r: (ints(r, 8, low=0, high=3), 1)),
    ("logical_and", np.logical_and, lambda r: (bools(r, 6), bools(r, 6))),
    ("logical_and-float", np.logical_and, lambda r: (ints(r, 6, low=0, high=2) * 1.5, bools(r, 6))),
    ("logical_or", np.logical_or, lambda r: (bools(r, 6), bools(r, 6))),
    ("logical_xor", np.logical_xor, lambda r: (bools(r, 6), ints(r, 6, low=0, high=2))),
    ("logical_not", np.logical_not, lambda r: (normal(r, 6) * ints(r, 6, low=0, high=2),)),
    ("bitwise_and", np.bitwise_and, lambda r: (ints(r, 6, low=0, high=16),
                                               ints(r, 6, low=0, high=16))),
    ("bitwise_or", np.bitwise_or, lambda r: (bools(r, 6), bools(r, 6))),
    ("bitwise_xor", np.bitwise_xor, lambda r: (ints(r, 6, low=0, high=16), 5)),
    ("invert", np.invert, lambda r: (bools(r, 6),)),
    ("invert-int", np.invert, lambda r: (ints(r, 6),)),
]

REDUCTION_ROWS = [
    ("sum", np.sum, lambda r: (normal(r, 3, 4),)),
    ("sum-axis0", lambda x: np.sum(x, axis=0), lambda r: (normal(r, 3, 4),)),
    ("sum-negative-axes-keepdims", lambda x: np.sum(x, axis=(-1, 0), keepdims=True),
     lambda r: (normal(r, 2, 3, 4),)),
    ("sum-int8", lambda x: np.sum(x, axis=1), lambda r: (ints(r, 3, 4, dtype=np.int8),)),
    ("sum-uint8", np.sum, lambda r: (ints(r, 5, low=0, dtype=np.uint8),)),
    ("sum-bool", np.sum, lambda r: (bools(r, 7),)),
    ("sum-dtype", lambda x: np.sum(x, dtype=np.float32), lambda r: (ints(r, 5),)),
    ("sum-0d", np.sum, lambda r: (np.float32(r.normal()),)),
    ("sum-empty-axes", lambda x: np.sum(x, axis=()), lambda r: (normal(r, 3),)),
    ("prod", lambda x: np.prod(x, axis=1), lambda r: (normal(r, 3, 4),)),
    ("prod-int32-keepdims", lambda x: np.prod(x, axis=0, keepdims=True),
     lambda r: (ints(r, 3, 2, dtype=np.int32),)),
    ("mean", np.mean, lambda r: (normal(r, 3, 4),)),
    ("mean-axis-f32", lambda x: np.mean(x, axis=-1), lambda r: (normal(r, 3, 4, dtype=F32),)),
    ("mean-int", lambda x: np.mean(x, axis=0, keepdims=True), lambda r: (ints(r, 3, 4),)),
    ("var", np.var, lambda r: (normal(r, 3, 4),)),
    ("var-ddof-axis", lambda x: np.var(x, axis=0, ddof=1), lambda r: (normal(r, 5, 2),)),
    ("var-f32-keepdims", lambda x: np.var(x, axis=(0, 2), keepdims=True),
     lambda r: (normal(r, 2, 3, 4, dtype=F32),)),
    ("var-int", lambda x: np.var(x, axis=1), lambda r: (ints(r, 3, 4),)),
    ("std", np.std, lambda r: (normal(r, 3, 4),)),
    ("std-ddof", lambda x: np.std(x, axis=-1, ddof=1), lambda r: (normal(r, 3, 4, dtype=F32),)),
    ("max", np.max, lambda r: (normal(r, 3, 4),)),
    ("max-axis-keepdims", lambda x: np.max(x, axis=-1, keepdims=True),
     lambda r: (ints(r, 3, 4),)),
    ("amax", lambda x: np.amax(x, axis=0), lambda r: (normal(r, 3, 4, dtype=F32),)),
    ("min", lambda x: np.min(x, axis=(0, 1)), lambda r: (normal(r, 2, 3, 4),)),
    ("amin", np.amin, lambda r: (ints(r, 5),)),
    ("argmax", np.argmax, lambda r: (normal(r, 3, 4),)),
    ("argmax-axis-keepdims", lambda x: np.argmax(x, axis=-1, keepdims=True),
     lambda r: (normal(r, 3, 4),)),
    ("argmin", lambda x: np.argmin(x, axis=0), lambda r: (ints(r, 4, 3),)),
    ("argmin-keepdims", lambda x: np.argmin(x, keepdims=True), lambda r: (normal(r, 3, 4),)),
    ("all", np.all, lambda r: (ints(r, 6, low=0, high=3),)),
    ("all-axis", lambda x: np.all(x, axis=1, keepdims=True), lambda r: (bools(r, 3, 2),)),
    ("any", lambda x: np.any(x, axis=0), lambda r: (ints(r, 3, 4, low=0, high=2) * 1.0,)),
    ("cumsum", np.cumsum, lambda r: (normal(r, 3, 4),)),
    ("cumsum-axis", lambda x: np.cumsum(x, axis=-1), lambda r: (normal(r, 2, 7, dtype=F32),)),
    ("cumsum-int8", lambda x: np.cumsum(x, axis=0), lambda r: (ints(r, 9, 2, dtype=np.int8),)),
]

SHAPE_ROWS = [
    ("transpose", np.transpose, lambda r: (normal(r, 2, 3, 4),)),
    ("transpose-axes", lambda x: np.transpose(x, (1, -1, 0)), lambda r: (normal(r, 2, 3, 4),)),
    ("permute_dims", lambda x: np.permute_dims(x, (2, 0, 1)), lambda r: (normal(r, 2, 3, 4),)),
    ("swapaxes", lambda x: np.swapaxes(x, 0, -1), lambda r: (normal(r, 2, 3, 4),)),
    ("moveaxis", lambda x: np.moveaxis(x, 0, -1), lambda r: (normal(r, 2, 3, 4),)),
    ("moveaxis-several", lambda x: np.moveaxis(x, [0, 1], [-1, 0]),
     lambda r: (normal(r, 2, 3, 4),)),
    ("reshape", lambda x: np.reshape(x, (4, -1)), lambda r: (normal(r, 2, 3, 4),)),
    ("reshape-int", lambda x: np.reshape(x, 6), lambda r: (ints(r, 2, 3),)),
    ("ravel", np.ravel, lambda r: (normal(r, 2, 3),)),
    ("ravel-0d", np.ravel, lambda r: (np.float64(r.normal()),)),
    ("squeeze", np.squeeze, lambda r: (normal(r, 1, 3, 1),)),
    ("squeeze-axis", lambda x: np.squeeze(x, axis=-1), lambda r: (normal(r, 1, 3, 1),)),
    ("expand_dims", lambda x: np.expand_dims(x, 1), lambda r: (normal(r, 2, 3),)),
    ("expand_dims-tuple", lambda x: np.expand_dims(x, (0, -1)), lambda r: (normal(r, 2, 3),)),
    ("broadcast_to", lambda x: np.broadcast_to(x, (2, 3, 4)), lambda r: (normal(r, 3, 1),)),
    ("broadcast_to-0d", lambda x: np.broadcast_to(x, 3), lambda r: (np.int32(4),)),
    ("atleast_1d", np.atleast_1d, lambda r: (np.float64(r.normal()),)),
    ("atleast_1d-several", np.atleast_1d, lambda r: (normal(r, 2), normal(r, 2, 2))),
    ("atleast_2d", np.atleast_2d, lambda r: (normal(r, 3),)),
    ("atleast_3d", np.atleast_3d, lambda r: (normal(r, 3),)),
    ("atleast_3d-2d", np.atleast_3d, lambda r: (normal(r, 2, 3),)),
    ("flip", np.flip, lambda r: (normal(r, 2, 3),)),
    ("flip-axis", lambda x: np.flip(x, axis=-1), lambda r: (normal(r, 2, 3),)),
    ("shape", lambda x: x + np.shape(x)[0], lambda r: (normal(r, 2, 3),)),
    ("ndim", lambda x: x * np.ndim(x), lambda r: (normal(r, 2, 3),)),
    ("size", lambda x: x * np.size(x) + np.size(x, 1), lambda r: (normal(r, 2, 3),)),
    ("copy", np.copy, lambda r: (normal(r, 2, 3),)),
    ("astype", lambda x: np.astype(x, np.float32), lambda r: (ints(r, 4),)),
]

JOIN_ROWS = [
    ("concatenate", lambda x, y: np.concatenate([x, y]), lambda r: (normal(r, 2, 3),
                                                                     normal(r, 4, 3))),
    ("concatenate-axis", lambda x, y: np.concatenate((x, y), axis=-1),
     lambda r: (normal(r, 2, 3), normal(r, 2, 1, dtype=F32))),
    ("concatenate-none", lambda x, y: np.concatenate([x, y], axis=None),
     lambda r: (normal(r, 2, 3), ints(r, 4))),
    ("concatenate-constant", lambda x: np.concatenate([x, np.arange(3.0)]),
     lambda r: (normal(r, 2),)),
    ("stack", lambda x, y: np.stack([x, y]), lambda r: (normal(r, 2, 3), normal(r, 2, 3))),
    ("stack-axis", lambda x, y: np.stack([x, y, x], axis=-1),
     lambda r: (normal(r, 2, 3), normal(r, 2, 3))),
    ("stack-scalars", lambda x, y: np.stack([x, y]), lambda r: (np.float64(1.5), np.float64(2))),
    ("hstack", lambda x, y: np.hstack([x, y]), lambda r: (normal(r, 2), normal(r, 3))),
    ("hstack-2d", lambda x, y: np.hstack([x, y]), lambda r: (normal(r, 2, 1), normal(r, 2, 3))),
    ("vstack", lambda x, y: np.vstack([x, y]), lambda r: (normal(r, 3), normal(r, 2, 3))),
    ("split", lambda x: np.split(x, 3), lambda r: (normal(r, 6, 2),)),
    ("split-indices", lambda x: np.split(x, [1, 3, 10], axis=1), lambda r: (normal(r, 2, 5),)),
    ("split-negative-and-unsorted", lambda x: np.split(x, [-2, 1]), lambda r: (normal(r, 5),)),
    ("array_split", lambda x: np.array_split(x, 3, axis=-1), lambda r: (normal(r, 2, 7),)),
    ("array_split-indices", lambda x: np.array_split(x, [2]), lambda r: (normal(r, 5),)),
]

CREATION_ROWS = [
    ("zeros_like", np.zeros_like, lambda r: (normal(r, 2, 3, dtype=F32),)),
    ("zeros_like-dtype", lambda x: np.zeros_like(x, dtype=np.int32), lambda r: (normal(r, 2),)),
    ("ones_like", lambda x: np.ones_like(x) + x, lambda r: (ints(r, 3),)),
    ("ones_like-shape", lambda x: np.ones_like(x, shape=(2, 2)), lambda r: (normal(r, 3),)),
    ("full_like", lambda x: np.full_like(x, 2.5), lambda r: (ints(r, 3),)),
    ("full_like-dtype", lambda x: np.full_like(x, 7, dtype=np.float32), lambda r: (normal(r, 3),)),
    ("full_like-array-fill", lambda x: np.full_like(x, [1.0, 2.0, 3.0]),
     lambda r: (normal(r, 2, 3),)),
]

ELEMENTWISE_FUNCTION_ROWS = [
    ("where", np.where, lambda r: (bools(r, 3, 4), normal(r, 3, 4), normal(r, 4))),
    ("where-weak", lambda c, x: np.where(c, x, 0.0), lambda r: (bools(r, 4),
                                                                 normal(r, 4, dtype=F32))),
    ("where-nonbool", lambda c, x: np.where(c, x, -x), lambda r: (ints(r, 4, low=0, high=2),
                                                                   normal(r, 4))),
    ("where-traced-condition", lambda x: np.where(x > 0, x, 0.1 * x),
     lambda r: (normal(r, 2, 3),)),
    ("clip", lambda x: np.clip(x, -0.5, 0.5), lambda r: (normal(r, 3, 4),)),
    ("clip-f32", lambda x: np.clip(x, 0.0, 1.0), lambda r: (normal(r, 4, dtype=F32),)),
    ("clip-one-sided", lambda x: np.clip(x, None, 0.2), lambda r: (normal(r, 4),)),
    ("clip-int-float-bounds", lambda x: np.clip(x, 0.5, 2.5), lambda r: (ints(r, 6),)),
    ("clip-array-bounds", np.clip, lambda r: (normal(r, 3, 4), -positive(r, 4), positive(r, 3, 1))),
    ("clip-keywords", lambda x: np.clip(x, min=-1, max=1), lambda r: (ints(r, 6),)),
]

CONTRACTION_ROWS = [
    ("dot", np.dot, lambda r: (normal(r, 4), normal(r, 4))),
    ("dot-2d", np.dot, lambda r: (normal(r, 2, 3), normal(r, 3, 4))),
    ("dot-2d-1d", np.dot, lambda r: (normal(r, 2, 3), normal(r, 3))),
    ("dot-1d-2d", np.dot, lambda r: (normal(r, 3), normal(r, 3, 4))),
    ("dot-nd", np.dot, lambda r: (normal(r, 2, 3, 4), normal(r, 5, 4, 2))),
    ("dot-scalar", np.dot, lambda r: (np.float64(2.5), normal(r, 3))),
    ("dot-f32-f64", np.dot, lambda r: (normal(r, 3, dtype=F32), normal(r, 3))),
    ("dot-f32-python-scalar", lambda x: np.dot(x, 2.0), lambda r: (normal(r, 3, dtype=F32),)),
    ("dot-int", np.dot, lambda r: (ints(r, 2, 3), ints(r, 3))),
    ("vdot", np.vdot, lambda r: (normal(r, 2, 3), normal(r, 3, 2))),
    ("inner", np.inner, lambda r: (normal(r, 2, 3), normal(r, 4, 3))),
    ("inner-1d", np.inner, lambda r: (normal(r, 3), normal(r, 3))),
    ("inner-scalar", np.inner, lambda r: (normal(r, 3), np.float64(2.0))),
    ("outer", np.outer, lambda r: (normal(r, 3), normal(r, 2, 2))),
    ("outer-f32-weak", lambda x: np.outer(x, 2.0), lambda r: (normal(r, 3, dtype=F32),)),
    ("matmul", np.matmul, lambda r: (normal(r, 2, 3), normal(r, 3, 4))),
    ("matmul-1d-1d", np.matmul, lambda r: (normal(r, 3), normal(r, 3))),
    ("matmul-1d-2d", np.matmul, lambda r: (normal(r, 3), normal(r, 3, 4))),
    ("matmul-2d-1d", np.matmul, lambda r: (normal(r, 2, 3), normal(r, 3))),
    ("matmul-3d-2d", np.matmul, lambda r: (normal(r, 5, 2, 3), normal(r, 3, 4))),
    ("matmul-2d-3d", np.matmul, lambda r: (normal(r, 2, 3), normal(r, 5, 3, 4))),
    ("matmul-batch-broadcast", np.matmul, lambda r: (normal(r, 5, 1, 2, 3),
                                                     normal(r, 4, 3, 6))),
    ("matmul-1d-batched", np.matmul, lambda r: (normal(r, 3), normal(r, 2, 3, 4))),
    ("matmul-batched-1d", np.matmul, lambda r: (normal(r, 2, 4, 3), normal(r, 3))),
    ("matmul-f32", np.matmul, lambda r: (normal(r, 2, 3, dtype=F32), normal(r, 3, 2, dtype=F32))),
    ("matmul-int", np.matmul, lambda r: (ints(r, 2, 3), ints(r, 3, 2))),
    ("matmul-bool", np.matmul, lambda r: (bools(r, 2, 3), bools(r, 3, 2))),
    ("tensordot", np.tensordot, lambda r: (normal(r, 2, 3, 4), normal(r, 3, 4, 5))),
    ("tensordot-1", lambda a, b: np.tensordot(a, b, 1), lambda r: (normal(r, 2, 3),
                                                                    normal(r, 3, 4))),
    ("tensordot-0", lambda a, b: np.tensordot(a, b, 0), lambda r: (normal(r, 2), normal(r, 3))),
    ("tensordot-pairs", lambda a, b: np.tensordot(a, b, axes=([0, -1], [2, 0])),
     lambda r: (normal(r, 2, 3, 4), normal(r, 4, 5, 2))),
    ("tensordot-int-axes", lambda a, b: np.tensordot(a, b, axes=(1, 0)),
     lambda r: (normal(r, 2, 3), normal(r, 3, 4))),
]

EINSUM_ROWS = [
    ("einsum-matmul", lambda a, b: np.einsum("ij,jk->ik", a, b),
     lambda r: (normal(r, 2, 3), normal(r, 3, 4))),
    ("einsum-implicit", lambda a, b: np.einsum("ij,jk", a, b),
     lambda r: (normal(r, 2, 3), normal(r, 3, 4))),
    ("einsum-implicit-order", lambda a: np.einsum("ba", a), lambda r: (normal(r, 2, 3),)),
    ("einsum-implicit-upper", lambda a, b: np.einsum("Ba,a", a, b),
     lambda r: (normal(r, 2, 3), normal(r, 3))),
    ("einsum-batch", lambda a, b: np.einsum("bij,bjk->bik", a, b),
     lambda r: (normal(r, 4, 2, 3), normal(r, 4, 3, 5))),
    ("einsum-batch-inner", lambda a, b: np.einsum("bi,bi->b", a, b),
     lambda r: (normal(r, 4, 3), normal(r, 4, 3))),
    ("einsum-transpose", lambda a: np.einsum("ijk->kij", a), lambda r: (normal(r, 2, 3, 4),)),
    ("einsum-sum-all", lambda a: np.einsum("ij->", a), lambda r: (normal(r, 2, 3),)),
    ("einsum-sum-axis", lambda a: np.einsum("ijk->ik", a), lambda r: (normal(r, 2, 3, 4),)),
    ("einsum-outer", lambda a, b: np.einsum("i,j->ij", a, b), lambda r: (normal(r, 2),
                                                                          normal(r, 3))),
    ("einsum-three", lambda a, b, c: np.einsum("ij,jk,kl->il", a, b, c),
     lambda r: (normal(r, 2, 3), normal(r, 3, 4), normal(r, 4, 5))),
    ("einsum-three-shared", lambda a, b, c: np.einsum("bi,bj,bk->bijk", a, b, c),
     lambda r: (normal(r, 2, 3), normal(r, 2, 2), normal(r, 2, 4))),
    ("einsum-sum-before-contracting", lambda a, b: np.einsum("ijx,jk->ik", a, b),
     lambda r: (normal(r, 2, 3, 5), normal(r, 3, 4))),
    ("einsum-ellipsis", lambda a, b: np.einsum("...ij,...jk->...ik", a, b),
     lambda r: (normal(r, 2, 1, 3, 4), normal(r, 5, 4, 2))),
    ("einsum-ellipsis-implicit", lambda a, b: np.einsum("...ij,...jk", a, b),
     lambda r: (normal(r, 2, 3, 4), normal(r, 2, 4, 2))),
    ("einsum-broadcast-label", lambda a, b: np.einsum("i,i->", a, b),
     lambda r: (normal(r, 1), normal(r, 3))),
    ("einsum-spaces-f32", lambda a, b: np.einsum("i j , j -> i", a, b),
     lambda r: (normal(r, 2, 3, dtype=F32), normal(r, 3, dtype=F32))),
    ("einsum-mixed-dtypes", lambda a, b: np.einsum("ij,j->i", a, b),
     lambda r: (normal(r, 2, 3, dtype=F32), ints(r, 3))),
]

NORM_ROWS = [
    ("norm", np.linalg.norm, lambda r: (normal(r, 3, 4),)),
    ("norm-vector", np.linalg.norm, lambda r: (normal(r, 5, dtype=F32),)),
    ("norm-int", np.linalg.norm, lambda r: (ints(r, 5),)),
    ("norm-axis", lambda x: np.linalg.norm(x, axis=1), lambda r: (normal(r, 3, 4),)),
    ("norm-axis-keepdims", lambda x: np.linalg.norm(x, axis=-1, keepdims=True),
     lambda r: (normal(r, 2, 3, 4),)),
    ("norm-ord1", lambda x: np.linalg.norm(x, ord=1), lambda r: (normal(r, 5),)),
    ("norm-ordinf", lambda x: np.linalg.norm(x, ord=np.inf, axis=0), lambda r: (normal(r, 3, 4),)),
    ("norm-ord-neg-inf", lambda x: np.linalg.norm(x, ord=-np.inf), lambda r: (normal(r, 5),)),
    ("norm-ord0", lambda x: np.linalg.norm(x, ord=0, axis=1),
     lambda r: (normal(r, 3, 4) * ints(r, 3, 4, low=0, high=2),)),
    ("norm-ord3", lambda x: np.linalg.norm(x, ord=3), lambda r: (normal(r, 5),)),
    ("norm-ord2-vector", lambda x: np.linalg.norm(x, ord=2), lambda r: (normal(r, 5),)),
    ("norm-fro", lambda x: np.linalg.norm(x, ord="fro"), lambda r: (normal(r, 3, 4),)),
    ("norm-matrix-axes", lambda x: np.linalg.norm(x, axis=(0, 2)), lambda r: (normal(r, 2, 3, 4),)),
    ("norm-matrix-1", lambda x: np.linalg.norm(x, ord=1), lambda r: (normal(r, 3, 4),)),
    ("norm-matrix-neg1", lambda x: np.linalg.norm(x, ord=-1, axis=(2, 0)),
     lambda r: (normal(r, 2, 3, 4),)),
    ("norm-matrix-inf", lambda x: np.linalg.norm(x, ord=np.inf, keepdims=True),
     lambda r: (normal(r, 3, 4),)),
    ("norm-matrix-neg-inf", lambda x: np.linalg.norm(x, ord=-np.inf, axis=(1, 0)),
     lambda r: (normal(r, 3, 4),)),
]

TAKE_ROWS = [
    ("take", np.take, lambda r: (normal(r, 3, 4), np.array([0, 5, -1]))),
    ("take-axis", lambda x: np.take(x, [[1, -1], [0, 0]], axis=-1), lambda r: (normal(r, 3, 4),)),
    ("take-traced-indices", lambda x, i: np.take(x, i, axis=0),
     lambda r: (normal(r, 3, 4), np.array([2, -3, 1]))),
    ("take-clip", lambda x: np.take(x, [-5, 1, 9], mode="clip"), lambda r: (normal(r, 4),)),
    ("take-wrap", lambda x, i: np.take(x, i, mode="wrap"), lambda r: (normal(r, 4),
                                                                     np.array([-5, 1, 9]))),
]

ROWS = (UFUNC_ROWS + REDUCTION_ROWS + SHAPE_ROWS + JOIN_ROWS + CREATION_ROWS
        + ELEMENTWISE_FUNCTION_ROWS + CONTRACTION_ROWS + EINSUM_ROWS + NORM_ROWS + TAKE_ROWS)


@pytest.mark.parametrize("fn, make_args", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_traced_function_matches_numpy(check, rng, fn, make_args):
    with np.errstate(divide="ignore", invalid="ignore"):  # rows that divide by zero on purpose
        check(fn, *make_args(rng))


def _supported_names():
    names = {f.__name__ for f in numpy_api.FUNCTIONS} | {u.__name__ for u in numpy_api.UFUNCS}
    return sorted(names)


def test_every_supported_name_has_a_row():
    covered = {row_id.split("-")[0] for row_id, _, _ in ROWS}
    assert [n for n in _supported_names() if n not in covered] == []


def test_every_supported_name_is_documented():
    doc = (pathlib.Path(__file__).parents[2] / numpy_api.SUPPORTED_DOC).read_text()
    assert [n for n in _supported_names() if f"`{n}`" not in doc and f".{n}`" not in doc] == []


@pytest.mark.parametrize("np_fn, args", [
    (np.sum, lambda r: (normal(r, 3, 4), 1)),
    (np.matmul, lambda r: (normal(r, 5, 2, 3), normal(r, 3, 4))),
    (np.einsum, lambda r: ("ij,jk->ki", normal(r, 2, 3), normal(r, 3, 4))),
    (np.var, lambda r: (normal(r, 6), None, None, None, 1)),
    (np.split, lambda r: (normal(r, 6, 2), [2, 3])),
    (np.linalg.norm, lambda r: (normal(r, 3, 4), 1)),
    (np.logaddexp, lambda r: (normal(r, 3), normal(r, 3))),
], ids=lambda v: getattr(v, "__name__", ""))
def test_functions_run_on_plain_arrays(rng, np_fn, args):
    # The same compositions serve the dynamic mode: on NumPy arrays, `bind` runs each
    # op's implementation, and the result is NumPy's.
    fn = numpy_api.FUNCTIONS.get(np_fn) or numpy_api.UFUNCS[np_fn]
    values = args(rng)
    assert_same(fn(*values), np_fn(*values))


def test_array_methods_are_registered():
    expected = {"sum", "mean", "prod", "max", "min", "argmax", "argmin", "var", "std", "ravel",
                "squeeze", "flatten", "swapaxes", "clip", "dot", "cumsum", "take", "all", "any",
                "copy"}
    assert expected <= set(numpy_api.METHODS)
