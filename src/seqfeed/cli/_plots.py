"""The length histogram of ``seqfeed inspect --plot`` (matplotlib, Agg backend, imported only here)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .._fs import atomic_file


def lengths_histogram(path: Path, lengths, boundaries=None) -> str:
    """Draw the length distribution (and bucket boundaries, dashed) into ``path``; returns its name."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.4))
    ax.hist(lengths, bins=min(60, max(10, int(np.sqrt(len(lengths))))), color="tab:blue", alpha=0.8)
    for b in (boundaries if boundaries is not None else []):
        ax.axvline(b, color="tab:red", lw=0.8, ls="--")
    ax.set_xlabel("sequence length (steps)"), ax.set_ylabel("sequences")
    ax.set_title("length distribution" + (" and bucket boundaries (dashed)" if boundaries is not None else ""))
    fig.tight_layout()
    path = Path(path)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path.name
