"""Keras callbacks of the training recipe: a progress bar, and checkpoints with early stopping that resume."""

from __future__ import annotations

import json
import math
import os
import random
import shutil
import sys
import time
from pathlib import Path

import numpy as np

from .._errors import ConfigError
from .._fs import fault_point, replace_dir
from ._choose import averaging_start
from ._lazy import keras


class ProgressBar(keras.callbacks.Callback):
    """One line per epoch on a terminal (redrawn per batch), one plain line per epoch otherwise."""

    def __init__(self, epochs: int, steps: int, *, stream=None, prefix: str = "", total=None):
        super().__init__()
        self._epochs, self.steps, self.prefix = epochs, steps, prefix
        self._total = total  # a callable giving the epochs as now planned (a run can extend them)
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._t0 = time.time()

    @property
    def epochs(self) -> int:
        return self._total() if self._total is not None else self._epochs

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch
        self._t0 = time.time()

    def on_train_batch_end(self, batch, logs=None):
        if not self.tty:
            return
        done = batch + 1
        width = 24
        fill = int(width * done / max(self.steps, 1))
        loss = (logs or {}).get("loss", float("nan"))
        self.stream.write(f"\r{self.prefix}epoch {self._epoch + 1:>3}/{self.epochs} "
                          f"[{'#' * fill}{'.' * (width - fill)}] {done}/{self.steps} loss {loss:.4f}")
        self.stream.flush()

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        parts = [f"{k} {v:.4f}" for k, v in logs.items() if isinstance(v, (int, float)) and k != "learning_rate"]
        line = f"{self.prefix}epoch {epoch + 1:>3}/{self.epochs} {time.time() - self._t0:5.1f}s " + "  ".join(parts)
        self.stream.write(("\r" if self.tty else "") + line + (" " * 8 if self.tty else "") + "\n")
        self.stream.flush()



# ---------------------------------------------------------------------------------------------------
# Checkpoints: one directory per completed epoch, written under a temporary name and renamed into place.
#
#   WORK/ckpt-N/arrays.npz   model weights, optimiser variables, dropout seed-generator states, the
#                            running weight average and the best epoch's weights (exact float bits)
#   WORK/ckpt-N/state.json   N (epochs done), early-stopping counters, history, sampler position,
#                            Python and NumPy global RNG states, array counts
#
# ckpt-N is complete once it exists under that name (state.json is written last, then the rename);
# older checkpoints are removed only after it is in place. Keras does not save the state of the
# `SeedGenerator`s that dropout layers draw from (a reloaded model starts new dropout streams), so
# their states are saved here explicitly.

CKPT_PREFIX = "ckpt-"


def latest_checkpoint(work_dir) -> Path | None:
    """The complete checkpoint with the most epochs in ``work_dir`` (None if there is none)."""
    best, best_n = None, -1
    work_dir = Path(work_dir)
    if not work_dir.is_dir():
        return None
    for p in work_dir.iterdir():
        n = p.name[len(CKPT_PREFIX):]
        if p.name.startswith(CKPT_PREFIX) and n.isdigit() and (p / "state.json").is_file() and int(n) > best_n:
            best, best_n = p, int(n)
    return best


def seed_states(model) -> list:
    """The state variables of every ``keras.random.SeedGenerator`` in ``model`` (dropout streams)."""
    return [v for v in model.variables if v.name == "seed_generator_state"]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _py_rng_state():
    v, internal, gauss = random.getstate()
    return [v, list(internal), gauss]


class Checkpointer(keras.callbacks.Callback):
    """Early stopping on ``monitor`` with the best weights restored, plus a crash-safe checkpoint.

    With ``patience=None`` it never stops early; with ``average_from=E`` the run
    ends with the running mean of the weights of epochs ``E``.. instead of the best
    epoch's (stochastic weight averaging: a flatter, more stable solution when
    there is too little validation data to pick an epoch from).

    ``epochs=E`` ends the run after epoch ``E`` (fit may be asked for more). With
    ``extend={"to": E2, "below": a, "metric": name, "deadline": t}`` the run checks the
    training accuracy ``name`` (its mean over the last ``E // 6`` epochs) at the end of
    the last epoch before averaging starts; below ``a`` the model is still underfitting,
    so the run goes on to ``E2`` epochs (at most as many as end before the monotonic
    time ``t``) and averages the last third of those (``extension`` records the
    decision). Fit must then be asked for ``E2`` epochs.

    After every epoch it writes ``ckpt-N/`` in ``work_dir`` as one atomic unit (see
    above). ``resume=True`` reads the newest complete checkpoint; :meth:`restore`
    then puts its weights, optimiser and dropout states into the model, and the
    global Python/NumPy RNG states are put back when training begins, so the
    resumed run computes exactly what the uninterrupted run would have.
    """

    def __init__(self, work_dir: Path, *, patience: int | None, monitor: str = "val_loss",
                 average_from: int | None = None, resume: bool = False, seed: int = 0,
                 epochs: int | None = None, extend: dict | None = None, on_extend=None):
        super().__init__()
        self.work_dir = Path(work_dir)
        self.patience, self.monitor = patience, monitor
        self.average_from = average_from
        self.epochs, self.extend, self.on_extend = epochs, extend, on_extend
        self.extension: dict | None = None
        self._epoch_seconds: list[float] = []
        self._epoch_t0 = None
        self.seed = seed
        self.best, self.best_epoch, self.wait = math.inf, -1, 0
        self.history: dict = {}
        self.n_averaged = 0
        self.epochs_done = 0
        self.stopped_early = False
        self.started = time.monotonic()  # the run's start, for ``run_seconds`` (moved back on resume)
        self.run_seconds = 0.0  # wall time of the run up to the checkpoint, interrupted parts included
        self._fit_seconds_before = 0.0  # seconds of the epochs an interrupted run trained (restored on resume)
        self._avg = None
        self._best_weights = None
        self._resume_arrays = None
        self._resume_rng = None
        if resume:
            ckpt = latest_checkpoint(self.work_dir)
            if ckpt is None:
                raise ConfigError(f"Checkpointer: {self.work_dir} holds no complete checkpoint to resume from.",
                                  argument="resume", fix="start a new run instead of resuming")
            try:
                state = json.loads((ckpt / "state.json").read_text())
                with np.load(ckpt / "arrays.npz", allow_pickle=False) as z:
                    arrays = {k: z[k] for k in z.files}
            except (OSError, ValueError, KeyError) as e:
                raise ConfigError(f"Checkpointer: the checkpoint {ckpt} cannot be read ({type(e).__name__}: "
                                  f"{e}).", argument="resume", fix="start over (seqfeed train --force)") from None
            if state["sampler"]["seed"] != seed:
                raise ConfigError(f"Checkpointer: the checkpoint {ckpt} was written with seed "
                                  f"{state['sampler']['seed']}, not {seed}.", argument="seed",
                                  fix="resume with the seed of the interrupted run")
            self.epochs_done = state["epochs_done"]
            self.best, self.best_epoch, self.wait = state["best"], state["best_epoch"], state["wait"]
            self.history, self.n_averaged = state["history"], state["n_averaged"]
            self.stopped_early = state["stopped_early"]
            if "plan" in state:  # the epochs and averaging as decided so far (an extension is kept)
                self.epochs, self.average_from = state["plan"]["epochs"], state["plan"]["average_from"]
                self.extension = state["plan"]["extension"]
            self.run_seconds = float(state.get("run_seconds", 0.0))
            self._fit_seconds_before = float(state.get("fit_seconds", 0.0))
            cnt = state["counts"]
            take = lambda p: [arrays[f"{p}{i}"] for i in range(cnt[p])]  # noqa: E731
            self._avg = take("a") or None
            self._best_weights = take("b") or None
            self._resume_arrays = {"w": take("w"), "o": take("o"), "s": take("s")}
            self._resume_rng = (state["python_rng"], state["numpy_rng"], arrays["numpy_rng_keys"])

    # ------------------------------------------------------------------ resume
    @property
    def fit_seconds(self) -> float:
        """Seconds of all the epochs trained so far, an interrupted run's included."""
        return self._fit_seconds_before + float(sum(self._epoch_seconds))

    @property
    def resumed(self) -> bool:
        return self._resume_arrays is not None

    def restore(self) -> None:
        """Put the checkpoint's weights, optimiser variables and dropout seed states into the model."""
        if self._resume_arrays is None:
            return
        model = self.model
        r = self._resume_arrays
        _assign_all(model.weights, r["w"], "weights")
        opt = model.optimizer
        if r["o"]:
            if not opt.built:
                opt.build(model.trainable_variables)
            _assign_all(opt.variables, r["o"], "optimiser")
        _assign_all(seed_states(model), r["s"], "dropout seed")

    def on_train_begin(self, logs=None):
        # fit() re-seeds the global RNGs when it starts; a resumed run continues from the saved ones
        if self._resume_rng is not None:
            py, npy, keys = self._resume_rng
            random.setstate((py[0], tuple(py[1]), py[2]))
            np.random.set_state((npy["kind"], keys, npy["pos"], npy["has_gauss"], npy["cached_gaussian"]))
            self._resume_rng = None

    # ------------------------------------------------------------------ training
    def _accumulate(self):
        """Running mean of the weights (stochastic weight averaging), kept in float64."""
        ws = self.model.get_weights()
        if self._avg is None:
            self._avg = [np.asarray(w, np.float64) for w in ws]
        else:
            k = self.n_averaged
            self._avg = [a + (np.asarray(w, np.float64) - a) / (k + 1) for a, w in zip(self._avg, ws)]
        self.n_averaged += 1

    def on_train_batch_end(self, batch, logs=None):
        fault_point("train:batch", epoch=self.epochs_done + 1, batch=batch + 1)

    def on_epoch_end(self, epoch, logs=None):
        if self._epoch_t0 is not None:
            self._epoch_seconds.append(time.monotonic() - self._epoch_t0)
        logs = {k: float(v) for k, v in (logs or {}).items() if np.isscalar(v)}
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        score = logs.get(self.monitor, logs.get("loss"))
        if score is not None and score < self.best - 1e-7:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            if self.average_from is None:
                self._best_weights = [np.array(w) for w in self.model.get_weights()]
        else:
            self.wait += 1
        if self.average_from is not None and epoch + 1 == self.average_from:
            self._maybe_extend(epoch)
        if self.average_from is not None and epoch >= self.average_from:
            self._accumulate()
        self.epochs_done = epoch + 1
        if self.patience is not None and self.wait >= self.patience:
            self.stopped_early = True
            self.model.stop_training = True
        if self.epochs is not None and self.epochs_done >= self.epochs:
            self.model.stop_training = True
        self.save()
        # fault injection for the tests of --resume: behave as if Ctrl-C arrived after this epoch
        stop_after = os.environ.get("SEQFEED_INTERRUPT_AFTER_EPOCH")
        if stop_after is not None and epoch + 1 >= int(stop_after):
            raise KeyboardInterrupt

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_t0 = time.monotonic()

    def _maybe_extend(self, epoch: int) -> None:
        """At the last epoch before averaging: when the mean training accuracy of the last
        ``epochs // 6`` epochs is below ``extend["below"]``, go on to ``extend["to"]`` epochs, or
        as many of them as fit before ``extend["deadline"]`` (``time.monotonic()``) at the seconds
        per epoch measured so far. ``extension`` records the decision (``to == from``: no time)."""
        ext = self.extend
        if not ext or self.extension is not None or self.epochs is None or ext["to"] <= self.epochs:
            return
        values = self.history.get(ext["metric"])
        if not values:
            return
        window = max(1, self.epochs // 6)
        acc = float(np.mean(values[-window:]))
        if acc >= ext["below"]:
            return
        planned, to = self.epochs, int(ext["to"])
        # the first epoch after a (re)start includes tracing: left out when there are others
        timed = self._epoch_seconds[1:] or self._epoch_seconds
        per_epoch = float(np.mean(timed)) if timed else None
        if ext.get("deadline") is not None and per_epoch:
            # epochs that end by the deadline from now: the planned ones still to run come first
            room = int((ext["deadline"] - time.monotonic()) // per_epoch)
            to = max(planned, min(to, epoch + 1 + room))
        self.extension = {"from": planned, "to": to, "at_epoch": epoch + 1, "train_accuracy": round(acc, 4),
                          "window": window, "below": ext["below"], "wanted": int(ext["to"]),
                          "seconds_per_epoch": None if per_epoch is None else round(per_epoch, 3)}
        if to > planned:
            self.epochs = to
            self.average_from = averaging_start(to)
        if self.on_extend is not None:
            self.on_extend(self.extension)

    def save(self) -> Path:
        """Write ``ckpt-N`` (N = epochs done) atomically, then remove the older checkpoints."""
        n = self.epochs_done
        final = self.work_dir / f"{CKPT_PREFIX}{n}"
        tmp = self.work_dir / f".{CKPT_PREFIX}{n}.tmp"
        if tmp.exists():  # left by a killed run (the caller holds the output's lock)
            shutil.rmtree(tmp)
        tmp.mkdir(parents=True)
        model = self.model
        groups = {"w": model.get_weights(),
                  "o": [np.asarray(v.numpy()) for v in model.optimizer.variables] if model.optimizer.built else [],
                  "s": [np.asarray(v.numpy()) for v in seed_states(model)],
                  "a": self._avg or [], "b": self._best_weights or []}
        arrays = {f"{p}{i}": a for p, group in groups.items() for i, a in enumerate(group)}
        kind, keys, pos, has_gauss, cached = np.random.get_state()
        arrays["numpy_rng_keys"] = keys
        with open(tmp / "arrays.npz", "wb") as f:
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        fault_point("ckpt:after_arrays", epoch=n)
        state = {"epochs_done": n, "best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                 "stopped_early": self.stopped_early, "n_averaged": self.n_averaged, "history": self.history,
                 "plan": {"epochs": self.epochs, "average_from": self.average_from, "extension": self.extension},
                 "run_seconds": time.monotonic() - self.started,
                 "fit_seconds": self.fit_seconds,
                 "sampler": {"epoch": n, "seed": self.seed},
                 "python_rng": _py_rng_state(),
                 "numpy_rng": {"kind": kind, "pos": int(pos), "has_gauss": int(has_gauss),
                               "cached_gaussian": float(cached)},
                 "counts": {p: len(g) for p, g in groups.items()}}
        with open(tmp / "state.json", "w") as f:
            f.write(json.dumps(state))
            f.flush()
            os.fsync(f.fileno())
        fault_point("ckpt:before_rename", epoch=n)
        replace_dir(tmp, final)
        _fsync(self.work_dir)
        fault_point("ckpt:after_rename", epoch=n)
        for p in self.work_dir.iterdir():
            k = p.name[len(CKPT_PREFIX):]
            if p.name.startswith(CKPT_PREFIX) and k.isdigit() and int(k) < n:
                shutil.rmtree(p)
        return final

    def restore_best(self):
        """Load the weights the run ends with: the average (when averaging) or the best epoch's."""
        src = self._avg if self.average_from is not None else self._best_weights
        if src is not None:
            self.model.set_weights([np.asarray(a).astype(w.dtype) for a, w in zip(src, self.model.get_weights())])


def _assign_all(variables, values, what) -> None:
    if len(variables) != len(values) or any(tuple(v.shape) != a.shape for v, a in zip(variables, values)):
        raise ConfigError(f"Checkpointer: the checkpoint's {what} state ({len(values)} arrays) does not match "
                          f"this model ({len(variables)} variables).", argument="resume",
                          fix="resume with the command of the interrupted run, or start over with --force")
    for v, a in zip(variables, values):
        v.assign(a)
