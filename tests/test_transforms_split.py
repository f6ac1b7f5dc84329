import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import ConfigError, DataError, SequenceSet, ShapeError
from seqfeed.transforms import split_by_entity, split_by_time, split_windows_by_time


def labelled(n_per_class, seed=0):
    labels = np.repeat(np.arange(len(n_per_class)), n_per_class)
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(int(rng.integers(1, 6)), 2)) for _ in labels]
    return SequenceSet.from_sequences(seqs, targets=labels)


# ---------------------------------------------------------------------------------------------
# split_by_entity
# ---------------------------------------------------------------------------------------------
def test_entity_split_is_a_seeded_partition():
    s = labelled([30, 20])
    tr, te = split_by_entity(s, test_fraction=0.2, seed=7, return_indices=True)
    assert len(te) == 10 and len(tr) == 40
    assert np.all(np.diff(tr) > 0) and np.all(np.diff(te) > 0)
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, te])), np.arange(50))
    tr2, te2 = split_by_entity(s, test_fraction=0.2, seed=7, return_indices=True)
    np.testing.assert_array_equal(te, te2)
    assert not np.array_equal(te, split_by_entity(s, test_fraction=0.2, seed=8, return_indices=True)[1])


def test_entity_split_returns_sets_with_their_targets():
    s = labelled([6, 4])
    tr, te = split_by_entity(s, test_fraction=0.3, seed=0)
    itr, ite = split_by_entity(s, test_fraction=0.3, seed=0, return_indices=True)
    np.testing.assert_array_equal(te.targets, s.targets[ite])
    np.testing.assert_array_equal(tr.lengths, s.lengths[itr])
    np.testing.assert_array_equal(te[0], s[int(ite[0])])


@given(st.lists(st.integers(1, 12), min_size=1, max_size=6), st.floats(0.05, 0.95), st.integers(0, 10**6))
def test_stratified_keeps_proportions_and_both_sides(counts, f, seed):
    s = labelled(counts)
    if len(s) < 2:
        return
    tr, te = split_by_entity(s, test_fraction=f, stratify="targets", seed=seed, return_indices=True)
    np.testing.assert_array_equal(np.sort(np.concatenate([tr, te])), np.arange(len(s)))
    for c, n_c in enumerate(counts):
        n_test = int(np.sum(s.targets[te] == c))
        if n_c >= 2:
            assert 1 <= n_test <= n_c - 1
        ideal = n_c * f
        allowed = {int(np.floor(ideal)), int(np.ceil(ideal))}
        if n_c >= 2:
            allowed = {min(max(a, 1), n_c - 1) for a in allowed}
        assert n_test in allowed
    again = split_by_entity(s, test_fraction=f, stratify="targets", seed=seed, return_indices=True)
    np.testing.assert_array_equal(te, again[1])


def test_stratified_exact_counts():
    s = labelled([50, 30, 20])
    tr, te = split_by_entity(s, test_fraction=0.2, stratify=s.targets, seed=3)
    assert np.bincount(te.targets).tolist() == [10, 6, 4]
    assert np.bincount(tr.targets).tolist() == [40, 24, 16]


def test_entities_with_several_sequences_stay_together():
    ids = np.repeat(np.arange(10), 3)  # 10 entities, 3 sequences each
    s = SequenceSet.from_sequences([np.ones(2) * i for i in range(30)], ids=ids,
                                   targets=np.repeat(np.arange(10) % 2, 3))
    for seed in range(5):
        tr, te = split_by_entity(s, test_fraction=0.3, stratify="targets", seed=seed)
        assert not set(tr.ids.tolist()) & set(te.ids.tolist())
        assert len(set(te.ids.tolist())) == 3 and len(te) == 9


def test_entity_with_mixed_labels_cannot_be_stratified():
    s = SequenceSet.from_sequences([[1.0], [2.0], [3.0], [4.0]], ids=["a", "a", "b", "b"], targets=[0, 1, 0, 0])
    with pytest.raises(DataError, match=r"^split_by_entity: sequence 1 has a different label from other "
                                        r"sequences of its entity \(id 'a'\)"):
        split_by_entity(s, stratify="targets")


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(test_fraction=0.0), ConfigError,
     r"^split_by_entity: `test_fraction` must be a number with 0 < test_fraction < 1\. "
     r"Received: test_fraction=0\.0\.$"),
    (dict(test_fraction=1), ConfigError, r"`test_fraction` must be a number with 0 < test_fraction < 1"),
    (dict(seed=-1), ConfigError, r"^split_by_entity: `seed` must be >= 0\. Received: seed=-1\.$"),
    (dict(stratify="labels"), ConfigError, r"`stratify` must be None, 'targets' or an array of labels"),
    (dict(stratify=[0, 1]), ShapeError, r"labels must be 1-D, one per sequence \(4\)\. Received shape \(2,\)"),
])
def test_entity_bad_options(kwargs, error, pattern):
    s = SequenceSet.from_sequences([[1.0], [2.0], [3.0], [4.0]])
    with pytest.raises(error, match=pattern):
        split_by_entity(s, **kwargs)


def test_entity_split_needs_targets_and_two_entities():
    with pytest.raises(ConfigError, match=r"stratify='targets' needs a set with `targets`"):
        split_by_entity(SequenceSet.from_sequences([[1.0], [2.0]]), stratify="targets")
    with pytest.raises(DataError, match=r"^split_by_entity: at least 2 entities are needed to split\. Received 1\.$"):
        split_by_entity(SequenceSet.from_sequences([[1.0], [2.0]], ids=[5, 5]))
    with pytest.raises(ConfigError, match=r"`data` must be a SequenceSet"):
        split_by_entity([[1.0], [2.0]])


# ---------------------------------------------------------------------------------------------
# split_by_time
# ---------------------------------------------------------------------------------------------
def test_series_split_by_index_gives_readonly_views():
    data = np.arange(20.0).reshape(10, 2)
    tr, te = split_by_time(data, cutoff=6, gap=1)
    np.testing.assert_array_equal(tr, data[:6])
    np.testing.assert_array_equal(te, data[7:])
    assert np.shares_memory(tr, data) and not tr.flags.writeable and data.flags.writeable
    itr, ite = split_by_time(data, cutoff=6, gap=1, return_indices=True)
    assert itr.tolist() == list(range(6)) and ite.tolist() == [7, 8, 9]


def test_series_split_by_datetime():
    time = np.arange("2024-01-01", "2024-01-11", dtype="datetime64[D]")
    data = np.arange(10.0)
    tr, te = split_by_time(data, cutoff=np.datetime64("2024-01-05"), gap=np.timedelta64(2, "D"), time=time)
    np.testing.assert_array_equal(tr, [0, 1, 2, 3])
    np.testing.assert_array_equal(te, [6, 7, 8, 9])


def test_set_split_keeps_every_sequence_aligned():
    s = SequenceSet.from_sequences([np.arange(5.0), np.arange(2.0), np.arange(8.0)], targets=[1, 2, 3],
                                   ids=["a", "b", "c"], step_targets=[np.arange(5), np.arange(2), np.arange(8)])
    tr, te = split_by_time(s, cutoff=3, gap=1)
    assert tr.lengths.tolist() == [3, 2, 3] and te.lengths.tolist() == [1, 0, 4]
    np.testing.assert_array_equal(te[2][:, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(te.step_targets, [4, 4, 5, 6, 7])
    assert te.ids.tolist() == ["a", "b", "c"] and tr.targets.tolist() == [1, 2, 3]


def test_set_split_with_per_step_time_and_per_sequence_cutoff():
    s = SequenceSet.from_sequences([np.arange(4.0), np.arange(4.0)])
    time = np.array([0.0, 1.5, 3.0, 4.5, 10, 11, 12, 13])
    tr, te = split_by_time(s, cutoff=3.0, time=time)
    assert tr.lengths.tolist() == [2, 0] and te.lengths.tolist() == [2, 4]
    tr, te = split_by_time(s, cutoff=np.array([1, 3]))
    assert tr.lengths.tolist() == [1, 3] and te.lengths.tolist() == [3, 1]


@pytest.mark.parametrize("kwargs, error, pattern", [
    (dict(cutoff=-1), ConfigError, r"^split_by_time: `cutoff` must be >= 0\. Received: cutoff=-1\.$"),
    (dict(cutoff=2.5), ConfigError, r"^split_by_time: without `time`, `cutoff` is a step index .* Fix: pass time="),
    (dict(cutoff=2, gap=-1), ConfigError, r"`gap` must be >= 0"),
    (dict(cutoff=2.0, gap=-1.0, time=np.arange(6.0)), ConfigError, r"`gap` must be a scalar >= 0"),
    (dict(cutoff=2.0, time=np.arange(5.0)), ShapeError,
     r"^split_by_time: `time` must be 1-D with one entry per step \(6\)\. Received shape \(5,\)\.$"),
    (dict(cutoff=2.0, time=np.array([0, 1, 2, 3, 2, 5.0])), DataError,
     r"^split_by_time: `time` must be non-decreasing within each sequence; sequence 1 goes back in time at step 1"),
    (dict(cutoff=2.0, time=np.array([0, 1, 2, np.nan, 4, 5.0])), DataError,
     r"^split_by_time: `time` is missing at sequence 1, step 0\."),
    (dict(cutoff=np.array([1, 2, 3])), ShapeError, r"per-sequence `cutoff` needs one entry per sequence \(2\)"),
    (dict(cutoff="2020", time=np.arange(6.0)), ConfigError, r"cannot be compared with `time` of dtype float64"),
])
def test_time_split_bad_inputs(kwargs, error, pattern):
    s = SequenceSet.from_sequences([np.arange(3.0), np.arange(3.0)])
    with pytest.raises(error, match=pattern):
        split_by_time(s, **kwargs)


# ---------------------------------------------------------------------------------------------
# split_windows_by_time: no leakage
# ---------------------------------------------------------------------------------------------
@st.composite
def time_cases(draw):
    n = draw(st.integers(1, 4))
    lengths = [draw(st.integers(0, 25)) for _ in range(n)]
    use_time = draw(st.booleans())
    rng = np.random.default_rng(draw(st.integers(0, 2**31 - 1)))
    values = rng.normal(size=(sum(lengths), 2))
    s = SequenceSet(values, np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64))
    if use_time:
        time = np.concatenate([np.cumsum(rng.integers(0, 3, size=L)) for L in lengths]).astype(float)
        cutoff = float(draw(st.integers(0, 30)))
        gap = float(draw(st.integers(0, 4)))
    else:
        time = None
        cutoff = draw(st.integers(0, 25))
        gap = draw(st.integers(0, 4))
    target = draw(st.sampled_from(["next", None]))
    kw = dict(stride=draw(st.integers(1, 4)), sampling_rate=draw(st.integers(1, 3)),
              horizon=draw(st.integers(0, 3)) if target else 0, target=target,
              drop_incomplete=draw(st.booleans()), context=draw(st.booleans()))
    return s, time, cutoff, gap, draw(st.integers(1, 6)), kw


def step_times(s, time):
    pos = np.arange(s.n_steps) - np.repeat(s.offsets[:-1], s.lengths)
    return pos.astype(float) if time is None else time


@given(time_cases())
def test_no_window_leaks_across_the_cutoff(case):
    s, time, cutoff, gap, L, kw = case
    tr, te = split_windows_by_time(s, L, cutoff=cutoff, gap=gap, time=time, **kw)
    t = step_times(s, time)
    for w, side in ((tr, "train"), (te, "test")):
        if not len(w):
            continue
        steps = w.step_index()
        inputs = np.where(steps >= 0, t[np.maximum(steps, 0)], np.nan)
        if w.target == "next":
            rows = (w.seqs.offsets[w.source] + w.target_start)[:, None] + np.arange(max(w.horizon, 1))
            assert np.all(rows < w.seqs.offsets[w.source + 1][:, None])  # targets inside the sequence
            targets = t[rows]
        else:
            targets = np.nanmax(inputs, axis=1)[:, None]  # the last step plays the target
        if side == "train":
            assert np.nanmax(inputs) < cutoff and targets.max() < cutoff
        else:
            assert targets.min() >= cutoff + gap
            if not kw["context"]:
                assert np.nanmin(inputs) >= cutoff + gap


def naive_test_starts(T, j, L, stride, rate, need, context, target):
    span = (L - 1) * rate + 1
    off = 1 if target == "next" else 0
    first = j - (span - 1) - off if context else j
    out = []
    p = first
    while p + span - 1 + need <= T - 1:
        if p >= 0:
            out.append(p)
        p += stride
    return out


@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 3), st.integers(1, 5), st.integers(1, 3),
       st.integers(1, 3), st.integers(0, 2), st.booleans(), st.sampled_from(["next", None]))
def test_window_split_is_complete(T, cutoff, gap, L, stride, rate, horizon, context, target):
    if target is None:
        horizon = 0
    tr, te = split_windows_by_time(np.arange(float(T)), L, cutoff=cutoff, gap=gap, context=context, stride=stride,
                                   sampling_rate=rate, horizon=horizon, target=target)
    need = max(horizon, 1) if target == "next" else 0
    span = (L - 1) * rate + 1
    k, j = min(cutoff, T), min(cutoff + gap, T)
    assert tr.start.tolist() == list(range(0, max(k - span - need + 1, 0), stride))
    assert te.start.tolist() == naive_test_starts(T, j, L, stride, rate, need, context, target)
    if context and target == "next" and len(te) and j >= span:
        assert te.target_start[0] == j  # the first test forecast is the first step after the cutoff + gap


def test_context_example_and_mapping_back():
    s = SequenceSet.from_sequences([np.arange(10.0), np.arange(100.0, 104.0)])
    tr, te = split_windows_by_time(s, 3, cutoff=6, gap=1, horizon=2, context=True)
    assert tr.source.tolist() == [0, 0] and tr.start.tolist() == [0, 1]  # sequence 1 is too short
    assert np.all(tr.target_start + 2 <= 6)
    assert te.source.tolist() == [0, 0] and te.start.tolist() == [4, 5]
    np.testing.assert_array_equal(te.x[0, :, 0], [4, 5, 6])  # inputs reach back before the cutoff
    np.testing.assert_array_equal(te.y[..., 0], [[7, 8], [8, 9]])
    np.testing.assert_array_equal(te.target_start, [7, 8])
    _, te0 = split_windows_by_time(s, 3, cutoff=6, gap=1, horizon=2, context=False)
    assert len(te0) == 0  # steps 7..9 cannot hold 3 inputs + 2 targets


def test_window_split_options_checked_before_data():
    with pytest.raises(ConfigError, match=r"^split_windows_by_time: `context` must be True or False"):
        split_windows_by_time("junk", 3, cutoff=2, context="yes")
    with pytest.raises(ConfigError, match=r"^split_windows_by_time: `length` must be >= 1"):
        split_windows_by_time("junk", 0, cutoff=2)
