"""Atomic file-system steps shared by every writer (files, shards, models, CLI outputs).

Every output seqfeed writes appears whole or not at all, through one of two helpers:

* :func:`atomic_file` -- a context manager yielding a temporary path next to a
  file; on success the temporary file is renamed over the file in one step.
* :func:`atomic_dir` -- the same for a directory: it is built under a hidden
  sibling (:func:`temp_dir`) and moved into place by :func:`replace_dir`.

The steps they are made of:

* :func:`replace_dir` moves a finished directory into place so that the target
  is, at every moment, either the old or the new complete directory; a process
  killed between its renames leaves a hidden ``.NAME.old-PID`` that the next
  call (or :func:`recover_dir`) puts back or removes.
* :class:`DirLock` keeps two processes from writing one output.
* :func:`fault_point` is a test hook: ``SEQFEED_FAULT=NAME[:key=value...]`` kills
  the process with SIGKILL when it reaches that point (comma-separate several).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from pathlib import Path

from ._errors import ConfigError

OLD_MARK = ".old-"
TRASH_MARK = ".trash-"
TMP_MARK = ".tmp-"


def fault_point(name: str, **where) -> None:
    """Kill this process with SIGKILL here when ``SEQFEED_FAULT`` names this point.

    ``SEQFEED_FAULT="ckpt:after_arrays:epoch=2"`` fires at the point
    ``ckpt:after_arrays`` when it is reached with ``epoch=2``; conditions that the
    point does not report never match. Unset (the normal case), this does nothing.
    """
    spec = os.environ.get("SEQFEED_FAULT")
    if not spec:
        return
    for item in spec.split(","):
        parts = [p.strip() for p in item.split(":") if p.strip()]
        point = ":".join(p for p in parts if "=" not in p)
        conds = dict(p.split("=", 1) for p in parts if "=" in p)
        if point == name and all(k in where and str(where[k]) == v for k, v in conds.items()):
            os.kill(os.getpid(), signal.SIGKILL)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


def _leftovers(dst: Path, mark: str = OLD_MARK) -> list[Path]:
    """``.NAME.old-PID`` (or ``.NAME.trash-PID``) siblings of ``dst`` whose writer is dead."""
    prefix = f".{dst.name}{mark}"
    found = []
    try:
        entries = list(dst.parent.iterdir())
    except FileNotFoundError:
        return []
    for p in entries:
        if p.name.startswith(prefix) and p.name[len(prefix):].isdigit():
            if not _pid_alive(int(p.name[len(prefix):])):
                found.append(p)
    return found


def recover_dir(dst) -> str | None:
    """Finish or undo a :func:`replace_dir` that was killed between its renames.

    If ``dst`` is missing, the old directory moved aside (``.NAME.old-PID``) is
    renamed back to ``dst``; if ``dst`` is in place, the moved-aside old one is
    removed. Half-removed ``.NAME.trash-PID`` directories (see :func:`discard_dir`)
    and unfinished ``.NAME.tmp-PID`` ones are removed too. Only leftovers of dead
    processes are touched. Returns ``"restored"``, ``"cleaned"`` or None (nothing to do).
    """
    dst = Path(dst)
    for p in _leftovers(dst, TRASH_MARK) + _leftovers(dst, TMP_MARK):
        shutil.rmtree(p)
    olds = _leftovers(dst)
    if not olds:
        return None
    action = "cleaned"
    if not os.path.lexists(dst):
        # the most recently moved-aside directory is the last complete output
        olds.sort(key=lambda p: p.lstat().st_ctime_ns)
        os.replace(olds.pop(), dst)
        action = "restored"
    for p in olds:
        shutil.rmtree(p)
    return action


def replace_dir(src, dst) -> None:
    """Move the finished directory ``src`` to ``dst``, replacing any old ``dst``.

    Steps: rename old ``dst`` to ``.NAME.old-PID``; rename ``src`` to ``dst``;
    remove the old one. At every moment ``dst`` is the old or the new complete
    directory, except between the two renames, where the old one is kept whole
    under its hidden name and put back by the next call (:func:`recover_dir`).
    ``src`` and ``dst`` must be on one file system (siblings, typically).
    """
    src, dst = Path(src), Path(dst)
    recover_dir(dst)
    if os.path.lexists(dst):
        if dst.is_symlink() or not dst.is_dir():
            raise ConfigError(f"replace_dir: {dst} exists and is not a directory; it is left alone.",
                              argument="path", received=str(dst), fix="choose another path")
        old = dst.with_name(f".{dst.name}{OLD_MARK}{os.getpid()}")
        if os.path.lexists(old):  # our own leftover from an earlier failed call
            shutil.rmtree(old)
        os.replace(dst, old)
        fault_point("replace:between")
        os.replace(src, dst)
        fault_point("replace:after")
        shutil.rmtree(old)
    else:
        os.replace(src, dst)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_file(path, *, fsync: bool = False):
    """Yield a temporary path next to ``path``; on success it replaces ``path`` in one rename.

    Readers never see a half-written file: the caller writes to the yielded path (a
    hidden file in the same directory, so the rename stays on one file system); if
    the ``with`` block raises, the temporary file is removed and ``path`` is left as
    it was. ``fsync`` flushes the data to disk before the rename. The file gets the
    usual permissions (``0o666`` less the umask).

    >>> import os, tempfile
    >>> p = os.path.join(tempfile.mkdtemp(), "a.txt")
    >>> with atomic_file(p) as tmp:
    ...     _ = open(tmp, "w").write("whole")
    >>> open(p).read(), os.listdir(os.path.dirname(p))
    ('whole', ['a.txt'])
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp creates 0600; give the usual permissions
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.remove(tmp)
        raise


def temp_dir(dst) -> Path:
    """Create an empty hidden sibling ``.NAME.tmp-PID`` of ``dst`` to build ``dst`` in.

    Its parent is created if needed; a leftover of this process is removed first, and
    leftovers of dead processes are removed by :func:`recover_dir`.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}{TMP_MARK}{os.getpid()}")
    if os.path.lexists(tmp):
        shutil.rmtree(tmp)
    tmp.mkdir()
    return tmp


@contextlib.contextmanager
def atomic_dir(dst):
    """Yield a new empty directory (:func:`temp_dir`); on success it becomes ``dst`` (:func:`replace_dir`).

    If the ``with`` block raises, the temporary directory is removed and ``dst`` is
    left as it was; an old ``dst`` is replaced only once the new one is complete.
    """
    tmp = temp_dir(dst)
    try:
        yield tmp
        replace_dir(tmp, dst)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def discard_dir(path) -> None:
    """Remove a directory this program wrote: renamed to ``.NAME.trash-PID`` first, so a kill
    during the removal never leaves a half-deleted directory under its real name."""
    path = Path(path)
    trash = path.with_name(f".{path.name}{TRASH_MARK}{os.getpid()}")
    if os.path.lexists(trash):
        shutil.rmtree(trash)
    os.replace(path, trash)
    shutil.rmtree(trash)


def is_seqfeed_dir(path) -> bool:
    """True for a directory written by seqfeed (a saved model or a ``train --out``)."""
    path = Path(path)
    return path.is_dir() and not path.is_symlink() and (path / "seqfeed.json").is_file()


class DirLock:
    """An exclusive lock on ``path`` (a lock file), held by one process at a time.

    ``acquire`` fails at once with a :class:`ConfigError` naming the process that
    holds it. The lock is an advisory ``flock``: the kernel releases it when its
    holder dies (also on SIGKILL), so a stale lock file never blocks a new run.
    """

    def __init__(self, path, *, what: str = "this output", argument: str | None = None):
        self.path = Path(path)
        self.what, self.argument = what, argument
        self._fd: int | None = None

    def acquire(self) -> "DirLock":
        try:
            import fcntl
        except ImportError:  # pragma: no cover - no flock on this platform: no lock
            return self
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                raise ConfigError(f"{self.what} is being written by another seqfeed run (pid {holder}, lock "
                                  f"{self.path}).", argument=self.argument, received=holder,
                                  fix="wait for that run to finish, or choose another output") from None
            # the holder before us may have removed the file after we opened it: lock the file in place
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, f"{os.getpid()}\n".encode())
                self._fd = fd
                return self
            os.close(fd)

    def release(self) -> None:
        if self._fd is None:
            return
        try:
            os.unlink(self.path)  # while still holding it, so no one locks a file we then remove
        except FileNotFoundError:
            pass
        os.close(self._fd)
        self._fd = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()
