"""How `seqfeed train` resolves its automatic batch size, epochs and refitting (no TensorFlow)."""
import argparse
import types

import numpy as np
import pytest

from seqfeed import ConfigError, SequenceSet
from seqfeed.keras._choose import MIN_STEPS, SMALL, choose_training
from seqfeed.keras._tasks import SequencePlan


def _plan(n_train, n_val):
    mk = lambda n: SequenceSet.from_sequences([np.zeros((3, 1))] * n, targets=np.arange(n) % 2)  # noqa: E731
    return SequencePlan("classify", mk(n_train), mk(n_val), mk(4), test_source="test")


def _args(**kw):
    base = dict(batch=None, epochs=None, refit="auto")
    return argparse.Namespace(**{**base, **kw})


def test_small_data_gets_small_batches_enough_steps_and_a_refit():
    t = choose_training(_plan(80, 20), _args())
    assert t["batch"] == 16 and t["refit"] is True
    per_epoch = -(-100 // 16)
    assert t["epochs"] == min(150, max(60, -(-MIN_STEPS // per_epoch)))
    assert t["average_from"] == t["epochs"] - t["epochs"] // 3
    assert "too small to pick an epoch" in t["refit_why"]


def test_large_data_keeps_early_stopping_and_default_sizes():
    n = SMALL
    t = choose_training(_plan(n - 200, 200), _args())
    assert (t["batch"], t["epochs"], t["refit"], t["average_from"]) == (32, 60, False, None)


def test_flags_win_over_the_automatic_choice():
    t = choose_training(_plan(80, 20), _args(batch=8, epochs=7, refit="no"))
    assert (t["batch"], t["epochs"], t["refit"]) == (8, 7, False)
    assert [t["batch_why"], t["epochs_why"], t["refit_why"]] == [
        "forced by --batch", "forced by --epochs", "forced by --refit"]


def test_forecasting_never_refits_by_default_and_refuses_a_forced_refit():
    plan = types.SimpleNamespace(kind="forecast", train_X=[0] * 50, val_X=[0] * 10)
    assert choose_training(plan, _args())["refit"] is False
    with pytest.raises(ConfigError, match="refit='yes' is for sequence tasks"):
        choose_training(plan, _args(refit="yes"))
