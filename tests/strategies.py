"""Hypothesis strategies shared by the tests."""
import numpy as np
from hypothesis import strategies as st


@st.composite
def ragged(draw, *, max_n=8, max_len=12, min_len=0, features=None, dtype="float32", allow_1d=True):
    """A list of (T_i, F) arrays (or (T_i,) when F == 1 and allow_1d), some with all-zero steps."""
    n = draw(st.integers(1, max_n))
    F = features if features is not None else draw(st.integers(1, 4))
    one_d = allow_1d and F == 1 and draw(st.booleans())
    seed = draw(st.integers(0, 2**31 - 1))
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        L = draw(st.integers(min_len, max_len))
        if np.dtype(dtype).kind == "f":
            a = rng.normal(size=(L, F)).astype(dtype)
        else:
            a = rng.integers(-50, 50, size=(L, F)).astype(dtype)
        if L and draw(st.booleans()):
            a[rng.integers(0, L)] = 0  # a real all-zero step
        out.append(a[:, 0] if one_d else a)
    return out


def as2d(a, F=None):
    a = np.asarray(a)
    if a.ndim == 1:
        return a.reshape(-1, 1) if F is None else a.reshape(a.shape[0], F if a.size == 0 else 1)
    return a
