import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import ConfigError, SequenceSet
from seqfeed.transforms import Restructure, frame, frame_lengths, frame_summary, pool

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
    assert Restructure.parse("frame:20") == Restructure("frame", 20)
    assert Restructure.parse("frame:20:10") == Restructure("frame", 20, 10)
    assert Restructure.parse("none") == Restructure.parse(None) == Restructure.parse("") == Restructure()


@pytest.mark.parametrize("bad", ["blur:3", "auto", "frame", "frame:0", "frame:2:0", "pool:2:2", "pool:x",
                                 "pool:-1", "frame:+2", "none:3", "frame:2:", ":3", "pool:\u00b2"])
def test_unreadable_text_is_a_config_error_whose_fix_lists_only_accepted_forms(bad):
    with pytest.raises(ConfigError, match=rf"^Restructure.parse: cannot read {re.escape(repr(bad))}\. Fix: use one "
                                          r"of none, frame:K, frame:K:HOP") as e:
        Restructure.parse(bad)
    assert (e.value.argument, e.value.received, e.value.index) == ("text", bad, None)
    # every form the fix names is accepted (the old fix offered "auto", which was then rejected)
    forms = e.value.fix.removeprefix("use one of ").split(" (")[0].replace(" or ", ", ").split(", ")
    for form in forms:
        Restructure.parse(form.replace("K", "3").replace("HOP", "2"))
    assert "auto" not in forms


specs = st.one_of(
    st.just(Restructure()),
    st.builds(Restructure, st.sampled_from(["pool", "maxpool", "summary", "conv", "msconv"]), st.integers(1, 10**6)),
    st.builds(Restructure, st.just("frame"), st.integers(1, 10**6), st.none() | st.integers(1, 10**6)),
)


@given(specs)
def test_text_form_round_trips(r):
    text = str(r)
    assert Restructure.parse(text) == r and str(Restructure.parse(text)) == text
    assert Restructure.coerce(text) == r == Restructure.coerce(r)
    assert hash(Restructure.parse(text)) == hash(r)


@given(specs)
def test_the_dict_form_of_older_saved_models_is_still_read(r):
    old = {"kind": r.kind, **({"size": r.size} if r.size is not None else {}),
           **({"hop": r.hop} if r.hop is not None else {})}
    assert Restructure.coerce(old) == r


@given(st.text(max_size=12))
def test_any_text_parses_or_raises_a_config_error(text):
    try:
        r = Restructure.parse(text)
    except ConfigError as e:
        assert e.argument == "text" and e.received == text and e.fix
    else:
        assert Restructure.parse(str(r)) == r and str(r).split(":")[0] == (text or "none").split(":")[0]


@pytest.mark.parametrize("kwargs, argument", [
    (dict(kind="blur", size=2), "kind"), (dict(kind="frame"), "size"), (dict(kind="pool", size=0), "size"),
    (dict(kind="pool", size=2.0), "size"), (dict(kind="pool", size=True), "size"),
    (dict(kind="pool", size=2, hop=1), "hop"), (dict(kind="frame", size=2, hop=0), "hop"),
    (dict(kind="none", size=2), "size")])
def test_invalid_values_are_config_errors_naming_the_field(kwargs, argument):
    with pytest.raises(ConfigError) as e:
        Restructure(**kwargs)
    assert e.value.argument == argument and e.value.fix


def test_frozen_and_applied_as_described():
    r = Restructure.parse("frame:2")
    with pytest.raises(AttributeError):
        r.size = 3
    s = SequenceSet.from_sequences([np.arange(5.0), np.arange(2.0)])
    np.testing.assert_array_equal(r.apply(s).lengths, r.steps(s.lengths))
    assert r.apply(s).n_features == r.n_features(s.n_features) == 2
    z = Restructure.parse("summary:2")
    assert z.apply(s).n_features == z.n_features(1) == 5
    np.testing.assert_array_equal(Restructure.parse("maxpool:2").apply(s).values[:, 0], [1, 3, 4, 1])
    np.testing.assert_array_equal(Restructure.parse("conv:2").steps([5, 2]), [3, 1])
    assert Restructure.parse("conv:2").apply(s).lengths.tolist() == [5, 2]
    with pytest.raises(ConfigError, match="`restructure` must be a Restructure"):
        Restructure.coerce(3)
