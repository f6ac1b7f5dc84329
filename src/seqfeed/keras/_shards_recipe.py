"""Training on sequence shards: streamed, on one or several workers.

A shards directory is never read whole: the training split streams through a
bounded shuffle window, the scaler comes from the manifest's moments, validation
and test splits (when the shards hold them) are evaluated batch by batch.

``workers=N`` trains with ``tf.distribute.MultiWorkerMirroredStrategy``: with
``TF_CONFIG`` set (a real cluster: one process per host, docs/scale.md) this process
is the worker TF_CONFIG names; without it, N worker processes are started on
127.0.0.1 and the chief's model is evaluated once they finish.
"""

from __future__ import annotations

import time

from .._errors import ConfigError

OP = "seqfeed.keras.train"
TASKS = ("classify", "regress", "tag")


def is_shards_path(spec) -> bool:
    from ..sources._shards import is_shards

    return isinstance(spec, str) and is_shards(spec)


def _model_options(o) -> dict:
    pooling = o.pooling if o.pooling not in (None, "auto") else "last"
    return {"units": o.units, "layers": o.layers, "bidirectional": bool(o.bidirectional),
            "dropout": 0.0 if o.dropout is None else o.dropout, "cell": o.cell, "pooling": pooling,
            "learning_rate": o.lr}


def check_shards_options(o, test) -> None:
    """What shards training cannot do, refused before anything is read."""
    if o.task not in TASKS:
        raise ConfigError(f"{OP}: shards train task='classify', 'regress' or 'tag'. Received task={o.task!r}.",
                          argument="task", received=o.task,
                          fix="forecast from a long table instead (task='forecast' on the table file)")
    for name, value in (("test", test), ("resume", o.resume), ("crop", o.crop)):
        if value:
            raise ConfigError(f"{OP}: `{name}` is not available for shards (the shards carry their own "
                              f"splits).", argument=name, fix=f"leave out {name}=")
    if (o.ensemble or 1) > 1:
        raise ConfigError(f"{OP}: ensemble={o.ensemble} is not available for shards: streamed training trains "
                          f"one model.", argument="ensemble", received=o.ensemble,
                          fix="leave out ensemble=, or train the ensemble's seeds as separate runs")


def train_shards(spec: str, o, out: str, say):
    """Train on the shards at ``spec`` and save the model into ``out``.

    Returns ``(model, metrics)``; on a worker of a cluster other than the chief, ``metrics`` is None
    (the chief evaluates and saves).
    """
    from ..sources._shards import load_manifest

    manifest = load_manifest(spec, OP, "data")
    counts = manifest.get("counts", {})
    epochs, batch = o.epochs or 10, o.batch or 32
    t0 = time.time()
    if o.workers > 1:
        sm = _train_on_workers(spec, o, out, say, epochs=epochs, batch=batch)
        if sm is None:
            return None, None
    else:
        from ._model import SequenceModel

        sm = SequenceModel.for_data(spec, o.task, seed=o.seed, **_model_options(o))
        validation = spec if "validation" in counts else None
        say(f"streaming {counts.get('train', counts.get('all', {})).get('sequences', '?')} training "
            f"sequences from {spec} for {epochs} epochs")
        sm.fit(spec, validation=validation, epochs=epochs, batch_size=batch, max_tokens=o.max_tokens,
               seed=o.seed, verbose=2 if o.verbose else 0)
    from ._shards_fit import evaluate_shards

    metrics = {"workers": o.workers, "epochs": epochs, "fit_seconds": round(time.time() - t0, 2)}
    for split in ("validation", "test"):
        if split in counts:
            metrics[split] = evaluate_shards(sm, spec, split=split)
    sm.info["metrics"] = metrics
    sm.info["data"] = {"source": spec, "shards": True}
    sm.save(out)
    return sm, metrics


def _train_on_workers(spec, o, out, say, *, epochs, batch):
    """MultiWorkerMirroredStrategy training; the chief's model, or None on another worker."""
    from ._distribute import read_tf_config, run_local_workers, train_distributed

    conf = read_tf_config(OP)
    common = dict(task=o.task, epochs=epochs, batch_size=batch, max_tokens=o.max_tokens,
                  seed=o.seed, out=out, **_model_options(o))
    if conf is not None:  # one worker of a cluster
        cluster, index = conf
        if len(cluster) != o.workers:
            raise ConfigError(f"{OP}: workers={o.workers} but TF_CONFIG lists {len(cluster)} workers.",
                              argument="workers", received=o.workers,
                              fix="give workers= the number of hosts in TF_CONFIG's cluster")
        say(f"worker {index} of {o.workers}: training on its shards of {spec}")
        sm = train_distributed(spec, **common)
        return sm if index == 0 else None
    say(f"starting {o.workers} workers on 127.0.0.1, each reading its own shards of {spec}")
    run_local_workers(o.workers, shards=spec, **common)
    from ._model import SequenceModel

    return SequenceModel.load(out)
