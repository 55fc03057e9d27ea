"""Files only the hub's own user may read: the embedded Redis' data (every ballot with its voter),
vote exports and link lists (each link opens a seat).

One rule, one place: a private directory is 0700 and a private file 0600, from the moment it is
created. A file is never written first and restricted afterwards (another local user could open it
in between, and an open descriptor keeps working after a ``chmod``), so files are created with
``os.open(..., 0o600)`` and directories with ``mkdir(0o700)``; what already exists is tightened.
Child processes (``redis-server``) start under :data:`UMASK`, so every file they create (the AOF,
its rewrites, the log) is 0600 too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

DIR_MODE: Final = 0o700
FILE_MODE: Final = 0o600
UMASK: Final = 0o077  # what a child process creates: directories 0700, files 0600


def private_dir(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` (and missing parents) as a 0700 directory, or tighten it if it exists."""
    folder = Path(path)
    folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    folder.chmod(DIR_MODE)
    return folder


def tighten(folder: str | os.PathLike[str], prefixes: tuple[str, ...]) -> None:
    """Make ``folder`` 0700 and its entries whose names start with one of ``prefixes`` private
    (files 0600, directories 0700 with everything in them): a data dir created by an older version
    keeps no world-readable AOF. Only the named entries: a data dir pointed at a folder holding
    other things (a home directory) must not have every file in it changed. Symlinks are left alone."""
    base = Path(folder)
    base.chmod(DIR_MODE)
    for entry in base.iterdir():
        if not entry.name.startswith(prefixes) or entry.is_symlink():
            continue
        if not entry.is_dir():
            entry.chmod(FILE_MODE)
            continue
        entry.chmod(DIR_MODE)
        for root, dirs, files in os.walk(entry):
            for name in dirs:
                Path(root, name).chmod(DIR_MODE)
            for name in files:
                if not Path(root, name).is_symlink():
                    Path(root, name).chmod(FILE_MODE)


def write_private(path: str | os.PathLike[str], data: bytes | str) -> Path:
    """Write ``data`` to ``path`` as a 0600 file, replacing it atomically (a reader never sees half a
    file): the content goes to a temporary file created 0600 in the same directory, then renamed."""
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    body = data.encode() if isinstance(data, str) else data
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), FILE_MODE)  # an old temporary file of that name keeps its mode
            fh.write(body)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    tmp.replace(target)
    return target
