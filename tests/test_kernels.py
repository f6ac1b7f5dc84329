"""The compiled copy kernel writes exactly the bytes of the NumPy kernels; kernel choice per batch."""
import contextlib

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


# ------------------------------------------------------------------ one compiled pass per batch
@contextlib.contextmanager
def numpy_only():
    """Run the block as if numba were not installed, then restore the kernels."""
    missing = object()
    saved = _kernels._STATE.get("kernel", missing)
    _kernels._STATE["kernel"] = None
    try:
        yield
    finally:
        if saved is missing:
            _kernels._STATE.pop("kernel", None)
        else:
            _kernels._STATE["kernel"] = saved


def _need_compiled():
    if _kernels._compiled() is None:
        pytest.skip("numba not installed")


@st.composite
def ragged_sets(draw):
    dtype = draw(st.sampled_from(DTYPES))
    F = draw(st.integers(1, 4))
    lengths = draw(st.lists(st.integers(0, 9), min_size=1, max_size=12))
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    values = (rng.normal(size=(sum(lengths), F)) * 50).astype(dtype)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    idx = np.array(draw(st.lists(st.integers(0, len(lengths) - 1), min_size=1, max_size=10)), dtype=np.int64)
    T = draw(st.integers(1, 12))
    if dtype == "bool":
        value = draw(st.booleans())
    else:
        value = draw(st.sampled_from([0, 1, 7] if dtype.startswith("u") else [0, 1, -3]))
    return values, offsets, idx, T, draw(st.booleans()), draw(st.booleans()), value, dtype


@settings(max_examples=120, deadline=None)
@given(ragged_sets())
def test_gather_kernel_writes_rows_mask_and_lengths_like_numpy(case):
    _need_compiled()
    values, offsets, idx, T, post, pre_trunc, value, dtype = case
    F = values.shape[1]
    L = offsets[idx + 1] - offsets[idx]
    counts = np.minimum(L, T)
    starts = offsets[idx] + np.where(pre_trunc, L - counts, 0)
    ref = _reference(values, starts, counts, idx.size, T, F, post, value, dtype)
    ref_mask = seqfeed.core._copy.length_mask(counts, T, "post" if post else "pre")
    out = np.full((idx.size, T, F), 5, dtype=dtype)
    mask = np.zeros((idx.size, T), dtype=bool)
    lengths = np.full(idx.size, -1, dtype=np.int64)
    _kernels.gather_rows(values, offsets, idx, out, post=post, pre_trunc=pre_trunc, value=value, mask=mask,
                         lengths=lengths)
    assert out.tobytes() == ref.tobytes()
    assert np.array_equal(mask, ref_mask) and np.array_equal(lengths, counts)


@settings(max_examples=60, deadline=None)
@given(ragged_sets(), st.sampled_from(["pre", "post"]), st.sampled_from([None, 3]))
def test_pad_set_is_byte_identical_with_and_without_numba(case, truncating, multiple_of):
    _need_compiled()
    from seqfeed.core._pad import pad_set

    values, offsets, idx, T, post, _, value, dtype = case
    s = seqfeed.SequenceSet(values, offsets)
    kw = dict(indices=idx, padding="post" if post else "pre", truncating=truncating, value=value, dtype=dtype)
    kw.update(maxlen=T) if multiple_of is None else kw.update(multiple_of=multiple_of)
    if multiple_of is not None and s.lengths[idx].max() == 0:
        return  # T == 0: an empty batch, no kernel
    with numpy_only():
        a = pad_set(s, **kw)
    b = pad_set(s, **kw)
    assert a.x.dtype == b.x.dtype and a.x.shape == b.x.shape and a.x.tobytes() == b.x.tobytes()
    assert np.array_equal(a.mask, b.mask) and np.array_equal(a.lengths, b.lengths)
    assert a.lengths.dtype == b.lengths.dtype == np.int64


def test_array_header_layout_is_verified_on_this_interpreter():
    _need_compiled()
    layout = _kernels._compiled()["layout"]
    assert layout is not None  # CPython with the GIL: the list kernels are in use
    arrays = [np.arange(5, dtype=np.float32).reshape(5, 1) * k for k in range(3)]
    found = _kernels.array_list_lengths(arrays, np.dtype(np.float32), (1,))
    assert found is not None and found[1].tolist() == [5, 5, 5]
    assert _kernels.array_list_lengths(arrays, np.dtype(np.float64), (1,)) is None  # another dtype
    assert _kernels.array_list_lengths(arrays, np.dtype(np.float32), (2,)) is None  # another step shape
    assert _kernels.array_list_lengths(arrays + [arrays[0][::2]], np.dtype(np.float32), (1,)) is None  # strided
    assert _kernels.array_list_lengths(arrays + [[1.0]], np.dtype(np.float32), (1,)) is None  # not an array
    assert _kernels.array_list_lengths(arrays + [np.ma.masked_array(arrays[0])], np.dtype(np.float32),
                                       (1,)) is None  # a subclass
    assert _kernels.array_list_lengths(tuple(arrays), np.dtype(np.float32), (1,)) is None  # only lists


def test_numba_is_not_needed_for_the_same_padding():
    rng = np.random.default_rng(3)
    seqs = [rng.normal(size=(k, 2)).astype("float32") for k in rng.integers(0, 30, 50)]
    with numpy_only():
        a = seqfeed.pad(seqs, padding="pre", maxlen=20, value=-1.0)
        k = seqfeed.pad_sequences(seqs, dtype="float32", maxlen=20, truncating="post")
    b = seqfeed.pad(seqs, padding="pre", maxlen=20, value=-1.0)
    assert a.x.tobytes() == b.x.tobytes() and np.array_equal(a.mask, b.mask)
    assert np.array_equal(a.lengths, b.lengths)
    assert k.tobytes() == seqfeed.pad_sequences(seqs, dtype="float32", maxlen=20, truncating="post").tobytes()


@settings(max_examples=60, deadline=None)
@given(ragged_sets())
def test_longest_kernel_equals_numpy_max(case):
    _need_compiled()
    _, offsets, idx, *_ = case
    longest = _kernels._compiled()["longest"]
    assert longest(offsets, idx) == int(np.diff(offsets)[idx].max())
    assert longest(offsets, idx[:0]) == 0


@settings(max_examples=40, deadline=None)
@given(ragged_sets(), st.booleans())
def test_set_padder_equals_pad_set(case, post):
    _need_compiled()
    from seqfeed.core import SetPadder
    from seqfeed.core._pad import pad_set

    values, offsets, idx, T, _, _, value, dtype = case
    s = seqfeed.SequenceSet(values, offsets)
    padder = SetPadder(s, dtype=dtype, value=value, padding="post" if post else "pre")
    if not padder.usable:
        return  # a set without steps: the loader pads it with pad_set
    T = padder.longest(idx)
    assert T == int(s.lengths[idx].max())
    if T == 0 or not padder.ready(1):
        return
    buf = np.full(idx.size * T * s.n_features + 3, 9, dtype=dtype)
    x, mask, lengths = padder.pad(idx, T, buf)
    ref = pad_set(s, indices=idx, padding="post" if post else "pre", value=value, dtype=dtype)
    assert x.shape == ref.x.shape and x.tobytes() == ref.x.tobytes()
    assert np.array_equal(mask, ref.mask) and np.array_equal(lengths, ref.lengths)
    assert np.shares_memory(x, buf) and not np.shares_memory(mask, buf)


def test_unchecked_batch_equals_a_checked_one():
    x, mask, lengths = np.zeros((2, 3, 1), "float32"), np.ones((2, 3), bool), np.array([3, 3])
    a = seqfeed.Batch(x=x, mask=mask, lengths=lengths, index=np.arange(2), padding="pre")
    b = seqfeed.Batch._unchecked(x, mask, lengths, None, np.arange(2), "pre")
    assert vars(a).keys() == vars(b).keys()
    assert all(np.array_equal(vars(a)[k], vars(b)[k]) if isinstance(vars(a)[k], np.ndarray) else vars(a)[k] == vars(b)[k]
               for k in vars(a))
