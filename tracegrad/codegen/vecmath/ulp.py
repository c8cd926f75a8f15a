"""Measuring accuracy: errors in units in the last place (ulps)."""

from __future__ import annotations

import numpy as np


def ulp_error(got: np.ndarray, ref: np.ndarray, dtype) -> np.ndarray:
    """|got - ref| in ulps of the correctly rounded result, with `ref` in extended
    precision; equal NaNs and equal infinities count 0.

    >>> float(ulp_error(np.array([1.0]), np.array([1.0], np.longdouble), np.float64)[0])
    0.0
    """
    ref = np.asarray(ref, np.longdouble)
    with np.errstate(all="ignore"):
        rounded = ref.astype(dtype)
        ulp = np.spacing(np.abs(rounded)).astype(np.longdouble)
        ulp = np.where(np.isfinite(ulp), ulp, np.spacing(np.finfo(dtype).max))
        ulp = np.maximum(ulp, np.finfo(dtype).smallest_subnormal)
        err = np.abs(got.astype(np.longdouble) - ref) / ulp
    same = (np.isnan(got) & np.isnan(rounded)) | (np.isinf(got) & (got == rounded))
    return np.where(same, 0.0, err)
