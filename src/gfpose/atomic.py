"""The one writer of every file gfpose writes: complete on disk or not there at all.

A temporary file in the same folder is written, flushed to disk, then renamed over the target
(os.replace), so the last good file always survives a crash, a SIGKILL or a power cut mid-write.
"""

import glob
import os
import tempfile
from collections.abc import Callable
from pathlib import Path


def atomic_write(path, write_fn: Callable[[str], object]) -> Path:
    """Call ``write_fn(tmp_path)`` and move the result over ``path`` only once it is complete on disk.

    The temporary name ends with the target's suffix (``.png``, ``.gif``, ...) for writers that pick
    the format from it. The file gets the usual permissions of a new file (0666 minus the umask,
    e.g. 0644), not the 0600 of a temporary file; temporaries left by a writer killed earlier are
    removed. Returns ``path``.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(fd)
    try:
        write_fn(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync(path.parent)
    for stale in path.parent.glob(f".{glob.escape(path.name)}.*.tmp*"):
        stale.unlink(missing_ok=True)
    return path


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync(path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
