"""`ShardDataset`: stream sequence shards into length-bucketed, padded batches.

Memory holds one shuffle window (``shuffle_buffer`` sequences, one array of
values: scaled in place, with the incomplete batches carried from the previous
window in spare rows behind it) and the reading position of ``interleave`` part
files (each read through a small buffered stream), whatever the size of the
shards. How an epoch is cut into batches is planned from the ``length`` column
alone (``_stream_plan``), so the number of batches is known before reading any
values, several workers can agree on it, and an interrupted epoch resumes by
replaying lengths instead of values.
"""

from __future__ import annotations

import os
from collections import OrderedDict

import numpy as np

from .._errors import ConfigError, DataError, check_choice, check_int
from ..core import Batch, SequenceSet, check_dtype, pad_set
from ._shard_read import _RowReader, _table_to_set, _WindowBuilder
from ._stream_plan import (WindowPlanner, assign_pieces, bucket_batch_sizes, bucket_boundaries,
                           windows)

__all__ = ["ShardDataset"]

OP = "ShardDataset"
BUFFER_BYTES = 256 << 20  # default shuffle window: about this many bytes of values
READ_BYTES = 4 << 20  # values decoded at a time from one part file


class ShardDataset:
    """Stream a shards directory into padded, length-bucketed :class:`~seqfeed.Batch` es.

    Worker ``shard_id`` of ``num_shards`` reads its own part files (files
    ``shard_id, shard_id + num_shards, ...``; with fewer files than workers, row
    ranges of the files), so the workers' sequences are disjoint and together are
    every sequence of ``split`` exactly once per epoch.

    Each epoch (seeded by ``seed`` and the epoch number) shuffles the order of the
    worker's pieces, fills a bounded shuffle window of ``shuffle_buffer`` sequences
    taken in chunks from ``interleave`` files at a time, sorts the window's
    sequences into global length buckets (boundaries of ~equal total steps over the
    whole split) with random tie-breaks, cuts them into batches and serves the
    window's batches in random order. A bucket's incomplete last batch is carried
    into the next window, so an epoch has ``sum_k ceil(n_k / batch_size_k)``
    batches whatever the order, and padding stays per batch. When the whole split
    fits in one window of one file, the batches are exactly those of
    :class:`~seqfeed.batching.BucketSampler` on the in-memory set (same seed).

    Args:
        shards: a shards directory (``seqfeed pack`` / ``write_shards`` output).
        shard_id, num_shards: this worker and the number of workers.
        batch_size: sequences per batch; or ``max_tokens``: padded steps per batch,
            giving each bucket ``max(1, max_tokens // its longest length)`` sequences.
        n_buckets: length buckets.
        shuffle_buffer: sequences in the shuffle window (default: about 256 MiB of
            values, at least 8 batches, at most 65,536 sequences).
        interleave: part files read at once into a window.
        seed: random seed; epoch ``e`` uses ``(seed, e)``.
        split: ``"train"`` (default), ``"validation"``, ``"test"`` or None (every
            sequence). Shards written without a split hold training data only, so
            ``"train"`` then means every sequence.
        shuffle: False keeps file order and sorts without random tie-breaks.
        equal_steps: every worker serves the same number of batches per epoch (the
            largest worker's); a worker with fewer ends its epoch with zero-weight
            filler batches (one all-zero step, ``sample_weight`` 0, ``index`` -1) that
            hold no sequence. Needed by collective training; default: on when
            ``num_shards > 1``. Every batch then has a ``sample_weight``.
        padding, dtype: as in :func:`seqfeed.pad` (post padding, float32).
        scaler: None, a fitted Standardizer, or ``"manifest"``: standardise with the
            manifest's moments (:meth:`manifest_scaler`). Each window is an array this
            dataset allocates, so it is scaled in place (no scaled copy beside it); the
            scaler itself is only read.
        transform: optional ``f(SequenceSet) -> SequenceSet`` applied to the rows as
            they are read (after the scaler), e.g. a model's ``prepare``.

    Iterating yields the remaining batches of the current epoch, then moves to the
    next epoch. ``state_dict()`` / ``load_state_dict()`` save and restore the
    position: the remaining batches are exactly those the interrupted run would
    have served. ``Batch.index`` holds each row's position in
    ``read_shards(shards, split=split)``.

    Raises:
        ConfigError: an invalid option (``shard_id`` outside 0..num_shards-1, ``batch_size`` < 1, ``scaler``,
            ...).
        DataError: ``shards`` is not a readable shards directory (no or a damaged manifest).

    Example:
        >>> import tempfile, os
        >>> from seqfeed.sources import write_shards
        >>> s = SequenceSet.from_sequences([[1.0] * n for n in (3, 1, 2, 5)], targets=[0, 1, 0, 1])
        >>> d = os.path.join(tempfile.mkdtemp(), "shards")
        >>> _ = write_shards(s, d, rows_per_file=2)
        >>> ds = ShardDataset(d, batch_size=2, n_buckets=1, seed=0)
        >>> len(ds), sorted(int(i) for b in ds for i in b.index)
        (2, [0, 1, 2, 3])
    """

    kind = "shards"

    def __init__(self, shards, shard_id: int = 0, num_shards: int = 1, *, batch_size: int | None = 32,
                 max_tokens: int | None = None, n_buckets: int = 8, shuffle_buffer: int | None = None,
                 interleave: int = 4, seed: int = 0, split: str | None = "train", shuffle: bool = True,
                 equal_steps: bool | None = None, padding: str = "post", dtype="float32", scaler=None,
                 transform=None):
        from ..sources._shards import SPLITS, load_manifest

        self.num_shards = check_int(OP, "num_shards", num_shards, minimum=1)
        self.shard_id = check_int(OP, "shard_id", shard_id, minimum=0)
        if self.shard_id >= self.num_shards:
            raise ConfigError(f"{OP}: `shard_id` must be in 0..num_shards-1 = 0..{self.num_shards - 1}. "
                              f"Received: shard_id={shard_id}.", argument="shard_id", received=shard_id,
                              fix=f"pass shard_id in 0..{self.num_shards - 1}")
        if max_tokens is not None:
            self.max_tokens = check_int(OP, "max_tokens", max_tokens, minimum=1)
            self.batch_size = None
        else:
            self.max_tokens = None
            self.batch_size = check_int(OP, "batch_size", batch_size, minimum=1)
        self.n_buckets = check_int(OP, "n_buckets", n_buckets, minimum=1)
        self.interleave = check_int(OP, "interleave", interleave, minimum=1)
        self.seed = check_int(OP, "seed", seed, minimum=0)
        shuffle_buffer = check_int(OP, "shuffle_buffer", shuffle_buffer, minimum=1, allow_none=True)
        if split is not None:
            check_choice(OP, "split", split, SPLITS)
        check_choice(OP, "padding", padding, ("pre", "post"))
        self.dtype = check_dtype(OP, dtype)
        if transform is not None and not callable(transform):
            raise ConfigError(f"{OP}: `transform` must be a function SequenceSet -> SequenceSet. "
                              f"Received {type(transform).__name__}.", argument="transform",
                              received=type(transform).__name__,
                              fix="pass a callable that takes and returns a SequenceSet, or None")
        if not isinstance(shards, (str, os.PathLike)):
            raise ConfigError(f"{OP}: `shards` must be the path of a shards directory. Received "
                              f"{type(shards).__name__}.", argument="shards", received=type(shards).__name__,
                              fix="make shards with `seqfeed pack` or seqfeed.sources.write_shards")
        self.path = os.fspath(shards)
        self.manifest = load_manifest(self.path, OP, "shards")
        self.shuffle, self.padding, self.split = bool(shuffle), padding, split
        self.equal_steps = self.num_shards > 1 if equal_steps is None else bool(equal_steps)
        self.feature_names = [f["name"] for f in self.manifest["features"]]
        self.n_features = len(self.feature_names)
        self.files = self._select_files(split)
        if not self.files:
            raise DataError(f"{OP}: the shards hold no {split!r} sequences (splits: "
                            f"{sorted(self.manifest.get('counts', {}))}).", argument="split", received=split,
                            fix="pick a split the shards hold, or split=None for every sequence")
        rows = [int(f["sequences"]) for f in self.files]
        self._file_base = np.concatenate([[0], np.cumsum(rows)]).astype(np.int64)
        self._pieces_of = [assign_pieces(rows, w, self.num_shards) for w in range(self.num_shards)]
        self.pieces = self._pieces_of[self.shard_id]
        if not self.pieces or any(not p for p in self._pieces_of):
            empty = next(w for w, p in enumerate(self._pieces_of) if not p)
            raise ConfigError(f"{OP}: worker {empty} of {self.num_shards} would get no sequence: the "
                              f"{split or 'selected'} split holds {sum(rows)} sequences in {len(rows)} files.",
                              argument="num_shards", received=self.num_shards, index=empty,
                              fix="use fewer workers, or pack into more, smaller part files")
        self.scaler = self.manifest_scaler() if isinstance(scaler, str) and scaler == "manifest" else scaler
        if isinstance(scaler, str) and scaler != "manifest":
            raise ConfigError(f"{OP}: `scaler` must be None, a Standardizer or 'manifest'. Received: "
                              f"scaler={scaler!r}.", argument="scaler", received=scaler,
                              fix="pass scaler=None, a fitted Standardizer or 'manifest'")
        self.transform = transform
        self._lengths_cache: OrderedDict = OrderedDict()
        self._survey()
        steps = max(1.0, self.manifest.get("n_steps", 1) / max(1, self.manifest.get("n_sequences", 1)))
        per_seq = steps * self.n_features * self.dtype.itemsize
        # part files are decoded in record batches of about READ_BYTES of values: a whole row group
        # at once would hold one decoded file per interleaved reader
        self._read_rows = int(min(65536, max(16, READ_BYTES // max(per_seq, 1))))
        if shuffle_buffer is None:
            floor = 8 * int(self.batch_sizes.max())
            shuffle_buffer = int(min(65536, max(floor, BUFFER_BYTES // max(per_seq, 1))))
        self.shuffle_buffer = shuffle_buffer
        self.epoch = 0
        self.position = 0
        self._template = None

    # ------------------------------------------------------------------ setup
    def _select_files(self, split):
        files = list(self.manifest.get("files", []))
        if split is None:
            return files
        mixed = [f["name"] for f in files if f.get("split", "mixed") == "mixed"]
        if mixed:
            raise DataError(f"{OP}: part file {mixed[0]!r} mixes splits; streaming needs one split per file.",
                            argument="shards", received=mixed[0],
                            fix="write the shards with seqfeed pack, write_shards or seqfeed.spark.write_shards")
        chosen = [f for f in files if f.get("split") == split]
        if not chosen and split == "train" and all(f.get("split") is None for f in files):
            return files  # unsplit shards: every sequence is training data
        return chosen

    def _file_path(self, f: int) -> str:
        return os.path.join(self.path, self.files[f]["name"])

    def _file_lengths(self, f: int) -> np.ndarray:
        hit = self._lengths_cache.get(f)
        if hit is not None:
            self._lengths_cache.move_to_end(f)
            return hit
        import pyarrow as pa
        import pyarrow.parquet as pq

        p = self._file_path(f)
        try:
            L = pq.read_table(p, columns=["length"], memory_map=True).column("length").to_numpy()
        except (OSError, pa.ArrowInvalid, KeyError) as e:
            raise DataError(f"{OP}: cannot read part file {self.files[f]['name']!r} ({e}).", argument="shards",
                            received=p, fix="the shards are incomplete or damaged; pack them again") from None
        L = np.asarray(L, dtype=np.int64)
        if L.size != int(self.files[f]["sequences"]):
            raise DataError(f"{OP}: part file {self.files[f]['name']!r} holds {L.size} sequences; the "
                            f"manifest says {self.files[f]['sequences']}.", argument="shards", received=L.size,
                            fix="the shards were changed after packing; pack them again")
        self._lengths_cache[f] = L
        while len(self._lengths_cache) > 4 * self.interleave + 4:
            self._lengths_cache.popitem(last=False)
        return L

    def _piece_lengths(self, piece) -> np.ndarray:
        f, a, b = piece
        return self._file_lengths(f)[a:b]

    def _survey(self) -> None:
        """One pass over the length column: bucket boundaries and every worker's batch count."""
        hists = [dict() for _ in range(self.num_shards)]
        owner = {}
        for w, pieces in enumerate(self._pieces_of):
            for p in pieces:
                owner.setdefault(p[0], []).append((w, p))
        for f in range(len(self.files)):
            L = self._file_lengths(f)
            if L.size and L.min() <= 0:
                r = int(np.argmin(L))
                raise DataError(f"{OP}: sequence {int(self._file_base[f]) + r} (row {r} of "
                                f"{self.files[f]['name']!r}) is empty; a fully masked row has no output.",
                                argument="shards", index=int(self._file_base[f]) + r,
                                fix="pack without empty sequences")
            for w, (_, a, b) in owner.get(f, []):
                v, c = np.unique(L[a:b], return_counts=True)
                h = hists[w]
                for x, n in zip(v.tolist(), c.tolist()):
                    h[x] = h.get(x, 0) + n
        total: dict = {}
        for h in hists:
            for x, n in h.items():
                total[x] = total.get(x, 0) + n
        vals = np.array(sorted(total), dtype=np.int64)
        self.boundaries = bucket_boundaries(vals, [total[v] for v in vals.tolist()], self.n_buckets)
        self.batch_sizes = bucket_batch_sizes(self.boundaries, batch_size=self.batch_size,
                                              max_tokens=self.max_tokens)
        self.real_batches = []
        self.sequences_of = []
        for h in hists:
            v = np.array(sorted(h), dtype=np.int64)
            c = np.array([h[x] for x in v.tolist()], dtype=np.int64)
            k = np.minimum(np.searchsorted(self.boundaries, v, side="left"), self.boundaries.size - 1)
            per_bucket = np.bincount(k, weights=c, minlength=self.boundaries.size).astype(np.int64)
            self.real_batches.append(int((-(-per_bucket // self.batch_sizes)).sum()))
            self.sequences_of.append(int(c.sum()))
        own = self.real_batches[self.shard_id]
        self.steps_per_epoch = max(self.real_batches) if self.equal_steps else own

    def manifest_scaler(self):
        """A global :class:`~seqfeed.Standardizer` from the manifest's per-feature moments."""
        from ..transforms import Standardizer

        mom = self.manifest.get("moments", {}).get("features", {})
        missing = [n for n in self.feature_names if not mom.get(n) or not mom[n].get("count")]
        if missing:
            raise DataError(f"{OP}: the manifest has no moments for feature(s) {missing}.", argument="scaler",
                            fix="pack the shards again, or pass scaler=None")
        return Standardizer.from_moments(
            count=np.array([mom[n]["count"] for n in self.feature_names], dtype=np.float64),
            mean=np.array([mom[n]["mean"] for n in self.feature_names], dtype=np.float64),
            m2=np.array([mom[n]["m2"] for n in self.feature_names], dtype=np.float64),
            feature_names=self.feature_names)

    # ------------------------------------------------------------------ epochs
    def __len__(self) -> int:
        return self.steps_per_epoch

    @property
    def n_sequences(self) -> int:
        """Sequences this worker serves per epoch."""
        return self.sequences_of[self.shard_id]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = check_int(OP, "epoch", epoch, minimum=0)
        self.position = 0

    def __iter__(self):
        """Yield the remaining batches of the current epoch, then move to the next epoch."""
        if self.position and self.position >= self.steps_per_epoch:
            self.set_epoch(self.epoch + 1)
        for batch in self._epoch(self.epoch, self.position):
            self.position += 1
            yield batch
        self.set_epoch(self.epoch + 1)

    def _order(self, epoch: int) -> np.ndarray:
        n = len(self.pieces)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng([self.seed, epoch, 2]).permutation(n)

    def _piece_refs(self, p: int, a: int, b: int) -> np.ndarray:
        f, start, _ = self.pieces[p]
        return self._file_base[f] + start + np.arange(a, b, dtype=np.int64)

    def _epoch(self, epoch: int, start: int):
        counts = [p[2] - p[1] for p in self.pieces]
        planner = WindowPlanner(self.boundaries, self.batch_sizes, seed=self.seed, epoch=epoch,
                                shuffle=self.shuffle)
        wins = list(windows(counts, self._order(epoch), buffer=self.shuffle_buffer, interleave=self.interleave))
        readers: dict = {}
        store, store_refs = None, None
        served = 0
        for w, win in enumerate(wins):
            refs = np.concatenate([self._piece_refs(p, a, b) for p, a, b in win])
            lens = np.concatenate([self._piece_lengths(self.pieces[p])[a:b] for p, a, b in win])
            carried = planner.carried
            batches = planner.plan(refs, lens, last=w == len(wins) - 1)
            if served + len(batches) <= start:  # the whole window was served before the interruption
                served += len(batches)
                store = None
                continue
            # the carried sequences are taken out and the previous window released before the next
            # one is read, so memory holds one window (plus the carried rows), not two
            old = None
            if carried.size:
                old = self._take(store, store_refs, carried) if store is not None else self._fetch(carried)
            store = None
            store, store_refs = self._read_window(win, readers, int(lens.sum()), refs, old, carried)
            del old
            sorter = np.argsort(store_refs)
            for b in batches:
                served += 1
                if served <= start:
                    continue
                pos = sorter[np.searchsorted(store_refs, b, sorter=sorter)]
                yield self._batch(store, pos, b)
        for _ in range(max(0, self.steps_per_epoch - max(served, start))):
            yield self._filler()

    # ------------------------------------------------------------------ reading values
    def _columns(self) -> list[str]:
        target = self.manifest.get("target") or {}
        cols = ["values"]
        if target.get("level") == "sequence":
            cols.append("target")
        elif target.get("level") == "step":
            cols.append("targets")
        return cols

    def _prepare(self, seqs: SequenceSet, owned: np.ndarray | None = None) -> SequenceSet:
        """Scale and transform rows as read. ``owned``: the writable array behind ``seqs.values`` when
        this dataset allocated it (a window): it is scaled where it is instead of into a copy."""
        seqs = SequenceSet(seqs.values, seqs.offsets, targets=seqs.targets, step_targets=seqs.step_targets,
                           feature_names=self.feature_names)
        if self.scaler is not None:
            in_place = getattr(self.scaler, "_transform_in_place", None)
            if owned is None or in_place is None or \
                    not in_place(owned, offsets=seqs.offsets, feature_names=self.feature_names):
                seqs = self.scaler.transform(seqs)
        if self.transform is not None:
            seqs = self.transform(seqs)
        return seqs

    def _read_window(self, win, readers, n_steps: int, refs, old=None, old_refs=None):
        """The window's rows prepared, with the carried rows ``old`` (already prepared), and their refs.

        Each part is copied into one values array as soon as it is read (so the decoded parts are
        never all held beside their contiguous copy); the array has room for the carried rows
        behind the window's own, and is scaled in place, so a window costs one array of values.
        """
        spare = 0 if old is None else int(old.values.shape[0])
        window = _WindowBuilder(n_steps, self.n_features, self.dtype, spare=spare)
        for p, a, b in win:
            f, start, stop = self.pieces[p]
            r = readers.get(p)
            if r is None:
                r = readers[p] = _RowReader(self._file_path(f), self._columns(), start + a, self._read_rows)
            t = r.read(start + a, start + b)
            if t is None or t.num_rows != b - a:
                raise DataError(f"{OP}: part file {self.files[f]['name']!r} ended before row {start + b}.",
                                argument="shards", fix="the shards are incomplete; pack them again")
            window.add(t)
            del t
            if start + b >= stop:
                readers.pop(p).close()
        new = self._prepare(window.finish(), owned=window.values)
        if old is None:
            return new, refs
        store = window.with_carried(new, old)
        if store is not None:  # the carried rows went into the spare rows behind the window's
            return store, np.concatenate([refs, old_refs])
        return SequenceSet.concat([old, new]), np.concatenate([old_refs, refs])

    def _fetch(self, refs) -> SequenceSet:
        """Rows by global position, read from their files (only when resuming mid-epoch)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        refs = np.asarray(refs, dtype=np.int64)
        f_of = np.searchsorted(self._file_base, refs, side="right") - 1
        tables = []
        for f in np.unique(f_of).tolist():
            sel = np.flatnonzero(f_of == f)
            t = pq.read_table(self._file_path(f), columns=self._columns(), memory_map=True)
            tables.append((sel, t.take(pa.array(refs[sel] - self._file_base[f]))))
        order = np.concatenate([sel for sel, _ in tables])
        table = pa.concat_tables([t for _, t in tables])
        table = table.take(pa.array(np.argsort(order)))
        return self._prepare(_table_to_set(table))

    @staticmethod
    def _take(store, store_refs, refs) -> SequenceSet:
        sorter = np.argsort(store_refs)
        return store.take(sorter[np.searchsorted(store_refs, refs, sorter=sorter)])

    def _batch(self, store, pos, refs) -> Batch:
        batch = pad_set(store, indices=pos, padding=self.padding, dtype=self.dtype, _op=OP)
        batch.index = np.asarray(refs, dtype=np.int64)
        if self.equal_steps and batch.sample_weight is None:
            batch.sample_weight = np.ones(batch.batch_size, dtype=np.float32)
        if self._template is None:
            self._template = batch
        return batch

    def _filler(self) -> Batch:
        """A one-row batch with one zero step, zero weight and no sequence (index -1)."""
        t = self._template
        if t is None:  # a worker resumed inside its filler batches: build the shape from one row
            self._batch(self._fetch(self._piece_refs(0, 0, 1)), np.array([0]), np.array([-1]))
            t = self._template
        per_step = t.sample_weight is not None and t.sample_weight.ndim == 2  # per-step targets
        y = None
        if t.y is not None:
            y = np.zeros(((1, 1) + t.y.shape[2:]) if per_step else ((1,) + t.y.shape[1:]), dtype=t.y.dtype)
        weight_shape = (1, 1) if per_step else (1,)
        return Batch(x=np.zeros((1, 1, t.x.shape[2]), dtype=t.x.dtype), mask=np.ones((1, 1), dtype=bool),
                     lengths=np.ones(1, dtype=np.int64), y=y, index=np.full(1, -1, dtype=np.int64),
                     padding=self.padding, sample_weight=np.zeros(weight_shape, dtype=np.float32))

    # ------------------------------------------------------------------ resume
    def _config(self) -> dict:
        return {"path": os.path.abspath(self.path), "shard_id": self.shard_id, "num_shards": self.num_shards,
                "batch_size": self.batch_size, "max_tokens": self.max_tokens,
                "boundaries": self.boundaries.tolist(), "shuffle_buffer": self.shuffle_buffer,
                "interleave": self.interleave, "split": self.split, "shuffle": self.shuffle,
                "equal_steps": self.equal_steps, "files": [f["name"] for f in self.files],
                "rows": int(self._file_base[-1])}

    def state_dict(self) -> dict:
        """Where this dataset is: ``{"kind", "seed", "epoch", "position", "config"}`` (JSON-able)."""
        return {"kind": self.kind, "seed": self.seed, "epoch": self.epoch, "position": self.position,
                "config": self._config()}

    def load_state_dict(self, state: dict) -> None:
        """Continue from a :meth:`state_dict` taken on a dataset built with the same options."""
        if not isinstance(state, dict) or state.get("kind") != self.kind or state.get("seed") != self.seed \
                or state.get("config") != self._config():
            got = state.get("config") if isinstance(state, dict) else state
            diff = sorted(k for k in self._config() if not isinstance(got, dict) or got.get(k) != self._config()[k])
            raise ConfigError(f"{OP}: this state was saved by a dataset with other options or data "
                              f"(differences: {', '.join(diff) or 'kind/seed'}).", argument="state",
                              fix="build the ShardDataset with the same shards and options before resuming")
        self.epoch = int(state["epoch"])
        self.position = int(state["position"])

    def __repr__(self) -> str:
        return (f"ShardDataset({self.path!r}, shard {self.shard_id}/{self.num_shards}, split={self.split!r}, "
                f"{self.n_sequences} sequences, {self.steps_per_epoch} batches/epoch, epoch={self.epoch})")
