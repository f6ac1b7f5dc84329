"""ShapeBucketSampler: a small fixed set of batch shapes, every sequence once, filler rows."""
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqfeed
from seqfeed import BatchLoader, SequenceSet, ShapeBucketSampler
from seqfeed.batching import shape_boundaries


def _brute_force_padded(lengths, k):
    """Least padded steps over every choice of <= k boundaries among the distinct lengths."""
    u = np.unique(lengths)
    best = None
    for r in range(1, min(k, u.size) + 1):
        for combo in itertools.combinations(u[:-1].tolist(), r - 1):
            b = np.array(sorted(combo) + [int(u[-1])])
            cost = int(b[np.searchsorted(b, lengths)].sum())
            best = cost if best is None else min(best, cost)
    return best


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 30), min_size=1, max_size=25), st.integers(1, 4))
def test_boundaries_minimise_padded_steps_exactly(lengths, k):
    L = np.asarray(lengths)
    b = shape_boundaries(L, k)
    assert b.size <= k and b[-1] == L.max()
    assert int(b[np.searchsorted(b, L)].sum()) == _brute_force_padded(L, k)


def _lengths(n=300, seed=0):
    return np.clip(np.random.default_rng(seed).lognormal(np.log(20), 0.8, n), 1, 400).astype(np.int64)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=80), st.integers(1, 9), st.integers(1, 5),
       st.sampled_from([None, 50, 200]), st.integers(0, 3))
def test_every_sequence_once_and_shapes_bounded(lengths, batch_size, k, max_tokens, epoch):
    L = np.asarray(lengths)
    s = ShapeBucketSampler(L, batch_size=batch_size, n_buckets=k, max_tokens=max_tokens, seed=3)
    plan = s.batches(epoch)
    seen = np.sort(np.concatenate(plan))
    np.testing.assert_array_equal(seen, np.arange(L.size))
    shapes = {s.batch_shape(b) for b in plan}
    assert shapes <= set(s.shapes()) and len(s.shapes()) <= k
    for b in plan:
        rows, T = s.batch_shape(b)
        assert b.size <= rows and L[b].max() <= T
    assert s.padded_steps() == sum(s.batch_shape(b)[0] * s.batch_shape(b)[1] for b in plan)
    assert s.filler_rows == sum(s.batch_shape(b)[0] - b.size for b in plan)


def test_token_budget_scales_rows_inversely_with_the_boundary():
    s = ShapeBucketSampler(_lengths(), batch_size=64, n_buckets=4, max_tokens=1000)
    rows = [r for r, _ in s.shapes()]
    T = [t for _, t in s.shapes()]
    assert rows == [max(1, min(64, 1000 // t)) for t in T]
    assert rows == sorted(rows, reverse=True) and rows[0] > rows[-1]


def test_auto_bucket_count_is_the_fewest_reaching_the_efficiency():
    L = _lengths()
    s = ShapeBucketSampler(L, batch_size=16)
    k = s.boundaries.size
    eff = lambda b: L.sum() / b[np.searchsorted(b, L)].sum()  # noqa: E731
    assert eff(s.boundaries) >= 0.9 or k == 8
    if k > 1:
        assert eff(shape_boundaries(L, k - 1)) < 0.9


def test_seeded_and_resumable():
    L = _lengths()
    a = ShapeBucketSampler(L, batch_size=8, n_buckets=3, seed=5)
    b = ShapeBucketSampler(L, batch_size=8, n_buckets=3, seed=5)
    c = ShapeBucketSampler(L, batch_size=8, n_buckets=3, seed=6)
    assert all(np.array_equal(x, y) for x, y in zip(a.batches(2), b.batches(2)))
    assert not all(np.array_equal(x, y) for x, y in zip(a.batches(2), c.batches(2)))
    it = iter(a)
    first = [next(it) for _ in range(5)]
    state = a.state_dict()
    rest = list(it)
    d = ShapeBucketSampler(L, batch_size=8, n_buckets=3, seed=5)
    d.load_state_dict(state)
    resumed = list(d)
    assert len(first) + len(rest) == len(a.batches(0))
    assert all(np.array_equal(x, y) for x, y in zip(rest, resumed))


def test_explicit_boundaries_and_errors():
    L = np.array([2, 3, 7, 9])
    s = ShapeBucketSampler(L, batch_size=2, boundaries=[3, 5])
    assert s.boundaries.tolist() == [3, 9]  # 5 is unused, the longest length is appended
    with pytest.raises(seqfeed.ConfigError, match="not both"):
        ShapeBucketSampler(L, n_buckets=2, boundaries=[3])
    with pytest.raises(seqfeed.ConfigError, match="n_buckets"):
        ShapeBucketSampler(L, n_buckets=0)
    with pytest.raises(seqfeed.ConfigError, match="boundaries"):
        ShapeBucketSampler(L, boundaries=["a"])


def _set(lengths, seed=0, per_step=False):
    rng = np.random.default_rng(seed)
    arrays = [rng.normal(size=(n, 3)).astype(np.float32) for n in lengths]
    if per_step:
        st_ = [rng.integers(0, 3, n) for n in lengths]
        return SequenceSet.from_sequences(arrays, step_targets=st_)
    return SequenceSet.from_sequences(arrays, targets=rng.integers(0, 4, len(lengths)))


@pytest.mark.parametrize("per_step", [False, True])
def test_loader_fills_short_batches_with_masked_zero_weight_rows(per_step):
    L = np.array([3, 4, 4, 5, 9, 10, 11])
    seqs = _set(L, per_step=per_step)
    s = ShapeBucketSampler(L, batch_size=4, n_buckets=2, seed=1)
    loader = BatchLoader(seqs, s)
    seen = []
    for b in loader:
        rows, T = s.batch_shape(b.index[b.index >= 0])
        assert b.x.shape == (rows, T, 3) and b.mask.shape == (rows, T)
        real = b.index >= 0
        n = int(real.sum())
        seen.extend(b.index[real].tolist())
        assert not b.mask[~real].any() and (b.lengths[~real] == 0).all() and (b.x[~real] == 0).all()
        w = b.sample_weight
        assert (w[~real] == 0).all()
        if per_step:
            np.testing.assert_array_equal(w[real], b.mask[real] * np.float32(rows / n))
        else:
            np.testing.assert_allclose(w[real], rows / n)
            np.testing.assert_array_equal(b.y[real], seqs.targets[b.index[real]])
        for k in np.flatnonzero(real):
            i = b.index[k]
            np.testing.assert_array_equal(b.x[k, :L[i]], seqs[i])
    assert sorted(seen) == list(range(L.size))


def test_loader_batch_checks_indices_but_iteration_reuses_buffers():
    L = np.array([3, 4, 4, 5])
    loader = BatchLoader(_set(L), ShapeBucketSampler(L, batch_size=4, n_buckets=1))
    with pytest.raises(seqfeed.SeqfeedError):
        loader.batch([0, 9])
    a = next(iter(loader))
    assert a.x.shape == (4, 5, 3)


def test_xla_plan_weighs_compilation_against_faster_steps():
    from seqfeed.batching._shapes import COMPILE_S_PER_SHAPE, step_seconds, xla_plan

    L = np.random.default_rng(0).integers(100, 500, 4096)
    base = [(b.size, int(L[b].max())) for b in seqfeed.BucketSampler(L, batch_size=64).batches()]
    short = xla_plan(L, batch_size=64, epochs=1, baseline_shapes=base)
    long = xla_plan(L, batch_size=64, epochs=200, baseline_shapes=base)
    assert not short["use_xla"] and "no XLA" in short["why"]
    assert long["use_xla"] and long["xla_s"] * 1.25 < long["graph_s"]
    assert long["compile_s"] == pytest.approx(COMPILE_S_PER_SHAPE * long["shapes"])
    assert long["graph_s"] == pytest.approx(200 * step_seconds(base, "graph"))
    # validation shapes add (cheaper) compilations
    with_val = xla_plan(L, batch_size=64, epochs=200, baseline_shapes=base, val_lengths=L[:500])
    assert with_val["compile_s"] > long["compile_s"] or with_val["n_buckets"] != long["n_buckets"]


def test_model_card_says_whether_xla_was_used():
    from types import SimpleNamespace

    from seqfeed.keras._card import _compilation_line

    yes = SimpleNamespace(info={"compilation": {"jit_compile": True, "shapes": 3, "why": "estimated 1 s vs 2 s"}})
    no = SimpleNamespace(info={"compilation": {"jit_compile": False, "why": "no XLA (it must save 1.25x)"}})
    assert "**yes**" in _compilation_line(yes) and "3 fixed batch shapes" in _compilation_line(yes)
    assert "**no**" in _compilation_line(no) and "must save" in _compilation_line(no)
    det = SimpleNamespace(info={"compilation": {"jit_compile": True, "shapes": 2, "bounded_loop": True, "why": "XLA",
                                                "determinism": "TensorFlow op determinism is on"}})
    assert "last real step" in _compilation_line(det) and "op determinism is on" in _compilation_line(det)
    fused = SimpleNamespace(info={"compilation": {"jit_compile": False, "fused": True, "why": "1 LSTM layer(s)"}})
    assert "fused LSTM" in _compilation_line(fused) and "no XLA" in _compilation_line(fused)


def test_padding_report_has_a_shape_bucket_row_counting_filler_rows():
    L = np.array([3, 4, 4, 9, 10, 30])
    rows = [r for r in seqfeed.padding_report(L, batch_sizes=(4,), token_budgets=(), n_buckets=2).rows
            if r["strategy"] == "shape_bucket"]
    s = ShapeBucketSampler(L, batch_size=4, n_buckets=2)
    assert s.boundaries.tolist() == [10, 30]
    # bucket 10: 5 sequences -> 2 batches of 4 rows x 10 steps; bucket 30: 1 batch of 4 x 30
    assert rows[0]["padded_steps"] == s.padded_steps() == 2 * 4 * 10 + 4 * 30
    assert rows[0]["efficiency"] == pytest.approx(L.sum() / 200) and rows[0]["shapes"] == 2


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(1, 60), min_size=1, max_size=80), st.integers(1, 9), st.integers(1, 4),
       st.integers(0, 3), st.sampled_from(["bucket", "fixed", "adaptive"]))
def test_fixed_shape_sampler_keeps_the_base_batches_and_bounds_their_shapes(lengths, batch_size, k, epoch, kind):
    from seqfeed.batching._shapes import FixedShapeSampler

    L = np.array(lengths)
    make = {"bucket": lambda: seqfeed.BucketSampler(L, batch_size=batch_size, seed=3),
            "fixed": lambda: seqfeed.FixedSampler(L, batch_size=batch_size, seed=3),
            "adaptive": lambda: seqfeed.AdaptiveSampler(L, max_batch_size=batch_size, seed=3)}[kind]
    s = FixedShapeSampler(make(), n_buckets=k)
    base = make().batches(epoch)
    got = s.batches(epoch)
    assert [b.tolist() for b in got] == [b.tolist() for b in base]  # the same batches, in the same order
    assert s.boundaries[-1] == L.max() and s.boundaries.size <= k
    for b in got:
        rows, T = s.batch_shape(b)
        assert rows == max(b.size for b in base) or rows == s.rows
        assert T in s.boundaries.tolist() and T >= L[b].max()
        assert not np.any((s.boundaries >= L[b].max()) & (s.boundaries < T))  # the smallest boundary that fits
    assert len(s.shapes(epoch)) <= k


def test_fixed_shape_sampler_resumes_and_refuses_bad_options():
    from seqfeed.batching._shapes import FixedShapeSampler

    L = _lengths(200)
    s = FixedShapeSampler(seqfeed.BucketSampler(L, batch_size=16, seed=1), boundaries=[40, 90])
    assert s.boundaries.tolist() == [40, 90, int(L.max())] and s.rows == 16
    it = iter(s)
    first = [next(it).tolist() for _ in range(3)]
    state = s.state_dict()
    rest = [b.tolist() for b in it]
    again = FixedShapeSampler(seqfeed.BucketSampler(L, batch_size=16, seed=1), boundaries=[40, 90])
    again.load_state_dict(state)
    assert [b.tolist() for b in again] == rest and first + rest == [b.tolist() for b in s.batches(0)]
    with pytest.raises(seqfeed.ConfigError, match="base"):
        FixedShapeSampler(L)
    with pytest.raises(seqfeed.ConfigError, match="boundaries"):
        FixedShapeSampler(seqfeed.BucketSampler(L), boundaries=[0, 5])
    with pytest.raises(seqfeed.ConfigError, match="boundaries"):
        FixedShapeSampler(seqfeed.BucketSampler(L), boundaries="many")


def test_loader_pads_fixed_shape_batches_to_their_shape_with_zero_weight_rows():
    from seqfeed.batching._shapes import FixedShapeSampler

    seqs = _set([3, 5, 9, 2, 7, 4, 8])
    s = FixedShapeSampler(seqfeed.BucketSampler(seqs.lengths, batch_size=3, n_buckets=2, seed=0), boundaries=[5])
    assert s.rows == 3
    seen = []
    for b in BatchLoader(seqs, s):
        real = b.index >= 0
        assert b.x.shape[:2] == s.batch_shape(b.index[real]) and b.x.shape[0] == 3
        assert np.all(b.sample_weight[~real] == 0) and not b.mask[~real].any()
        np.testing.assert_allclose(b.sample_weight[real], 3 / real.sum())
        seen += b.index[real].tolist()
    assert sorted(seen) == list(range(7))


def test_bounded_plan_weighs_compilation_against_faster_steps():
    from seqfeed.batching._shapes import COMPILE_S_PER_SHAPE, bounded_plan, bounded_step_seconds, step_seconds

    L = np.random.default_rng(0).lognormal(np.log(60), 0.9, 2048).astype(int) + 2
    base = [(b.size, int(L[b].max())) for b in seqfeed.BucketSampler(L, batch_size=64).batches()]
    short = bounded_plan(base, L, epochs=1)
    long = bounded_plan(base, L, epochs=50)
    assert not short["use_xla"] and "no XLA" in short["why"]
    assert long["use_xla"] and long["xla_s"] * 1.25 < long["graph_s"]
    assert long["graph_s"] == pytest.approx(50 * step_seconds(base, "graph"))
    assert long["compile_s"] == pytest.approx(COMPILE_S_PER_SHAPE * long["shapes"])
    assert long["boundaries"][-1] == L.max() and long["rows"] == 64
    # padding to a longer shape costs something, a longer real loop costs more
    assert bounded_step_seconds([(64, 50, 400)]) > bounded_step_seconds([(64, 50, 50)])
    assert bounded_step_seconds([(64, 400, 400)]) - bounded_step_seconds([(64, 50, 400)]) > \
        bounded_step_seconds([(64, 50, 400)]) - bounded_step_seconds([(64, 50, 50)])
