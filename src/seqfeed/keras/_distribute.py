"""Multi-worker training on sequence shards with ``tf.distribute.MultiWorkerMirroredStrategy``.

Every worker is one process running :func:`train_distributed` with its own
``TF_CONFIG`` (the cluster's ``host:port`` list and its own index). Worker ``i`` of
``n`` streams ``ShardDataset(shards, shard_id=i, num_shards=n)``: its own part files,
disjoint from the others'. Collective training needs every worker to take the same
number of steps, so each epoch is padded to the largest worker's number of batches
with zero-weight filler batches that hold no sequence: every sequence is still used
exactly once per epoch, and the filler contributes a zero gradient.

:func:`run_local_workers` starts ``n`` such processes on the loopback address (free
ports), which is what ``seqfeed train SHARDS/ --workers N`` does when no
``TF_CONFIG`` is set.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time

import numpy as np

from .._errors import ConfigError, DataError, check_int
from .._fs import atomic_file

__all__ = ["train_distributed", "run_local_workers", "tf_config", "free_ports"]

OP = "train_distributed"


def tf_config(cluster, index: int) -> str:
    """The ``TF_CONFIG`` JSON of worker ``index`` in ``cluster`` (a list of ``host:port``)."""
    return json.dumps({"cluster": {"worker": list(cluster)}, "task": {"type": "worker", "index": int(index)}})


def read_tf_config(op: str):
    """``(workers, index)`` from the ``TF_CONFIG`` environment variable (None when unset); a ConfigError
    if it is malformed."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return None
    try:
        conf = json.loads(raw)
        workers = list(conf["cluster"]["worker"])
        index = int(conf["task"]["index"])
        kind = conf["task"].get("type", "worker")
    except (ValueError, KeyError, TypeError):
        raise ConfigError(f"{op}: TF_CONFIG is not valid: {raw[:200]!r}.", argument="TF_CONFIG",
                          fix='set TF_CONFIG=\'{"cluster": {"worker": ["host1:port", "host2:port"]}, '
                              '"task": {"type": "worker", "index": 0}}\'') from None
    if kind not in ("worker", "chief") or not 0 <= index < len(workers):
        raise ConfigError(f"{op}: TF_CONFIG task {kind}/{index} is not one of the {len(workers)} workers.",
                          argument="TF_CONFIG", received=(kind, index),
                          fix="give every host the same cluster list and its own index 0..n-1")
    return workers, index


def free_ports(n: int) -> list[int]:
    """``n`` TCP ports free on 127.0.0.1 right now."""
    socks, ports = [], []
    try:
        for _ in range(n):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.bind(("127.0.0.1", 0))
            socks.append(s)
            ports.append(s.getsockname()[1])
    finally:
        for s in socks:
            s.close()
    return ports


class _Recorder:
    """Keeps, per epoch, the rows each batch of a *completed* pass held (batches prefetched by
    a pass that Keras dropped were never trained on)."""

    def __init__(self, ds):
        self.epochs: dict[int, list[int]] = {}
        self.filler: dict[int, int] = {}
        ds.on_pass_end = self.on_pass_end

    def on_pass_end(self, epoch, served):
        self.epochs[epoch] = [int(i) for idx in served for i in idx.tolist() if i >= 0]
        self.filler[epoch] = sum(1 for idx in served if idx.size == 1 and idx[0] < 0)


def _patch_for_multi_worker(model, example, strategy, tf):
    """Work around two Keras 3 multi-worker issues (checked with Keras 3.15, TF 2.21).

    * ``fit`` first all-reduces one input batch to build the model symbolically, which
      fails when workers' batches differ in shape (ours do: padded per batch). The
      model is built here from a local batch instead.
    * the train/test step logs are scalars, which the multi-worker "mean" reduction
      cannot reduce along axis 0; they are returned with a leading axis of 1.
    """
    with strategy.scope():
        model._symbolic_build(data_batch=example)
    model._maybe_symbolic_build = lambda iterator=None, data_batch=None: None
    for name in ("train_step", "test_step"):
        step = getattr(model, name)

        def wrapped(data, _step=step):
            return {k: tf.reshape(v, (1,)) for k, v in _step(data).items()}

        setattr(model, name, wrapped)


def weights_digest(model) -> str:
    """sha256 of every weight's bytes, in order (equal digests = identical weights)."""
    h = hashlib.sha256()
    for w in model.weights:
        h.update(np.ascontiguousarray(np.asarray(w.numpy() if hasattr(w, "numpy") else w)).tobytes())
    return h.hexdigest()


def train_distributed(shards, *, task: str, epochs: int = 10, batch_size: int = 32, max_tokens: int | None = None,
                      seed: int = 0, cluster=None, task_index: int | None = None, out=None, log=None,
                      shuffle_buffer: int | None = None, verbose=0, **model_options):
    """Train one worker of a multi-worker run on sequence shards; returns the :class:`SequenceModel`.

    Args:
        shards: a shards directory every worker can read (shared storage).
        task: ``"classify"``, ``"regress"`` or ``"tag"``.
        epochs, batch_size, max_tokens, seed, shuffle_buffer: as in
            :meth:`SequenceModel.fit` / :class:`~seqfeed.ShardDataset` (same on every worker).
        cluster, task_index: the workers' ``host:port`` list and this worker's index;
            default: read from the ``TF_CONFIG`` environment variable (set one or the other).
        out: directory the chief (worker 0) saves the model to; other workers save nothing.
        log: optional JSON file this worker writes: the rows (positions in
            ``read_shards(shards, split="train")``) it trained on per epoch, its step
            and filler counts, its history and a digest of its final weights.
        model_options: passed to :meth:`SequenceModel.for_data` (units, layers, ...).

    The model is built inside the strategy's scope with the same seed on every worker;
    gradients are all-reduced each step, so every worker ends with the same weights.
    """
    from ..batching import ShardDataset
    from ._shards_fit import shard_dataset

    epochs = check_int(OP, "epochs", epochs, minimum=1)
    if (cluster is None) != (task_index is None):
        raise ConfigError(f"{OP}: pass both `cluster` and `task_index`, or neither (then TF_CONFIG is used).",
                          argument="cluster", fix="e.g. cluster=['10.0.0.1:2222', '10.0.0.2:2222'], task_index=0")
    if cluster is not None:
        if isinstance(cluster, str) or not cluster or not all(isinstance(c, str) and ":" in c for c in cluster):
            raise ConfigError(f"{OP}: `cluster` must be a list of 'host:port' strings. Received: "
                              f"cluster={cluster!r}.", argument="cluster", received=cluster,
                              fix="pass cluster as a list such as ['host1:12345', 'host2:12345']")
        task_index = check_int(OP, "task_index", task_index, minimum=0)
        if task_index >= len(cluster):
            raise ConfigError(f"{OP}: `task_index` must be < {len(cluster)} (the number of workers). Received: "
                              f"task_index={task_index}.", argument="task_index", received=task_index,
                              fix=f"pass task_index in 0..{len(cluster) - 1}")
        os.environ["TF_CONFIG"] = tf_config(cluster, task_index)
    conf = read_tf_config(OP)
    if conf is None:
        raise ConfigError(f"{OP}: no cluster: TF_CONFIG is not set and no `cluster` was given.",
                          argument="cluster", fix="set TF_CONFIG on every worker (docs/scale.md), or use "
                                                  "run_local_workers(n, ...) on one machine")
    workers, index = conf
    from ._lazy import keras, tf

    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    keras.utils.set_random_seed(seed)
    from ._data import batch_to_keras
    from ._model import SequenceModel

    with strategy.scope():
        sm = SequenceModel.for_data(shards, task, seed=seed, **model_options)
    probe = ShardDataset(shards, index, len(workers), batch_size=None if max_tokens else batch_size,
                         max_tokens=max_tokens, seed=seed, shuffle_buffer=shuffle_buffer)
    sm.scaler = probe.manifest_scaler()
    ds = shard_dataset(sm, probe, op=OP)
    recorder = _Recorder(ds)
    # batches are per worker and already padded per batch: distribute them as they are (the
    # default distribution would re-split every batch across all workers' replicas)
    from ._stream_data import shard_tf_dataset

    local = shard_tf_dataset(ds, repeat=True)
    data = strategy.distribute_datasets_from_function(lambda context: local)
    example = batch_to_keras(ds._template)
    sm.model.jit_compile = False  # batches are padded per batch: XLA would compile every new shape
    from ._fused import fuse_lstm_loops

    fuse_lstm_loops(sm.model)  # LSTM layers on the fused CPU kernel (seqfeed.keras._fused)
    _patch_for_multi_worker(sm.model, example, strategy, tf)
    t0 = time.time()
    history = sm.model.fit(data, epochs=epochs, steps_per_epoch=len(ds), verbose=verbose, shuffle=False)
    seconds = time.time() - t0
    digest = weights_digest(sm.model)
    sm.info["distributed"] = {"workers": len(workers), "steps_per_epoch": len(ds),
                              "batch_size": batch_size, "max_tokens": max_tokens, "epochs": epochs}
    if out is not None and index == 0:
        sm.save(out)
    if log is not None:
        record = {"task_index": index, "num_workers": len(workers), "steps_per_epoch": len(ds),
                  "real_batches": ds.real_batches[index], "filler_per_epoch": {str(k): v for k, v in
                                                                               recorder.filler.items()},
                  "rows": {str(k): v for k, v in sorted(recorder.epochs.items())},
                  "history": {k: [float(x) for x in v] for k, v in history.history.items()},
                  "weights_sha256": digest, "fit_seconds": round(seconds, 2)}
        with atomic_file(log) as tmp, open(tmp, "w") as fh:
            json.dump(record, fh)
    return sm


def run_local_workers(n: int, *, timeout: float | None = None, logs=None, **options) -> list[int]:
    """Run ``n`` workers of :func:`train_distributed` as processes on 127.0.0.1 and wait for them.

    ``options`` go to :func:`train_distributed` (JSON-able values); ``logs``: a
    format string with ``{index}`` for each worker's ``log`` file. If a worker fails,
    the others are stopped (they would wait forever for its collective ops). Returns
    the exit codes; raises :class:`~seqfeed.DataError` naming the first failed worker.
    """
    n = check_int("run_local_workers", "n", n, minimum=1)
    ports = free_ports(n)
    cluster = [f"127.0.0.1:{p}" for p in ports]
    procs = []
    env = dict(os.environ)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for i in range(n):
        opts = dict(options, cluster=cluster, task_index=i)
        if logs is not None:
            opts["log"] = str(logs).format(index=i)
        env_i = dict(env)
        env_i.pop("TF_CONFIG", None)
        procs.append(subprocess.Popen([sys.executable, "-m", "seqfeed.keras._worker", json.dumps(opts)],
                                      env=env_i))
    deadline = None if timeout is None else time.time() + timeout
    codes: list[int | None] = [None] * n
    try:
        while any(c is None for c in codes):
            for i, p in enumerate(procs):
                if codes[i] is None:
                    codes[i] = p.poll()
            failed = [i for i, c in enumerate(codes) if c not in (None, 0)]
            if failed or (deadline is not None and time.time() > deadline):
                for p in procs:
                    if p.poll() is None:
                        p.terminate()
                for p in procs:
                    try:
                        p.wait(10)
                    except subprocess.TimeoutExpired:
                        p.kill()
                if failed:
                    raise DataError(f"run_local_workers: worker {failed[0]} of {n} failed (exit code "
                                    f"{codes[failed[0]]}); the others were stopped.", argument="workers",
                                    index=failed[0], fix="see the worker's error above")
                raise DataError(f"run_local_workers: the workers did not finish within {timeout} s; stopped.",
                                argument="timeout", received=timeout,
                                fix="pass a longer timeout, or check the workers' logs")
            time.sleep(0.2)
    except KeyboardInterrupt:
        for p in procs:
            if p.poll() is None:
                p.terminate()
        raise
    return [int(c) for c in codes]
