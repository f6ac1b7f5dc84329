"""The NumPy metrics behind evaluate and the CLI, against direct computations."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from seqfeed import metrics as M


@given(st.integers(1, 40), st.integers(2, 6), st.integers(0, 2**31 - 1))
def test_log_loss_accuracy_and_f1_match_direct_definitions(n, k, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    logits = rng.normal(size=(n, k))
    p = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    expected = -np.mean([np.log(p[i, y[i]]) for i in range(n)])
    assert M.log_loss(y, p) == pytest.approx(expected, rel=1e-12)
    pred = p.argmax(1)
    assert M.accuracy(y, pred) == pytest.approx(np.mean(pred == y))
    f1s = []
    for c in range(k):
        tp = np.sum((pred == c) & (y == c))
        fp, fn = np.sum((pred == c) & (y != c)), np.sum((pred != c) & (y == c))
        if tp + fp + fn:
            f1s.append(2 * tp / (2 * tp + fp + fn))
    assert M.macro_f1(y, pred, k) == pytest.approx(np.mean(f1s))


def test_log_loss_clips_zero_probabilities():
    assert M.log_loss([0, 1], [[1.0, 0.0], [1.0, 0.0]]) == pytest.approx(-np.log(1e-12) / 2)
    assert M.log_loss([1], [[0.0, 1.0]]) == 0.0
