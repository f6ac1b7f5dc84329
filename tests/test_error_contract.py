"""The error contract, walked over every public entry point.

Every public function and class of ``seqfeed``, ``seqfeed.sources``, ``seqfeed.transforms``,
``seqfeed.batching`` and ``seqfeed.datasets`` (and, with TensorFlow, ``seqfeed.keras``) is called
with the bad inputs its docstring's ``Raises:`` section documents. Each call must raise exactly the
documented class with all four fields of the contract: ``argument`` naming a real parameter of the
function, ``received`` holding what was passed, ``index`` None or a 0-based int, and a non-empty
``fix``. The docstrings and this table are checked against each other both ways: a class a case
raises is documented, and every documented class is raised by some case.
"""
from __future__ import annotations

import inspect
import io
import math
import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import seqfeed
from seqfeed import batching, datasets, sources, transforms
from seqfeed._errors import CODES, SeqfeedError

ERROR_CLASSES = {c.__name__: c for c in (seqfeed.SeqfeedError, seqfeed.ShapeError, seqfeed.DataError,
                                         seqfeed.ConfigError, seqfeed._errors.IndexRangeError)}
MODULES = (seqfeed, sources, transforms, batching, datasets)

GOOD_CSV = "id,time,x,label\na,0,1.0,u\na,1,2.0,u\nb,0,3.0,v\n"


def S():
    return seqfeed.SequenceSet.from_sequences([np.arange(4.0), np.arange(3.0)], targets=np.array([0, 1]))


L3 = np.array([3, 5, 2])


def csv(tmp, text, name="t.csv"):
    p = tmp / name
    p.write_text(text)
    return p


def shards(tmp):
    sources.write_shards(S(), tmp / "s")
    return tmp / "s"


def case(name, args, kwargs, cls, argument):
    """``name`` as public (``module.attr`` or ``module.Class.method``); ``args``/``kwargs`` get ``tmp_path``."""
    return pytest.param(name, args, kwargs, cls, argument, id=f"{name}-{cls}-{argument}")


def K(**kw):
    return lambda t: kw


CASES = [
    # core
    case("seqfeed.pad", lambda t: ([[1, 2], [3]],), K(maxlen=-1), "ConfigError", "maxlen"),
    case("seqfeed.pad", lambda t: ([[1, 2], [3]],), K(padding="mid"), "ConfigError", "padding"),
    case("seqfeed.pad", lambda t: ([["a"], [3]],), K(), "DataError", "data"),
    case("seqfeed.pad", lambda t: ([np.zeros((2, 2)), np.zeros((2, 3))],), K(), "ShapeError", "data"),
    case("seqfeed.pad_sequences", lambda t: ([[1, 2], [3]],), K(truncating="x"), "ConfigError", "truncating"),
    case("seqfeed.pad_sequences", lambda t: ([[1, 2], [3]],), K(dtype="nope"), "ConfigError", "dtype"),
    case("seqfeed.pad_sequences", lambda t: (5,), K(), "ConfigError", "sequences"),
    case("seqfeed.pad_sequences", lambda t: ([["x"], [1]],), K(dtype="float32"), "DataError", "sequences"),
    case("seqfeed.as_sequence_set", lambda t: (np.zeros((2, 3, 1)),), K(lengths=np.array([1.5, 2.0])),
         "DataError", "lengths"),
    case("seqfeed.as_sequence_set", lambda t: (np.zeros((2, 3, 1)),), K(lengths=np.array([1, 4])),
         "DataError", "lengths"),
    case("seqfeed.as_sequence_set", lambda t: (np.zeros((2, 3, 1)),), K(lengths=np.array([1, 2, 3])),
         "ShapeError", "lengths"),
    case("seqfeed.as_sequence_set", lambda t: (3.0,), K(), "ShapeError", "data"),
    case("seqfeed.as_sequence_set", lambda t: ({"a": 1},), K(), "ConfigError", "data"),
    case("seqfeed.as_lstm_input", lambda t: (np.zeros((2, 3, 1)),), K(padding="mid"), "ConfigError", "padding"),
    case("seqfeed.as_lstm_input", lambda t: (np.zeros((2, 3, 1, 1, 1)),), K(), "ShapeError", "data"),
    case("seqfeed.as_lstm_input", lambda t: (np.array([[["a"]]]),), K(), "DataError", "data"),
    case("seqfeed.explain", lambda t: (np.zeros((2, 3)),), K(layout="sideways"), "ConfigError", "layout"),
    case("seqfeed.SequenceSet", lambda t: (np.zeros((3, 1)), np.array([0, 2, 1])), K(), "DataError", "offsets"),
    case("seqfeed.SequenceSet", lambda t: (np.zeros((3, 1)), np.array([0, 2])), K(), "ShapeError", "offsets"),
    case("seqfeed.SequenceSet", lambda t: (np.zeros((3, 1)), np.array([0.0, 3.0])), K(), "ConfigError", "offsets"),
    case("seqfeed.Batch", lambda t: (np.zeros((2, 3, 1)), np.ones((2, 2), bool), np.array([3, 3])), K(),
         "ShapeError", "mask"),
    case("seqfeed.Batch", lambda t: (np.zeros((2, 3, 1)), np.ones((2, 3), bool), np.array([3, 3])),
         K(padding="left"), "ConfigError", "padding"),
    # batching
    case("seqfeed.FixedSampler", lambda t: (np.array([1.5, 2.0]),), K(), "DataError", "lengths"),
    case("seqfeed.FixedSampler", lambda t: (L3,), K(batch_size=0), "ConfigError", "batch_size"),
    case("seqfeed.BucketSampler", lambda t: (np.array([[1, 2]]),), K(), "ShapeError", "lengths"),
    case("seqfeed.BucketSampler", lambda t: (L3,), K(n_buckets=0), "ConfigError", "n_buckets"),
    case("seqfeed.TokenBudgetSampler", lambda t: (np.array([-1, 2]),), K(), "DataError", "lengths"),
    case("seqfeed.TokenBudgetSampler", lambda t: (L3,), K(max_tokens=0), "ConfigError", "max_tokens"),
    case("seqfeed.AdaptiveSampler", lambda t: (L3,), K(step_overhead=-1.0), "ConfigError", "step_overhead"),
    case("seqfeed.AdaptiveSampler", lambda t: (np.array([1.0]),), K(), "DataError", "lengths"),
    case("seqfeed.ShapeBucketSampler", lambda t: (L3,), K(n_buckets=2, boundaries=[2]), "ConfigError",
         "boundaries"),
    case("seqfeed.ShapeBucketSampler", lambda t: (np.array([0.5]),), K(), "DataError", "lengths"),
    case("seqfeed.BatchLoader", lambda t: (S(), seqfeed.FixedSampler(L3)), K(), "DataError", "sampler"),
    case("seqfeed.BatchLoader", lambda t: (S(), seqfeed.FixedSampler(np.array([4, 3]))), K(padding="mid"),
         "ConfigError", "padding"),
    case("seqfeed.ShardDataset", lambda t: (shards(t),), K(shard_id=3, num_shards=2), "ConfigError", "shard_id"),
    case("seqfeed.ShardDataset", lambda t: (shards(t),), K(batch_size=0), "ConfigError", "batch_size"),
    case("seqfeed.ShardDataset", lambda t: (csv(t, "{}", "manifest.json").parent,), K(), "DataError", "shards"),
    case("seqfeed.padding_report", lambda t: (L3,), K(batch_sizes=(0,)), "ConfigError", "batch_sizes"),
    case("seqfeed.padding_report", lambda t: (np.array([1.5]),), K(), "DataError", "data"),
    case("seqfeed.batching.equal_step_boundaries", lambda t: (L3, 0), K(), "ConfigError", "n_buckets"),
    case("seqfeed.batching.equal_step_boundaries", lambda t: ([1.5], 2), K(), "DataError", "lengths"),
    case("seqfeed.batching.shape_boundaries", lambda t: (L3, 0), K(), "ConfigError", "n_buckets"),
    case("seqfeed.batching.shape_boundaries", lambda t: ([2.5], 2), K(), "DataError", "lengths"),
    case("seqfeed.batching.optimal_cuts", lambda t: (np.array([1, 2]),), K(max_batch_size=0, step_overhead=1.0),
         "ConfigError", "max_batch_size"),
    case("seqfeed.batching.optimal_cuts", lambda t: (np.array([3, 2]),), K(max_batch_size=2, step_overhead=1.0),
         "DataError", "sorted_lengths"),
    # transforms
    case("seqfeed.Standardizer", lambda t: (), K(method="zscore"), "ConfigError", "method"),
    case("seqfeed.Standardizer", lambda t: (), K(eps=-1.0), "ConfigError", "eps"),
    case("seqfeed.Standardizer.fit", lambda t: (seqfeed.Standardizer(), np.array([1.0, np.nan])), K(),
         "DataError", "data"),
    case("seqfeed.Standardizer.transform", lambda t: (seqfeed.Standardizer(), np.ones(3)), K(),
         "ConfigError", "self"),
    case("seqfeed.Standardizer.transform", lambda t: (seqfeed.Standardizer().fit(np.arange(6.0).reshape(3, 2)), np.ones((3, 3))),
         K(), "ShapeError", "data"),
    case("seqfeed.Standardizer.from_dict", lambda t: ({"format": "other"},), K(), "ConfigError", "d"),
    case("seqfeed.Standardizer.from_moments", lambda t: (), K(count=[0], mean=[1.0], m2=[1.0]),
         "ConfigError", "count"),
    case("seqfeed.sliding_windows", lambda t: (S(), 0), K(), "ConfigError", "length"),
    case("seqfeed.sliding_windows", lambda t: (np.zeros((2, 2, 2)), 2), K(), "ShapeError", "data"),
    case("seqfeed.sliding_windows", lambda t: (np.array(["a", "b"]), 1), K(), "DataError", "data"),
    case("seqfeed.timeseries_windows", lambda t: (np.arange(10.0), None, 0), K(), "ConfigError", "sequence_length"),
    case("seqfeed.timeseries_windows", lambda t: (np.arange(20.0), np.arange(5.0), 3), K(start_index=4),
         "ShapeError", "targets"),
    case("seqfeed.timeseries_windows", lambda t: (np.array(["a", "b"]), None, 1), K(), "DataError", "data"),
    case("seqfeed.split_by_entity", lambda t: (S(),), K(test_fraction=1.5), "ConfigError", "test_fraction"),
    case("seqfeed.split_by_entity", lambda t: (seqfeed.SequenceSet.from_sequences([np.arange(3.0)]),), K(),
         "DataError", "data"),
    case("seqfeed.split_by_time", lambda t: (S(),), K(cutoff=2, gap=-1), "ConfigError", "gap"),
    case("seqfeed.split_by_time", lambda t: (S(),), K(cutoff=[1, 2, 3]), "ShapeError", "cutoff"),
    case("seqfeed.transforms.split_windows_by_time", lambda t: (S(), 2), K(cutoff=2, context="yes"),
         "ConfigError", "context"),
    case("seqfeed.transforms.split_windows_by_time", lambda t: (np.arange(9.0), 2), K(cutoff=[1, 2]),
         "ShapeError", "cutoff"),
    case("seqfeed.transforms.frame", lambda t: (S(), 0), K(), "ConfigError", "size"),
    case("seqfeed.transforms.frame_summary", lambda t: (S(), 2), K(stats=("median",)), "ConfigError", "stats"),
    case("seqfeed.transforms.pool", lambda t: (S(), 2), K(how="sum"), "ConfigError", "how"),
    case("seqfeed.transforms.frame_lengths", lambda t: ([3, 4], 0), K(), "ConfigError", "size"),
    case("seqfeed.transforms.frame_lengths", lambda t: ([3.5], 2), K(), "DataError", "lengths"),
    case("seqfeed.transforms.Restructure", lambda t: ("blur", 2), K(), "ConfigError", "kind"),
    case("seqfeed.transforms.Restructure", lambda t: ("frame", 0), K(), "ConfigError", "size"),
    case("seqfeed.transforms.Restructure.parse", lambda t: ("auto",), K(), "ConfigError", "text"),
    case("seqfeed.transforms.Windows", lambda t: (S(), [0], [0], [2]), K(length=0), "ConfigError", "length"),
    case("seqfeed.transforms.Windows", lambda t: (S(), [0], [3], [2]), K(length=2), "IndexRangeError", "start"),
    case("seqfeed.transforms.Windows", lambda t: (S(), [[0]], [0], [2]), K(length=2), "ShapeError", "source"),
    # sources
    case("seqfeed.sources.read_table", lambda t: (csv(t, GOOD_CSV),), K(id="sensor"), "ConfigError", "id"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, GOOD_CSV),), K(time="x", target="x"), "ConfigError",
         "target"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, GOOD_CSV),), K(nan="skip"), "ConfigError", "nan"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, "id,time,x\na,0,1\na,0,2\n"),), K(), "DataError",
         "duplicates"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, "id,time,x\na,0,\n"),), K(), "DataError", "nan"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, "id,time,x,y\na,0,1,u\na,1,2,v\n"),), K(target="y"),
         "DataError", "target"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, "id,time,x\n,0,1\n"),), K(), "DataError", "id"),
    case("seqfeed.sources.read_table", lambda t: (csv(t, "id,time,x\na,0,b\n"),), K(features=["x"]),
         "DataError", "features"),
    case("seqfeed.sources.read", lambda t: (csv(t, "x", "t.bin"),), K(), "ConfigError", "source"),
    case("seqfeed.sources.read_npz", lambda t: (csv(t, "not a zip", "t.npz"),), K(), "DataError", "source"),
    case("seqfeed.sources.read_npz", lambda t: (3,), K(), "ConfigError", "source"),
    case("seqfeed.sources.read_ts", lambda t: (io.StringIO("@problemName x\n@data\n1,2:a:b\n"),), K(),
         "DataError", "source"),
    case("seqfeed.sources.read_ts", lambda t: (io.StringIO("@data\n1,2:a\n"),), K(dtype="int8"), "ConfigError",
         "dtype"),
    case("seqfeed.sources.read_shards", lambda t: (t,), K(), "DataError", "source"),
    case("seqfeed.sources.read_shards", lambda t: (shards(t),), K(columns=["nope"]), "ConfigError", "columns"),
    case("seqfeed.sources.write_long_csv", lambda t: (S(), t / "o.csv"), K(time="id"), "ConfigError", "time"),
    case("seqfeed.sources.write_long_csv", lambda t: (S(), t / "o.csv"), K(target="feature_0"), "ConfigError",
         "target"),
    case("seqfeed.sources.write_long_csv", lambda t: ([1, 2], t / "o.csv"), K(), "ConfigError", "data"),
    case("seqfeed.sources.write_long_csv", lambda t: (S(), t / "o.csv"), K(times=[1, 2]), "ShapeError", "times"),
    case("seqfeed.sources.write_npz", lambda t: ([1, 2], t / "o.npz"), K(), "ConfigError", "data"),
    case("seqfeed.sources.write_shards", lambda t: (S(), t / "s"), K(rows_per_file=0), "ConfigError",
         "rows_per_file"),
    case("seqfeed.sources.write_shards", lambda t: (S(), t / "s"), K(split=["train"]), "ConfigError", "split"),
    case("seqfeed.sources.pack", lambda t: (csv(t, GOOD_CSV),), lambda t: dict(out=t / "p", memory="lots"),
         "ConfigError", "memory"),
    case("seqfeed.sources.pack", lambda t: (t / "*.parquet",), lambda t: dict(out=t / "p"), "DataError", "source"),
    case("seqfeed.FixedSampler", lambda t: (np.array([[1, 2]]),), K(), "ShapeError", "lengths"),
    case("seqfeed.BucketSampler", lambda t: (np.array([2, -1]),), K(), "DataError", "lengths"),
    case("seqfeed.TokenBudgetSampler", lambda t: (np.zeros((2, 2), int),), K(), "ShapeError", "lengths"),
    case("seqfeed.AdaptiveSampler", lambda t: (np.zeros((1, 1), int),), K(), "ShapeError", "lengths"),
    case("seqfeed.ShapeBucketSampler", lambda t: (np.zeros((1, 1), int),), K(), "ShapeError", "lengths"),
    case("seqfeed.padding_report", lambda t: (np.zeros((2, 2), int),), K(), "ShapeError", "data"),
    case("seqfeed.Standardizer.fit", lambda t: (seqfeed.Standardizer(), np.zeros((0, 2))), K(), "ConfigError",
         "data"),
    case("seqfeed.Standardizer.transform", lambda t: (seqfeed.Standardizer().fit(np.arange(3.0)),
                                                     np.array([1.0, np.inf])), K(), "DataError", "data"),
    case("seqfeed.Standardizer.from_moments", lambda t: (), K(count=[1, 2], mean=[1.0], m2=[1.0]),
         "ShapeError", "count"),
    case("seqfeed.sources.read", lambda t: (csv(t, "not a zip", "t.npz"),), K(), "DataError", "source"),
    # datasets
    case("seqfeed.datasets.load", lambda t: ("mnist",), K(), "ConfigError", "name"),
    case("seqfeed.datasets.japanese_vowels", lambda t: (), K(split="val"), "ConfigError", "split"),
    case("seqfeed.datasets.export_csv", lambda t: ("mnist", t), K(), "ConfigError", "name"),
]

# public names that take no input a caller could get wrong, or are not callables
EXEMPT = {
    "seqfeed.Diagnosis": "the result of explain(), built by seqfeed",
    "seqfeed.batching.PaddingReport": "the result of padding_report(), built by seqfeed",
    "seqfeed.batching.Sampler": "the abstract base of the samplers (each sampler is walked)",
    "seqfeed.datasets.Series": "the result of sunspots(), built by seqfeed",
    "seqfeed.datasets.names": "takes no arguments",
    "seqfeed.datasets.sunspots": "takes no arguments",
}


def resolve(name):
    parts = name.split(".")
    obj = {"seqfeed": seqfeed, "seqfeed.sources": sources, "seqfeed.transforms": transforms,
           "seqfeed.batching": batching, "seqfeed.datasets": datasets}
    for i in range(len(parts), 0, -1):
        head = ".".join(parts[:i])
        if head in obj:
            o = obj[head]
            for p in parts[i:]:
                o = getattr(o, p)
            return o
    raise KeyError(name)


def public_names() -> dict:
    """``{name: object}``: every public callable, each object once (first module that lists it)."""
    out, seen = {}, set()
    for mod in MODULES:
        for n in mod.__all__:
            o = getattr(mod, n)
            if inspect.isclass(o) and issubclass(o, (BaseException, Warning)) or id(o) in seen:
                continue
            seen.add(id(o))
            out[f"{mod.__name__}.{n}"] = o
    return out


def parameters(fn) -> set:
    target = fn.__init__ if inspect.isclass(fn) else fn
    params = set(inspect.signature(target).parameters)
    if "self" not in params and inspect.isclass(fn):
        params.add("self")
    return params


def raises_section(fn) -> set:
    """Class names listed in the ``Raises:`` section of ``fn``'s (or its class's/__init__'s) docstring."""
    docs = [inspect.getdoc(fn) or ""]
    if inspect.isclass(fn):
        docs.append(inspect.getdoc(fn.__init__) or "")
    names = set()
    for doc in docs:
        m = re.search(r"^Raises:\n((?:[ \t]+.*\n?|\n)*)", doc, re.M)
        if m:
            names |= set(re.findall(r"^\s{4}(\w+Error)\b", m.group(1), re.M))
    return names


def check_contract(e: SeqfeedError, fn, cls: str, argument: str) -> None:
    assert type(e).__name__ == cls, f"{type(e).__name__} raised, {cls} documented: {e}"
    assert e.argument == argument, f"argument={e.argument!r}, expected {argument!r}: {e}"
    assert e.argument in parameters(fn), f"{e.argument!r} is not a parameter of {fn}"
    assert e.received is not None, f"received is None: {e}"
    assert e.index is None or (isinstance(e.index, int) and e.index >= 0)
    assert isinstance(e.fix, str) and e.fix.strip() and str(e).endswith(f" Fix: {e.fix}")
    assert e.code is None or e.code in CODES


@pytest.mark.parametrize("name, args, kwargs, cls, argument", CASES)
def test_documented_bad_input_raises_the_documented_error_with_all_four_fields(name, args, kwargs, cls,
                                                                               argument, tmp_path):
    fn = resolve(name)
    a, kw = args(tmp_path), kwargs(tmp_path)
    if name.count(".") >= 2 and inspect.isclass(resolve(name.rsplit(".", 1)[0])) and a and \
            isinstance(a[0], resolve(name.rsplit(".", 1)[0])):
        call = getattr(a[0], name.rsplit(".", 1)[1])  # a method: the instance is the first argument
        a = a[1:]
    else:
        call = fn
    with pytest.raises(SeqfeedError) as e:
        call(*a, **kw)
    check_contract(e.value, fn, cls, argument)
    assert cls in raises_section(fn), f"{name}'s docstring does not list {cls} under Raises:"


def test_every_public_entry_point_is_walked():
    walked = {p.values[0] for p in CASES}
    missing = sorted(n for n in public_names() if n not in walked and n not in EXEMPT)
    assert not missing, f"public entry points without a bad-input case: {missing}"
    assert not set(EXEMPT) - set(public_names()), "EXEMPT names something that is not public"


def test_every_documented_error_class_is_walked():
    raised: dict = {}
    for p in CASES:
        raised.setdefault(p.values[0], set()).add(p.values[3])
    gaps = {n: sorted(raises_section(resolve(n)) - raised[n]) for n in raised}
    gaps = {n: g for n, g in gaps.items() if g}
    assert not gaps, f"documented under Raises: but raised by no case: {gaps}"


# ------------------------------------------------------------------ generated bad options
bad_ints = st.one_of(st.integers(max_value=0), st.floats(allow_nan=True), st.text(max_size=3), st.booleans())


@settings(max_examples=30)
@given(bad_ints)
def test_any_bad_window_length_is_a_config_error_naming_it(v):
    with pytest.raises(seqfeed.ConfigError) as e:
        seqfeed.sliding_windows(np.arange(5.0), v)
    check_contract(e.value, seqfeed.sliding_windows, "ConfigError", "length")
    assert e.value.received is v or (isinstance(v, float) and math.isnan(v))


@given(st.text(max_size=8).filter(lambda s: s not in ("pre", "post")))
def test_any_other_padding_is_a_config_error_listing_the_choices(v):
    with pytest.raises(seqfeed.ConfigError) as e:
        seqfeed.pad([[1.0], [2.0, 3.0]], padding=v)
    check_contract(e.value, seqfeed.pad, "ConfigError", "padding")
    assert e.value.received == v and "'post'" in e.value.fix


@settings(max_examples=25)
@given(st.lists(st.floats(0.01, 1e6).filter(lambda f: f != int(f)), min_size=1, max_size=5))
def test_fractional_lengths_are_a_data_error_saying_the_dtype(lengths):
    for make in (seqfeed.FixedSampler, seqfeed.BucketSampler, seqfeed.padding_report):
        with pytest.raises(seqfeed.DataError, match=r"wrong dtype.*Received dtype float64") as e:
            make(np.asarray(lengths))
        assert e.value.received == "float64" and e.value.argument in parameters(make)


@given(st.sampled_from(["id", "time", "target"]), st.sampled_from(["id", "time", "target", "feature_0"]))
def test_a_column_name_clash_names_the_parameter_that_clashes(param, other):
    """The issue's case: `argument` was "id" whichever column clashed."""
    import tempfile
    from pathlib import Path

    if other == param:
        return
    with tempfile.TemporaryDirectory() as d:
        with pytest.raises(seqfeed.ConfigError) as e:
            sources.write_long_csv(S(), Path(d) / "o.csv", **{param: other})
        check_contract(e.value, sources.write_long_csv, "ConfigError", param)
        assert e.value.received == [other] and f"{param}=" in e.value.fix
        assert not any(Path(d).iterdir())  # nothing half-written


# ------------------------------------------------------------------ keras (TensorFlow)
@pytest.mark.tf
@pytest.mark.parametrize("call, cls, argument", [
    (lambda k: k.SequenceModel.for_data(S(), "classify", padding="pre", restructure="conv:2"), "ConfigError",
     "padding"),
    (lambda k: k.SequenceModel.for_data(S(), "sort"), "ConfigError", "task"),
    (lambda k: k.SequenceModel.for_data(S(), "tag"), "DataError", "data"),
    (lambda k: k.build_lstm("classify", n_features=1, n_outputs=1), "ConfigError", "n_outputs"),
    (lambda k: k.build_lstm("tag", n_features=1, n_outputs=2, conv_filters=4, conv_stride=2), "ConfigError",
     "conv_stride"),
])
def test_keras_entry_points_keep_the_contract(call, cls, argument):
    import seqfeed.keras as k

    with pytest.raises(SeqfeedError) as e:
        call(k)
    assert type(e.value).__name__ == cls and e.value.argument == argument
    assert e.value.received is not None and e.value.fix.strip()


# ------------------------------------------------------------------ programs react to codes, not wording
def test_inspect_works_around_each_problem_by_its_code(tmp_path, capsys):
    import json

    from seqfeed.cli import main

    p = csv(tmp_path, "id,time,x,label\na,0,1,u\na,0,2,u\na,1,,u\nb,0,3,v\nb,1,4,w\n")
    assert main(["inspect", str(p), "--target", "label", "--json"]) == 0
    findings = json.loads(capsys.readouterr().out)["findings"]
    notes = ["as --duplicates first does", "as --task tag does", "as --nan drop does"]
    assert [next(i for i, f in enumerate(findings) if n in f) for n in notes] == [0, 1, 2], findings


@pytest.mark.parametrize("text, code", [("id,time,x\na,0,1\na,0,2\n", "duplicate_time"),
                                        ("id,time,x\na,0,\n", "not_finite"),
                                        ("id,time,x,y\na,0,1,u\na,1,2,v\n", "target_varies"),
                                        ("id,time,x,y\na,0,1,1\na,1,2,\n", "missing_target"),
                                        ("id,time,x\na,0,1\na,,2\n", None)])
def test_read_table_errors_carry_the_code_of_their_problem(tmp_path, text, code):
    with pytest.raises(SeqfeedError) as e:
        sources.read_table(csv(tmp_path, text), target="y" if ",y" in text else None)
    assert e.value.code == code


def test_a_problem_inspect_cannot_work_around_stops_it_with_one_line_and_a_hint(tmp_path, capsys):
    from seqfeed.cli import main

    assert main(["inspect", str(csv(tmp_path, "id,time,x\na,0,1\na,,2\n"))]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and "time column 'time' is null at row 1" in err[0]
    assert err[1].startswith("  hint: ") and "--time" in err[1]
