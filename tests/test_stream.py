"""ShardDataset: exactly once per epoch across workers, determinism, resume, memory bound, errors."""

import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqfeed
from seqfeed import ConfigError, DataError, SequenceSet, ShardDataset
from seqfeed.batching import BucketSampler
from seqfeed.batching._stream_plan import bucket_boundaries, epoch_batches
from seqfeed.sources import read_shards, write_shards


def make_set(n, seed, *, max_len=40, F=3, step_targets=False):
    rng = np.random.default_rng(seed)
    seqs = [rng.normal(size=(int(L), F)).astype("float32") for L in rng.integers(1, max_len, n)]
    if step_targets:
        return SequenceSet.from_sequences(seqs, step_targets=[rng.integers(0, 2, len(s)) for s in seqs])
    return SequenceSet.from_sequences(seqs, targets=rng.integers(0, 3, n), ids=np.arange(1000, 1000 + n))


@pytest.fixture(scope="module")
def shards():
    with tempfile.TemporaryDirectory() as d:
        s = make_set(300, 0)
        write_shards(s, os.path.join(d, "one"))
        write_shards(s, os.path.join(d, "many"), rows_per_file=23)
        yield s, os.path.join(d, "one"), os.path.join(d, "many")


def served(ds):
    return [b.index.copy() for b in ds]


# ------------------------------------------------------------------ exactly once
@settings(max_examples=25)
@given(n=st.integers(1, 120), rows_per_file=st.integers(1, 60), num_shards=st.integers(1, 5),
       buffer=st.integers(1, 80), interleave=st.integers(1, 4), batch=st.integers(1, 9),
       seed=st.integers(0, 1000), tokens=st.booleans())
def test_every_sequence_exactly_once_per_epoch_across_workers(n, rows_per_file, num_shards, buffer, interleave,
                                                               batch, seed, tokens):
    s = make_set(n, seed)
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "s")
        write_shards(s, path, rows_per_file=rows_per_file)
        n_files = -(-n // rows_per_file)
        if n_files < num_shards and -(-num_shards // n_files) > rows_per_file and n < num_shards:
            with pytest.raises(ConfigError, match="would get no sequence"):
                ShardDataset(path, 0, num_shards, batch_size=batch)
            return
        try:
            workers = [ShardDataset(path, w, num_shards, batch_size=None if tokens else batch,
                                    max_tokens=4 * batch if tokens else None, shuffle_buffer=buffer,
                                    interleave=interleave, seed=seed) for w in range(num_shards)]
        except ConfigError as e:
            assert "would get no sequence" in str(e)  # a file cut into more ranges than rows
            return
        steps = {len(w) for w in workers}
        assert len(steps) == 1  # equal steps on every worker
        for epoch in range(2):
            seen = []
            for w in workers:
                batches = served(w)
                assert len(batches) == len(w)
                real = [b for b in batches if b[0] >= 0]
                assert len(real) == w.real_batches[w.shard_id]
                seen.extend(i for b in real for i in b.tolist())
                assert all(b.tolist() == [-1] for b in batches[len(real):])  # filler at the end only
            assert sorted(seen) == list(range(n)), epoch  # union = all, disjoint (no repeats)


def test_batches_hold_the_right_values_targets_and_lengths(shards):
    s, _, many = shards
    ds = ShardDataset(many, batch_size=7, shuffle_buffer=40, seed=5)
    for b in ds:
        for k, i in enumerate(b.index.tolist()):
            L = int(s.lengths[i])
            assert b.lengths[k] == L
            np.testing.assert_array_equal(b.x[k, :L], s[i])
            assert not b.mask[k, L:].any() and b.mask[k, :L].all()
            np.testing.assert_array_equal(b.x[k, L:], 0)
            assert b.y[k] == s.targets[i]
        assert b.x.shape[1] == b.lengths.max()  # padded per batch


def test_per_step_targets_are_padded_with_mask_weights():
    s = make_set(50, 1, step_targets=True)
    with tempfile.TemporaryDirectory() as d:
        write_shards(s, os.path.join(d, "s"), rows_per_file=9)
        for b in ShardDataset(os.path.join(d, "s"), batch_size=4, shuffle_buffer=12):
            for k, i in enumerate(b.index.tolist()):
                L = int(s.lengths[i])
                np.testing.assert_array_equal(b.y[k, :L], s.step_targets[s.offsets[i]:s.offsets[i + 1]])
            np.testing.assert_array_equal(b.sample_weight, b.mask.astype(np.float32))


def test_one_window_gives_bucket_sampler_batches_exactly(shards):
    s, one, _ = shards
    ds = ShardDataset(one, batch_size=16, seed=9)
    mem = BucketSampler(s.lengths, batch_size=16, seed=9)
    for epoch in range(2):
        got = served(ds)
        want = mem.batches(epoch)
        assert len(got) == len(want)
        assert all(np.array_equal(a, b) for a, b in zip(got, want))


def test_histogram_boundaries_equal_equal_step_boundaries():
    rng = np.random.default_rng(0)
    for n_buckets in (1, 3, 8):
        L = rng.integers(1, 60, 500)
        v, c = np.unique(L, return_counts=True)
        np.testing.assert_array_equal(bucket_boundaries(v, c, n_buckets),
                                      seqfeed.batching.equal_step_boundaries(L, n_buckets))


def test_epoch_batch_count_does_not_depend_on_the_order():
    rng = np.random.default_rng(3)
    pieces = [rng.integers(1, 50, int(k)) for k in rng.integers(1, 40, 12)]
    allL = np.concatenate(pieces)
    v, c = np.unique(allL, return_counts=True)
    b = bucket_boundaries(v, c, 4)
    sizes = np.full(b.size, 5)
    k = np.searchsorted(b, allL)
    expect = int(sum(-(-np.sum(k == j) // 5) for j in range(b.size)))
    for epoch in range(4):
        order = np.random.default_rng(epoch).permutation(len(pieces))
        out = epoch_batches(pieces, order, buffer=17, interleave=3, boundaries=b, sizes=sizes, seed=0,
                            epoch=epoch)
        assert len(out) == expect
        assert sorted(np.concatenate(out).tolist()) == list(range(allL.size))


# ------------------------------------------------------------------ determinism, epochs, resume
def test_same_seed_same_batches_and_epochs_differ(shards):
    _, _, many = shards
    a = ShardDataset(many, batch_size=8, shuffle_buffer=50, seed=2)
    b = ShardDataset(many, batch_size=8, shuffle_buffer=50, seed=2)
    e0a, e0b = served(a), served(b)
    assert all(np.array_equal(x, y) for x, y in zip(e0a, e0b))
    e1a = served(a)
    assert not all(np.array_equal(x, y) for x, y in zip(e0a, e1a))
    c = ShardDataset(many, batch_size=8, shuffle_buffer=50, seed=3)
    assert not all(np.array_equal(x, y) for x, y in zip(e0a, served(c)))


@settings(max_examples=15)
@given(stop=st.integers(0, 60), buffer=st.integers(5, 90), epoch=st.integers(0, 2), workers=st.integers(1, 3))
def test_resume_mid_epoch_gives_the_same_remaining_batches(shards, stop, buffer, epoch, workers):
    _, _, many = shards
    ref = ShardDataset(many, workers - 1, workers, batch_size=6, shuffle_buffer=buffer, seed=4)
    ref.set_epoch(epoch)
    full = [(b.index.copy(), b.x.copy()) for b in ref]
    stop = min(stop, len(full) - 1)  # stopping after the last batch: the next run starts the next epoch
    run = ShardDataset(many, workers - 1, workers, batch_size=6, shuffle_buffer=buffer, seed=4)
    run.set_epoch(epoch)
    it = iter(run)
    for _ in range(stop):
        next(it)
    state = run.state_dict()
    fresh = ShardDataset(many, workers - 1, workers, batch_size=6, shuffle_buffer=buffer, seed=4)
    fresh.load_state_dict(state)
    rest = [(b.index.copy(), b.x.copy()) for b in fresh]
    assert len(rest) == len(full) - stop
    for (i1, x1), (i2, x2) in zip(rest, full[stop:]):
        np.testing.assert_array_equal(i1, i2)
        np.testing.assert_array_equal(x1, x2)
    assert fresh.epoch == epoch + 1  # the epoch closed after the last batch


def test_state_from_other_options_is_refused(shards):
    _, _, many = shards
    state = ShardDataset(many, batch_size=8).state_dict()
    with pytest.raises(ConfigError, match="batch_size") as e:
        ShardDataset(many, batch_size=9).load_state_dict(state)
    assert e.value.fix


# ------------------------------------------------------------------ scaler, splits, memory
def test_manifest_scaler_equals_standardizer_fit_on_train(shards):
    s, _, many = shards
    st = ShardDataset(many).manifest_scaler()
    ref = seqfeed.Standardizer().fit(s)
    np.testing.assert_allclose(st.mean_, ref.mean_, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(st.std_, ref.std_, rtol=1e-10)
    ds = ShardDataset(many, batch_size=8, scaler="manifest")
    b = next(iter(ds))
    np.testing.assert_allclose(b.x[0, :b.lengths[0]], ref.transform(s)[int(b.index[0])], rtol=1e-5, atol=1e-6)


def test_split_selects_files_and_index_follows_read_shards():
    s = make_set(80, 2)
    split = np.where(np.arange(80) % 4 == 0, "test", "train")
    with tempfile.TemporaryDirectory() as d:
        write_shards(s, os.path.join(d, "s"), split=list(split), rows_per_file=11)
        for name in ("train", "test"):
            ref = read_shards(os.path.join(d, "s"), split=name)
            ds = ShardDataset(os.path.join(d, "s"), split=name, batch_size=5, shuffle_buffer=20)
            got = sorted(i for b in ds for i in b.index.tolist())
            assert got == list(range(len(ref)))
            b = next(iter(ds))
            np.testing.assert_array_equal(b.x[0, :b.lengths[0]], ref[int(b.index[0])])
        with pytest.raises(DataError, match="no 'validation' sequences"):
            ShardDataset(os.path.join(d, "s"), split="validation")


def test_window_memory_is_bounded_by_the_buffer(shards, monkeypatch):
    _, _, many = shards
    sizes = []
    original = ShardDataset._batch

    def spy(self, store, pos, refs):
        sizes.append(len(store))
        return original(self, store, pos, refs)

    monkeypatch.setattr(ShardDataset, "_batch", spy)
    ds = ShardDataset(many, batch_size=8, shuffle_buffer=30, n_buckets=4)
    for _ in ds:
        pass
    assert sizes and max(sizes) <= 30 + 4 * 7  # window + carried incomplete batches


def file_bytes(path):
    return {f: open(os.path.join(path, f), "rb").read() for f in sorted(os.listdir(path))}


@pytest.mark.parametrize("buffer", [30, 1000])
def test_windows_scaled_in_place_equal_the_scaler_and_change_nothing_shared(shards, buffer, monkeypatch):
    s, _, many = shards
    from seqfeed.batching import _shard_read

    joined = []
    original = _shard_read._WindowBuilder.with_carried

    def spy(self, new, old):
        out = original(self, new, old)
        joined.append(out is not None)
        return out

    monkeypatch.setattr(_shard_read._WindowBuilder, "with_carried", spy)
    before_values, before_files = s.values.copy(), file_bytes(many)
    scaler = seqfeed.Standardizer().fit(s)
    mean, std = scaler.mean_.copy(), scaler.std_.copy()
    ref = scaler.transform(s)
    ds = ShardDataset(many, batch_size=8, shuffle_buffer=buffer, n_buckets=4, scaler=scaler, seed=3)
    batches = [b for _ in range(2) for b in ds]  # two epochs, several windows with carried rows
    # checked after both epochs: a later window scaled in place never reaches a batch served before
    for b in batches:
        for k, i in enumerate(b.index.tolist()):
            np.testing.assert_array_equal(b.x[k, :b.lengths[k]], ref[i])
            assert b.y[k] == s.targets[i]
    assert sorted(i for b in batches for i in b.index.tolist()) == sorted(list(range(len(s))) * 2)
    np.testing.assert_array_equal(s.values, before_values)
    np.testing.assert_array_equal(scaler.mean_, mean)
    np.testing.assert_array_equal(scaler.std_, std)
    assert file_bytes(many) == before_files
    assert all(joined) and (len(joined) > 0) == (buffer < len(s))  # carried rows joined without a concat


@settings(max_examples=15, deadline=None)
@given(n=st.integers(1, 60), rows_per_file=st.integers(1, 25), buffer=st.integers(1, 40),
       interleave=st.integers(1, 3), batch=st.integers(1, 6), log=st.booleans(), seed=st.integers(0, 100))
def test_scaled_batches_equal_the_scaler_on_the_set_for_any_layout(n, rows_per_file, buffer, interleave, batch,
                                                                    log, seed):
    s = make_set(n, seed, max_len=12)
    scaler = seqfeed.Standardizer(transform="signed_log1p" if log else None).fit(s)
    ref = scaler.transform(s)
    with tempfile.TemporaryDirectory() as d:
        write_shards(s, os.path.join(d, "s"), rows_per_file=rows_per_file)
        ds = ShardDataset(os.path.join(d, "s"), batch_size=batch, shuffle_buffer=buffer, interleave=interleave,
                          n_buckets=3, scaler=scaler, seed=seed)
        batches = list(ds)
    seen = []
    for b in batches:
        for k, i in enumerate(b.index.tolist()):
            np.testing.assert_array_equal(b.x[k, :b.lengths[k]], ref[i])
            seen.append(i)
    assert sorted(seen) == list(range(n))


def test_resumed_scaled_epoch_gives_the_same_values(shards):
    _, _, many = shards
    opts = dict(batch_size=8, shuffle_buffer=30, n_buckets=4, scaler="manifest", seed=1)
    ds = ShardDataset(many, **opts)
    want = [(b.index.copy(), b.x.copy()) for b in ds]
    again = ShardDataset(many, **opts)
    it = iter(again)
    for _ in range(5):
        next(it)
    state = again.state_dict()
    resumed = ShardDataset(many, **opts)
    resumed.load_state_dict(state)
    got = [(b.index, b.x) for b in resumed]
    assert len(got) == len(want) - 5
    for (gi, gx), (wi, wx) in zip(got, want[5:]):
        np.testing.assert_array_equal(gi, wi)
        np.testing.assert_array_equal(gx, wx)


def test_in_place_scaling_matches_transform_and_leaves_other_arrays_alone():
    s = make_set(40, 4)
    st = seqfeed.Standardizer(transform="signed_log1p").fit(s)
    own = s.values.copy()
    assert st._transform_in_place(own, offsets=s.offsets)
    np.testing.assert_array_equal(own, st.transform(s).values)
    frozen = s.values  # a set's values are read-only views: refused, untouched
    assert not st._transform_in_place(frozen, offsets=s.offsets)
    assert not seqfeed.Standardizer(method="per_sequence").fit(s)._transform_in_place(s.values.copy(),
                                                                                        offsets=s.offsets)
    bad = s.values.copy()
    bad[50, 1] = np.nan
    with pytest.raises(DataError) as e_copy:
        st.transform(SequenceSet(bad, s.offsets))
    with pytest.raises(DataError) as e_own:
        st._transform_in_place(bad.copy(), offsets=s.offsets)
    assert str(e_own.value) == str(e_copy.value) and "NaN" in str(e_own.value)


@pytest.mark.parametrize("kwargs, match", [
    ({"shard_id": 2, "num_shards": 2}, "shard_id"),
    ({"batch_size": 0}, "batch_size"),
    ({"split": "dev"}, "split"),
    ({"scaler": "auto"}, "scaler"),
    ({"transform": 3}, "transform"),
    ({"num_shards": 1000}, "would get no sequence"),
])
def test_bad_options_raise_named_errors(shards, kwargs, match):
    _, _, many = shards
    with pytest.raises(ConfigError, match=match) as e:
        ShardDataset(many, **kwargs)
    assert e.value.argument


def test_not_a_shards_directory(tmp_path):
    with pytest.raises(DataError, match="not a shards directory"):
        ShardDataset(tmp_path)
    with pytest.raises(ConfigError, match="path of a shards directory"):
        ShardDataset(make_set(3, 0))


# ------------------------------------------------------------------ Keras
def last_step_problem(n, seed):
    """Label = sign of the last real step's first feature (as in test_keras_training)."""
    rng = np.random.default_rng(seed)
    seqs, y = [], []
    for L in rng.integers(3, 25, n):
        s = rng.normal(size=(L, 2)).astype("float32") * 3 + 1
        seqs.append(s)
        y.append("pos" if s[-1, 0] > 1 else "neg")
    return SequenceSet.from_sequences(seqs, targets=np.array(y), feature_names=["a", "b"])


@pytest.mark.tf
@pytest.mark.slow(seconds=20)
def test_training_from_shards_equals_in_memory_training(tmp_path):
    from seqfeed.keras import SequenceModel

    train, test = last_step_problem(300, 0), last_step_problem(150, 1)
    write_shards(train, tmp_path / "s")
    mem = SequenceModel.for_data(train, "classify", units=12, seed=0, learning_rate=5e-3,
                                 scaler=seqfeed.Standardizer().fit(train))
    h_mem = mem.fit(train, epochs=3, batch_size=32, seed=0, verbose=0, jit_compile=False)
    streamed = SequenceModel.for_data(tmp_path / "s", "classify", units=12, seed=0, learning_rate=5e-3)
    assert streamed.classes.tolist() == ["neg", "pos"] and streamed.feature_names == ["a", "b"]
    h_st = streamed.fit(tmp_path / "s", epochs=3, batch_size=32, seed=0, verbose=0)
    np.testing.assert_allclose(streamed.scaler.std_, mem.scaler.std_, rtol=1e-10)
    # identical batches and initial weights; the only difference is the scaler's float64 rounding
    # (~1e-16 relative), invisible after the cast to float32: the losses agree to float32 precision
    np.testing.assert_allclose(h_st.history["loss"], h_mem.history["loss"], rtol=1e-6)
    a_mem, a_st = mem.evaluate(test)["accuracy"], streamed.evaluate(test)["accuracy"]
    assert a_mem > 0.7 and abs(a_st - a_mem) <= 1 / len(test), (a_mem, a_st)


@pytest.mark.tf
def test_keras_adapters_serve_the_dataset_batches(tmp_path):
    train = last_step_problem(120, 2)
    write_shards(train, tmp_path / "s", rows_per_file=25)
    want = [b.index.copy() for b in ShardDataset(tmp_path / "s", batch_size=16, shuffle_buffer=40)]
    ds = ShardDataset(tmp_path / "s", batch_size=16, shuffle_buffer=40)
    from seqfeed.keras import ShardPyDataset, shard_tf_dataset

    tfds = shard_tf_dataset(ds)
    got = [x for x, _ in tfds]
    assert len(got) == len(want) == len(ds)
    for (inputs), idx in zip(got, want):
        assert inputs["x"].shape[0] == idx.size
    py = ShardPyDataset(ShardDataset(tmp_path / "s", batch_size=16, shuffle_buffer=40))
    assert len(py) == len(want)
    for i in (0, 1, 2, 1):  # sequential and random access agree
        x, y = py[i]
        assert x["x"].shape[0] == want[i].size
    from seqfeed.keras import SequenceModel

    sm = SequenceModel.for_data(tmp_path / "s", "classify", units=4)
    fit_ds = ShardDataset(tmp_path / "s", batch_size=16, shuffle_buffer=40, transform=sm.prepare)
    history = sm.model.fit(ShardPyDataset(fit_ds), epochs=1, verbose=0, shuffle=False)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.tf
def test_cli_train_streams_shards_and_evaluates_their_splits(tmp_path, capsys):
    from seqfeed.cli import main
    from seqfeed.keras import SequenceModel

    s = last_step_problem(120, 3)
    split = np.where(np.arange(120) % 4 == 0, "test", "train")
    write_shards(s, tmp_path / "s", split=list(split), rows_per_file=40)
    assert main(["train", str(tmp_path / "s"), "--task", "classify", "--epochs", "1", "--units", "4",
                 "--out", str(tmp_path / "m"), "--quiet"]) == 0
    assert capsys.readouterr().out.startswith("test: accuracy ")
    sm = SequenceModel.load(tmp_path / "m")
    assert sm.info["metrics"]["test"]["n"] == 30
    assert sm.scaler is not None and sm.classes.tolist() == ["neg", "pos"]


@pytest.mark.tf
def test_cli_workers_must_match_tf_config(tmp_path, capsys, monkeypatch):
    from seqfeed.cli import main

    write_shards(last_step_problem(20, 4), tmp_path / "s", rows_per_file=10)
    monkeypatch.setenv("TF_CONFIG", '{"cluster": {"worker": ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]},'
                                    ' "task": {"type": "worker", "index": 0}}')
    assert main(["train", str(tmp_path / "s"), "--task", "classify", "--workers", "2",
                 "--out", str(tmp_path / "m")]) == 2
    err = capsys.readouterr().err
    assert "--workers 2 but TF_CONFIG lists 3 workers" in err and "hint:" in err
    assert not (tmp_path / "m").exists()


# ------------------------------------------------------------------ Standardizer.from_moments
@settings(max_examples=30)
@given(n=st.integers(2, 40), parts=st.integers(1, 5), seed=st.integers(0, 10_000))
def test_from_moments_of_merged_parts_equals_fit(n, parts, seed):
    from seqfeed.sources._shards import empty_moments, merge_moments, moments_of

    rng = np.random.default_rng(seed)
    v = rng.normal(size=(n, 3)) * rng.uniform(0.1, 100, 3) + rng.normal(size=3) * 50
    m = empty_moments(3)
    for chunk in np.array_split(v, parts):
        m = merge_moments(m, moments_of(chunk))
    st_ = seqfeed.Standardizer.from_moments(count=[m["count"]] * 3, mean=m["mean"], m2=m["m2"])
    ref = seqfeed.Standardizer().fit(v)
    np.testing.assert_allclose(st_.mean_, ref.mean_, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(st_.std_, ref.std_, rtol=1e-9)


@pytest.mark.parametrize("kwargs, match", [
    ({"count": [0], "mean": [0.0], "m2": [1.0]}, "feature 0 are not usable"),
    ({"count": [3, 3], "mean": [0.0, np.nan], "m2": [1.0, 1.0]}, "feature 1 are not usable"),
    ({"count": [3], "mean": [0.0], "m2": [-1.0]}, "m2 >= 0"),
    ({"count": [3, 3], "mean": [0.0], "m2": [1.0, 1.0]}, "one entry per feature"),
    ({"count": [3], "mean": ["a"], "m2": [1.0]}, "`mean` must hold one number per feature"),
    ({"count": [3], "mean": [0.0], "m2": [1.0], "feature_names": ["a", "b"]}, "2 names for 1 features"),
])
def test_from_moments_rejects_bad_moments(kwargs, match):
    with pytest.raises(seqfeed.SeqfeedError, match=match) as e:
        seqfeed.Standardizer.from_moments(**kwargs)
    assert e.value.argument
