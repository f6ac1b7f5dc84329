"""The compiled copy kernel writes exactly the bytes of the NumPy kernels; kernel choice per batch."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqfeed
from seqfeed.core import _kernels
from seqfeed.core._copy import fill_padded
from seqfeed.core._kernels import fill_rows, fill_rows_numpy

def test_numba_is_imported_only_after_enough_work():
    import subprocess
    import sys
    import textwrap

    code = textwrap.dedent("""
        import sys
        import numpy as np
        import seqfeed
        from seqfeed.core import _kernels
        seqfeed.pad([np.ones((5, 2), "float32")] * 3)
        print("SMALL", "numba" in sys.modules, "kernel" in _kernels._STATE)
    """)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)  # a fresh process:
    assert res.stdout.split() == ["SMALL", "False", "False"], res.stdout + res.stderr  # numba not loaded yet


DTYPES = ["float32", "float64", "int32", "int64", "int8", "uint16", "bool"]


def _reference(values, starts, counts, B, T, F, post, value, dtype):
    out = np.full((B, T, F), value, dtype=dtype)
    for i, (a, n) in enumerate(zip(starts, counts)):
        if n:
            rows = values[a:a + n]
            if post:
                out[i, :n] = rows
            else:
                out[i, T - n:] = rows
    return out


@st.composite
def ragged_rows(draw):
    dtype = draw(st.sampled_from(DTYPES))
    F = draw(st.integers(1, 5))
    N = draw(st.integers(0, 60))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    values = (rng.normal(size=(N, F)) * 50).astype(dtype)
    B = draw(st.integers(1, 7))
    T = draw(st.integers(0, 12))
    counts = np.array([draw(st.integers(0, min(T, N))) for _ in range(B)], dtype=np.int64)
    starts = np.array([draw(st.integers(0, N - c)) for c in counts], dtype=np.int64)
    value = draw(st.sampled_from([0, 1, 7])) if dtype != "bool" else draw(st.booleans())
    return values, starts, counts, B, T, F, draw(st.booleans()), value, dtype


@settings(max_examples=150, deadline=None)
@given(ragged_rows())
def test_compiled_kernel_is_byte_identical_to_numpy(case):
    pytest.importorskip("numba")
    values, starts, counts, B, T, F, post, value, dtype = case
    ref = _reference(values, starts, counts, B, T, F, post, value, dtype)
    a = np.empty((B, T, F), dtype=dtype)
    b = np.empty((B, T, F), dtype=dtype)
    fill_rows_numpy(values, starts, counts, a, post=post, value=value)
    assert fill_rows(values, starts, counts, b, post=post, value=value, compiled=True) in ("compiled", "empty")
    assert a.tobytes() == ref.tobytes() and b.tobytes() == ref.tobytes()


@settings(max_examples=80, deadline=None)
@given(ragged_rows(), st.sampled_from(["compiled", "rows", "scatter"]))
def test_every_kernel_of_fill_padded_agrees(case, kernel):
    if kernel == "compiled":
        pytest.importorskip("numba")
    values, starts, counts, B, T, F, post, value, dtype = case
    ref = _reference(values, starts, counts, B, T, F, post, value, dtype)
    out = np.empty((B, T, F), dtype=dtype)
    fill_padded(values, starts, counts, out, padding="post" if post else "pre", value=value, kernel=kernel)
    assert out.tobytes() == ref.tobytes()


def test_numpy_path_without_numba_is_identical(monkeypatch):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(k, 3)).astype("float32") for k in rng.integers(0, 40, 200)]
    monkeypatch.setitem(_kernels._STATE, "kernel", None)  # as if numba were not installed
    assert not _kernels.compiled_available()
    a = seqfeed.pad(seqs, padding="pre", value=-1.0).x
    monkeypatch.delitem(_kernels._STATE, "kernel")
    if _kernels._compiled() is not None:
        b = seqfeed.pad(seqs, padding="pre", value=-1.0).x
        assert a.tobytes() == b.tobytes()


def test_kernel_is_chosen_per_batch_by_bytes_per_row(monkeypatch):
    monkeypatch.setitem(_kernels._STATE, "kernel", None)
    rng = np.random.default_rng(2)
    long_rows = rng.normal(size=(64 * 300, 8)).astype("float32")  # 300 steps x 32 bytes per row
    starts = np.arange(64, dtype=np.int64) * 300
    out = np.empty((64, 300, 8), dtype="float32")
    assert fill_padded(long_rows, starts, np.full(64, 300), out, padding="post", value=0.0) == "rows"
    tokens = rng.integers(0, 100, size=(64 * 20, 1)).astype("int32")  # 20 tokens x 4 bytes per row
    out = np.empty((64, 20, 1), dtype="int32")
    assert fill_padded(tokens, np.arange(64) * 20, np.full(64, 20), out, padding="post", value=0) == "scatter"


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(0, 9), min_size=1, max_size=12), st.sampled_from(["int32", "float32", "int64"]),
       st.sampled_from([None, 0, 3, 20]), st.sampled_from(["pre", "post"]), st.sampled_from(["pre", "post"]),
       st.sampled_from([0, -1, 2]), st.sampled_from([1, 2]))
def test_pad_sequences_fast_path_equals_general_path(lengths, dtype, maxlen, padding, truncating, value, rank):
    rng = np.random.default_rng(sum(lengths))
    arrays = [(rng.normal(size=(n,) if rank == 1 else (n, 2)) * 20).astype(dtype) for n in lengths]
    fast = seqfeed.pad_sequences(arrays, maxlen=maxlen, dtype=dtype, padding=padding, truncating=truncating,
                                 value=value)
    general = seqfeed.pad_sequences([a.tolist() for a in arrays], maxlen=maxlen, dtype=dtype, padding=padding,
                                    truncating=truncating, value=value)
    assert fast.dtype == general.dtype and fast.shape == general.shape
    assert fast.tobytes() == general.tobytes()


def test_pad_sequences_fast_path_leaves_casts_to_the_general_path():
    arrays = [np.array([1.5, 2.0]), np.array([3.0])]
    with pytest.warns(seqfeed.SeqfeedWarning, match="truncates"):
        out = seqfeed.pad_sequences(arrays)  # float64 into int32: the general path warns
    assert out.tolist() == [[1, 2], [0, 3]]
    mixed = [np.array([1, 2], dtype="int16"), np.array([3], dtype="int32")]  # safe casts: fast path
    assert seqfeed.pad_sequences(mixed, padding="post").tolist() == [[1, 2], [3, 0]]
