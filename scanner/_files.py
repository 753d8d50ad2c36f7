"""Writing a text file so that a reader never sees half of it: stream into a temporary file beside the
target, then rename it into place (``os.replace`` is atomic within one directory).

Reports and snapshots are both written this way; the reports are renamed only once every format was written,
so the two steps are separate functions.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

__all__ = ["write_atomically", "write_temporary"]


def write_temporary(target: Path, write: Callable[[TextIO], None], *, mode: int | None = None) -> Path:
    """Stream ``write``'s text (UTF-8) into a new temporary file beside ``target`` and return its path.

    The file is created like ``open(target, "w")`` would create it (the umask applies) unless ``mode`` is
    given. Lone surrogates (possible in JSON-decoded names) cannot be UTF-8 and are written as escapes. On
    any failure the temporary file is removed and the exception propagates.
    """
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:
            continue
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with open(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
            write(fh)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def write_atomically(target: Path, write: Callable[[TextIO], None], *, mode: int | None = None) -> None:
    """``write_temporary``, then rename the file into place at ``target``."""
    tmp = write_temporary(target, write, mode=mode)
    try:
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
