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
