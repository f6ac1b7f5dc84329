"""Keras callbacks of the CLI: a progress bar, and checkpoints with early stopping that resume."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from ..keras._lazy import keras


class ProgressBar(keras.callbacks.Callback):
    """One line per epoch on a terminal (redrawn per batch), one plain line per epoch otherwise."""

    def __init__(self, epochs: int, steps: int, *, stream=None, prefix: str = ""):
        super().__init__()
        self.epochs, self.steps, self.prefix = epochs, steps, prefix
        self.stream = stream or sys.stderr
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._t0 = time.time()

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


def _atomic_json(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2))
    os.replace(tmp, path)


class Checkpointer(keras.callbacks.Callback):
    """Early stopping on ``monitor`` with the best weights restored, plus a resumable checkpoint.

    With ``patience=None`` it never stops early; with ``average_from=E`` the run
    ends with the running mean of the weights of epochs ``E``.. instead of the best
    epoch's (stochastic weight averaging: a flatter, more stable solution when
    there is too little validation data to pick an epoch from).

    After every epoch it writes, atomically, ``last.keras`` (model and optimiser
    state) and ``state.json`` (epoch, best score, patience counter, history) in
    ``work_dir``, and ``best.weights.h5`` when the score improved.
    """

    def __init__(self, work_dir: Path, *, patience: int | None, monitor: str = "val_loss",
                 state: dict | None = None, average_from: int | None = None):
        super().__init__()
        self.work_dir = Path(work_dir)
        self.patience, self.monitor = patience, monitor
        self.average_from = average_from
        state = state or {}
        self.best = state.get("best", math.inf)
        self.best_epoch = state.get("best_epoch", -1)
        self.wait = state.get("wait", 0)
        self.history = state.get("history", {})
        self.n_averaged = state.get("n_averaged", 0)
        self._avg = None
        if self.n_averaged:
            with np.load(self.work_dir / "average.npz") as z:
                self._avg = [z[f"w{i}"] for i in range(len(z.files))]
        self.stopped_early = False

    def _accumulate(self):
        """Running mean of the weights (stochastic weight averaging), kept in float64."""
        ws = self.model.get_weights()
        if self._avg is None:
            self._avg = [np.asarray(w, np.float64) for w in ws]
        else:
            k = self.n_averaged
            self._avg = [a + (np.asarray(w, np.float64) - a) / (k + 1) for a, w in zip(self._avg, ws)]
        self.n_averaged += 1
        tmp = self.work_dir / ".average.npz"
        with open(tmp, "wb") as f:
            np.savez(f, **{f"w{i}": a for i, a in enumerate(self._avg)})
        os.replace(tmp, self.work_dir / "average.npz")

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items() if np.isscalar(v)}
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        score = logs.get(self.monitor, logs.get("loss"))
        if score is not None and score < self.best - 1e-7:
            self.best, self.best_epoch, self.wait = score, epoch, 0
            tmp = self.work_dir / ".best.weights.h5"
            self.model.save_weights(tmp)
            os.replace(tmp, self.work_dir / "best.weights.h5")
        else:
            self.wait += 1
        if self.average_from is not None and epoch >= self.average_from:
            self._accumulate()
        tmp = self.work_dir / ".last.keras"
        self.model.save(tmp)
        os.replace(tmp, self.work_dir / "last.keras")
        _atomic_json(self.work_dir / "state.json", {"epoch": epoch, "best": self.best, "best_epoch": self.best_epoch,
                                                    "wait": self.wait, "history": self.history,
                                                    "n_averaged": self.n_averaged})
        if self.patience is not None and self.wait >= self.patience:
            self.stopped_early = True
            self.model.stop_training = True
        # fault injection for the tests of --resume: behave as if Ctrl-C arrived after this epoch
        stop_after = os.environ.get("SEQFEED_INTERRUPT_AFTER_EPOCH")
        if stop_after is not None and epoch + 1 >= int(stop_after):
            raise KeyboardInterrupt

    def restore_best(self):
        """Load the weights the run ends with: the average (when averaging) or the best epoch's."""
        if self.average_from is not None:
            if self._avg is not None:
                self.model.set_weights([a.astype(w.dtype) for a, w in zip(self._avg, self.model.get_weights())])
            return
        best = self.work_dir / "best.weights.h5"
        if best.exists():
            self.model.load_weights(best)
