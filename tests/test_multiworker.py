"""Two workers, two processes, loopback: every sequence exactly once per epoch, identical final weights."""

import json

import numpy as np
import pytest

from seqfeed import ConfigError, SequenceSet, ShardDataset
from seqfeed.sources import write_shards

pytestmark = pytest.mark.tf


def problem(n, seed):
    rng = np.random.default_rng(seed)
    seqs, y = [], []
    for L in rng.integers(3, 20, n):
        s = rng.normal(size=(L, 2)).astype("float32")
        seqs.append(s)
        y.append(int(s[-1, 0] > 0))
    return SequenceSet.from_sequences(seqs, targets=np.array(y))


@pytest.mark.slow(seconds=30)
def test_two_workers_use_every_sequence_once_per_epoch_and_end_with_identical_weights(tmp_path):
    from seqfeed.keras import run_local_workers

    n = 200
    # 3 part files of 80, 80, 40 rows: worker 0 reads files 0 and 2 (120 rows, 11 batches), worker 1
    # file 1 (80 rows, 8 batches), so worker 1 ends each epoch with 3 zero-weight filler batches
    write_shards(problem(n, 0), tmp_path / "s", rows_per_file=80)
    epochs = 2
    codes = run_local_workers(2, shards=str(tmp_path / "s"), task="classify", epochs=epochs, batch_size=16,
                              units=8, seed=3, out=str(tmp_path / "model"), logs=str(tmp_path / "w{index}.json"),
                              timeout=300)
    assert codes == [0, 0]
    logs = [json.loads((tmp_path / f"w{i}.json").read_text()) for i in range(2)]
    assert logs[0]["steps_per_epoch"] == logs[1]["steps_per_epoch"]
    assert logs[0]["real_batches"] > logs[1]["real_batches"]  # uneven shards really were uneven
    assert logs[1]["filler_per_epoch"] == {str(e): logs[0]["real_batches"] - logs[1]["real_batches"]
                                           for e in range(epochs)}
    for e in range(epochs):
        rows0, rows1 = logs[0]["rows"][str(e)], logs[1]["rows"][str(e)]
        assert (len(rows0), len(rows1)) == (120, 80)
        assert not set(rows0) & set(rows1)
        assert sorted(rows0 + rows1) == list(range(n))
    assert logs[0]["weights_sha256"] == logs[1]["weights_sha256"]
    assert logs[0]["history"]["loss"] == logs[1]["history"]["loss"]  # losses are all-reduced
    assert (tmp_path / "model" / "seqfeed.json").exists()
    meta = json.loads((tmp_path / "model" / "seqfeed.json").read_text())
    assert meta["info"]["distributed"]["workers"] == 2 and meta["scaler"]["mean"] is not None


def test_worker_options_are_checked_before_starting_tensorflow(tmp_path):
    from seqfeed.keras import train_distributed

    write_shards(problem(20, 1), tmp_path / "s", rows_per_file=10)
    with pytest.raises(ConfigError, match="both `cluster` and `task_index`"):
        train_distributed(tmp_path / "s", task="classify", cluster=["127.0.0.1:1"])
    with pytest.raises(ConfigError, match="task_index"):
        train_distributed(tmp_path / "s", task="classify", cluster=["127.0.0.1:1"], task_index=1)
    with pytest.raises(ConfigError, match="would get no sequence"):
        ShardDataset(tmp_path / "s", 0, 30)
