"""CSV at the edges of the panel domain: read a file into rows, write files so nothing is half-written.

The domain functions take and return rows and dataclasses; only this module opens user files. Content is
rendered in memory first, then written to a temporary file beside its target and renamed into place
(``os.replace`` is atomic on POSIX), so a reader sees the old file or the whole new one.
``write_files`` writes every file of a set before renaming any, so a failure while writing (bad
row, disk full) leaves none of them.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.errors import Code, HubError

Row = Mapping[str, str]
# A row as read: ``csv.DictReader`` puts surplus cells under the key None and missing cells as None.
RawRow = Mapping[str | None, str | None] | Mapping[str, str]


@dataclass(frozen=True, slots=True)
class CsvTable:
    """A header and its rows, as ``csv.DictReader`` gives them (an over-long row has a ``None`` key)."""

    columns: tuple[str, ...]
    rows: tuple[Mapping[str | None, str | None], ...]


def read_csv(path: str | os.PathLike[str], *, code: Code, encoding: str = "utf-8-sig") -> CsvTable:
    """Read a CSV file; an unreadable or non-UTF-8 file raises ``HubError(code)`` saying what to do.

    ``utf-8-sig`` also accepts the byte-order mark Excel puts on "CSV UTF-8" files. Korean Excel's
    plain "CSV" is CP949: pass ``encoding="cp949"`` for those rather than guessing here.
    """
    source = os.fspath(path)
    try:
        with open(path, newline="", encoding=encoding) as handle:
            reader = csv.DictReader(handle)
            rows = tuple(reader)
            columns = tuple(reader.fieldnames or ())
    except UnicodeDecodeError as exc:
        raise HubError(
            code, f"{source} is not {encoding} text ({exc.reason}); save it as CSV UTF-8 or pass its encoding"
        ) from exc
    except OSError as exc:
        raise HubError(code, f"cannot read {source}: {exc.strerror or exc}") from exc
    return CsvTable(columns, rows)


def render_csv(columns: Sequence[str], rows: Iterable[Row]) -> str:
    """The text of a CSV file (RFC 4180 line ends), built in memory so that a bad row fails before
    any file is touched."""
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(columns))
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_files(files: Mapping[Path, str], *, encoding: str = "utf-8", overwrite: bool = True) -> None:
    """Write each ``path: text`` to a temporary file beside it, then rename them all into place.

    With ``overwrite=False`` an existing target raises ``FileExistsError`` before anything is
    written (a drawn panel is an official record: a second draw must not replace it by accident).
    A failure while writing the temporary files removes them and leaves every target untouched.
    """
    if not overwrite:
        existing = [os.fspath(p) for p in files if p.exists()]
        if existing:
            raise FileExistsError(f"will not overwrite {', '.join(existing)}")
    written: list[tuple[str, Path]] = []
    try:
        for path, text in files.items():
            fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
            written.append((name, path))
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give what open() would
            with os.fdopen(fd, "w", newline="", encoding=encoding) as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
    except BaseException:
        for name, _ in written:
            Path(name).unlink(missing_ok=True)
        raise
    for name, path in written:
        os.replace(name, path)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_csv(path: Path, columns: Sequence[str], rows: Iterable[Row], *, encoding: str = "utf-8") -> None:
    """Write one CSV atomically (see the module docstring)."""
    write_files({path: render_csv(columns, rows)}, encoding=encoding)
