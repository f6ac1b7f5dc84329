"""`seqfeed.keras.train`: the recipe of `seqfeed train` as a library call, and the CLI as its thin shell."""
import ast
import json
import math
import pathlib
import re

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import seqfeed
from seqfeed import ConfigError

CLI = pathlib.Path(seqfeed.__file__).parent / "cli"


# ------------------------------------------------------------------ no TensorFlow
def test_every_cli_function_is_at_most_60_lines():
    long = []
    for path in sorted(CLI.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > 60:
                    long.append(f"{path.name}:{node.name} ({n} lines)")
    assert long == []


INT_OPTIONS = {"epochs": (1, 100_000), "units": (1, 4096), "layers": (1, 64), "batch": (1, 65_536),
               "patience": (1, 100_000), "window": (1, 1_000_000), "horizon": (1, 1_000_000), "seed": (0, 2**32 - 1),
               "ensemble": (1, 64)}
CHOICE_OPTIONS = {"nan": ("error", "drop", "ffill", "zero"), "pooling": ("auto", "last", "mean", "max", "mean+max"),
                  "cell": ("lstm", "gru"), "normalize": ("auto", "global", "per_sequence", "none"),
                  "refit": ("auto", "yes", "no"), "batching": ("bucket", "adaptive", "token_budget", "fixed"),
                  "forecast_change": ("auto", "yes", "no")}


def _bad_int():
    return st.sampled_from(sorted(INT_OPTIONS)).flatmap(lambda name: st.tuples(st.just(name), st.one_of(
        st.integers(max_value=INT_OPTIONS[name][0] - 1), st.integers(min_value=INT_OPTIONS[name][1] + 1),
        st.floats(allow_nan=True), st.text(max_size=3), st.booleans())))


def _bad_fraction():
    return st.tuples(st.sampled_from(["val_fraction", "test_fraction"]), st.one_of(
        st.floats().filter(lambda v: not (0 < v < 1)), st.text(max_size=3)))


def _bad_choice():
    return st.sampled_from(sorted(CHOICE_OPTIONS)).flatmap(lambda name: st.tuples(st.just(name), st.one_of(
        st.text(max_size=8).filter(lambda v: v not in CHOICE_OPTIONS[name]), st.integers(), st.none())))


def _bad_other():
    return st.one_of(
        st.tuples(st.just("lr"), st.one_of(st.floats().filter(lambda v: not (math.isfinite(v) and 0 < v <= 10)),
                                           st.text(max_size=3))),
        st.tuples(st.just("dropout"), st.floats().filter(lambda v: not (math.isfinite(v) and 0 <= v < 1))),
        st.tuples(st.just("crop"), st.floats().filter(lambda v: not (math.isfinite(v) and 0 < v <= 1))),
        st.tuples(st.just("time_budget"), st.floats().filter(lambda v: not (math.isfinite(v) and v > 0))),
        st.tuples(st.sampled_from(["force", "resume", "verbose"]), st.one_of(st.integers(), st.text(max_size=3))),
        st.tuples(st.just("frame"), st.sampled_from(["frame", "frame:0", "pool:x", "warp:3"])))


@settings(max_examples=60, deadline=None)
@given(st.one_of(_bad_int(), _bad_fraction(), _bad_choice(), _bad_other()))
def test_bad_options_raise_a_config_error_naming_the_option_before_reading_data(bad):
    from seqfeed.keras import train

    name, value = bad
    with pytest.raises(ConfigError) as e:
        train("no-such-file.csv", task="classify", **{name: value})  # the data is never opened
    assert e.value.argument == name or (name == "frame" and "restructure" in str(e.value))


@pytest.mark.parametrize("kwargs, argument, pattern", [
    ({"task": "clasify"}, "task", r"`task` must be one of classify"),
    ({"task": "classify", "epoch": 3}, "epoch", r"unknown option `epoch` \(did you mean `epochs`\?\)"),
    ({"task": "classify", "workers": 2}, "workers", r"workers=2 needs sequence shards"),
    ({"task": "tag", "crop": 0.8}, "crop", r"`crop` is for sequence-level tasks \(classify, regress\); task='tag'"),
    ({"task": "forecast", "crop": 0.5}, "crop", r"`crop` is for sequence-level tasks .* task='forecast'"),
    ({"task": "classify", "features": 3}, "features", r"`features` must be a list of column names"),
])
def test_bad_calls_name_the_argument(kwargs, argument, pattern):
    from seqfeed.keras import train

    with pytest.raises(ConfigError, match=pattern) as e:
        train("japanese_vowels", **kwargs)
    assert e.value.argument == argument


def test_data_of_another_kind_is_a_config_error():
    from seqfeed.keras import train

    with pytest.raises(ConfigError, match="`data` must be a file path") as e:
        train(np.zeros((3, 4, 1)), task="classify")
    assert e.value.argument == "data"


def test_cli_maps_option_names_to_flags():
    from seqfeed.cli import cli_words

    assert cli_words("`time_budget` must be > 0; pass e.g. time_budget=60") == \
        "--time-budget must be > 0; pass e.g. --time-budget 60"
    assert cli_words("pass force=True to replace it, or resume=True") == "pass --force to replace it, or --resume"
    assert cli_words("out='runs/m 1' already holds a model") == "--out runs/m 1 already holds a model"


# ------------------------------------------------------------------ TensorFlow: Python and CLI agree
def _waves(rng, n_per_class):
    seqs, y = [], []
    for c in range(2):
        for _ in range(n_per_class):
            L = int(rng.integers(6, 13))
            t = np.arange(L) / L
            seqs.append(np.c_[np.sin(2 * np.pi * (c + 1) * t) + rng.normal(0, 0.1, L), rng.normal(size=L)])
            y.append(f"c{c}")
    return seqfeed.SequenceSet.from_sequences(seqs, targets=np.array(y), feature_names=["wave", "noise"])


TIMING = ("fit_seconds", "total_seconds")


def _comparable(metrics):
    """Everything but durations; the tips name options as the caller spells them (``--epochs`` on the
    command line, ``epochs=`` in Python), so they are compared with the flags written as keywords."""
    out = {k: v for k, v in metrics.items() if k not in TIMING}
    out["baseline"] = {k: v for k, v in metrics["baseline"].items() if k != "seconds"}
    if "try" in out["baseline"]:
        out["baseline"]["try"] = [re.sub(r"--([a-z-]+) ?", lambda m: m.group(1).replace("-", "_") + "=", t)
                                  .replace("'", "") for t in out["baseline"]["try"]]
    return out


@pytest.mark.tf
def test_same_seed_gives_the_same_metrics_from_python_and_from_the_cli(tmp_path, capsys):
    from seqfeed.cli import main
    from seqfeed.keras import SequenceModel, TrainRun, train
    from seqfeed.sources import write_npz

    rng = np.random.default_rng(0)
    write_npz(_waves(rng, 14), tmp_path / "train.npz")
    write_npz(_waves(rng, 6), tmp_path / "test.npz")
    flags = {"epochs": 2, "units": 4, "normalize": "global", "log_transform": "no", "frame": "none", "seed": 3}
    argv = ["train", str(tmp_path / "train.npz"), "--task", "classify", "--test", str(tmp_path / "test.npz"),
            "--out", str(tmp_path / "cli"), "--quiet"]
    for k, v in flags.items():
        argv += ["--" + k.replace("_", "-"), str(v)]
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    cli_metrics = json.loads((tmp_path / "cli" / "metrics.json").read_text())

    messages = []
    run = train(str(tmp_path / "train.npz"), task="classify", test=str(tmp_path / "test.npz"),
                out=tmp_path / "py", progress=messages.append, **flags)
    assert isinstance(run, TrainRun) and run.out == tmp_path / "py"
    assert _comparable(run.metrics) == _comparable(cli_metrics)
    # the run object is what was written, and what the CLI printed
    assert _comparable(json.loads((tmp_path / "py" / "metrics.json").read_text())) == _comparable(run.metrics)
    assert f"accuracy {run.metrics['accuracy']:.4f}" in printed[-1] and printed[-1].endswith(str(tmp_path / "cli"))
    assert run.card == (tmp_path / "py" / "README.md").read_text()
    b = run.metrics["baseline"]
    assert f"### Baseline on the same split: {b['name']}" in run.card
    assert run.choices["normalize"]["chosen"] == "global" and run.choices["training"]["epochs"] == 2
    assert len(run.history["loss"]) == 2 and messages and messages[0].startswith("data: ")
    # the model predicts, with the saved model's exact outputs
    test = _waves(np.random.default_rng(1), 3)
    loaded = SequenceModel.load(tmp_path / "py")
    np.testing.assert_allclose(run.model.predict_raw(test), loaded.predict_raw(test), atol=1e-6)
    assert set(run.model.predict(test)) <= {"c0", "c1"}


@pytest.mark.tf
def test_a_sequence_set_trains_without_writing_anything(tmp_path, monkeypatch):
    from seqfeed.keras import train

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    data, test = _waves(rng, 10), _waves(rng, 4)
    before = data.values.copy()
    run = train(data, task="classify", test=test, epochs=1, units=4, normalize="global", frame="none")
    assert run.out is None and list(tmp_path.iterdir()) == []
    assert run.metrics["n_test"] == len(test) and 0 <= run.metrics["accuracy"] <= 1
    assert "Trained with `seqfeed.keras.train`" in run.card and "<SequenceSet of 20 sequences>" in run.card
    np.testing.assert_array_equal(data.values, before)  # the caller's data is not modified
    with pytest.raises(ConfigError, match="resume=True continues a run") as e:
        train(data, task="classify", resume=True)
    assert e.value.argument == "resume"


# ------------------------------------------------------------------ time budget (no TensorFlow)
def _budget_args(budget):
    from types import SimpleNamespace

    return SimpleNamespace(time_budget=budget, units=64, layers=1)


def _small_plan(lengths):
    from types import SimpleNamespace

    return SimpleNamespace(kind="sequences", train=SimpleNamespace(lengths=np.asarray(lengths)))


TRAINING = {"n_train": 40, "n_train_and_val": 50, "refit": True, "batch": 16, "epochs": 150,
            "epochs_why": "the rule", "average_from": 100}


def test_budget_caps_the_final_fit_from_the_searchs_seconds_per_epoch():
    from seqfeed.keras._choose import FIT_SHARE_OF_REST, apply_budget, budget_epochs

    scores = [{"seconds": 3.0, "epochs": 15}, {"seconds": 6.0, "epochs": 15}, {"val_score": None, "skipped": "x"}]
    b = budget_epochs(_small_plan([150] * 40), _budget_args(60), TRAINING, scores, elapsed=20.0)
    per_epoch = 0.3 * 50 / 40  # median of 0.2 and 0.4 s per epoch, scaled to train + validation
    assert b["seconds_per_epoch"] == pytest.approx(per_epoch, abs=1e-3) and b["basis"] == "the search's candidates"
    assert b["max_epochs"] == int(FIT_SHARE_OF_REST * 40.0 // per_epoch)
    cut = apply_budget(TRAINING, b)
    assert cut["epochs"] == b["max_epochs"] < 150
    assert cut["average_from"] == cut["epochs"] - cut["epochs"] // 3 and "time budget" in cut["epochs_why"]
    assert TRAINING["epochs"] == 150  # not mutated


def test_no_budget_or_a_generous_one_changes_nothing():
    from seqfeed.keras._choose import apply_budget, budget_epochs

    assert budget_epochs(_small_plan([10] * 40), _budget_args(None), TRAINING, [], elapsed=1.0) is None
    assert apply_budget(TRAINING, None) is TRAINING
    b = budget_epochs(_small_plan([10] * 40), _budget_args(1e6), TRAINING, [], elapsed=1.0)
    assert b["basis"] == "the step-time model" and apply_budget(TRAINING, b) is TRAINING


def test_the_step_time_model_counts_both_directions_as_two_layers():
    """Without timed candidates the budget estimates an epoch from the step-time model; a model that
    reads both directions runs two recurrent layers per layer, and gets half the epochs."""
    from types import SimpleNamespace

    from seqfeed.batching._shapes import sorted_epoch_seconds
    from seqfeed.keras._choose import budget_epochs

    plan = _small_plan([40] * 40)
    one = budget_epochs(plan, _budget_args(30), TRAINING, [], elapsed=0.0)
    both = budget_epochs(plan, _budget_args(30), TRAINING, [], elapsed=0.0, directions=2)
    two_layers = budget_epochs(plan, SimpleNamespace(time_budget=30, units=64, layers=2), TRAINING, [], elapsed=0.0)
    assert both["seconds_per_epoch"] == two_layers["seconds_per_epoch"] > one["seconds_per_epoch"]
    assert one["seconds_per_epoch"] == pytest.approx(sorted_epoch_seconds([40] * 40, 16) * 50 / 40, abs=1e-3)
    assert both["max_epochs"] < one["max_epochs"]


@settings(max_examples=30, deadline=None)
@given(budget=st.floats(0.1, 1e5), elapsed=st.floats(0, 1e5), epochs=st.integers(1, 500))
def test_budget_always_leaves_at_least_one_epoch_and_never_adds_any(budget, elapsed, epochs):
    from seqfeed.keras._choose import apply_budget, budget_epochs

    training = dict(TRAINING, epochs=epochs, average_from=epochs - max(1, epochs // 3))
    b = budget_epochs(_small_plan([30] * 40), _budget_args(budget), training, [{"seconds": 1.0, "epochs": 4}],
                      elapsed=elapsed)
    out = apply_budget(training, b)
    assert 1 <= out["epochs"] <= epochs and 0 <= out["average_from"] < out["epochs"]


@settings(max_examples=40, deadline=None)
@given(budget=st.floats(0.1, 1e5), elapsed=st.floats(0, 1e4), epochs=st.integers(1, 300))
def test_budget_bounds_the_extension_for_underfitting_too(budget, elapsed, epochs):
    """With an extension planned, the budget caps it like the epochs: the run never goes past the cap,
    and an extension that would not add an epoch is dropped."""
    from seqfeed.keras._choose import apply_budget, budget_epochs

    training = dict(TRAINING, epochs=epochs, average_from=epochs - max(1, epochs // 3),
                    extend={"to": 2 * epochs, "below": 0.95, "metric": "sparse_categorical_accuracy"})
    b = budget_epochs(_small_plan([30] * 40), _budget_args(budget), training, [{"seconds": 1.0, "epochs": 4}],
                      elapsed=elapsed)
    out = apply_budget(training, b)
    cap = b["max_epochs"]
    assert out["epochs"] == min(epochs, cap)
    if out["extend"] is None:
        assert cap <= epochs
    else:
        assert out["epochs"] < out["extend"]["to"] == min(2 * epochs, cap)
    assert training["extend"]["to"] == 2 * epochs  # not mutated


# ------------------------------------------------------------------ forecasting: the change from the last value
@pytest.mark.tf
def test_a_trending_series_is_forecast_as_change_from_the_last_value(tmp_path):
    """A trend carries the validation and test periods above every training level: scored on the
    validation period, the change model wins, and the saved model forecasts as the trained one."""
    from seqfeed.keras import SequenceModel, train

    t = np.arange(160, dtype=np.float64)
    y = 3.0 * t + 10 * np.sin(2 * np.pi * t / 12) + np.random.default_rng(0).normal(0, 1, t.size)
    data = seqfeed.SequenceSet.from_sequences([y[:, None]], feature_names=["passengers"])
    run = train(data, task="forecast", out=tmp_path / "m", epochs=4, units=4, seed=0)
    ch = run.choices["forecast_change"]
    assert ch["chosen"] is True and "validation period" in ch["why"]
    scored = {c["forecast_change"]: c["val_score"] for c in run.choices["candidates"]}
    assert scored[True] > scored[False]  # -MAE: higher is better
    assert run.metrics["mae"] < run.metrics["naive_mae"] * 3  # within reach of the last value, not off-scale
    assert "forecasts: **the change from the last observed value**" in run.card
    loaded = SequenceModel.load(tmp_path / "m")
    windows = seqfeed.SequenceSet.from_sequences([y[i:i + 24, None] for i in (0, 100)],
                                                 feature_names=["passengers"])
    np.testing.assert_allclose(loaded.predict_raw(windows), run.model.predict_raw(windows), atol=1e-5)
    forced = train(data, task="forecast", epochs=2, units=4, seed=0, forecast_change="no")
    assert forced.choices["forecast_change"] == {"chosen": False, "why": "forced by forecast_change="}
    assert not forced.choices.get("candidates")


# ------------------------------------------------------------------ ensembles of seeds
@pytest.mark.tf
def test_an_ensemble_averages_members_trained_from_other_seeds(tmp_path):
    """ensemble=2: two members from seeds 3 and 1003, each as a one-model run of that seed would train
    it, and the saved model's output is their mean."""
    from seqfeed.keras import SequenceModel, train

    rng = np.random.default_rng(0)
    data, test = _waves(rng, 12), _waves(rng, 5)
    flags = {"epochs": 2, "units": 4, "normalize": "global", "frame": "none"}
    run = train(data, task="classify", test=test, out=tmp_path / "e", ensemble=2, seed=3, **flags)
    assert run.metrics["ensemble"] == {"members": 2, "seeds": [3, 1003], "chosen": 2, "why": "forced by ensemble=2"}
    assert "- ensemble: 2 models trained the same way from seeds 3, 1003" in run.card
    members = [layer for layer in run.model.model.layers if isinstance(layer, type(run.model.model))]
    assert [m.name for m in members] == ["seqfeed_classify", "member_1"]
    assert run.model.model.input["x"].shape[-1] == 2  # the features stay known to the saved model
    one = train(data, task="classify", test=test, seed=3, **flags)  # forced epochs: no automatic ensemble
    assert "ensemble" not in one.metrics and one.choices["training"]["ensemble"] == 1
    x = {"x": rng.normal(size=(3, 6, 2)).astype("float32"), "mask": np.arange(6)[None, :] < np.c_[[6, 4, 1]]}
    outs = [np.asarray(m(x)) for m in members]
    np.testing.assert_allclose(outs[0], np.asarray(one.model.model(x)), atol=1e-6)  # member 1 = the one-model run
    assert np.abs(outs[0] - outs[1]).max() > 1e-4  # another seed, another model
    np.testing.assert_allclose(np.asarray(run.model.model(x)), (outs[0] + outs[1]) / 2, atol=1e-6)
    p = run.model.predict_raw(test)
    loaded = SequenceModel.load(tmp_path / "e")
    np.testing.assert_allclose(loaded.predict_raw(test), p, atol=1e-6)
    np.testing.assert_allclose(p.sum(axis=1), 1.0, atol=1e-5)


def test_change_forecast_needs_raw_steps():
    """Framed, pooled or summarised steps hold no last observed value: a forced change forecast with
    them is refused before any data is read, and the builder refuses the combination too."""
    from seqfeed.keras import train

    for frame in ("frame:4", "pool:2", "summary:3"):
        with pytest.raises(ConfigError, match="needs the raw steps") as e:
            train("no-such-file.csv", task="forecast", forecast_change="yes", frame=frame)
        assert e.value.argument == "forecast_change" and "frame='none'" in e.value.fix


def test_a_forced_change_forecast_searches_only_restructurings_that_keep_the_raw_steps():
    """A window long enough for the search: with forecast_change='yes' the framed, pooled and summarised
    candidates are left out up front instead of refusing the run after the search picked one."""
    from types import SimpleNamespace

    from seqfeed.keras._choose import _restructure_options

    args = SimpleNamespace(frame="auto", task="forecast", forecast_change="auto")
    every, _ = _restructure_options(args, 300)
    raw, why = _restructure_options(SimpleNamespace(**{**vars(args), "forecast_change": "yes"}), 300)
    assert {r.kind for r in every} > {r.kind for r in raw} == {"msconv", "conv"}
    assert raw[0].kind == "msconv" and [r for r in every if r.kind in ("msconv", "conv")] == raw
    assert "only those that keep the raw steps (forecast_change='yes')" in why


@pytest.mark.tf
def test_change_forecast_is_not_a_candidate_after_a_frame_restructuring(tmp_path):
    from seqfeed.keras import SequenceModel, train

    y = np.sin(np.arange(200) / 5.0) + np.arange(200) / 50.0
    data = seqfeed.SequenceSet.from_sequences([y[:, None]], feature_names=["v"])
    run = train(data, task="forecast", frame="frame:4", epochs=2, units=4)
    assert run.choices["forecast_change"]["chosen"] is False
    assert "replaces the raw steps" in run.choices["forecast_change"]["why"]
    windows = seqfeed.SequenceSet.from_sequences([y[:24, None], y[:30, None]], targets=np.zeros((2, 1)))
    with pytest.raises(ConfigError, match="needs the raw steps") as e:
        SequenceModel.for_data(windows, "forecast", units=2, restructure="frame:4", change_of=0)
    assert e.value.argument == "change_of"


def test_shards_refuse_an_ensemble_before_reading_anything():
    from seqfeed.keras._options import resolve_options
    from seqfeed.keras._shards_recipe import check_shards_options

    check_shards_options(resolve_options("classify", {}), None)  # one model: accepted
    with pytest.raises(ConfigError, match="ensemble=3 is not available for shards") as e:
        check_shards_options(resolve_options("classify", {"ensemble": 3}), None)
    assert e.value.argument == "ensemble" and e.value.received == 3 and "leave out ensemble=" in e.value.fix


# ------------------------------------------------------------------ random crops (no TensorFlow for the rule)
def test_crops_for_small_sets_of_long_sequences_only():
    from seqfeed.keras._choose import CROP, RESTRUCTURE_FROM, SMALL, crop_for

    assert crop_for("classify", [150] * 50, 50) == (CROP, pytest.approx(crop_for("classify", [150] * 50, 50)[1]))
    assert crop_for("classify", [100] * 200, 200)[0] == CROP  # the median length threshold is inclusive
    assert crop_for("classify", [RESTRUCTURE_FROM - 1] * 50, 50) == (None, pytest.approx(
        f"median length {RESTRUCTURE_FROM - 1} < {RESTRUCTURE_FROM}: a crop would drop much of a short sequence"))
    assert crop_for("classify", [150] * SMALL, SMALL)[0] is None
    assert crop_for("classify", [150] * (SMALL - 1), SMALL - 1)[0] == CROP
    varying, why = crop_for("classify", [29, 131, 361] * 10, 30)  # lengths may vary (PLAID's case)
    assert varying == CROP and "lengths 29..361 (median 131" in why
    for task in ("regress", "tag", "forecast"):
        assert crop_for(task, [500] * 10, 10)[0] is None


@settings(max_examples=60, deadline=None)
@given(task=st.sampled_from(["classify", "regress", "tag", "forecast"]),
       lengths=st.lists(st.integers(1, 3000), min_size=1, max_size=40), n=st.integers(1, 5000))
def test_the_crop_rule_crops_only_when_every_condition_holds(task, lengths, n):
    from seqfeed.keras._choose import CROP, RESTRUCTURE_FROM, SMALL, crop_for

    before = list(lengths)
    crop, why = crop_for(task, lengths, n)
    assert lengths == before and isinstance(why, str) and why
    holds = task == "classify" and n < SMALL and np.median(lengths) >= RESTRUCTURE_FROM
    assert crop == (CROP if holds else None)


def _fixed_waves(rng, n_per_class, length):
    seqs = [np.sin(2 * np.pi * (c + 1) * np.arange(length) / length + rng.uniform(0, 6))[:, None]
            for c in range(2) for _ in range(n_per_class)]
    return seqfeed.SequenceSet.from_sequences(seqs, targets=np.repeat(["a", "b"], n_per_class))


@pytest.mark.tf
def test_the_default_recipe_crops_small_sets_of_long_sequences_and_crop_1_turns_it_off():
    from seqfeed.keras import train

    rng = np.random.default_rng(3)
    data = _fixed_waves(rng, 8, 120)
    kw = dict(task="classify", epochs=1, units=4, normalize="global", frame="none")
    run = train(data, **kw)
    assert run.choices["model"]["crop"] == 0.8 and "lengths 120..120 (median 120" in run.choices["model"]["crop_why"]
    assert "training crops: **random crops of at least 80%** of each sequence per epoch" in run.card
    off = train(data, crop=1, **kw)
    assert off.choices["model"]["crop"] is None and off.choices["model"]["crop_why"] == "forced by crop=1"
    assert "training crops: none (whole sequences) -- forced by crop=1" in off.card


# ------------------------------------------------------------------ small-data regression: refit epochs from validation
def test_the_refit_takes_the_probes_best_epoch_and_averages_its_last_third():
    from seqfeed.keras._choose import apply_regress_epochs

    probe = {"best_epoch": 27, "epochs_run": 37, "max_epochs": 150, "patience": 10}
    out = apply_regress_epochs(TRAINING, probe)
    assert out["epochs"] == 27 and out["average_from"] == 18
    assert "epoch 27 of 37" in out["epochs_why"] and "patience 10" in out["epochs_why"]
    one = apply_regress_epochs(TRAINING, dict(probe, best_epoch=1))
    assert one["epochs"] == 1 and one["average_from"] == 0
    assert apply_regress_epochs(TRAINING, None) is TRAINING and TRAINING["epochs"] == 150


@pytest.mark.tf
def test_small_regression_refits_for_the_epochs_its_validation_curve_chose():
    from seqfeed.keras import train

    rng = np.random.default_rng(5)
    seqs = [rng.normal(size=(int(rng.integers(8, 14)), 2)) for _ in range(40)]
    data = seqfeed.SequenceSet.from_sequences(seqs, targets=rng.normal(size=40))  # no signal at all
    kw = dict(task="regress", units=4, patience=3, frame="none", normalize="global")
    run = train(data, **kw)
    probe, tr = run.choices["regress_epochs"], run.choices["training"]
    assert 1 <= probe["best_epoch"] <= probe["epochs_run"] <= probe["max_epochs"] == 150
    assert probe["epochs_run"] < probe["max_epochs"]  # noise: the validation loss stopped improving
    assert tr["epochs"] == probe["best_epoch"] == run.metrics["epochs_run"]
    assert f"came at epoch {probe['best_epoch']} of {probe['epochs_run']}" in run.card
    tight = train(data, **kw, time_budget=0.5)  # the probe shares what the budget leaves with the refit
    assert tight.choices["regress_epochs"]["max_epochs"] < 150
    assert tight.choices["training"]["epochs"] <= tight.choices["budget"]["max_epochs"]
    for forced in ({"refit": "yes"}, {"epochs": 5}):
        other = train(data, **kw, **forced)
        assert "regress_epochs" not in other.choices and other.choices["training"]["epochs"] == (
            forced.get("epochs") or 150)


@pytest.mark.tf
def test_a_refit_that_cannot_fit_its_training_data_is_extended_and_the_card_says_why(monkeypatch):
    """Identical sequences with alternating labels: no model gets past 0.5 training accuracy, so the
    small-data refit doubles its epochs once (and averages the last third of the doubled run); a
    learnable set keeps the rule's epochs. (The rule's epochs are cut to 9 to keep the test short.)"""
    from seqfeed import SequenceSet
    from seqfeed.keras import _choose, train

    rule = _choose.choose_training

    def short(plan, args):
        t = rule(plan, args)
        assert t["extend"]["to"] == 2 * t["epochs"]
        return {**t, "epochs": 9, "average_from": 6, "extend": {**t["extend"], "to": 18}}

    monkeypatch.setattr(_choose, "choose_training", short)
    steps = np.arange(4, dtype=np.float32)[:, None]
    same = SequenceSet.from_sequences([steps] * 20, targets=np.arange(20) % 2)
    run = train(same, task="classify", test=same, units=4, normalize="global", frame="none", seed=0, crop=0.8)
    tr, m = run.choices["training"], run.metrics
    e = m["extension"]
    assert {k: e[k] for k in ("from", "to", "wanted", "at_epoch", "window", "below")} == {
        "from": 9, "to": 18, "wanted": 18, "at_epoch": 6, "window": 1, "below": 0.95}
    assert e["train_accuracy"] <= 0.6 and m["epochs_run"] == 18 and m["averaged_epochs"] == 6
    assert "extended from 9" in run.card and "still underfitting" in run.card

    rng = np.random.default_rng(0)
    x = rng.normal(size=(20, 4, 1)).astype(np.float32)
    y = np.arange(20) % 2
    x[:, :, 0] += np.where(y == 1, 3.0, -3.0)[:, None]  # separable at once
    easy = SequenceSet.from_sequences(list(x), targets=y)
    run = train(easy, task="classify", test=easy, units=4, normalize="global", frame="none", seed=0, lr=0.05,
                crop=0.8)
    assert run.metrics["extension"] is None and run.metrics["epochs_run"] == 9 and run.metrics["averaged_epochs"] == 3
    assert "not extended" in run.card

    # an ensemble's other members train for the first model's epochs, extended or not, and decide nothing
    from seqfeed.keras import _recipe

    fits, real_fit = [], _recipe._fit

    def spy(*a, **k):
        ck, seconds = real_fit(*a, **k)
        fits.append((k.get("member", 0), ck.epochs, ck.n_averaged, ck.extension is not None))
        return ck, seconds

    monkeypatch.setattr(_recipe, "_fit", spy)
    run = train(same, task="classify", test=same, units=4, normalize="global", frame="none", seed=0, crop=0.8,
                ensemble=2)
    assert fits == [(0, 18, 6, True), (1, 18, 6, False)]
    assert run.metrics["extension"]["to"] == 18

    # without training crops the rule is off: the unlearnable set keeps its 9 epochs
    run = train(same, task="classify", test=same, units=4, normalize="global", frame="none", seed=0)
    assert run.choices["training"]["extend"] is None and run.metrics["extension"] is None
    assert run.metrics["epochs_run"] == 9 and "extended" not in run.card


def test_the_extension_is_kept_only_with_training_crops():
    from seqfeed.keras._choose import extension_with_crops

    ext = {"to": 300, "below": 0.95, "metric": "sparse_categorical_accuracy"}
    training = dict(TRAINING, extend=ext)
    assert extension_with_crops(training, 0.8) is training
    off = extension_with_crops(training, None)
    assert off["extend"] is None and training["extend"] is ext  # a new dict; the input is not changed
    assert extension_with_crops(dict(TRAINING, extend=None), 0.8)["extend"] is None


@pytest.mark.tf
def test_short_small_data_gets_three_members_unless_they_would_end_past_the_runs_time(monkeypatch):
    """The automatic ensemble (short sequences, small data, the rule's epochs; cut to 6 here to keep
    the test short): three members, both directions, and the model averages them. With the run's time
    (RUN_SECONDS) nearly gone after the first fit, the other two are left out and the card says so."""
    from seqfeed import SequenceSet
    from seqfeed.keras import _choose, train

    rule = _choose.choose_training
    monkeypatch.setattr(_choose, "choose_training", lambda plan, args: {**rule(plan, args), "epochs": 6,
                                                                        "average_from": 4})
    rng = np.random.default_rng(2)
    y = np.arange(16) % 2
    x = rng.normal(size=(16, 5, 1)).astype(np.float32) + np.where(y == 1, 1.0, -1.0)[:, None, None]
    data = SequenceSet.from_sequences(list(x), targets=y)
    run = train(data, task="classify", test=data, units=3, normalize="global", seed=5)
    e = run.metrics["ensemble"]
    assert (e["members"], e["seeds"], e["chosen"]) == (3, [5, 1005, 2005], 3) and "left_out" not in e
    assert "are averaged" in e["why"] and run.choices["model"]["bidirectional"] is True
    members = [layer for layer in run.model.model.layers if isinstance(layer, type(run.model.model))]
    assert len(members) == 3 and "- ensemble: 3 models trained the same way from seeds 5, 1005, 2005" in run.card

    monkeypatch.setattr(_choose, "RUN_SECONDS", 1e-3)
    cut = train(data, task="classify", test=data, units=3, normalize="global", seed=5)
    e = cut.metrics["ensemble"]
    assert (e["members"], e["seeds"], e["chosen"], e["left_out"]) == (1, [5], 3, 2)
    assert not [layer for layer in cut.model.model.layers if isinstance(layer, type(cut.model.model))]
    assert "- ensemble: 3 models chosen, 2 left out for time: the model is the first one alone; why: " in cut.card
    # what is left is the first member alone: the one-model run of the same seed
    one = train(data, task="classify", test=data, units=3, normalize="global", seed=5, ensemble=1)
    assert "ensemble" not in one.metrics
    np.testing.assert_allclose(cut.model.predict_raw(data), one.model.predict_raw(data), atol=1e-6)


@pytest.mark.tf
def test_a_resumed_run_keeps_the_ensemble_size_the_interrupted_run_chose(monkeypatch, tmp_path):
    """The number of members is decided once, after the first model, and saved with the checkpoints: a
    run interrupted after that decision (here: left with one model, the run's time nearly gone) resumes
    with the same members even though its clock now has room for three."""
    from seqfeed import SequenceSet
    from seqfeed.keras import _choose, _recipe, train

    rule = _choose.choose_training
    monkeypatch.setattr(_choose, "choose_training", lambda plan, args: {**rule(plan, args), "epochs": 4,
                                                                        "average_from": 3})
    rng = np.random.default_rng(3)
    y = np.arange(12) % 2
    data = SequenceSet.from_sequences(list(rng.normal(size=(12, 5, 1)).astype(np.float32) + y[:, None, None]),
                                      targets=y)
    real_write = _recipe._write_out

    def killed(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(_choose, "RUN_SECONDS", 1e-3)
    monkeypatch.setattr(_recipe, "_write_out", killed)
    with pytest.raises(KeyboardInterrupt):
        train(data, task="classify", test=data, out=tmp_path / "m", units=3, normalize="global", seed=1)
    saved = json.loads((tmp_path / "m.partial" / "ensemble.json").read_text())
    assert (saved["members"], saved["chosen"]) == (1, 3)

    monkeypatch.setattr(_choose, "RUN_SECONDS", 300.0)
    monkeypatch.setattr(_recipe, "_write_out", real_write)
    run = train(data, task="classify", test=data, out=tmp_path / "m", units=3, normalize="global", seed=1,
                resume=True)
    e = run.metrics["ensemble"]
    assert (e["members"], e["left_out"]) == (1, 2) and not (tmp_path / "m.partial").exists()
    assert json.loads((tmp_path / "m" / "seqfeed.json").read_text())["info"]["choice"]["training"][
        "ensemble_trained"] == 1
    fresh = train(data, task="classify", test=data, units=3, normalize="global", seed=1)  # room for three
    assert fresh.metrics["ensemble"]["members"] == 3


@pytest.mark.tf
def test_a_forced_ensemble_keeps_only_the_members_that_end_within_the_time_budget():
    """ensemble=3 with a time budget that the first model already used up: the other two are left out
    (the budget is honoured), and the record says the number was forced. Without a budget a forced
    number is trained whole (the test above)."""
    from seqfeed import SequenceSet
    from seqfeed.keras import train

    rng = np.random.default_rng(4)
    y = np.arange(12) % 2
    data = SequenceSet.from_sequences(list(rng.normal(size=(12, 5, 1)).astype(np.float32) + y[:, None, None]),
                                      targets=y)
    run = train(data, task="classify", test=data, units=3, normalize="global", seed=2, epochs=2, ensemble=3,
                time_budget=1e-3)
    e = run.metrics["ensemble"]
    assert (e["members"], e["chosen"], e["left_out"], e["why"]) == (1, 3, 2, "forced by ensemble=3")
    assert "- ensemble: 3 models chosen, 2 left out for time: the model is the first one alone" in run.card

