import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import seqfeed
from seqfeed.batching import (BatchLoader, BucketSampler, FixedSampler, TokenBudgetSampler,
                              equal_step_boundaries, padding_report)

lengths_st = st.lists(st.integers(1, 60), min_size=1, max_size=120).map(lambda v: np.array(v, np.int64))


def make(kind, lengths, seed, **kw):
    if kind == "fixed":
        return FixedSampler(lengths, batch_size=kw.get("batch_size", 7), seed=seed,
                            drop_last=kw.get("drop_last", False))
    if kind == "bucket":
        return BucketSampler(lengths, batch_size=kw.get("batch_size", 7), n_buckets=4, seed=seed,
                             drop_last=kw.get("drop_last", False))
    if kind == "adaptive":
        from seqfeed.batching import AdaptiveSampler

        return AdaptiveSampler(lengths, max_batch_size=kw.get("batch_size", 7), seed=seed)
    return TokenBudgetSampler(lengths, max_tokens=kw.get("max_tokens", 100), seed=seed)


kinds = st.sampled_from(["fixed", "bucket", "token", "adaptive"])


@given(lengths_st, kinds, st.integers(0, 5), st.integers(0, 3))
def test_every_sequence_exactly_once_per_epoch(lengths, kind, seed, epoch):
    s = make(kind, lengths, seed)
    s.set_epoch(epoch)
    seen = np.concatenate(list(s))
    assert np.array_equal(np.sort(seen), np.arange(lengths.size))


@given(lengths_st, kinds, st.integers(0, 5))
def test_batches_depend_only_on_seed_and_epoch(lengths, kind, seed):
    """Two samplers with one seed give the same batches for an epoch, whichever epochs were asked
    for before (here in opposite orders, and one of them after a whole iteration)."""
    a, b = make(kind, lengths, seed), make(kind, lengths, seed)
    list(a)  # a has run through epoch 0 already
    pa = {e: a.batches(e) for e in (2, 1, 0)}
    pb = {e: b.batches(e) for e in (0, 1, 2)}
    for e in (0, 1, 2):
        assert len(pa[e]) == len(pb[e]) and all(np.array_equal(x, y) for x, y in zip(pa[e], pb[e])), e
        again = a.batches(e)
        assert all(np.array_equal(x, y) for x, y in zip(again, pa[e]))


def test_epochs_and_seeds_differ():
    lengths = np.random.default_rng(0).integers(1, 50, 500)
    for kind in ("fixed", "bucket", "token", "adaptive"):
        s = make(kind, lengths, 0)
        e0, e1 = s.batches(0), s.batches(1)
        assert any(not np.array_equal(x, y) for x, y in zip(e0, e1)), kind
        other = make(kind, lengths, 1).batches(0)
        assert any(not np.array_equal(x, y) for x, y in zip(e0, other)), kind


@given(lengths_st, kinds, st.integers(0, 5), st.data())
def test_resume_mid_epoch_gives_the_same_remaining_batches(lengths, kind, seed, data):
    s = make(kind, lengths, seed)
    s.set_epoch(data.draw(st.integers(0, 2)))
    full = s.batches()
    k = data.draw(st.integers(0, len(full) - 1))  # at len(full) the epoch is complete: see below
    it = iter(s)
    for _ in range(k):
        next(it)
    state = s.state_dict()
    resumed = make(kind, lengths, seed)
    resumed.load_state_dict(state)
    rest = list(resumed)
    assert len(rest) == len(full) - k
    assert all(np.array_equal(x, y) for x, y in zip(rest, full[k:]))
    assert resumed.epoch == state["epoch"] + 1 and resumed.position == 0


def test_resume_refuses_other_sampler():
    s = FixedSampler(np.arange(1, 10), batch_size=3)
    with pytest.raises(seqfeed.ConfigError, match=r"saved by a different sampler"):
        FixedSampler(np.arange(1, 10), batch_size=4).load_state_dict(s.state_dict())


@given(lengths_st, st.integers(1, 10))
def test_drop_last_only_drops_short_batches(lengths, bs):
    s = FixedSampler(lengths, batch_size=bs, drop_last=True)
    assert all(b.size == bs for b in s.batches())
    assert s.dropped == lengths.size % bs


@given(lengths_st, st.integers(5, 400))
def test_token_budget_respected(lengths, budget):
    for b in TokenBudgetSampler(lengths, max_tokens=budget).batches():
        assert b.size == 1 or b.size * lengths[b].max() <= budget


def test_bucket_boundaries_split_total_steps_evenly():
    lengths = np.random.default_rng(0).lognormal(4, 1, 10000).astype(int) + 1
    bounds = equal_step_boundaries(lengths, 4)
    bucket = np.searchsorted(bounds, lengths, side="left")
    shares = np.array([lengths[bucket == k].sum() for k in range(bounds.size)]) / lengths.sum()
    assert bounds[-1] == lengths.max()
    assert np.all(np.abs(shares - 0.25) < 0.03), shares


def test_ties_broken_at_random_so_sorted_files_mix_classes():
    # a file sorted by class where every sequence has the same length
    lengths = np.full(200, 10)
    s = BucketSampler(lengths, batch_size=20, seed=0)
    labels = np.repeat(np.arange(4), 50)
    assert all(len(np.unique(labels[b])) >= 3 for b in s.batches())


def test_loader_pads_per_batch_into_reused_buffers():
    rng = np.random.default_rng(0)
    seqs = seqfeed.SequenceSet.from_sequences([rng.normal(size=(n, 3)) for n in rng.integers(1, 40, 50)],
                                              targets=np.arange(50))
    loader = BatchLoader(seqs, BucketSampler(seqs.lengths, batch_size=8, seed=1), multiple_of=4)
    got = []
    for b in loader:
        assert b.x.shape[1] == -(-int(b.lengths.max()) // 4) * 4
        np.testing.assert_array_equal(b.y, b.index)
        for k, i in enumerate(b.index):
            np.testing.assert_allclose(b.x[k][b.mask[k]], seqs[i], rtol=1e-6)
        got.append(b.index.copy())
    assert np.array_equal(np.sort(np.concatenate(got)), np.arange(50))


def test_loader_rejects_empty_sequences():
    seqs = seqfeed.SequenceSet.from_sequences([np.ones(3), np.zeros(0)])
    with pytest.raises(seqfeed.DataError, match=r"sequence 1 is empty"):
        BatchLoader(seqs, FixedSampler(seqs.lengths))


def test_padding_report_values():
    lengths = np.array([10, 10, 20, 40])
    rep = padding_report(lengths, batch_sizes=(2,), token_budgets=(40,))
    rows = {r["strategy"]: r for r in rep.rows}
    assert rows["global"]["padded_steps"] == 160 and rows["global"]["real_steps"] == 80
    assert rows["bucket"]["padded_steps"] == 2 * 10 + 20 + 40  # buckets {10,10}, {20}, {40}
    assert rows["token_budget"]["padded_steps"] == 20 + 20 + 40
    assert rows["token_budget"]["efficiency"] == pytest.approx(80 / 80)
    text = str(rep)
    assert "token_budget" in text and "efficiency" in text


def test_new_iteration_after_a_consumer_stopped_at_the_last_batch_starts_the_next_epoch():
    s = FixedSampler(np.arange(1, 11), batch_size=5, seed=0)
    it = iter(s)
    first = [next(it), next(it)]  # all batches taken, generator left suspended (as Keras does)
    second = list(s)
    assert s.epoch == 2 and len(second) == 2
    assert [b.tolist() for b in second] == [b.tolist() for b in s.batches(1)]
    assert [b.tolist() for b in first] == [b.tolist() for b in s.batches(0)]


def _brute_force_cost(L, maxb, alpha):
    import functools

    @functools.lru_cache(None)
    def f(j):
        if j == 0:
            return 0.0
        return min(f(i) + max(L[j - 1], 1) * ((j - i) + alpha) for i in range(max(0, j - maxb), j))
    return f(len(L))


@given(st.lists(st.integers(1, 40), min_size=1, max_size=14), st.integers(1, 5), st.sampled_from([0.0, 0.5, 2.0, 10.0]))
def test_optimal_cuts_minimise_the_cost(lengths, maxb, alpha):
    from seqfeed.batching import optimal_cuts

    L = sorted(lengths)
    cuts = optimal_cuts(L, max_batch_size=maxb, step_overhead=alpha)
    assert cuts[0] == 0 and cuts[-1] == len(L) and np.all(np.diff(cuts) >= 1) and np.all(np.diff(cuts) <= maxb)
    cost = sum(L[b - 1] * ((b - a) + alpha) for a, b in zip(cuts[:-1], cuts[1:]))
    assert cost == pytest.approx(_brute_force_cost(tuple(L), maxb, alpha))


def test_adaptive_sampler_is_efficient_on_long_tails():
    from seqfeed.batching import AdaptiveSampler

    lengths = np.clip(np.random.default_rng(0).lognormal(np.log(60), 0.9, 4096), 2, 2000).astype(int)
    rows = {r["strategy"]: r for r in padding_report(lengths, batch_sizes=(64,), token_budgets=()).rows}
    assert rows["adaptive"]["efficiency"] >= 0.96
    assert rows["adaptive"]["batches"] <= 1.5 * rows["bucket"]["batches"]
    s = AdaptiveSampler(lengths, max_batch_size=64)
    assert max(b.size for b in s.batches()) <= 64


@given(st.lists(st.integers(1, 30), min_size=1, max_size=20), st.floats(0.1, 1.0), st.integers(0, 3))
def test_crop_gives_contiguous_parts_of_at_least_the_fraction(lengths, frac, seed):
    rng = np.random.default_rng(seed)
    seqs = seqfeed.SequenceSet.from_sequences([np.arange(n, dtype=np.float32) + 1000 * i
                                               for i, n in enumerate(lengths)])
    loader = BatchLoader(seqs, FixedSampler(seqs.lengths, batch_size=4, seed=seed), crop=frac)
    for b in loader:
        for k, i in enumerate(b.index):
            part = b.x[k][b.mask[k]][:, 0]
            L = lengths[i]
            assert len(part) >= min(L, int(np.ceil(frac * L - 1e-9))) and len(part) <= L
            start = int(part[0] - 1000 * i)
            np.testing.assert_array_equal(part, np.arange(start, start + len(part)) + 1000 * i)
    with pytest.raises(seqfeed.ConfigError, match=r"`crop` must be a number with 0 < crop <= 1"):
        BatchLoader(seqs, FixedSampler(seqs.lengths), crop=1.5)


@given(lengths_st, st.integers(1, 6), st.integers(0, 3))
def test_adaptive_n_batches_cap(lengths, k, seed):
    from seqfeed.batching import AdaptiveSampler

    s = AdaptiveSampler(lengths, max_batch_size=8, n_batches=k, seed=seed)
    batches = s.batches()
    assert len(batches) <= max(k, -(-lengths.size // 8))
    assert np.array_equal(np.sort(np.concatenate(batches)), np.arange(lengths.size))
    assert max(b.size for b in batches) <= 8


def test_balance_weights_rows_by_batch_size():
    from seqfeed.batching import AdaptiveSampler

    lengths = np.array([1] * 12 + [40, 41, 42])
    seqs = seqfeed.SequenceSet.from_sequences([np.ones(n) for n in lengths], targets=np.arange(15))
    loader = BatchLoader(seqs, AdaptiveSampler(lengths, max_batch_size=12, step_overhead=0.5), balance=True)
    plan = loader.sampler.batches()
    mean = 15 / len(plan)
    total = 0.0
    for b in loader:
        np.testing.assert_allclose(b.sample_weight, b.batch_size / mean, rtol=1e-6)
        total += b.sample_weight.sum() / b.batch_size  # what Keras' per-batch mean contributes
    # every sequence gets weight 1 / mean_size in the epoch's summed loss
    np.testing.assert_allclose(total, 15 / mean, rtol=1e-6)


# ------------------------------------------------------------------ compiled per-batch path
def _batches(loader, epochs=2):
    out = []
    for e in range(epochs):
        loader.sampler.set_epoch(e)
        for b in loader:
            out.append((b.x.copy(), b.mask.copy(), b.lengths.copy(), None if b.y is None else b.y.copy(),
                        b.index.copy(), None if b.sample_weight is None else b.sample_weight.copy()))
    return out


@pytest.mark.parametrize("padding", ["post", "pre"])
@pytest.mark.parametrize("opts", [dict(), dict(multiple_of=8, value=-1.0), dict(n_buffers=0, balance=True),
                                  dict(dtype="float64"), dict(shape=True)])
def test_loader_batches_are_byte_identical_with_and_without_numba(padding, opts):
    from seqfeed.core import _kernels

    if _kernels._compiled() is None:
        pytest.skip("numba not installed")
    from seqfeed.batching import ShapeBucketSampler

    opts = dict(opts)
    rng = np.random.default_rng(4)
    lengths = rng.integers(1, 40, 90)
    seqs = seqfeed.SequenceSet.from_sequences([rng.normal(size=(k, 3)).astype("float32") for k in lengths],
                                              targets=rng.integers(0, 3, 90))
    shaped = opts.pop("shape", False)

    def loader():
        sampler = (ShapeBucketSampler(seqs.lengths, batch_size=16, n_buckets=3, seed=1) if shaped
                   else BucketSampler(seqs.lengths, batch_size=16, n_buckets=3, seed=1))
        return BatchLoader(seqs, sampler, padding=padding, **opts)

    saved = _kernels._STATE["kernel"]
    _kernels._STATE["kernel"] = None  # as without numba: pad_set's NumPy kernels
    try:
        ref = _batches(loader())
    finally:
        _kernels._STATE["kernel"] = saved
    got = _batches(loader())
    assert len(got) == len(ref)
    for g, r in zip(got, ref):
        for a, b in zip(g, r):
            if a is None or b is None:
                assert a is None and b is None
            else:
                assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def test_loader_batch_reuses_its_buffers_and_checks_indices_once():
    rng = np.random.default_rng(5)
    seqs = seqfeed.SequenceSet.from_sequences([rng.normal(size=(k, 2)).astype("float32")
                                               for k in rng.integers(1, 30, 40)])
    loader = BatchLoader(seqs, FixedSampler(seqs.lengths, batch_size=8, seed=0), n_buffers=2)
    first, second, third = loader.batch([0, 1]), loader.batch([2, 3]), loader.batch([4, 5])
    assert np.shares_memory(first.x, third.x) and not np.shares_memory(first.x, second.x)
    assert np.array_equal(third.x[0, :seqs.lengths[4]], seqs[4])
    with pytest.raises(seqfeed.SeqfeedError, match=r"indices\[1\]=40 is out of range"):
        loader.batch([0, 40])
