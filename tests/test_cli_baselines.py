"""`seqfeed train` computes the strongest affordable baseline on the same split and says when it wins."""
import json

import numpy as np
import pytest

from seqfeed import SequenceSet, baselines as B
from seqfeed.cli import build_parser
from seqfeed.cli._train import _print_metrics
from seqfeed.keras import baseline_headline as _baseline_headline
from seqfeed.sources import write_npz


def _shapes(rng, n_per_class, n_classes=3):
    """Easy classes for 1-NN: sines of 1, 2, 3 periods, lengths 20..40, a little noise."""
    seqs, y = [], []
    for c in range(n_classes):
        for _ in range(n_per_class):
            L = int(rng.integers(20, 41))
            t = np.arange(L) / L
            seqs.append((3 * np.sin(2 * np.pi * (c + 1) * t) + rng.normal(0, 0.05, L))[:, None])
            y.append(f"c{c}")
    return SequenceSet.from_sequences(seqs, targets=np.array(y))


def _run(argv, capsys):
    from seqfeed.cli._train import run_train

    code = run_train(build_parser().parse_args(["train", *argv]))
    assert code == 0
    return capsys.readouterr().out.splitlines()


# ------------------------------------------------------------------ no TensorFlow
def test_headline_only_when_the_baseline_wins(capsys):
    base = {"name": "1-NN DTW (window 10%)", "method": "nn_dtw", "accuracy": 0.93, "seconds": 0.5,
            "metric": "accuracy", "model_name": "LSTM", "model_score": 0.47, "gap": 0.47 - 0.93,
            "beats_model": True, "try": ["--frame msconv:23", "more --epochs", "or use the baseline"]}
    m = {"accuracy": 0.47, "macro_f1": 0.4, "epochs_run": 60, "baseline": base}
    assert _baseline_headline(m) == ("The baseline 1-NN DTW (window 10%) beats the LSTM: test accuracy 0.9300 "
                                     "vs the LSTM's 0.4700 (-0.4600). Try: --frame msconv:23, more --epochs "
                                     "(this run: 60), or use the baseline.")
    _print_metrics("classify", m, "out")
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("The baseline 1-NN DTW (window 10%) beats the LSTM")
    assert lines[1] == ("test: accuracy 0.4700, macro_f1 0.4000; baseline 1-NN DTW (window 10%): accuracy 0.9300 "
                        "(0.5s)  ->  out")
    m["baseline"] = {**base, "beats_model": False, "accuracy": 0.4}
    assert _baseline_headline(m) is None
    _print_metrics("classify", m, "out")
    assert capsys.readouterr().out.startswith("test: accuracy 0.4700")


def test_forecast_baseline_sets_cover_exactly_the_model_test_windows():
    import argparse
    import types

    from seqfeed.keras._tasks import plan_forecast

    rng = np.random.default_rng(0)
    seqs = SequenceSet.from_sequences([np.c_[rng.normal(size=n), np.sin(np.arange(n) / 3.0)] for n in (60, 75)],
                                      feature_names=["a", "b"])
    args = argparse.Namespace(target="b", horizon=3, test_size=12, window=8, val_fraction=0.2, test=None)
    plan = plan_forecast(types.SimpleNamespace(seqs=seqs, options={}, time=None), None, args)
    head, tail = plan.baseline_sets()
    assert head.lengths.tolist() == [48, 63] and tail.lengths.tolist() == [12, 12]
    r = B.naive_forecast(head, tail, horizon=3)
    assert r.predictions.shape == plan.test_targets.shape
    last = plan.test_windows.values[plan.test_windows.offsets[1:] - 1, 1]
    np.testing.assert_allclose(r.predictions, np.repeat(last[:, None], 3, axis=1))
    rec = plan.baseline(5.0)
    assert rec["method"] in ("naive_forecast", "seasonal_naive_forecast") and rec["n_test"] == 2


def test_tips_name_options_as_the_caller_spells_them():
    """``seqfeed train`` is told to try flags; ``seqfeed.keras.train`` keywords (no TensorFlow: the
    model and plan are stand-ins with what the tips read)."""
    import types

    from seqfeed.keras._evaluate import _add_baseline
    from seqfeed.keras._options import option_label

    plan = types.SimpleNamespace(train=types.SimpleNamespace(lengths=np.full(10, 1460)), window=24,
                                 baseline=lambda budget: {"name": "1-NN DTW", "method": "nn_dtw", "accuracy": 0.9})
    sm = types.SimpleNamespace(task="classify", restructure=None,
                               model=types.SimpleNamespace(layers=[types.SimpleNamespace(name="lstm")]))
    tries = {}
    for caller, command in (("cli", "seqfeed train d.csv"), ("python", None)):
        o = types.SimpleNamespace(command=command)
        res = {"accuracy": 0.5}
        _add_baseline(res, sm, plan, 1.0, lambda name, value=None: option_label(o, name, value))
        tries[caller] = res["baseline"]["try"]
        m = {"accuracy": 0.5, "epochs_run": 60, "baseline": res["baseline"]}
        assert _baseline_headline(m).endswith(", or use the baseline (seqfeed.baselines.nn_dtw).")
    assert tries["cli"][:2] == ["--frame msconv:23", "more --epochs"]
    assert tries["python"][:2] == ["frame='msconv:23'", "more epochs="]
    m = {"accuracy": 0.5, "epochs_run": 60, "baseline": {**res["baseline"]}}
    assert "Try: frame='msconv:23', more epochs= (this run: 60), or use" in _baseline_headline(m)


# ------------------------------------------------------------------ whole runs (TensorFlow)
@pytest.mark.tf
@pytest.mark.slow(seconds=20)
def test_baseline_that_beats_an_undertrained_lstm_is_said_first(tmp_path, capsys):
    rng = np.random.default_rng(0)
    train, test = _shapes(rng, 15), _shapes(rng, 8)
    write_npz(train, tmp_path / "train.npz")
    write_npz(test, tmp_path / "test.npz")
    out = tmp_path / "m"
    lines = _run([str(tmp_path / "train.npz"), "--test", str(tmp_path / "test.npz"), "--task", "classify",
                  "--out", str(out), "--epochs", "1", "--lr", "1e-5", "--units", "4", "--normalize", "global",
                  "--log-transform", "no", "--frame", "none", "--seed", "0", "--quiet"], capsys)
    metrics = json.loads((out / "metrics.json").read_text())
    b = metrics["baseline"]
    assert b["beats_model"] is True and b["metric"] == "accuracy" and b["model_score"] == metrics["accuracy"]
    assert lines[0].startswith(f"The baseline {b['name']} beats the LSTM: test accuracy {b['accuracy']:.4f} "
                               f"vs the LSTM's {metrics['accuracy']:.4f} ({metrics['accuracy'] - b['accuracy']:+.4f}). "
                               f"Try: ")
    assert "more --epochs (this run: 1)" in lines[0] and f"seqfeed.baselines.{b['method']}" in lines[0]
    assert f"baseline {b['name']}: accuracy {b['accuracy']:.4f}" in lines[1]
    # the same split, called directly: all training sequences against the test file, raw values
    direct = B.choose_baseline(train, test, "classify", b["budget_seconds"], window=0.1)
    assert (direct.name, direct.metrics["accuracy"]) == (b["method"], b["accuracy"])
    assert b["accuracy"] == 1.0 and b["n_train"] == len(train) and b["n_test"] == len(test)
    card = (out / "README.md").read_text()
    assert f"> **The baseline {b['name']} beats the LSTM" in card
    assert f"### Baseline on the same split: {b['name']}" in card
    assert f"| accuracy | {metrics['accuracy']:.4f} | 1.0000 |" in card


@pytest.mark.tf
def test_regression_baseline_is_ridge_on_the_same_split_with_the_mean_beside_it(tmp_path, capsys):
    rng = np.random.default_rng(1)
    seqs = [rng.normal(size=(int(rng.integers(5, 12)), 2)) for _ in range(40)]
    y = np.array([s[:, 0].mean() * 2 + s[:, 1].std() for s in seqs])
    train = SequenceSet.from_sequences(seqs[:30], targets=y[:30])
    test = SequenceSet.from_sequences(seqs[30:], targets=y[30:])
    write_npz(train, tmp_path / "train.npz")
    write_npz(test, tmp_path / "test.npz")
    out = tmp_path / "r"
    lines = _run([str(tmp_path / "train.npz"), "--test", str(tmp_path / "test.npz"), "--task", "regress",
                  "--out", str(out), "--epochs", "2", "--units", "4", "--normalize", "global",
                  "--log-transform", "no", "--seed", "0", "--quiet"], capsys)
    metrics = json.loads((out / "metrics.json").read_text())
    b = metrics["baseline"]
    ridge, mean = B.ridge_summary(train, test), B.mean_regressor(train, test)
    assert b["method"] == "ridge_summary"
    assert b["mae"] == pytest.approx(ridge.metrics["mae"], rel=1e-9)
    assert b["rmse"] == pytest.approx(ridge.metrics["rmse"], rel=1e-9)
    assert b["mean_mae"] == pytest.approx(mean.metrics["mae"], rel=1e-9)
    assert b["beats_model"] == (b["mae"] < metrics["mae"])
    first = lines[0]
    if b["beats_model"]:
        assert first.startswith("The baseline ridge on summary features beats the LSTM: test MAE")
    else:
        assert first.startswith("test: mae")
    assert "baseline ridge on summary features: mae" in lines[-1]
    assert "### Baseline on the same split: ridge on summary features" in (out / "README.md").read_text()
