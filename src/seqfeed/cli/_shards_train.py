"""``seqfeed train SHARDS/``: streamed training on sequence shards, on one or several workers.

A shards directory is never read whole: the training split streams through a
bounded shuffle window, the scaler comes from the manifest's moments, validation
and test splits (when the shards hold them) are evaluated batch by batch.

``--workers N`` trains with ``tf.distribute.MultiWorkerMirroredStrategy``: with
``TF_CONFIG`` set (a real cluster: one process per host, docs/scale.md) this process
is the worker TF_CONFIG names; without it, N worker processes are started on
127.0.0.1 and the chief's model is evaluated once they finish.
"""

from __future__ import annotations

import sys
import time

from .._errors import ConfigError

TASKS = ("classify", "regress", "tag")


def is_shards_path(spec) -> bool:
    from ..sources._shards import is_shards

    return isinstance(spec, str) and is_shards(spec)


def _say(args, msg):
    if not getattr(args, "quiet", False):
        print(msg, file=sys.stderr, flush=True)


def _model_options(args) -> dict:
    pooling = args.pooling if args.pooling not in (None, "auto") else "last"
    return {"units": args.units, "layers": args.layers, "bidirectional": bool(args.bidirectional),
            "dropout": 0.0 if args.dropout is None else args.dropout, "cell": args.cell, "pooling": pooling,
            "learning_rate": args.lr}


def run_train_shards(args) -> int:
    from ..sources._shards import load_manifest

    op = "seqfeed train"
    if args.task not in TASKS:
        raise ConfigError(f"{op}: shards train --task classify, regress or tag. Received --task {args.task}.",
                          argument="--task", received=args.task,
                          fix="forecast from a long table instead (seqfeed train FILE --task forecast)")
    for flag in ("test", "resume", "crop"):
        if getattr(args, flag, None):
            raise ConfigError(f"{op}: --{flag} is not available for shards (the shards carry their own "
                              f"splits).", argument=f"--{flag}", fix=f"leave out --{flag}")
    workers = getattr(args, "workers", 1) or 1
    if workers < 1:
        raise ConfigError(f"{op}: --workers must be >= 1. Received {workers}.", argument="--workers",
                          received=workers)
    manifest = load_manifest(args.data, op)
    counts = manifest.get("counts", {})
    epochs = args.epochs or 10
    batch = args.batch or 32
    t0 = time.time()
    if workers > 1:
        from ..keras._distribute import read_tf_config, run_local_workers, train_distributed

        conf = read_tf_config(op)
        common = dict(task=args.task, epochs=epochs, batch_size=batch, max_tokens=args.max_tokens,
                      seed=args.seed, out=args.out, **_model_options(args))
        if conf is not None:  # one worker of a cluster
            cluster, index = conf
            if len(cluster) != workers:
                raise ConfigError(f"{op}: --workers {workers} but TF_CONFIG lists {len(cluster)} workers.",
                                  argument="--workers", received=workers,
                                  fix="give --workers the number of hosts in TF_CONFIG's cluster")
            _say(args, f"worker {index} of {workers}: training on its shards of {args.data}")
            sm = train_distributed(args.data, **common)
            if index != 0:
                return 0
        else:
            _say(args, f"starting {workers} workers on 127.0.0.1, each reading its own shards of {args.data}")
            run_local_workers(workers, shards=args.data, **common)
            from ..keras import SequenceModel

            sm = SequenceModel.load(args.out)
    else:
        from ..keras import SequenceModel

        sm = SequenceModel.for_data(args.task, args.data, seed=args.seed, **_model_options(args))
        validation = args.data if "validation" in counts else None
        _say(args, f"streaming {counts.get('train', counts.get('all', {})).get('sequences', '?')} training "
                   f"sequences from {args.data} for {epochs} epochs")
        sm.fit(args.data, validation=validation, epochs=epochs, batch_size=batch, max_tokens=args.max_tokens,
               seed=args.seed, verbose=0 if args.quiet else 2)
    from ..keras._shards_fit import evaluate_shards

    metrics = {"workers": workers, "epochs": epochs, "fit_seconds": round(time.time() - t0, 2)}
    for split in ("validation", "test"):
        if split in counts:
            metrics[split] = evaluate_shards(sm, args.data, split=split)
    sm.info["metrics"] = metrics
    sm.info["data"] = {"source": args.data, "shards": True}
    sm.save(args.out)
    keys = ("accuracy", "macro_f1") if args.task in ("classify", "tag") else ("mae", "rmse")
    res = metrics.get("test") or metrics.get("validation")
    text = ", ".join(f"{k} {res[k]:.4f}" for k in keys) if res else "no validation or test split"
    which = "test" if "test" in metrics else "validation" if res else "-"
    print(f"{which}: {text}  ->  {args.out}")
    return 0

