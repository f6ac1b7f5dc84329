"""The shared argument validators: good values pass through, bad ones raise SeqfeedError with its fields."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import ConfigError, SeqfeedError, ShapeError
from seqfeed._checks import check_features, check_float, check_indices, round_up
from seqfeed._errors import IndexRangeError

BOUNDS = st.tuples(st.one_of(st.none(), st.integers(-5, 5)), st.one_of(st.none(), st.integers(-5, 5)),
                   st.booleans(), st.booleans())


def _inside(v, low, high, low_open, high_open):
    return ((low is None or (v > low if low_open else v >= low))
            and (high is None or (v < high if high_open else v <= high)))


@given(v=st.floats(allow_nan=True, allow_infinity=True) | st.integers(-10, 10), bounds=BOUNDS)
def test_check_float_accepts_exactly_the_finite_numbers_of_the_interval(v, bounds):
    low, high, low_open, high_open = bounds
    ok = math.isfinite(v) and _inside(float(v), low, high, low_open, high_open)
    if ok:
        assert check_float("op", "rate", v, low=low, high=high, low_open=low_open, high_open=high_open) == float(v)
    else:
        with pytest.raises(ConfigError) as e:
            check_float("op", "rate", v, low=low, high=high, low_open=low_open, high_open=high_open, fix="try 1")
        assert (e.value.argument, e.value.index, e.value.fix) == ("rate", None, "try 1")
        assert e.value.received is v
        assert str(e.value).startswith("op: `rate` must be a number")


@given(v=st.one_of(st.booleans(), st.text(max_size=3), st.none(), st.lists(st.integers(), max_size=2),
                   st.just(np.array([0.5])), st.just(1 + 2j)))
def test_check_float_rejects_what_is_not_a_real_number(v):
    with pytest.raises(SeqfeedError) as e:
        check_float("op", "x", v)
    assert e.value.argument == "x" and e.value.received is v and e.value.index is None


def test_check_float_none_only_when_allowed():
    assert check_float("op", "x", None, allow_none=True) is None
    with pytest.raises(ConfigError, match=r"^op: `x` must be a number with 0 <= x <= 1\. Received: x=None\."):
        check_float("op", "x", None, low=0, high=1)


@given(n=st.integers(0, 20), data=st.data())
def test_check_indices_matches_python_indexing(n, data):
    idx = data.draw(st.lists(st.integers(-25, 25), max_size=8))
    items = list(range(n))
    try:
        expected = [items[i] for i in idx]
    except IndexError:
        expected = None
    if expected is not None:
        got = check_indices("take", np.array(idx, dtype=np.int64), n)
        assert got.dtype == np.int64 and got.tolist() == expected
    else:
        bad = next(k for k, i in enumerate(idx) if not -n <= i < n)
        with pytest.raises(IndexRangeError) as e:
            check_indices("take", np.array(idx), n)
        assert isinstance(e.value, IndexError) and isinstance(e.value, SeqfeedError)
        assert (e.value.argument, e.value.received, e.value.index) == ("indices", idx[bad], bad)
        assert e.value.fix == f"use positions in {-n}..{n - 1}"


@given(n=st.integers(1, 10), idx=st.lists(st.integers(-12, 12), min_size=1, max_size=6))
def test_check_indices_without_negatives_rejects_them(n, idx):
    arr = np.array(idx)
    before = arr.copy()
    if all(0 <= i < n for i in idx):
        assert check_indices("b", arr, n, negative=False).tolist() == idx
    else:
        bad = next(k for k, i in enumerate(idx) if not 0 <= i < n)
        with pytest.raises(IndexRangeError) as e:
            check_indices("b", arr, n, negative=False)
        assert e.value.index == bad and e.value.received == idx[bad]
    np.testing.assert_array_equal(arr, before)  # never modified


@given(mask=st.lists(st.booleans(), max_size=10))
def test_check_indices_bool_mask(mask):
    n = len(mask)
    assert check_indices("t", np.array(mask, dtype=bool), n).tolist() == [i for i, m in enumerate(mask) if m]
    with pytest.raises(ShapeError) as e:
        check_indices("t", np.array(mask + [True], dtype=bool), n)
    assert e.value.argument == "indices" and e.value.received == (n + 1,)
    with pytest.raises(ConfigError, match=r"`indices` must be a 1-D array of ints\. Received dtype bool"):
        check_indices("t", np.array(mask + [True], dtype=bool), n, mask=False)


@pytest.mark.parametrize("bad", [np.array([0.0, 1.0]), np.array([[0, 1]]), np.array(["a"]), np.int64(0)])
def test_check_indices_rejects_non_int_arrays(bad):
    with pytest.raises(ConfigError) as e:
        check_indices("t", bad, 3)
    assert e.value.argument == "indices" and e.value.received == tuple(np.asarray(bad).shape)
    assert e.value.fix


@given(n=st.integers(0, 10**6), m=st.one_of(st.none(), st.integers(1, 1000)))
def test_round_up(n, m):
    r = round_up(n, m)
    if m is None:
        assert r == n
    else:
        assert r % m == 0 and n <= r < n + m
    arr = np.array([n, n + 1], dtype=np.int64)
    np.testing.assert_array_equal(round_up(arr, m), [round_up(n, m), round_up(n + 1, m)])


NAMES = ["a", "b", "c", "d"]


@given(items=st.lists(st.one_of(st.integers(-6, 6), st.sampled_from(NAMES + ["zz"]), st.booleans(),
                                st.just(1.0)), max_size=5),
       named=st.booleans())
def test_check_features_resolves_positions_and_names_like_list_indexing(items, named):
    names = NAMES if named else None

    def expect(f):
        if isinstance(f, str):
            return NAMES.index(f) if named and f in NAMES else None
        if isinstance(f, int) and not isinstance(f, bool) and -4 <= f < 4:
            return list(range(4))[f]
        return None

    want = [expect(f) for f in items]
    if items and None not in want:
        assert check_features("op", "target_features", items, 4, names).tolist() == want
        assert check_features("op", "feature", items[0], 4, names) == want[0]
        return
    with pytest.raises(ConfigError) as e:
        check_features("op", "target_features", items, 4, names)
    assert e.value.argument == "target_features" and e.value.index is None and e.value.fix
    if items:
        bad = items[want.index(None)]
        assert e.value.received == bad and (type(e.value.received) is type(bad))
    else:
        assert str(e.value) == "op: `target_features` is empty. Fix: pass at least one feature"


def test_check_features_messages():
    with pytest.raises(ConfigError, match=r"^f: `feature` names 'zz', which is not a feature\. Feature names: "
                                          r"\['a', 'b', 'c', 'd'\]\."):
        check_features("f", "feature", "zz", 4, NAMES)
    with pytest.raises(ConfigError, match=r"^f: `feature` entry 7 is not a feature index in 0\.\.3 or a feature"):
        check_features("f", "feature", 7, 4, NAMES)
    with pytest.raises(ConfigError, match=r"must be a feature \(index or name\) or a list of them\. Received float"):
        check_features("f", "feature", 1.5, 4, NAMES)
