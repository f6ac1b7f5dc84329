"""Fuzz tests: generated (mostly bad) inputs through every public entry point of ``seqfeed``.

For each generated input the call must either raise a ``SeqfeedError`` or return a result
that an independent, deliberately simple reference (written here, loops and all) agrees
with; it must never raise another exception and never modify its input
(``strategies.fuzz_call`` checks all three and counts them).
"""
import math
import numbers

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import seqfeed as sf
from seqfeed import metrics
from strategies import (DTYPES, GOOD_AND_BAD_INTS, SIDES, VALUES, fuzz_call, messy_arrays,
                        messy_sequences, same)

pytestmark = pytest.mark.fuzz
FUZZ_SETTINGS = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                                HealthCheck.data_too_large])


class Invalid(Exception):
    """The reference finds the input unusable: the library must raise, not return."""


# --------------------------------------------------------------------------- references
def ref_sequences(seqs):
    """Reference reading of a list of sequences: list of 2-D arrays and F, or Invalid."""
    if isinstance(seqs, np.ndarray) and seqs.dtype == object:
        seqs = list(seqs)
    if not isinstance(seqs, (list, tuple)):
        raise Invalid("not a list")
    arrs = []
    for s in seqs:
        if s is None or isinstance(s, (numbers.Number, str, bytes)):
            raise Invalid("scalar element")
        try:
            a = np.asarray(s)
        except ValueError:
            raise Invalid("ragged rows") from None
        if a.dtype.kind not in "biuf" or a.ndim not in (1, 2):
            raise Invalid("not numeric 1-D/2-D")
        arrs.append(a)
    feats = {a.shape[1] if a.ndim == 2 else 1 for a in arrs if not (a.ndim == 1 and a.shape[0] == 0)}
    if len(feats) > 1:
        raise Invalid("feature counts differ")
    F = feats.pop() if feats else (arrs[0].shape[1] if arrs and arrs[0].ndim == 2 else 1)
    out = []
    for a in arrs:
        out.append(a.reshape(-1, 1) if a.ndim == 1 and a.shape[0] else (a.reshape(0, F) if a.ndim == 1 else a))
    return out, F


def float64_sequences(seqs):
    """The reference's arrays of a generated input as float64, and F; ``([], None)`` when it is invalid."""
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        return [], None
    return [a.astype(np.float64) for a in arrs], F


def ref_pad(arrs, F, *, maxlen, padding, truncating, value, dtype):
    """(x, mask, lengths) by a plain loop."""
    dt = np.dtype(dtype)
    lens = [a.shape[0] for a in arrs]
    T = maxlen if maxlen is not None else max(lens, default=0)
    B = len(arrs)
    if (B + 1) * T * F * dt.itemsize > 1 << 40:
        raise Invalid("too large for any memory")
    x = np.full((B, T, F), value, dtype=dt)
    mask = np.zeros((B, T), dtype=bool)
    counts = []
    for i, a in enumerate(arrs):
        k = min(a.shape[0], T)
        part = (a[a.shape[0] - k:] if truncating == "pre" else a[:k])
        counts.append(k)
        if dt.kind in "iu" and part.dtype.kind == "f" and part.size:
            info = np.iinfo(dt)
            if not np.isfinite(part).all() or part.min() < info.min or part.max() > info.max:
                raise Invalid("float data that the integer dtype cannot hold")
        for t in range(k):
            pos = t if padding == "post" else T - k + t
            x[i, pos] = part[t].astype(dt)
            mask[i, pos] = True
    return x, mask, np.array(counts, dtype=np.int64)


def valid_int(v, minimum=0, allow_none=True):
    if v is None:
        return allow_none
    return isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= minimum


def ref_value_ok(value, dt):
    if isinstance(value, (bool, np.bool_)) and dt.kind == "b":
        return True
    if not isinstance(value, numbers.Real):
        return False
    if dt.kind in "iub":
        if not math.isfinite(float(value)) or float(value) != int(value):
            return False
        if dt.kind != "b":
            info = np.iinfo(dt)
            return info.min <= int(value) <= info.max
    return True


def ref_dtype(dtype):
    try:
        dt = np.dtype(dtype)
    except TypeError:
        return None
    return dt if dt.kind in "biuf" else None


def check_batch(b, x, mask, lengths):
    assert b.x.shape == x.shape, (b.x.shape, x.shape)
    assert b.x.dtype == x.dtype
    assert same(np.asarray(b.x), x), "padded values differ from the reference"
    assert np.array_equal(b.mask, mask), "mask differs from the reference"
    assert np.array_equal(b.lengths, lengths), "lengths differ from the reference"


# --------------------------------------------------------------------------- pad
@FUZZ_SETTINGS
@given(seqs=messy_sequences(), maxlen=GOOD_AND_BAD_INTS, padding=SIDES, truncating=SIDES,
       value=VALUES, dtype=DTYPES)
def test_pad(seqs, maxlen, padding, truncating, value, dtype):
    def expected():
        if padding not in ("pre", "post") or truncating not in ("pre", "post"):
            raise Invalid("side")
        if not valid_int(maxlen):
            raise Invalid("maxlen")
        dt = ref_dtype(dtype)
        if dt is None or not ref_value_ok(value, dt):
            raise Invalid("dtype/value")
        arrs, F = ref_sequences(seqs)
        return ref_pad(arrs, F, maxlen=maxlen, padding=padding, truncating=truncating, value=value,
                       dtype=dt)

    try:
        ref, why = expected(), None
    except Invalid as e:
        ref, why = None, str(e)
    fuzz_call(lambda: sf.pad(seqs, maxlen=maxlen, padding=padding, truncating=truncating, value=value,
                             dtype=dtype),
              inputs=[seqs], verify=lambda b: check_batch(b, *ref), expect_error=why)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), reuse=st.sampled_from(["exact", "flat", "small", "wrong_dtype", "alias",
                                                      "readonly", "list"]))
def test_pad_out_buffer(seqs, reuse):
    try:
        arrs, F = ref_sequences(seqs)
        ref = ref_pad(arrs, F, maxlen=None, padding="post", truncating="pre", value=0.0, dtype="float32")
    except Invalid:
        fuzz_call(lambda: sf.pad(seqs, out=np.empty(10, np.float32)), inputs=[seqs], expect_error="bad seqs")
        return
    x = ref[0]
    if reuse == "exact":
        out = np.full(x.shape, 7, np.float32)
    elif reuse == "flat":
        out = np.full(x.size + 5, 7, np.float32)
    elif reuse == "small":
        out = np.zeros(max(x.size - 1, 0), np.float32)
    elif reuse == "wrong_dtype":
        out = np.zeros(x.shape, np.float64)
    elif reuse == "readonly":
        out = np.zeros(x.shape, np.float32)
        out.flags.writeable = False
    elif reuse == "list":
        out = [0.0] * x.size
    else:  # the input lives inside the output buffer
        total = sum(a.size for a in arrs)
        out = np.zeros(x.size + total + 3, np.float32)
        pos, moved = 3, []
        for a in arrs:
            view = out[pos:pos + a.size].reshape(a.shape)
            view[...] = a
            moved.append(view)
            pos += a.size
        seqs, arrs = moved, moved
        ref = ref_pad([a.copy() for a in arrs], F, maxlen=None, padding="post", truncating="pre", value=0.0,
                      dtype="float32")
    bad = reuse in ("small", "wrong_dtype", "readonly", "list") and not (reuse == "small" and x.size == 0)
    fuzz_call(lambda: sf.pad(seqs, out=out), inputs=[] if reuse == "alias" else [seqs],
              verify=lambda b: check_batch(b, *ref), expect_error="bad out" if bad else None)


@FUZZ_SETTINGS
@given(x=messy_arrays(), lengths=st.one_of(st.none(), st.lists(st.integers(-1, 5), max_size=5),
                                           st.sampled_from([[1.5], [1.0, 2.0], "ab", [[1]]])),
       mask_kind=st.sampled_from([None, "from_lengths", "random", "int01", "wrong_shape"]),
       input_padding=st.sampled_from(["auto", "post", "pre", "mid"]),
       layout=st.sampled_from([None, None, "batch_time", "time_features", "bogus"]),
       padding=st.sampled_from(["post", "pre"]), seed=st.integers(0, 1000))
def test_as_lstm_input_dense(x, lengths, mask_kind, input_padding, layout, padding, seed):
    rng = np.random.default_rng(seed)
    mask = None
    if mask_kind is not None and x.ndim >= 2:
        B, T = x.shape[:2]
        if mask_kind == "random":
            mask = rng.random((B, T)) > 0.5
        elif mask_kind == "wrong_shape":
            mask = np.ones((B + 1, T), bool)
        else:
            L = rng.integers(0, T + 1, size=B)
            side = "pre" if input_padding == "pre" else "post"
            steps = np.arange(T)
            mask = steps < L[:, None] if side == "post" else steps >= (T - L)[:, None]
            if mask_kind == "int01":
                mask = mask.astype(np.int64)

    def expected():
        if input_padding not in ("auto", "pre", "post") or (layout is not None and layout not in
                                                             ("batch_time", "time_features")):
            raise Invalid("option")
        if x.dtype == object and x.ndim == 1 and x.size == 0 and lengths is None and mask is None:
            return ref_pad([], 1, maxlen=None, padding=padding, truncating="pre", value=0.0, dtype="float32")
        if x.dtype.kind not in "biuf":
            raise Invalid("dtype")
        a = x
        if a.ndim == 2 and layout == "batch_time":
            a = a[:, :, None]
        elif a.ndim == 3 and layout is not None:
            raise Invalid("layout with 3-D")
        if a.ndim != 3:
            if lengths is not None or mask is not None:
                raise Invalid("lengths for a lone sequence")
            if a.ndim == 2 and layout is None:
                raise Invalid("ambiguous 2-D")
            if a.ndim == 2:
                seq = a
            elif a.ndim == 1:
                seq = a.reshape(-1, 1)
            else:
                raise Invalid("ndim")
            return ref_pad([seq], seq.shape[1], maxlen=None, padding=padding, truncating="pre",
                           value=0.0, dtype="float32")
        B, T, F = a.shape
        Ls, side = None, ("post" if input_padding == "auto" else input_padding)
        if lengths is not None:
            la = np.asarray(lengths)
            if la.shape != (B,):
                raise Invalid("lengths shape")
            if la.dtype.kind not in "iu":
                if la.dtype.kind == "f" and np.all(la == np.round(la)):
                    la = la.astype(np.int64)
                else:
                    raise Invalid("lengths dtype")
            if la.size and (la.min() < 0 or la.max() > T):
                raise Invalid("lengths range")
            Ls = la.astype(np.int64)
        if mask is not None:
            m = np.asarray(mask).astype(bool) if np.asarray(mask).dtype != bool else mask
            if m.shape != (B, T):
                raise Invalid("mask shape")
            Lm = m.sum(axis=1)
            steps = np.arange(T)
            post = (m == (steps < Lm[:, None])).all(axis=1)
            pre = (m == (steps >= (T - Lm)[:, None])).all(axis=1)
            if input_padding == "auto":
                side = "post" if post.all() else ("pre" if pre.all() else None)
                if side is None:
                    raise Invalid("mask holes")
            elif not (post if side == "post" else pre).all():
                raise Invalid("mask not one run")
            if Ls is not None and not np.array_equal(Ls, Lm):
                raise Invalid("lengths disagree with mask")
            Ls = Lm
        if Ls is None:
            Ls = np.full(B, T)
        seqs = [a[i, :Ls[i]] if side == "post" else a[i, T - Ls[i]:] for i in range(B)]
        return ref_pad(seqs, F, maxlen=None, padding=padding, truncating="pre", value=0.0, dtype="float32")

    try:
        ref, why = expected(), None
    except Invalid as e:
        ref, why = None, str(e)
    fuzz_call(lambda: sf.as_lstm_input(x, lengths=lengths, mask=mask, input_padding=input_padding,
                                       layout=layout, padding=padding),
              inputs=[x, lengths, mask], verify=lambda b: check_batch(b, *ref), expect_error=why)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), padding=st.sampled_from(["post", "pre"]), maxlen=st.sampled_from([None, 0, 2, 5]))
def test_as_lstm_input_lists_and_sets(seqs, padding, maxlen):
    try:
        arrs, F = ref_sequences(seqs)
        ref, why = ref_pad(arrs, F, maxlen=maxlen, padding=padding, truncating="pre", value=0.0,
                           dtype="float32"), None
    except Invalid as e:
        ref, why = None, str(e)
    # a flat list of numbers is one series
    if isinstance(seqs, list) and seqs and all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                               for v in seqs):
        return
    fuzz_call(lambda: sf.as_lstm_input(seqs, padding=padding, maxlen=maxlen), inputs=[seqs],
              verify=lambda b: check_batch(b, *ref), expect_error=why)
    if ref is not None:
        s, err = fuzz_call(lambda: sf.as_sequence_set(seqs), inputs=[seqs],
                           verify=lambda s: check_set(s, arrs, F))
        if s is not None:
            fuzz_call(lambda: sf.as_lstm_input(s, padding=padding, maxlen=maxlen), inputs=[s],
                      verify=lambda b: check_batch(b, *ref))


# --------------------------------------------------------------------------- pad_sequences
def keras_pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre", value=0.0):
    """The Keras algorithm as shared/REFERENCE.md describes it (loop per sequence)."""
    n = len(sequences)
    lens, step_shape, found = [], (), False
    for s in sequences:
        lens.append(len(s))
        if not found and len(s):
            step_shape, found = np.asarray(s).shape[1:], True
    if maxlen is None:
        maxlen = max(lens)
    if maxlen * n > 1 << 36:
        raise Invalid("too large for any memory")
    x = np.full((n, maxlen) + step_shape, value, dtype=dtype)
    for i, s in enumerate(sequences):
        if not len(s):
            continue
        if truncating == "pre":
            trunc = s[-maxlen:]
        elif truncating == "post":
            trunc = s[:maxlen]
        else:
            raise ValueError("truncating")
        src = np.asarray(trunc)
        if x.dtype.kind in "iu" and src.dtype.kind == "f" and src.size:
            info = np.iinfo(x.dtype)
            if not np.isfinite(src).all() or src.min() < info.min or src.max() > info.max:
                raise Invalid("float data the integer dtype cannot hold")
        trunc = np.asarray(trunc, dtype=dtype)
        if trunc.shape[1:] != step_shape:
            raise ValueError("step shape")
        if padding == "post":
            x[i, :len(trunc)] = trunc
        elif padding == "pre":
            x[i, -len(trunc):] = trunc
        else:
            raise ValueError("padding")
    return x


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), maxlen=GOOD_AND_BAD_INTS, padding=SIDES, truncating=SIDES,
       value=VALUES, dtype=st.sampled_from(["int32", "int32", "float32", "float64", "int64", "uint8", "bool",
                                            "notadtype", None]))
def test_pad_sequences_matches_keras(seqs, maxlen, padding, truncating, value, dtype):
    def expected():
        if padding not in ("pre", "post") or truncating not in ("pre", "post"):
            raise Invalid("side")
        if not valid_int(maxlen):
            raise Invalid("maxlen")
        if dtype == "notadtype" or isinstance(value, (list, type(None))) or (
                isinstance(value, str)):
            raise Invalid("dtype/value")
        dt = np.dtype(dtype)
        if dt.kind in "iub" and isinstance(value, numbers.Real):
            v = float(value)
            if not math.isfinite(v) or (dt.kind != "b" and not np.iinfo(dt).min <= v <= np.iinfo(dt).max):
                raise Invalid("value the dtype cannot hold")
        try:
            if not isinstance(seqs, (list, tuple, np.ndarray)):
                raise Invalid("not a list")
            for s in seqs:
                len(s)
        except TypeError:
            raise Invalid("element without len") from None
        if maxlen is not None and maxlen * len(seqs) > 1 << 36:
            raise Invalid("too large for any memory")
        if dtype is None:
            raise Invalid("dtype=None")
        if len(seqs) == 0 or maxlen == 0:
            n = len(seqs)
            try:
                found = [np.asarray(s).shape[1:] for s in seqs if len(s)]
            except ValueError:
                raise Invalid("ragged rows") from None
            try:
                return np.full((n, maxlen or 0) + (found[0] if found else ()), value, dtype=dt)
            except (ValueError, TypeError):
                raise Invalid("shape") from None
        try:
            # a NumPy integer maxlen is taken as its value (in Keras -np.uint8(2) wraps to 254)
            return keras_pad_sequences(seqs, maxlen=None if maxlen is None else int(maxlen), dtype=dtype,
                                       padding=padding, truncating=truncating, value=value)
        except (ValueError, TypeError) as e:
            raise Invalid(f"keras raises {e}") from None

    try:
        ref, why = expected(), None
    except Invalid as e:
        ref, why = None, str(e)

    def verify(x):
        assert isinstance(x, np.ndarray) and x.shape == ref.shape and x.dtype == ref.dtype, (x.shape, ref.shape)
        assert same(x, ref), "values differ from Keras' algorithm"

    fuzz_call(lambda: sf.pad_sequences(seqs, maxlen=maxlen, dtype=dtype, padding=padding,
                                       truncating=truncating, value=value),
              inputs=[seqs], verify=verify, expect_error=why)


# --------------------------------------------------------------------------- explain
@FUZZ_SETTINGS
@given(data=st.one_of(messy_sequences(), messy_arrays(), st.sampled_from(
    [None, 3, "abc", {"a": 1}, [[]], [1, 2, 3], [1.0, float("nan")], [[1, 2], [3]], object()])),
       layout=st.sampled_from([None, "batch_time", "time_features", "bogus"]))
def test_explain_never_raises_and_sees_nan(data, layout):
    def verify(d):
        assert isinstance(d, sf.Diagnosis) and isinstance(str(d), str) and isinstance(d.to_dict(), dict)
        has_nan = False
        try:
            parts = [np.asarray(s, dtype=np.float64) for s in data] if isinstance(data, list) else \
                [np.asarray(data, dtype=np.float64)]
            has_nan = any(p.size and not np.isfinite(p).all() for p in parts)
        except (ValueError, TypeError):
            pass
        if has_nan:
            assert not d.ok, "explain says OK for data with NaN/inf"
        if d.ok and d.lstm_shape is not None and isinstance(data, list) and layout is None:
            b = sf.as_lstm_input(data)  # an OK diagnosis must be usable as it says
            assert b.x.shape == tuple(d.lstm_shape), (b.x.shape, d.lstm_shape)

    fuzz_call(lambda: sf.explain(data, layout=layout), inputs=[data], verify=verify)


# --------------------------------------------------------------------------- SequenceSet
def check_set(s, arrs, F):
    assert isinstance(s, sf.SequenceSet)
    assert len(s) == len(arrs) and s.n_features == F
    assert s.lengths.tolist() == [a.shape[0] for a in arrs]
    for i, a in enumerate(arrs):
        assert same(np.asarray(s[i]).astype(np.float64), a.astype(np.float64).reshape(-1, F)), f"sequence {i}"


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), idx=st.one_of(st.lists(st.integers(-8, 8), max_size=6),
                                             st.lists(st.booleans(), max_size=7),
                                             st.sampled_from([[0.5], "a", [[0]], None, slice(None, None, -1)])),
       key=st.one_of(st.integers(-8, 8), st.sampled_from([1.5, "0", None, True])))
def test_sequence_set_constructors_and_methods(seqs, idx, key):
    try:
        arrs, F = ref_sequences(seqs)
        why = None
    except Invalid as e:
        arrs, F, why = None, None, str(e)
    s, _ = fuzz_call(lambda: sf.SequenceSet.from_sequences(seqs), inputs=[seqs],
                     verify=lambda s: check_set(s, arrs, F), expect_error=why)
    if s is None:
        return
    n = len(s)

    def ref_take():
        if isinstance(idx, slice):
            return list(range(n))[idx]
        a = np.asarray(idx)
        if a.dtype == bool:
            if a.shape != (n,):
                raise Invalid("mask shape")
            return np.flatnonzero(a).tolist()
        if a.size == 0:
            return []
        if a.dtype.kind not in "iu" or a.ndim != 1:
            raise Invalid("indices dtype")
        if a.min() < -n or a.max() >= n:
            raise Invalid("out of range")
        return [int(i) % n for i in a]

    try:
        want, why = ref_take(), None
    except Invalid as e:
        want, why = None, str(e)
    take = (lambda: s[idx]) if isinstance(idx, slice) else (lambda: s.take(idx))
    fuzz_call(take, inputs=[idx], verify=lambda t: check_set(t, [arrs[i] for i in want], F),
              expect_error=why)
    ok_key = isinstance(key, numbers.Integral) and not isinstance(key, bool) and -n <= key < n
    if isinstance(key, numbers.Integral) and not isinstance(key, bool):
        fuzz_call(lambda: s[key], verify=lambda v: same(np.asarray(v, np.float64),
                                                        arrs[key % n].astype(np.float64).reshape(-1, F)),
                  expect_error=None if ok_key else "index out of range")
    # concat with itself, and with something that is not a set
    fuzz_call(lambda: sf.SequenceSet.concat([s, s]), verify=lambda c: check_set(c, arrs + arrs, F))
    fuzz_call(lambda: sf.SequenceSet.concat([s, seqs]), expect_error="not a set")
    fuzz_call(lambda: sf.SequenceSet.concat([]), expect_error="empty")
    # from_padded round trip
    ref = ref_pad(arrs, F, maxlen=None, padding="post", truncating="pre", value=0.0, dtype="float64")
    fuzz_call(lambda: sf.SequenceSet.from_padded(ref[0], lengths=ref[2]),
              verify=lambda t: check_set(t, arrs, F))
    fuzz_call(lambda: sf.SequenceSet.from_padded(ref[0], mask=ref[1]), verify=lambda t: check_set(t, arrs, F))
    # with_values / with_targets of the wrong size
    fuzz_call(lambda: s.with_targets(np.arange(n + 1)), expect_error="targets length")
    fuzz_call(lambda: s.with_values(np.zeros((s.n_steps + 1, F))), expect_error="values length")


@FUZZ_SETTINGS
@given(values=messy_arrays(), offsets=st.one_of(
    st.lists(st.integers(-2, 12), max_size=6).map(np.array),
    st.sampled_from([np.array([0.0, 1.0]), np.array([[0, 1]]), np.array([], dtype=np.int64), None, "0,1"])),
       targets=st.sampled_from([None, "n", "n+1", "scalar"]))
def test_sequence_set_raw_constructor(values, offsets, targets):
    def expected():
        if offsets is None or isinstance(offsets, str):
            raise Invalid("offsets type")
        v = values.reshape(-1, 1) if values.ndim == 1 else values
        if v.ndim != 2 or v.dtype.kind not in "biuf":
            raise Invalid("values")
        o = np.asarray(offsets)
        if o.ndim != 1 or o.size < 1 or o.dtype.kind not in "iu":
            raise Invalid("offsets")
        if o[0] != 0 or (np.diff(o) < 0).any() or o[-1] != v.shape[0]:
            raise Invalid("offsets values")
        if targets in ("n+1", "scalar"):
            raise Invalid("targets")
        return v, o

    try:
        (v, o), why = expected(), None
    except Invalid as e:
        v = o = None
        why = str(e)
    n = 0 if o is None else o.size - 1
    t = {None: None, "n": np.arange(n), "n+1": np.arange(n + 1), "scalar": np.array(3)}[targets]

    def verify(s):
        assert s.lengths.tolist() == np.diff(o).tolist()
        for i in range(n):
            assert same(np.asarray(s[i]), v[o[i]:o[i + 1]])

    fuzz_call(lambda: sf.SequenceSet(values, offsets, targets=t), inputs=[values, offsets], verify=verify,
              expect_error=why)


# --------------------------------------------------------------------------- samplers, loader, report
SAMPLERS = ["fixed", "bucket", "token", "adaptive"]


def make_sampler(kind, lengths, size, seed, drop_last):
    if kind == "fixed":
        return sf.FixedSampler(lengths, batch_size=size, seed=seed, drop_last=drop_last)
    if kind == "bucket":
        return sf.BucketSampler(lengths, batch_size=size, n_buckets=3, seed=seed, drop_last=drop_last)
    if kind == "token":
        return sf.TokenBudgetSampler(lengths, max_tokens=size, seed=seed)
    return sf.AdaptiveSampler(lengths, max_batch_size=size, seed=seed)


@FUZZ_SETTINGS
@given(lengths=st.one_of(st.lists(st.integers(0, 30), max_size=25).map(lambda v: np.array(v, dtype=np.int64)),
                         st.sampled_from([np.array([1.5, 2.0]), np.array([[1, 2]]), np.array([-1, 3]),
                                          "abc", None, [3, 1, 2], np.array([2**40, 1])])),
       kind=st.sampled_from(SAMPLERS), size=GOOD_AND_BAD_INTS, seed=GOOD_AND_BAD_INTS,
       drop_last=st.booleans())
def test_samplers_visit_every_sequence_once(lengths, kind, size, seed, drop_last):
    la = np.asarray(lengths) if lengths is not None and not isinstance(lengths, str) else None
    bad = (la is None or la.ndim != 1 or (la.size and la.dtype.kind not in "iu") or
           (la.size and la.min() < 0) or not valid_int(size, 1, False) or not valid_int(seed, 0, False))
    if not bad and la.size and la.max() > 10**6:
        return  # huge lengths are valid; the plan is not what is checked here

    def verify(sampler):
        for epoch in (0, 1):
            plan = sampler.batches(epoch)
            seen = np.concatenate(plan) if plan else np.zeros(0, np.int64)
            assert len(np.unique(seen)) == seen.size, "a sequence appears twice in one epoch"
            if drop_last and kind in ("fixed", "bucket"):
                assert seen.size + sampler.dropped == la.size
                assert all(b.size == size for b in plan)
            else:
                assert sorted(seen.tolist()) == list(range(la.size)), "not every sequence is visited"
            for b in plan:
                assert b.size >= 1
                if kind in ("fixed", "bucket", "adaptive"):
                    assert b.size <= size
                if kind == "token" and b.size > 1:
                    assert b.size * max(int(la[b].max()), 1) <= size
        assert [b.tolist() for b in sampler.batches(1)] == [b.tolist() for b in sampler.batches(1)]

    fuzz_call(lambda: make_sampler(kind, lengths, size, seed, drop_last), inputs=[lengths], verify=verify,
              expect_error="bad lengths/option" if bad else None)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), size=st.integers(1, 4), kind=st.sampled_from(SAMPLERS),
       padding=st.sampled_from(["post", "pre"]), n_buffers=st.sampled_from([0, 1, 2]),
       extra=st.one_of(st.lists(st.integers(-3, 8), max_size=4), st.sampled_from([[0.5], [[0]], "x"])))
def test_batch_loader_batches_equal_the_reference(seqs, size, kind, padding, n_buffers, extra):
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        return
    if not arrs:
        return
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    has_empty = any(a.shape[0] == 0 for a in arrs)
    sampler = make_sampler(kind, s.lengths, size if kind != "token" else 4 * size, 0, False)
    loader, _ = fuzz_call(lambda: sf.BatchLoader(s, sampler, padding=padding, n_buffers=n_buffers),
                          expect_error="an empty sequence" if has_empty else None)
    if loader is None:
        return
    for idx in sampler.batches(0):
        ref = ref_pad([arrs[i] for i in idx], F, maxlen=None, padding=padding, truncating="pre", value=0.0,
                      dtype="float32")
        fuzz_call(lambda: loader.batch(idx), verify=lambda b: (check_batch(b, *ref),
                                                               np.testing.assert_array_equal(b.index, idx)))
    a = np.asarray(extra)
    n = len(arrs)
    ok = a.ndim == 1 and (a.size == 0 or (a.dtype.kind in "iu" and a.min() >= 0 and a.max() < n))
    if ok:
        ref = ref_pad([arrs[i] for i in a.tolist()], F, maxlen=None, padding=padding, truncating="pre",
                      value=0.0, dtype="float32")
    fuzz_call(lambda: loader.batch(extra), inputs=[extra], verify=lambda b: check_batch(b, *ref) if ok else None,
              expect_error=None if ok else "bad indices")


@FUZZ_SETTINGS
@given(lengths=st.lists(st.integers(0, 40), max_size=30),
       batch_sizes=st.sampled_from([(2, 4), (1,), (), (0,), ("a",)]),
       budgets=st.sampled_from([(16,), (), (1,), (-1,)]), multiple_of=st.sampled_from([None, 1, 4, 0]))
def test_padding_report(lengths, batch_sizes, budgets, multiple_of):
    L = np.array(lengths, dtype=np.int64)
    bad = any(not valid_int(b, 1, False) for b in batch_sizes + budgets) or not valid_int(multiple_of, 1)

    def verify(rep):
        kinds = [r["strategy"] for r in rep.rows]
        for k in ("global", "fixed", "bucket", "adaptive"):
            assert kinds.count(k) == len(batch_sizes), (k, kinds)
        assert kinds.count("token_budget") == len(budgets)
        for r in rep.rows:
            assert r["real_steps"] == int(L.sum())
            assert r["padded_steps"] >= r["real_steps"]
            assert 0 < r["efficiency"] <= 1.0 + 1e-12
        str(rep)

    fuzz_call(lambda: sf.padding_report(L, batch_sizes=batch_sizes, token_budgets=budgets,
                                        multiple_of=multiple_of),
              inputs=[L], verify=verify, expect_error="bad option" if bad else None)


# --------------------------------------------------------------------------- transforms
@FUZZ_SETTINGS
@given(seqs=messy_sequences(), method=st.sampled_from(["global", "per_sequence", "zscore"]),
       transform=st.sampled_from([None, "signed_log1p", "log"]), scale=st.sampled_from([1.0, 1e200, 1e-200]))
def test_standardizer(seqs, method, transform, scale):
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        fuzz_call(lambda: sf.Standardizer().fit(seqs), inputs=[seqs])
        return
    arrs = [a.astype(np.float64) * scale for a in arrs]
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64) if arrs else None
    if s is None:
        return
    v = np.concatenate(arrs) if arrs else np.zeros((0, F))
    f = (lambda z: np.sign(z) * np.log1p(np.abs(z))) if transform == "signed_log1p" else (lambda z: z)
    finite = np.isfinite(v).all()
    bad_opt = method not in ("global", "per_sequence") or transform not in (None, "signed_log1p")

    def ref_global():
        with np.errstate(all="ignore"):
            fv = f(v)
            mean = fv.mean(axis=0)
            std = fv.std(axis=0)
        if not (np.isfinite(mean).all() and np.isfinite(std).all()):
            raise Invalid("statistics overflow")
        std = np.where(std <= 1e-8, 1.0, std)
        return (fv - mean) / std

    def ref_per_sequence():
        out = []
        for a in arrs:
            fa = f(a)
            if not len(fa):
                out.append(fa)
                continue
            with np.errstate(all="ignore"):
                m, sd = fa.mean(axis=0), fa.std(axis=0)
            if not (np.isfinite(m).all() and np.isfinite(sd).all()):
                raise Invalid("statistics overflow")
            out.append((fa - m) / np.where(sd <= 1e-8, 1.0, sd))
        return np.concatenate(out) if out else np.zeros((0, F))

    why = None
    ref = None
    if bad_opt:
        why = "bad option"
    elif not finite:
        why = "NaN/inf in the data"
    elif method == "global" and v.shape[0] == 0:
        why = "nothing to fit"
    else:
        try:
            ref = ref_global() if method == "global" else ref_per_sequence()
        except Invalid as e:
            why = str(e)

    def verify(out):
        got = np.asarray(out.values, dtype=np.float64)
        assert got.shape == ref.shape
        tol = 1e-6 * max(1.0, float(np.abs(ref).max(initial=0)))
        assert np.allclose(got, ref, rtol=1e-6, atol=tol), "standardised values differ from the reference"

    fuzz_call(lambda: sf.Standardizer(method=method, transform=transform).fit_transform(s), inputs=[s],
              verify=verify, expect_error=why)


@FUZZ_SETTINGS
@given(data=messy_arrays(), length=GOOD_AND_BAD_INTS, stride=GOOD_AND_BAD_INTS, rate=GOOD_AND_BAD_INTS,
       with_targets=st.sampled_from([None, "same", "short", "scalar"]),
       start=st.sampled_from([None, 0, 1, 3, -1, 100]), end=st.sampled_from([None, 2, 4, 0, 100]))
def test_timeseries_windows_matches_keras_semantics(data, length, stride, rate, with_targets, start, end):
    tgt = {None: None, "same": None if data.ndim == 0 else np.arange(data.shape[0] if data.ndim else 0),
           "short": np.arange(2), "scalar": np.array(5)}[with_targets]

    def expected():
        if not (valid_int(length, 1, False) and valid_int(stride, 1, False) and valid_int(rate, 1, False)
                and valid_int(start, 0) and valid_int(end, 0)):
            raise Invalid("option")
        if data.ndim == 0 or data.dtype.kind not in "biuf":
            raise Invalid("data")
        L, st_, r = int(length), int(stride), int(rate)  # (numpy ints would wrap below)
        N = data.shape[0]
        s = start or 0
        if end is not None and end <= s:
            raise Invalid("end <= start")
        if (start and start >= N) or (end is not None and end >= N):
            raise Invalid("index range")
        e = N if end is None else end
        n = (e - s) - (L - 1) * r
        if tgt is not None:
            if tgt.ndim == 0:
                raise Invalid("scalar targets")
            n = min(n, tgt.shape[0])
        starts = list(range(0, n, st_)) if n > 0 else []
        X = [np.stack([data[s + p + k * r] for k in range(L)]) for p in starts]
        if tgt is not None and starts and s + starts[-1] >= tgt.shape[0]:
            raise Invalid("targets too short")
        try:
            X = np.stack(X) if X else np.empty((0, L) + data.shape[1:], dtype=data.dtype)
        except ValueError:
            raise Invalid("even an empty result of that shape cannot exist") from None
        y = None if tgt is None else (np.stack([tgt[s + p] for p in starts]) if starts else tgt[:0])
        return X, y

    try:
        ref, why = expected(), None
    except Invalid as e:
        ref, why = None, str(e)

    def verify(out):
        X, y = out
        assert X.shape == ref[0].shape and X.dtype == ref[0].dtype
        assert same(np.array(X), ref[0])
        assert (y is None) == (ref[1] is None)
        if y is not None:
            assert same(np.array(y), ref[1])

    fuzz_call(lambda: sf.timeseries_windows(data, tgt, length, sequence_stride=stride, sampling_rate=rate,
                                            start_index=start, end_index=end),
              inputs=[data, tgt], verify=verify, expect_error=why)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), length=GOOD_AND_BAD_INTS, stride=st.sampled_from([1, 2, 0]),
       horizon=st.sampled_from([0, 1, 2, -1]), target=st.sampled_from(["next", None, "sequence", "bogus"]),
       drop=st.booleans())
def test_sliding_windows(seqs, length, stride, horizon, target, drop):
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        fuzz_call(lambda: sf.sliding_windows(seqs, 2), inputs=[seqs])  # (a flat list is one series)
        return
    if not arrs:
        return
    arrs = [a.astype(np.float64) for a in arrs]
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    bad = (not valid_int(length, 1, False) or stride < 1 or horizon < 0 or target not in ("next", None, "sequence")
           or target == "sequence")  # this set has no targets

    def ref_windows():
        need = max(horizon, 1) if target == "next" else 0
        out = []
        for i, a in enumerate(arrs):
            T = a.shape[0]
            p = 0
            while p < T:
                full = p + (length - 1) + need < T if target == "next" else p + length - 1 < T
                if full:
                    out.append((i, p, length))
                elif not drop and p + (0 if target != "next" else need) < T:
                    k = len(range(p, T - (need if target == "next" else 0)))
                    if k > 0:
                        out.append((i, p, min(k, length)))
                p += stride
        return out

    def verify(w):
        want = ref_windows() if drop else None
        if want is not None:
            assert list(zip(w.source.tolist(), w.start.tolist(), w.lengths.tolist())) == want
        for j in range(len(w)):
            i, p, k = int(w.source[j]), int(w.start[j]), int(w.lengths[j])
            assert same(np.asarray(w[j]), arrs[i][p:p + k])
            if target == "next" and drop:
                y = np.asarray(w.y[j])
                nxt = arrs[i][p + k:p + k + max(horizon, 1)]
                assert same(y.reshape(nxt.shape), nxt)

    fuzz_call(lambda: sf.sliding_windows(s, length, stride=stride, horizon=horizon, target=target,
                                         drop_incomplete=drop),
              inputs=[s], verify=verify, expect_error="bad option" if bad else None)


@FUZZ_SETTINGS
@given(n=st.integers(0, 12), frac=st.sampled_from([0.2, 0.5, 0.0, 1.0, -0.1, float("nan"), "0.2", None]),
       stratify=st.sampled_from([None, "targets", "labels", "wrong_len", "bogus"]),
       ids=st.sampled_from([None, "dup", "unique"]), seed=GOOD_AND_BAD_INTS)
def test_split_by_entity_partitions(n, frac, stratify, ids, seed):
    rng = np.random.default_rng(n)
    s = sf.SequenceSet.from_sequences([rng.normal(size=(int(rng.integers(1, 4)), 2)) for _ in range(n)],
                                      targets=np.arange(n) % 2,
                                      ids=None if ids is None else (np.arange(n) // 2 if ids == "dup" else np.arange(n)))
    strat = {None: None, "targets": "targets", "labels": np.arange(n) % 3, "wrong_len": np.arange(n + 1),
             "bogus": "bogus"}[stratify]
    ent = np.arange(n) // 2 if ids == "dup" else np.arange(n)
    n_ent = len(np.unique(ent))
    bad = (not isinstance(frac, float) or not 0 < frac < 1 or stratify in ("wrong_len", "bogus")
           or not valid_int(seed, 0, False) or n_ent < 2)

    def verify(out):
        tr, te = out
        both = np.concatenate([tr, te])
        assert sorted(both.tolist()) == list(range(n)), "train + test is not every sequence once"
        assert not set(ent[tr].tolist()) & set(ent[te].tolist()), "an entity on both sides"
        assert len(te) >= 1 and len(tr) >= 1

    fuzz_call(lambda: sf.split_by_entity(s, test_fraction=frac, stratify=strat, seed=seed, return_indices=True),
              inputs=[s, strat], verify=verify, expect_error="bad input" if bad else None)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), cutoff=st.one_of(GOOD_AND_BAD_INTS, st.just("per_seq")),
       gap=st.sampled_from([0, 1, 2, -1, 0.5]))
def test_split_by_time(seqs, cutoff, gap):
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        fuzz_call(lambda: sf.split_by_time(seqs, cutoff=1), inputs=[seqs])
        return
    arrs = [a.astype(np.float64) for a in arrs]
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    n = len(arrs)
    cut = np.arange(n, dtype=np.int64) if cutoff == "per_seq" else cutoff
    per_seq = cutoff == "per_seq" or (isinstance(cutoff, list) and len(cutoff) == n and all(
        valid_int(c, 0, False) for c in cutoff))
    ok_cut = per_seq or valid_int(cutoff, 0, False)
    bad = not ok_cut or not valid_int(gap, 0, False)

    def verify(out):
        tr, te = out
        assert len(tr) == len(te) == n
        for i, a in enumerate(arrs):
            k = int(cut[i]) if per_seq else cutoff
            assert same(np.asarray(tr[i]), a[:min(k, len(a))])
            assert same(np.asarray(te[i]), a[min(k + gap, len(a)):])

    fuzz_call(lambda: sf.split_by_time(s, cutoff=cut, gap=gap), inputs=[s, cut], verify=verify,
              expect_error="bad option" if bad else None)


# --------------------------------------------------------------------------- metrics
@FUZZ_SETTINGS
@given(y_true=st.one_of(st.lists(st.integers(-2, 4), max_size=8), st.sampled_from([[0.5, 1.0], ["a", "b"], [[0, 1]]])),
       y_pred=st.one_of(st.lists(st.integers(-2, 4), max_size=8), st.sampled_from([[0.5, 1.0], [float("nan")]])),
       n_classes=st.sampled_from([None, 3, 5, 0, -1, 2.5]))
def test_metrics(y_true, y_pred, n_classes):
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape and t.size == p.size and [d for d in t.shape if d != 1] == [d for d in p.shape if d != 1]:
        p = p.reshape(t.shape)  # (n,) against (1, n): the same values
        y_pred = p.tolist()
    same_shape = t.shape == p.shape
    same_len = same_shape and t.ndim == 1
    def is_labels(a):
        return a.size == 0 or (a.dtype.kind in "iu" and a.min() >= 0) or (
            a.dtype.kind == "f" and np.isfinite(a).all() and (a == np.round(a)).all() and a.min() >= 0)

    labels = same_len and is_labels(t) and is_labels(p)
    ti, pi = (t.astype(np.int64), p.astype(np.int64)) if labels else (t, p)

    def ref_acc():
        return float(np.mean([a == b for a, b in zip(y_true, y_pred)])) if len(y_true) else float("nan")

    fuzz_call(lambda: metrics.accuracy(y_true, y_pred), inputs=[y_true, y_pred],
              verify=lambda r: same(float(r), ref_acc()),
              expect_error=None if same_shape else "shapes differ")
    num = same_shape and t.dtype.kind in "iuf" and p.dtype.kind in "iuf"
    fuzz_call(lambda: metrics.mae(y_true, y_pred), inputs=[y_true, y_pred],
              verify=lambda r: same(float(r), float(np.mean(np.abs(t - p))) if t.size else float("nan")),
              expect_error=None if num else "not numbers of one shape")
    fuzz_call(lambda: metrics.rmse(y_true, y_pred), inputs=[y_true, y_pred],
              verify=lambda r: same(float(r), float(np.sqrt(np.mean((t - p) ** 2))) if t.size else float("nan")),
              expect_error=None if num else "not numbers of one shape")
    k_ok = n_classes is None or (valid_int(n_classes, 1, False) and (not labels or not t.size or max(t.max(), p.max()) < n_classes))
    y_true, y_pred = (ti.tolist(), pi.tolist()) if labels else (y_true, y_pred)

    def ref_cm():
        cm = np.zeros((n_classes, n_classes), dtype=np.int64)
        for a, b in zip(y_true, y_pred):
            cm[a, b] += 1
        return cm

    if n_classes is not None:
        fuzz_call(lambda: metrics.confusion_matrix(y_true, y_pred, n_classes), inputs=[y_true, y_pred],
                  verify=lambda cm: np.testing.assert_array_equal(cm, ref_cm()),
                  expect_error=None if labels and k_ok else "bad labels")

    def ref_f1():
        k = n_classes or (max(max(y_true, default=0), max(y_pred, default=0)) + 1)
        f1s = []
        for c in range(k):
            tp = sum(1 for a, b in zip(y_true, y_pred) if a == b == c)
            sup = sum(1 for a in y_true if a == c) + sum(1 for b in y_pred if b == c)
            if sup:
                f1s.append(2 * tp / sup)
        return float(np.mean(f1s)) if f1s else float("nan")

    fuzz_call(lambda: metrics.macro_f1(y_true, y_pred, n_classes), inputs=[y_true, y_pred],
              verify=lambda r: math.isclose(r, ref_f1()) or (math.isnan(r) and math.isnan(ref_f1())),
              expect_error=None if labels and k_ok else "bad labels")
    proba = np.full((len(y_true), 3), 1 / 3)
    ll_ok = t.ndim == 1 and is_labels(t) and (not t.size or t.max() < 3)
    fuzz_call(lambda: metrics.log_loss(y_true, proba), inputs=[y_true, proba],
              verify=lambda r: math.isclose(r, math.log(3)) if t.size else math.isnan(r),
              expect_error=None if ll_ok else "bad labels")


# --------------------------------------------------------------------------- more entry points
@st.composite
def arrow_columns(draw):
    """Arrow list columns: list<number>, list<fixed_size_list>, nulls, nested variable lists, strings."""
    import pyarrow as pa

    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(0, 5))
    F = draw(st.integers(1, 3))
    kind = draw(st.sampled_from(["flat", "fixed", "fixed", "null_row", "null_value", "nested", "strings",
                                 "large", "chunked", "table", "sliced"]))
    seqs = [rng.normal(size=(int(rng.integers(0, 4)), F)).round(3) for _ in range(n)]
    if kind == "flat":
        seqs = [a[:, :1] for a in seqs]
        col = pa.array([a[:, 0].tolist() for a in seqs], pa.list_(pa.float64()))
    elif kind in ("fixed", "null_row", "null_value", "large", "chunked", "sliced"):
        typ = pa.list_(pa.list_(pa.float64(), F)) if kind != "large" else pa.large_list(pa.list_(pa.float64(), F))
        rows = [a.tolist() for a in seqs]
        if kind == "null_row" and n:
            rows[0] = None
        if kind == "null_value" and n and len(rows[-1]):
            rows[-1][0][0] = None
        col = pa.array(rows, typ)
        if kind == "chunked":
            col = pa.chunked_array([col, col])
            seqs = seqs + seqs
        if kind == "sliced" and n > 1:
            col = col.slice(1)
            seqs = seqs[1:]
    elif kind == "nested":
        col = pa.array([[[1.0], [1.0, 2.0]]], pa.list_(pa.list_(pa.float64())))
    elif kind == "strings":
        col = pa.array([["a", "b"]], pa.list_(pa.string()))
    else:
        col = pa.table({"x": pa.array([[1.0]])})
    return col, kind, seqs, F


@FUZZ_SETTINGS
@given(arg=arrow_columns(), padding=st.sampled_from(["post", "pre"]))
def test_arrow_inputs(arg, padding):
    col, kind, seqs, F = arg
    n = len(seqs)
    bad = kind in ("nested", "strings", "table") or (kind == "null_row" and n) or (
        kind == "null_value" and n and len(seqs[-1]))
    F_ = 1 if kind == "flat" else F
    arrs = [a[:, :F_] for a in seqs]
    s, _ = fuzz_call(lambda: sf.as_sequence_set(col), inputs=[], verify=lambda s: check_set(s, arrs, F_),
                     expect_error="bad arrow column" if bad else None)
    fuzz_call(lambda: sf.SequenceSet.from_arrow(col), verify=lambda s: check_set(s, arrs, F_),
              expect_error="bad arrow column" if bad else None)
    if s is not None:
        ref = ref_pad(arrs, F_, maxlen=None, padding=padding, truncating="pre", value=0.0, dtype="float32")
        fuzz_call(lambda: sf.pad(col, padding=padding), verify=lambda b: check_batch(b, *ref))
        fuzz_call(lambda: sf.SequenceSet.from_arrow(s.to_arrow()), verify=lambda t: check_set(t, arrs, F_))
        d = sf.explain(col)
        assert isinstance(d, sf.Diagnosis)


@FUZZ_SETTINGS
@given(lengths=st.lists(st.integers(0, 9), min_size=1, max_size=12), kind=st.sampled_from(SAMPLERS),
       state=st.sampled_from(["same", "other_seed", "not_dict", "missing_epoch", "bad_position", "future",
                              "negative", "str_epoch", "other_kind"]), steps=st.integers(0, 5))
def test_sampler_state_resume(lengths, kind, state, steps):
    L = np.array(lengths, dtype=np.int64)
    a = make_sampler(kind, L, 3 if kind != "token" else 12, 1, False)
    it = iter(a)
    taken = [next(it).tolist() for _ in range(min(steps, len(a)))]
    st_ = a.state_dict()
    b = make_sampler(kind, L, 3 if kind != "token" else 12, 1, False)
    bad = state != "same"
    if state == "other_seed":
        st_ = dict(st_, seed=st_["seed"] + 1)
    elif state == "not_dict":
        st_ = list(st_.items())
    elif state == "missing_epoch":
        st_ = {k: v for k, v in st_.items() if k != "epoch"}
    elif state == "bad_position":
        st_ = dict(st_, position=10**6)
    elif state == "future":
        st_ = dict(st_, epoch=3)
        bad = False
    elif state == "negative":
        st_ = dict(st_, position=-1)
    elif state == "str_epoch":
        st_ = dict(st_, epoch="1")
    elif state == "other_kind":
        st_ = dict(st_, kind="nope")

    def verify(_):
        rest = [x.tolist() for x in b.batches(b.epoch)[b.position:]]
        if state == "same":
            assert taken + rest == [x.tolist() for x in a.batches(0)][:len(taken) + len(rest)]
            assert rest == [x.tolist() for x in a.batches(a.epoch)[a.position:]]

    fuzz_call(lambda: b.load_state_dict(st_), inputs=[st_], verify=verify,
              expect_error="bad state" if bad else None)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), crop=st.sampled_from([None, 0.5, 1.0, 0.0, 1.5, "x", True]),
       balance=st.booleans(), value=VALUES, multiple_of=st.sampled_from([None, 1, 4, 0, 2.0]))
def test_batch_loader_options(seqs, crop, balance, value, multiple_of):
    try:
        arrs, F = ref_sequences(seqs)
    except Invalid:
        fuzz_call(lambda: sf.BatchLoader(seqs, sf.FixedSampler([1], batch_size=1)), inputs=[seqs])
        return
    if not arrs or any(a.shape[0] == 0 for a in arrs):
        return
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    sampler = sf.FixedSampler(s.lengths, batch_size=2, seed=0)
    bad = (crop is not None and (isinstance(crop, (bool, str)) or not 0 < crop <= 1)) or \
        not ref_value_ok(value, np.dtype("float32")) or not valid_int(multiple_of, 1)
    loader, _ = fuzz_call(lambda: sf.BatchLoader(s, sampler, crop=crop, balance=balance, value=value,
                                                 multiple_of=multiple_of),
                          expect_error="bad option" if bad else None)
    if loader is None:
        return
    for idx in sampler.batches(0):
        def verify(b, idx=idx):
            assert b.x.shape[0] == idx.size and b.x.shape[2] == F
            assert np.array_equal(b.mask, np.arange(b.x.shape[1]) < b.lengths[:, None])
            for r, i in enumerate(idx.tolist()):
                k = int(b.lengths[r])
                assert 1 <= k <= arrs[i].shape[0]
                if crop is None or crop == 1.0:
                    assert k == arrs[i].shape[0]
                # the real steps are a contiguous run of the sequence
                src = arrs[i].astype(np.float32)
                starts = [p for p in range(src.shape[0] - k + 1) if same(src[p:p + k], b.x[r, :k])]
                assert starts, "a row is not a contiguous part of its sequence"
                assert same(b.x[r, k:], np.full_like(b.x[r, k:], np.float32(value)))
            if multiple_of:
                assert b.x.shape[1] % multiple_of == 0
            if balance:
                assert b.sample_weight is not None and np.isfinite(b.sample_weight).all()

        fuzz_call(lambda: loader.batch(idx), verify=verify)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), form=st.sampled_from(["batch", "pair", "series", "bad_pair", "bad_mask"]),
       values=st.sampled_from(["ok", "wrong_F", "nan", "huge"]),
       d=st.sampled_from(["ok", "no_format", "bad_mean", "neg_std", "wrong_len", "str_F", "not_dict"]))
def test_standardizer_forms_and_persistence(seqs, form, values, d):
    arrs, F = float64_sequences(seqs)
    if not arrs or not sum(a.shape[0] for a in arrs):
        return
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    st_, err = fuzz_call(lambda: sf.Standardizer().fit(s), inputs=[s])
    if st_ is None:
        return
    v = np.concatenate(arrs)
    ref = ref_pad(arrs, F, maxlen=None, padding="post", truncating="pre", value=0.0, dtype="float64")
    x, mask = ref[0], ref[1]
    if form == "batch":
        data = sf.pad(s, dtype="float64")
    elif form == "pair":
        data = (x, mask)
    elif form == "series":
        data = v
    elif form == "bad_pair":
        data = (x, mask, mask)
    else:
        data = (x, mask.astype(np.int8))

    def verify(out):
        if form == "batch":
            got = out.x[out.mask]
        elif form == "pair":
            got = out[0][mask]
        else:
            got = out
        want = (v - st_.mean_) / st_.std_
        assert np.allclose(np.asarray(got, np.float64), want, rtol=1e-6, atol=1e-9)

    fuzz_call(lambda: st_.transform(data), inputs=[data], verify=verify,
              expect_error="bad form" if form in ("bad_pair", "bad_mask") else None)
    vals = {"ok": v[:3], "wrong_F": np.zeros((2, F + 1)), "nan": np.full((1, F), np.nan),
            "huge": np.full((1, F), 1e308)}[values]
    fuzz_call(lambda: st_.transform_values(vals), inputs=[vals],
              verify=lambda z: np.allclose(z, (vals - st_.mean_) / st_.std_) if values == "ok" else None,
              expect_error="wrong width" if values == "wrong_F" else None)
    dd = st_.to_dict()
    if d == "no_format":
        dd.pop("format")
    elif d == "bad_mean":
        dd["mean"] = ["a"] * F
    elif d == "neg_std":
        dd["std"] = [-1.0] * F
    elif d == "wrong_len":
        dd["mean"] = dd["mean"] + [0.0]
    elif d == "str_F":
        dd["n_features"] = "two"
    elif d == "not_dict":
        dd = [dd]
    r, _ = fuzz_call(lambda: sf.Standardizer.from_dict(dd), inputs=[dd],
                     verify=lambda r: (np.testing.assert_array_equal(r.mean_, st_.mean_),
                                       np.testing.assert_array_equal(r.std_, st_.std_)),
                     expect_error=None if d == "ok" else d)


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), length=st.integers(1, 4), j=st.one_of(st.integers(-12, 12),
                                                                     st.sampled_from([1.5, "0", None])),
       idx=st.one_of(st.lists(st.integers(-12, 12), max_size=4), st.sampled_from([[0.5], [[0]], "a"])))
def test_windows_methods(seqs, length, j, idx):
    arrs, F = float64_sequences(seqs)
    if not arrs:
        return
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64)
    w = sf.sliding_windows(s, length, target=None)
    n = len(w)
    ok_j = isinstance(j, int) and not isinstance(j, bool) and -n <= j < n

    def win(k):
        k %= n
        return arrs[int(w.source[k])][int(w.start[k]):int(w.start[k]) + length]

    fuzz_call(lambda: w[j], verify=lambda a: same(np.asarray(a), win(j)), expect_error=None if ok_j else "bad j")
    a = np.asarray(idx)
    ok = a.ndim == 1 and (a.size == 0 or (a.dtype.kind in "iu" and a.min() >= -n and a.max() < n))

    def verify(b):
        want = [win(int(k)) for k in a.tolist()] if a.size else []
        assert b.x.shape == (len(want), length, F)
        for r, v in enumerate(want):
            assert same(b.x[r].astype(np.float64), v.astype(np.float32).astype(np.float64))

    fuzz_call(lambda: w.batch(idx), inputs=[idx], verify=verify, expect_error=None if ok else "bad indices")
    fuzz_call(lambda: w.take(idx), inputs=[idx], verify=lambda t: len(t) == a.size,
              expect_error=None if ok else "bad indices")


@FUZZ_SETTINGS
@given(seqs=messy_sequences(), extra=st.sampled_from(["none", "targets", "str_targets", "ids", "names"]),
       compress=st.booleans())
def test_write_then_read_round_trips(seqs, extra, compress):
    import os
    import tempfile

    from seqfeed.sources import read_npz, read_table, write_long_csv, write_npz

    arrs, F = float64_sequences(seqs)
    if not arrs:
        return
    n = len(arrs)
    kw = {}
    if extra == "targets":
        kw["targets"] = np.arange(n) % 3
    elif extra == "str_targets":
        kw["targets"] = np.array([f"c{i % 2}" for i in range(n)])
    elif extra == "ids":
        kw["ids"] = np.arange(n) * 10
    elif extra == "names":
        kw["feature_names"] = [f"f{j}" for j in range(F)]
    s = sf.SequenceSet.from_sequences(arrs, dtype=np.float64, **kw)
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, "s.npz")
        fuzz_call(lambda: write_npz(s, p, compress=compress), inputs=[s])
        fuzz_call(lambda: read_npz(p), verify=lambda r: (check_set(r, arrs, F),
                                                         same(r.targets, s.targets) or r.targets is s.targets))
        c = os.path.join(d, "s.csv.gz" if compress else "s.csv")
        _, err = fuzz_call(lambda: write_long_csv(s, c, target="target" if s.targets is not None else None)
                           if s.targets is not None else write_long_csv(s, c), inputs=[s])
        if err is None:
            keep = [a for a in arrs if a.shape[0]]

            def verify(r):
                assert r.n_features == F and len(r) == len(keep)
                for i, a in enumerate(keep):
                    assert np.allclose(np.asarray(r[i], np.float64), a.astype(np.float32), rtol=1e-6)

            fuzz_call(lambda: read_table(c, target="target" if s.targets is not None else None), verify=verify)
        fuzz_call(lambda: write_npz(seqs, p), inputs=[seqs], expect_error="not a set")
