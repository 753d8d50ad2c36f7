"""Pretty JSON text identical to ``json.dumps(obj, indent=2, sort_keys=True)``, produced faster.

The standard library encodes with its C accelerator only when ``indent`` is None; our documents (snapshots,
``findings.json``) are indented for people who diff them, which sends every token through the pure-Python
generator encoder. ``dumps_pretty`` produces the very same text with one recursive function that appends to a
list and uses the C string escaper, and lets a caller splice in a ``Fragment`` it already encoded (a rule's
remediation block is the same object in every one of its findings, so it is encoded once, not once per finding).

Anything outside plain JSON data (non-string keys, unknown types) is handed to ``json.dumps`` for that subtree,
so the output and the exceptions stay those of the standard library.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any

__all__ = ["Fragment", "dumps_pretty", "encode_at"]

_INDENT = "  "
_INFINITY = float("inf")


class Fragment(str):
    """Already-encoded JSON text for one value, inserted verbatim (it must have been encoded at its level)."""

    __slots__ = ()


def _float(value: float) -> str:
    # json.encoder's floatstr with allow_nan=True.
    if math.isnan(value):
        return "NaN"
    if value == _INFINITY:
        return "Infinity"
    if value == -_INFINITY:
        return "-Infinity"
    return float.__repr__(value)


def encode_at(obj: Any, level: int, *, ensure_ascii: bool) -> str:
    """The text of ``obj`` as it appears nested ``level`` deep in a ``dumps_pretty`` document.

    Its inner lines are indented ``level + 1`` times and its closing bracket ``level`` times, so the result can
    be wrapped in a ``Fragment`` and placed at that depth.
    """
    out: list[str] = []
    _encoder(out, ensure_ascii)(obj, level)
    return "".join(out)


def dumps_pretty(obj: Any, *, ensure_ascii: bool = True) -> str:
    """Exactly ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii)`` (``Fragment``s verbatim)."""
    return encode_at(obj, 0, ensure_ascii=ensure_ascii)


def _encoder(out: list[str], ensure_ascii: bool) -> Any:
    """A recursive encoder appending to ``out``; key prefixes are built once per (depth, key) and reused."""
    esc = encode_basestring_ascii if ensure_ascii else encode_basestring
    append = out.append
    prefixes: dict[tuple[int, str], tuple[str, str]] = {}

    def scalar(value: Any) -> str | None:
        kind = type(value)
        if kind is str:
            return esc(value)  # type: ignore[no-any-return,unused-ignore]
        if value is None:
            return "null"
        if kind is bool:
            return "true" if value else "false"
        if kind is int:
            return int.__repr__(value)
        if kind is float:
            return _float(value)
        if kind is Fragment:
            return value  # type: ignore[no-any-return]
        return None

    def encode(obj: Any, level: int) -> None:
        # Exact types take the fast path; the isinstance order below follows json.encoder._make_iterencode,
        # so subclasses (str and int enums) encode as they do there.
        text = scalar(obj)
        if text is not None:
            append(text)
        elif isinstance(obj, str):
            append(esc(obj))
        elif isinstance(obj, int):
            append(int.__repr__(obj))
        elif isinstance(obj, float):
            append(_float(obj))
        elif isinstance(obj, (list, tuple)):
            if not obj:
                append("[]")
                return
            inner = "\n" + _INDENT * (level + 1)
            sep = "[" + inner
            for item in obj:
                text = scalar(item)
                if text is not None:
                    append(sep + text)
                else:
                    append(sep)
                    encode(item, level + 1)
                sep = "," + inner
            append("\n" + _INDENT * level + "]")
        elif isinstance(obj, dict):
            encode_dict(obj, level)
        else:
            append(_fallback(obj, level, ensure_ascii))

    def encode_dict(obj: dict[Any, Any], level: int) -> None:
        if not obj:
            append("{}")
            return
        try:
            keys = sorted(obj)
        except TypeError:  # mixed key types: the standard library raises its own error
            append(_fallback(obj, level, ensure_ascii))
            return
        mark = len(out)
        first = True
        for key in keys:
            if type(key) is not str:  # key coercion (int, float, bool, None keys): the standard library's
                del out[mark:]
                append(_fallback(obj, level, ensure_ascii))
                return
            pair = prefixes.get((level, key))
            if pair is None:
                inner = "\n" + _INDENT * (level + 1) + esc(key) + ": "
                pair = prefixes[(level, key)] = ("{" + inner, "," + inner)
            prefix = pair[0] if first else pair[1]
            first = False
            value = obj[key]
            text = scalar(value)
            if text is not None:
                append(prefix + text)
            else:
                append(prefix)
                encode(value, level + 1)
        append("\n" + _INDENT * level + "}")

    return encode


def _fallback(obj: Any, level: int, ensure_ascii: bool) -> str:
    """The standard library's text for ``obj``, re-indented to ``level`` (JSON strings hold no raw newline)."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii)
    return text.replace("\n", "\n" + _INDENT * level) if level else text
