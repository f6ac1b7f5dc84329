"""How `seqfeed train` resolves its automatic batch size, epochs and refitting (no TensorFlow)."""
import argparse
import types

import numpy as np
import pytest

from seqfeed import ConfigError, SequenceSet
from seqfeed.keras._choose import MIN_STEPS, SMALL, UNDERFIT_ACCURACY, choose_training
from seqfeed.keras._tasks import SequencePlan


def _plan(n_train, n_val, task="classify"):
    mk = lambda n: SequenceSet.from_sequences([np.zeros((3, 1))] * n, targets=np.arange(n) % 2)  # noqa: E731
    return SequencePlan(task, mk(n_train), mk(n_val), mk(4), test_source="test")


def _args(**kw):
    base = dict(batch=None, epochs=None, refit="auto")
    return argparse.Namespace(**{**base, **kw})


def test_small_data_gets_small_batches_enough_steps_and_a_refit():
    t = choose_training(_plan(80, 20), _args())
    assert t["batch"] == 16 and t["refit"] is True
    # the refit trains on all 100 sequences: 7 batches of (at most) 16 per epoch, so the fewest epochs
    # giving MIN_STEPS (1,000) optimiser steps are 143 (1,001 steps; 142 epochs give 994)
    assert t["epochs"] == 143 and 143 * 7 >= MIN_STEPS > 142 * 7
    # weights averaged over the last third of the epochs: 47 of 143
    assert t["average_from"] == 96
    assert "too small to pick an epoch" in t["refit_why"]


@pytest.mark.parametrize("n_all", [2, 10, 40, 100, 160, 300, 500, 999])
def test_small_data_epochs_are_the_fewest_that_give_min_steps_within_60_to_150(n_all):
    t = choose_training(_plan(n_all - n_all // 5, n_all // 5), _args())
    batches = -(-n_all // t["batch"])  # refit: one epoch is every training and validation sequence once
    assert 60 <= t["epochs"] <= 150
    if t["epochs"] * batches < MIN_STEPS:  # too few steps only at the ceiling
        assert t["epochs"] == 150
    elif t["epochs"] > 60:  # above the floor, one epoch fewer would not give MIN_STEPS
        assert (t["epochs"] - 1) * batches < MIN_STEPS
    averaged = t["epochs"] - t["average_from"]
    assert averaged >= 1 and abs(averaged - t["epochs"] / 3) < 1


def test_smaller_data_never_gets_fewer_epochs():
    epochs = [choose_training(_plan(n - n // 5, n // 5), _args())["epochs"] for n in range(5, SMALL, 37)]
    assert epochs == sorted(epochs, reverse=True)
    assert epochs[0] == 150 and epochs[-1] == 60  # both bounds are reached


def test_large_data_keeps_early_stopping_and_default_sizes():
    n = SMALL
    t = choose_training(_plan(n - 200, 200), _args())
    assert (t["batch"], t["epochs"], t["refit"], t["average_from"]) == (32, 60, False, None)


def test_flags_win_over_the_automatic_choice():
    t = choose_training(_plan(80, 20), _args(batch=8, epochs=7, refit="no", command="seqfeed train d.csv"))
    assert (t["batch"], t["epochs"], t["refit"]) == (8, 7, False)
    assert [t["batch_why"], t["epochs_why"], t["refit_why"]] == [
        "forced by --batch", "forced by --epochs", "forced by --refit"]
    # from Python (seqfeed.keras.train), the same choice names the keywords
    t = choose_training(_plan(80, 20), _args(batch=8, epochs=7, refit="no"))
    assert [t["batch_why"], t["epochs_why"], t["refit_why"]] == [
        "forced by batch=", "forced by epochs=", "forced by refit="]


def test_forecasting_never_refits_by_default_and_refuses_a_forced_refit():
    plan = types.SimpleNamespace(kind="forecast", train_X=[0] * 50, val_X=[0] * 10)
    assert choose_training(plan, _args())["refit"] is False
    with pytest.raises(ConfigError, match="refit='yes' is for sequence tasks"):
        choose_training(plan, _args(refit="yes"))


def test_a_small_data_classifier_may_double_its_epochs_when_it_still_underfits():
    t = choose_training(_plan(80, 20), _args())
    assert t["extend"] == {"to": 2 * t["epochs"], "below": UNDERFIT_ACCURACY,
                           "metric": "sparse_categorical_accuracy"}
    # not when the epochs are given, nor without a refit, nor for regression (its refit epochs come
    # from the validation curve)
    assert choose_training(_plan(80, 20), _args(epochs=30))["extend"] is None
    assert choose_training(_plan(80, 20), _args(refit="no"))["extend"] is None
    assert choose_training(_plan(80, 20, task="regress"), _args())["extend"] is None
    assert choose_training(_plan(SMALL, 100), _args())["extend"] is None


# ------------------------------------------------------------------ the automatic ensemble and directions
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from seqfeed.keras._choose import ENSEMBLE, LONG, RESTRUCTURE_FROM, _model_recipe, ensemble_for  # noqa: E402


def _plan_of(n_train, n_val, length, task="classify"):
    mk = lambda n: SequenceSet.from_sequences([np.zeros((length, 1))] * n, targets=np.arange(n) % 2)  # noqa: E731
    return SequencePlan(task, mk(n_train), mk(n_val), mk(2), test_source="test")


@settings(max_examples=60, deadline=None)
@given(task=st.sampled_from(["classify", "regress", "tag", "forecast"]), n=st.integers(5, 1400),
       length=st.integers(1, 260), epochs=st.sampled_from([None, 7]), refit=st.sampled_from(["auto", "no"]),
       forced=st.sampled_from([None, 1, 4]))
def test_the_automatic_ensemble_is_for_short_small_whole_sequence_tasks(task, n, length, epochs, refit, forced):
    """Three members exactly when: classification or regression, fewer than SMALL sequences with a
    refit, median length below RESTRUCTURE_FROM and the rule's own epochs; ensemble= always wins."""
    plan = _plan_of(n - n // 5, n // 5, length, task="classify" if task == "forecast" else task)
    args = _args(task=task, epochs=epochs, refit=refit, ensemble=forced)
    training = choose_training(plan, args)
    k, why = ensemble_for(plan, args, training)
    if forced is not None:
        assert (k, why) == (forced, f"forced by ensemble={forced}")
        return
    want = (task in ("classify", "regress") and n < SMALL and refit == "auto" and length < RESTRUCTURE_FROM
            and epochs is None)
    assert k == (ENSEMBLE if want else 1)
    assert ("are averaged" in why) == want and why


def test_the_ensemble_reason_names_what_kept_one_model():
    args = _args(task="classify", ensemble=None)
    assert "median length 150 >= 100" in ensemble_for(_plan_of(80, 20, 150), args, choose_training(
        _plan_of(80, 20, 150), args))[1]
    forced = _args(task="classify", ensemble=None, epochs=5, command="seqfeed train d.csv")
    assert ensemble_for(_plan_of(80, 20, 10), forced, choose_training(_plan_of(80, 20, 10), forced))[1] == (
        "epochs forced by --epochs: one model")
    assert "task 'tag'" in ensemble_for(_plan_of(80, 20, 10, "tag"), _args(task="tag", ensemble=None),
                                        choose_training(_plan_of(80, 20, 10, "tag"), _args()))[1]


@settings(max_examples=60, deadline=None)
@given(task=st.sampled_from(["classify", "regress", "tag", "forecast"]), median=st.floats(1, 2000),
       bidirectional=st.sampled_from([None, True, False]), n=st.integers(2, 3 * SMALL))
def test_both_directions_for_short_whole_sequence_targets_and_long_sequences(task, median, bidirectional, n):
    """Long sequences, and fewer than SMALL short ones with a whole-sequence target; a flag wins."""
    args = argparse.Namespace(task=task, crop=None, bidirectional=bidirectional, pooling="auto", dropout=None,
                              command=None)
    model, rec = _model_recipe(args, median, lengths=[int(median)] * 3, n_sequences=n)
    auto = (median > LONG and task != "forecast") or (
        median < RESTRUCTURE_FROM and task in ("classify", "regress") and n < SMALL)
    assert model["bidirectional"] is (auto if bidirectional is None else bidirectional)
    assert model["pooling"] == ("mean+max" if median > LONG and task != "forecast" else "last")
    assert ("; overridden by bidirectional=" in rec["why"]) == (bidirectional is not None)


def test_the_demo_summary_quotes_the_baseline_its_run_printed():
    """`seqfeed demo` reports the JapaneseVowels run's own baseline (the figure in its printed results
    and card), and whether the LSTM beats the naive sunspots forecast."""
    from seqfeed.cli._demo import summary_lines

    jv = {"accuracy": 0.9865, "macro_f1": 0.9842, "baseline_1nn_summary_accuracy": 0.9486,
          "baseline": {"name": "1-NN on summary features", "accuracy": 0.9541}}
    text = summary_lines(jv, {"mae": 12.6, "naive_mae": 24.4})
    assert "accuracy 0.987 (macro-F1 0.984)" in text
    assert "the run's baseline here, 1-NN on summary features, 0.954" in text
    assert "0.949" not in text.split("reference points")[1].split("ROCKET")[1]
    assert "the LSTM beats the naive forecast (0.52x its error)" in text
    worse = summary_lines({**jv, "baseline": None}, {"mae": 30.0, "naive_mae": 24.4})
    assert "baseline here" not in worse and "does NOT beat" in worse and "(1.23x its error)" in worse
