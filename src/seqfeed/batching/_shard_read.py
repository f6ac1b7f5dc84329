"""Reading rows of sequence-shard part files: a sequential row reader and table -> SequenceSet."""

from __future__ import annotations

from ..core import SequenceSet


STREAM_BUFFER = 1 << 20  # bytes of a part file read at a time


class _RowReader:
    """Sequential reader of one part file from a given row on (record batches, streamed).

    The file is read through a buffered stream of ``STREAM_BUFFER`` bytes, page by page:
    neither memory-mapped (the mapped pages of every file being read would count as
    resident memory) nor with a whole column chunk (a row group's ~80 MiB) read at once.
    """

    def __init__(self, path: str, columns: list[str], start: int, batch_rows: int = 2048):
        import pyarrow.parquet as pq

        f = pq.ParquetFile(path, memory_map=False, buffer_size=STREAM_BUFFER, pre_buffer=False)
        self._it = f.iter_batches(batch_size=batch_rows, columns=columns)
        self._pending: list = []
        self._pos = 0  # file row of the first pending row
        self._skip(start)

    def _pull(self) -> bool:
        try:
            self._pending.append(next(self._it))
            return True
        except StopIteration:
            return False

    def _skip(self, row: int) -> None:
        while self._pos < row:
            if not self._pending and not self._pull():
                return
            b = self._pending[0]
            drop = min(b.num_rows, row - self._pos)
            self._pos += drop
            if drop == b.num_rows:
                self._pending.pop(0)
            else:
                self._pending[0] = b.slice(drop)

    def close(self) -> None:
        """Release the file and its decoded data now (not at the next garbage collection)."""
        it, self._it, self._pending = self._it, iter(()), []
        close = getattr(it, "close", None)
        if close is not None:
            close()

    def read(self, a: int, b: int):
        """Rows ``[a, b)`` of the file as a ``pyarrow.Table`` (``a`` at or after the position)."""
        import pyarrow as pa

        self._skip(a)
        need = b - a
        have = sum(x.num_rows for x in self._pending)
        while have < need and self._pull():
            have += self._pending[-1].num_rows
        out, got = [], 0
        while got < need and self._pending:
            x = self._pending[0]
            take = min(x.num_rows, need - got)
            out.append(x.slice(0, take))
            got += take
            if take == x.num_rows:
                self._pending.pop(0)
            else:
                self._pending[0] = x.slice(take)
        self._pos += got
        return pa.Table.from_batches(out) if out else None


def _table_to_set(table) -> SequenceSet:
    """Rows of a part file (columns values[, target | targets]) as a SequenceSet."""
    import pyarrow as pa

    from ..sources._shards import column_to_numpy

    vals = table.column("values")
    vals = vals.combine_chunks() if isinstance(vals, pa.ChunkedArray) else vals
    base = SequenceSet.from_arrow(vals)
    targets = step_targets = None
    if "target" in table.column_names:
        targets = column_to_numpy(table.column("target"))
    elif "targets" in table.column_names:
        col = table.column("targets").combine_chunks()
        step_targets = column_to_numpy(col.flatten())
    return SequenceSet(base.values, base.offsets, targets=targets, step_targets=step_targets)


class _WindowBuilder:
    """Rows of part files copied, table by table, into one preallocated ``(steps + spare, F)`` array.

    ``spare`` rows at the end are left for the caller (the sequences a window carries over from
    the previous one), so a window and its carried rows are never concatenated into a new array.
    """

    def __init__(self, n_steps: int, n_features: int, dtype, spare: int = 0):
        import numpy as np

        self.array = np.empty((n_steps + spare, n_features), dtype=dtype)
        self.values = self.array[:n_steps]
        self.lengths: list = []
        self.targets: list = []
        self.step_targets: list = []
        self.pos = 0

    def add(self, table) -> None:
        """Copy the rows of ``table`` in, record batch by record batch (each one read without a copy)."""
        from ..sources._shards import column_to_numpy

        for chunk in table.column("values").chunks:
            part = SequenceSet.from_arrow(chunk)
            n = part.values.shape[0]
            self.values[self.pos:self.pos + n] = part.values
            self.pos += n
            self.lengths.append(part.lengths)
        if "target" in table.column_names:
            self.targets.append(column_to_numpy(table.column("target")))
        elif "targets" in table.column_names:
            self.step_targets.append(column_to_numpy(table.column("targets").combine_chunks().flatten()))

    def finish(self) -> SequenceSet:
        import numpy as np

        if self.pos != self.values.shape[0]:  # the lengths column disagrees with the values
            from .._errors import DataError

            raise DataError(f"ShardDataset: a window holds {self.pos} steps where the length column says "
                            f"{self.values.shape[0]}.", argument="shards", received=self.pos,
                            fix="the shards are inconsistent; pack them again")
        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros(0, dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(lengths, dtype=np.int64)])
        return SequenceSet(self.values, offsets, targets=np.concatenate(self.targets) if self.targets else None,
                           step_targets=np.concatenate(self.step_targets) if self.step_targets else None)

    def with_carried(self, new: SequenceSet, old: SequenceSet) -> SequenceSet | None:
        """The prepared window ``new`` followed by the carried rows ``old``, in this array.

        ``old`` is copied into the spare rows when ``new`` still holds this builder's values
        (scaled in place, the transform left them where they were); otherwise None (the
        caller concatenates).
        """
        import numpy as np

        a, b = new.values, self.values
        kept = (a.shape == b.shape and a.strides == b.strides and a.dtype == b.dtype
                and a.__array_interface__["data"][0] == b.__array_interface__["data"][0]
                and old.values.dtype == b.dtype and old.values.shape == (self.array.shape[0] - b.shape[0], b.shape[1])
                and new.ids is None and old.ids is None
                and (new.targets is None) == (old.targets is None)
                and (new.step_targets is None) == (old.step_targets is None))
        if not kept:
            return None
        self.array[b.shape[0]:] = old.values
        lengths = np.concatenate([new.lengths, old.lengths])
        offsets = np.zeros(lengths.size + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])

        def cat(x, y):
            return None if x is None else np.concatenate([x, y])

        return SequenceSet(self.array, offsets, targets=cat(new.targets, old.targets),
                           step_targets=cat(new.step_targets, old.step_targets), feature_names=new.feature_names)
