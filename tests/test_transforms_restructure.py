import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import ConfigError, SequenceSet
from seqfeed.transforms import frame, frame_lengths, frame_summary, parse_restructure, pool

from strategies import as2d, ragged

sizes = st.integers(1, 6)


@given(ragged(max_len=20), sizes)
def test_frame_concatenates_k_steps_and_zero_fills_only_the_last(seqs, k):
    s = SequenceSet.from_sequences(seqs)
    f = frame(s, k)
    np.testing.assert_array_equal(f.lengths, -(-s.lengths // k))
    assert f.n_features == k * s.n_features
    for i, raw in enumerate(seqs):
        raw = as2d(raw, s.n_features).astype(f.values.dtype)
        L = len(raw)
        padded = np.zeros((len(f[i]) * k, s.n_features), raw.dtype)
        padded[:L] = raw
        np.testing.assert_array_equal(f[i], padded.reshape(len(f[i]), k * s.n_features))


@given(ragged(max_len=20, min_len=1), sizes, st.sampled_from(["mean", "max"]))
def test_pool_uses_real_steps_only(seqs, k, how):
    s = SequenceSet.from_sequences(seqs)
    p = pool(s, k, how=how)
    for i, raw in enumerate(seqs):
        raw = as2d(raw).astype(np.float64)
        groups = [raw[j:j + k] for j in range(0, len(raw), k)]
        want = np.stack([g.mean(0) if how == "mean" else g.max(0) for g in groups])
        np.testing.assert_allclose(p[i], want, rtol=1e-5, atol=1e-6)


@given(ragged(max_len=16, min_len=1), sizes)
def test_frame_summary_matches_numpy(seqs, k):
    s = SequenceSet.from_sequences(seqs)
    f = frame_summary(s, k)
    F = s.n_features
    for i, raw in enumerate(seqs):
        raw = as2d(raw).astype(np.float64)
        for j, st_ in enumerate(range(0, len(raw), k)):
            g = raw[st_:st_ + k]
            t = np.arange(len(g))
            slope = np.zeros(F) if len(g) < 2 else np.polyfit(t, g, 1)[0]
            want = np.concatenate([g.mean(0), g.std(0), g.min(0), g.max(0), slope])
            np.testing.assert_allclose(f[i][j], want, rtol=1e-4, atol=1e-5)


def test_frames_never_cross_sequences():
    s = SequenceSet.from_sequences([np.ones(3), np.full(2, 7.0)])
    np.testing.assert_array_equal(frame(s, 2)[0], [[1, 1], [1, 0]])
    np.testing.assert_array_equal(pool(s, 2)[1], [[7.0]])


def test_frame_lengths_and_parse():
    np.testing.assert_array_equal(frame_lengths([0, 1, 20, 21], 20), [0, 1, 1, 2])
    assert parse_restructure("frame:20") == {"kind": "frame", "size": 20}
    assert parse_restructure("frame:20:10") == {"kind": "frame", "size": 20, "hop": 10}
    assert parse_restructure("none") == {"kind": "none"}
    with pytest.raises(ConfigError, match=r"cannot read 'blur:3'.*Fix: use none, auto, frame:K"):
        parse_restructure("blur:3")
