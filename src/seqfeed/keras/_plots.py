"""PNG figures of a training run (matplotlib, Agg backend, imported only here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._fs import atomic_file


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(plt, fig, path: Path) -> str:
    """Lay out, write (atomically), close; returns the file name."""
    fig.tight_layout()
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path.name


def training_curve(path: Path, history: dict) -> str:
    plt = _plt()
    metric = next((k for k in history if k not in ("loss", "val_loss") and not k.startswith("val_")), None)
    fig, axes = plt.subplots(1, 2 if metric else 1, figsize=(10 if metric else 5, 3.6), squeeze=False)
    ep = np.arange(1, len(history.get("loss", [])) + 1)
    ax = axes[0, 0]
    ax.plot(ep, history.get("loss", []), label="train")
    if "val_loss" in history:
        ax.plot(ep, history["val_loss"], label="validation")
    ax.set_xlabel("epoch"), ax.set_ylabel("loss"), ax.legend(), ax.set_title("loss")
    if metric:
        ax = axes[0, 1]
        ax.plot(ep, history[metric], label="train")
        if f"val_{metric}" in history:
            ax.plot(ep, history[f"val_{metric}"], label="validation")
        ax.set_xlabel("epoch"), ax.set_title(metric.replace("sparse_categorical_", "")), ax.legend()
    return _save(plt, fig, path)


def confusion(path: Path, cm, classes) -> str:
    plt = _plt()
    cm = np.asarray(cm)
    fig, ax = plt.subplots(figsize=(1.2 + 0.45 * len(classes), 1.0 + 0.45 * len(classes)))
    ax.imshow(cm, cmap="Blues")
    for i in range(cm.shape[0]):
        for j in range(cm.shape[1]):
            if cm[i, j]:
                ax.text(j, i, int(cm[i, j]), ha="center", va="center",
                        color="white" if cm[i, j] > cm.max() / 2 else "black", fontsize=8)
    ax.set_xticks(range(len(classes)), [str(c) for c in classes])
    ax.set_yticks(range(len(classes)), [str(c) for c in classes])
    ax.set_xlabel("predicted"), ax.set_ylabel("true"), ax.set_title("test confusion matrix")
    return _save(plt, fig, path)


def forecast(path: Path, plan, pred) -> str:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(9, 3.6))
    i = int(plan.test_info["source"][0]) if len(plan.test_info["source"]) else 0
    s = plan.seqs[i][:, plan.target_index]
    t = np.arange(len(s)) if plan.time is None or len(plan.seqs) != 1 else np.asarray(plan.time)
    ax.plot(t, s, color="0.6", lw=1, label="actual")
    sel = plan.test_info["source"] == i
    ts = plan.test_info["target_start"][sel]
    ax.plot(t[ts], np.asarray(pred)[sel, 0], "o-", ms=3, label="forecast (1 step ahead)")
    ax.axvline(t[ts[0]] if ts.size else 0, color="k", ls="--", lw=0.8)
    ax.set_title(f"{plan.target_name}: forecast vs actual on the held-out final {plan.test_size} steps")
    ax.legend()
    return _save(plt, fig, path)


def write_all(work: Path, sm, plan, metrics, history) -> dict:
    out = {"training_curve": training_curve(work / "training_curve.png", history)}
    if sm.task == "classify" and "confusion_matrix" in metrics:
        out["confusion_matrix"] = confusion(work / "confusion_matrix.png", metrics["confusion_matrix"],
                                            metrics["classes"])
    if sm.task == "forecast" and plan.test_predictions is not None:
        out["forecast"] = forecast(work / "forecast.png", plan, plan.test_predictions)
    return out
