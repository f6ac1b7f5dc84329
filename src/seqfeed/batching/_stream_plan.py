"""Planning a streamed epoch from lengths only: pieces, windows, bucketed batches with carry-over.

Everything here is pure NumPy and sees only row counts and lengths, never values:
the same plan can be replayed cheaply (to resume mid-epoch, or to count another
worker's batches) by reading the ``length`` column alone.

Vocabulary:

* a *piece* is a range of rows of one part file ``(file, start, stop)``; a worker
  owns a fixed set of pieces (:func:`assign_pieces`);
* a *window* is what the shuffle buffer holds at once: up to ``buffer`` rows taken
  round-robin, in chunks, from ``interleave`` pieces open at the same time
  (:func:`windows`); the piece order is reshuffled every epoch;
* in each window the rows are put into global length buckets, sorted by length
  with random tie-breaks and cut into batches of the bucket's batch size; the last
  incomplete batch of each bucket is *carried* into the next window, so an epoch
  has exactly ``sum_k ceil(n_k / batch_size_k)`` batches whatever the order.
"""

from __future__ import annotations

from collections import deque

import numpy as np

__all__ = ["assign_pieces", "windows", "bucket_boundaries", "bucket_batch_sizes", "WindowPlanner",
           "epoch_batches"]


def assign_pieces(file_rows, shard_id: int, num_shards: int) -> list[tuple[int, int, int]]:
    """Pieces ``(file, start, stop)`` of worker ``shard_id`` out of ``num_shards``.

    With at least as many files as workers, worker ``i`` reads whole files
    ``i, i + n, i + 2n, ...``. With fewer files, every file is cut into
    ``ceil(n / n_files)`` row ranges of near-equal size and the ranges are dealt
    round-robin the same way. The pieces of all workers are disjoint and cover every
    row exactly once.
    """
    file_rows = [int(r) for r in file_rows]
    n_files = len(file_rows)
    if n_files >= num_shards:
        pieces = [(f, 0, r) for f, r in enumerate(file_rows)]
    else:
        parts = -(-num_shards // max(n_files, 1))
        pieces = []
        for f, r in enumerate(file_rows):
            cuts = np.linspace(0, r, parts + 1).round().astype(np.int64)
            pieces.extend((f, int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:]))
    return [p for k, p in enumerate(pieces) if k % num_shards == shard_id and p[2] > p[1]]


def windows(counts, order, *, buffer: int, interleave: int):
    """Yield windows: lists of segments ``(piece, start, stop)`` (rows relative to the piece).

    Up to ``interleave`` pieces are open at once; each turn takes up to
    ``buffer // interleave`` rows from each open piece, until the window holds
    ``buffer`` rows or every piece is exhausted. A piece's segments come in row
    order, so each piece is read sequentially.
    """
    chunk = max(1, buffer // max(1, interleave))
    queue = deque(int(p) for p in order)
    active: list[list[int]] = []  # [piece, next row]
    while queue or active:
        window, size = [], 0
        while size < buffer:
            while len(active) < interleave and queue:
                p = queue.popleft()
                if counts[p]:
                    active.append([p, 0])
            if not active:
                break
            for slot in list(active):
                p, pos = slot
                take = min(chunk, int(counts[p]) - pos, buffer - size)
                window.append((p, pos, pos + take))
                slot[1] = pos + take
                size += take
                if slot[1] >= counts[p]:
                    active.remove(slot)
                if size >= buffer:
                    break
        if window:
            yield window


def bucket_boundaries(values, counts, n_buckets: int) -> np.ndarray:
    """Upper length boundaries giving buckets of ~equal total steps, from a histogram.

    ``values`` (ascending, unique lengths) with ``counts``: the same boundaries as
    :func:`~seqfeed.batching.equal_step_boundaries` on the expanded lengths.
    """
    values = np.asarray(values, dtype=np.int64)
    counts = np.asarray(counts, dtype=np.int64)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    cum_steps = np.cumsum(values * counts)  # cumulative steps at the last copy of each value
    targets = cum_steps[-1] * np.arange(1, n_buckets) / n_buckets
    # the first sorted position whose cumulative steps reach a target lies in the first block of
    # equal values whose cumulative steps reach it (lengths are > 0, so cumsum is increasing)
    k = np.minimum(np.searchsorted(cum_steps, targets), values.size - 1)
    return np.unique(np.append(values[k], values[-1]))


def bucket_batch_sizes(boundaries, *, batch_size: int | None, max_tokens: int | None) -> np.ndarray:
    """Batch size of each bucket: ``batch_size``, or ``max(1, max_tokens // boundary)``."""
    b = np.asarray(boundaries, dtype=np.int64)
    if max_tokens is not None:
        return np.maximum(1, max_tokens // np.maximum(b, 1)).astype(np.int64)
    return np.full(b.size, int(batch_size), dtype=np.int64)


def _rngs(seed: int, epoch: int, window: int):
    """Tie-break and batch-order generators of a window. Window 0 uses BucketSampler's streams,
    so an epoch held in one window gives exactly BucketSampler's batches."""
    if window == 0:
        return np.random.default_rng([seed, epoch]), np.random.default_rng([seed, epoch, 1])
    return (np.random.default_rng([seed, epoch, 0, window]),
            np.random.default_rng([seed, epoch, 1, window]))


class WindowPlanner:
    """Cuts the rows of successive windows into batches, carrying incomplete batches forward.

    Rows are identified by ``refs`` (any unique int64 per row). ``plan(refs, lengths)``
    returns the batches (arrays of refs) of one window in the order they are served;
    ``finish()`` the batches of what is still carried at the end of the epoch.
    """

    def __init__(self, boundaries, sizes, *, seed: int, epoch: int, shuffle: bool = True):
        self.boundaries = np.asarray(boundaries, dtype=np.int64)
        self.sizes = np.asarray(sizes, dtype=np.int64)
        self.seed, self.epoch, self.shuffle = seed, epoch, shuffle
        self.window = 0
        nb = self.boundaries.size
        self.carry_refs = [np.zeros(0, np.int64) for _ in range(nb)]
        self.carry_len = [np.zeros(0, np.int64) for _ in range(nb)]

    @property
    def carried(self) -> np.ndarray:
        """Refs currently carried (rows of earlier windows not yet in a batch)."""
        return np.concatenate(self.carry_refs) if self.carry_refs else np.zeros(0, np.int64)

    def plan(self, refs, lengths, *, last: bool = False) -> list[np.ndarray]:
        refs = np.asarray(refs, dtype=np.int64)
        lengths = np.asarray(lengths, dtype=np.int64)
        ties_rng, order_rng = _rngs(self.seed, self.epoch, self.window)
        bucket = np.searchsorted(self.boundaries, lengths, side="left")
        bucket = np.minimum(bucket, self.boundaries.size - 1)  # longer than every boundary: last bucket
        out = []
        for k in range(self.boundaries.size):
            sel = bucket == k
            r = np.concatenate([self.carry_refs[k], refs[sel]])
            L = np.concatenate([self.carry_len[k], lengths[sel]])
            if r.size:
                ties = ties_rng.random(r.size) if self.shuffle else np.arange(r.size)
                o = np.lexsort((ties, L))
                r, L = r[o], L[o]
            bs = int(self.sizes[k])
            full = r.size - r.size % bs
            out.extend(r[i:i + bs] for i in range(0, full, bs))
            if last and full < r.size:
                out.append(r[full:])
                full = r.size
            self.carry_refs[k], self.carry_len[k] = r[full:], L[full:]
        if self.shuffle and len(out) > 1:
            perm = order_rng.permutation(len(out))
            out = [out[i] for i in perm]
        self.window += 1
        return out


def epoch_batches(per_piece_lengths, order, *, buffer: int, interleave: int, boundaries, sizes, seed: int,
                  epoch: int, shuffle: bool = True, piece_base=None):
    """Every batch of an epoch, planned from lengths only (tests, counting, replay).

    ``per_piece_lengths[p]``: the lengths of piece ``p``'s rows; refs are
    ``piece_base[p] + row`` (default: pieces numbered consecutively).
    """
    counts = [len(x) for x in per_piece_lengths]
    if piece_base is None:
        piece_base = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int64)
    planner = WindowPlanner(boundaries, sizes, seed=seed, epoch=epoch, shuffle=shuffle)
    wins = list(windows(counts, order, buffer=buffer, interleave=interleave))
    out = []
    for w, win in enumerate(wins):
        refs = np.concatenate([piece_base[p] + np.arange(a, b) for p, a, b in win])
        lens = np.concatenate([np.asarray(per_piece_lengths[p][a:b]) for p, a, b in win])
        out.extend(planner.plan(refs, lens, last=w == len(wins) - 1))
    return out
