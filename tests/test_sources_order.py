import numpy as np
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from seqfeed.sources import _order, read_table


def reference(g, t):
    perm = np.lexsort((np.arange(len(g)), t, g)) if t is not None else np.argsort(g, kind="stable")
    gs = g[perm]
    new = np.r_[True, gs[1:] != gs[:-1]] if len(g) else np.zeros(0, bool)
    dup = None
    if t is not None and len(g):
        ts = t[perm]
        dup = np.r_[False, (ts[1:] == ts[:-1]) & ~new[1:]]
    return perm, new, dup


@given(st.data())
def test_sort_rows_matches_a_stable_lexsort_on_every_path(data):
    """Packed keys, per-group relative times, common steps, argsort and lexsort fallbacks."""
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1)))
    n = data.draw(st.integers(1, 60))
    groups = data.draw(st.integers(1, 6))
    g = rng.integers(0, groups, n)
    g_max = data.draw(st.sampled_from([groups - 1, 2**20, 2**40]))  # wide g_max forces fallbacks
    kind = data.draw(st.sampled_from(["none", "small", "wide", "per_group", "step", "float"]))
    if kind == "none":
        t = None
    elif kind == "small":
        t = rng.integers(-5, 5, n)
    elif kind == "wide":
        t = rng.integers(-2**62, 2**62, n)
    elif kind == "per_group":  # far-apart groups, close times within each
        t = (g - groups // 2) * 2**58 + rng.integers(0, 4, n)
    elif kind == "step":  # large per-group spans that share a common step
        t = rng.integers(0, 4, n) * 2**55
    else:
        t = rng.choice([-1.5, 0.25, 3.0, 1e300], n)
    o = _order.sort_rows(g.astype(np.int64), g_max, t)
    perm, new, dup = reference(g, t)
    np.testing.assert_array_equal(o.perm, perm)
    np.testing.assert_array_equal(o.new_group, new)
    assert o.group_keys.tolist() == np.unique(g).tolist()
    if dup is None or not dup.any():
        assert o.dup is None
    else:
        np.testing.assert_array_equal(o.dup, dup)


@given(st.data())
def test_merge_duplicates_keeps_first_last_or_averages(data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**31 - 1)))
    n = data.draw(st.integers(1, 40))
    ids = rng.integers(0, 4, n)
    times = rng.integers(0, 4, n)
    v = rng.integers(0, 100, n).astype(np.float64)
    t = pa.table({"id": ids, "time": times, "v": v})
    for how in ("first", "last", "mean"):
        s = read_table(t, duplicates=how, dtype="float64")
        want, offsets = [], [0]
        for i in np.unique(ids):
            for tm in np.unique(times[ids == i]):
                rows = np.flatnonzero((ids == i) & (times == tm))
                want.append({"first": v[rows[0]], "last": v[rows[-1]], "mean": v[rows].mean()}[how])
            offsets.append(len(want))
        np.testing.assert_allclose(s.values[:, 0], want)
        assert s.offsets.tolist() == offsets
