"""Reading our own versioned JSON documents (snapshots, findings) with one-line errors for any bad input.

Both documents are read back from files a user may have truncated, edited or
received from elsewhere: every failure becomes ``SnapshotError`` (exit 2) with
one line naming the file, never a traceback, and keys taken from the file are
quoted so a hostile key cannot forge output lines.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from scanner.errors import SnapshotError

M = TypeVar("M", bound=BaseModel)


def _where(loc: tuple[Any, ...]) -> str:
    return ".".join(str(p) if isinstance(p, int) or str(p).isidentifier() else repr(p) for p in loc)


def parse_versioned(text: str, model: type[M], *, source: str, kind: str, schema_version: str) -> M:
    """Parse ``text`` as a ``kind`` document of ``model`` whose major version must equal ``schema_version``'s.

    Raises SnapshotError for invalid or too deeply nested JSON, a non-object,
    a missing or unsupported ``schema_version``, or a malformed document.
    """
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SnapshotError(
            f"{source}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}"
        ) from exc
    except RecursionError:
        raise SnapshotError(f"{source}: not {kind} (JSON nested too deeply)") from None
    if not isinstance(data, dict):
        raise SnapshotError(f"{source}: {kind} is a JSON object, found {type(data).__name__}")
    version = data.get("schema_version")
    if not isinstance(version, str):
        raise SnapshotError(f"{source}: no schema_version: this is not {kind}")
    supported = schema_version.split(".", 1)[0]
    if version.split(".", 1)[0] != supported:
        raise SnapshotError(
            f"{source}: schema_version {version!r} is not supported by this version "
            f"(reads {supported}.x); use a matching ahds-audit"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = " ".join(str(first["msg"]).split())
        raise SnapshotError(
            f"{source}: malformed {kind} at {_where(first['loc'])}: {message} ({exc.error_count()} problem(s))"
        ) from exc
    except RecursionError:
        raise SnapshotError(f"{source}: not {kind} (nested too deeply)") from None
