"""Pretty JSON text identical to ``json.dumps(obj, indent=2, sort_keys=True)``, produced faster.

The standard library encodes with its C accelerator only when ``indent`` is None; our documents (snapshots,
``findings.json``) are indented for people who diff them, which sends every token through the pure-Python
generator encoder. ``dumps_pretty`` produces the very same text with one recursive function that appends to a
list and uses the C string escaper, and lets a caller splice in a ``Fragment`` it already encoded (a rule's
remediation block is the same object in every one of its findings, so it is encoded once, not once per finding).
``write_spliced`` writes such a document to a stream with one list (a report's results) encoded item by item,
so a document of millions of results is never held as one string.

Anything outside plain JSON data (non-string keys, unknown types) is handed to ``json.dumps`` for that subtree,
so the output and the exceptions stay those of the standard library.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from json.encoder import encode_basestring, encode_basestring_ascii
from typing import Any, TextIO

__all__ = [
    "SPLICE",
    "Fragment",
    "dumps_pretty",
    "encode_at",
    "reusable_encoder",
    "shaped_encoder",
    "splice",
    "write_spliced",
    "write_spliced_lists",
]

Default = Callable[[Any], Any]
"""``json.dumps``'s ``default``: turns a value JSON cannot hold into one it can (or raises TypeError)."""

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


def encode_at(obj: Any, level: int, *, ensure_ascii: bool, default: Default | None = None) -> str:
    """The text of ``obj`` as it appears nested ``level`` deep in a ``dumps_pretty`` document.

    Its inner lines are indented ``level + 1`` times and its closing bracket ``level`` times, so the result can
    be wrapped in a ``Fragment`` and placed at that depth.
    """
    out: list[str] = []
    _encoder(out, ensure_ascii, default)(obj, level)
    return "".join(out)


def reusable_encoder(*, ensure_ascii: bool, default: Default | None = None) -> Callable[[Any, int], str]:
    """``encode_at`` as one function to call many times: its key prefixes are built once, not per call
    (what a writer of millions of similar items wants)."""
    out: list[str] = []
    encode = _encoder(out, ensure_ascii, default)

    def encode_one(obj: Any, level: int) -> str:
        out.clear()
        encode(obj, level)
        return "".join(out)

    return encode_one


def shaped_encoder(
    keys: Iterable[str], *, ensure_ascii: bool, default: Default | None = None
) -> Callable[[Mapping[str, Any], int], str]:
    """``encode_at`` for dicts that all have exactly ``keys`` (a finding: millions of dicts of one shape).

    The key order, each key's prefix and the closing bracket are worked out once per level instead of once
    per dict; values go through the ordinary encoder. The text is identical to ``encode_at(doc, level)``.
    """
    ordered = sorted(keys)
    if not ordered:
        raise ValueError("shaped_encoder needs at least one key")
    esc = encode_basestring_ascii if ensure_ascii else encode_basestring
    encode_value = reusable_encoder(ensure_ascii=ensure_ascii, default=default)
    layouts: dict[int, tuple[list[tuple[str, str]], str]] = {}

    def layout(level: int) -> tuple[list[tuple[str, str]], str]:
        inner = "\n" + _INDENT * (level + 1)
        pairs = [(key, ("{" if i == 0 else ",") + inner + esc(key) + ": ") for i, key in enumerate(ordered)]
        return pairs, "\n" + _INDENT * level + "}"

    def encode_shaped(doc: Mapping[str, Any], level: int) -> str:
        found = layouts.get(level)
        if found is None:
            found = layouts[level] = layout(level)
        pairs, closing = found
        parts: list[str] = []
        append = parts.append
        for key, prefix in pairs:
            value = doc[key]
            kind = type(value)
            if kind is str:
                append(prefix + esc(value))
            elif value is None:
                append(prefix + "null")
            elif kind is Fragment:
                append(prefix + value)
            else:
                append(prefix + encode_value(value, level + 1))
        append(closing)
        return "".join(parts)

    return encode_shaped


def dumps_pretty(obj: Any, *, ensure_ascii: bool = True, default: Default | None = None) -> str:
    """Exactly ``json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii, default=default)``
    (``Fragment``s verbatim)."""
    return encode_at(obj, 0, ensure_ascii=ensure_ascii, default=default)


def _encoder(out: list[str], ensure_ascii: bool, default: Default | None) -> Any:
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
            append(_fallback(obj, level, ensure_ascii, default))

    def encode_dict(obj: dict[Any, Any], level: int) -> None:
        if not obj:
            append("{}")
            return
        try:
            keys = sorted(obj)
        except TypeError:  # mixed key types: the standard library raises its own error
            append(_fallback(obj, level, ensure_ascii, default))
            return
        mark = len(out)
        first = True
        for key in keys:
            if type(key) is not str:  # key coercion (int, float, bool, None keys): the standard library's
                del out[mark:]
                append(_fallback(obj, level, ensure_ascii, default))
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


def _fallback(obj: Any, level: int, ensure_ascii: bool, default: Default | None) -> str:
    """The standard library's text for ``obj``, re-indented to ``level`` (JSON strings hold no raw newline)."""
    text = json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=ensure_ascii, default=default)
    return text.replace("\n", "\n" + _INDENT * level) if level else text


def splice(name: str) -> Fragment:
    """A placeholder value for ``write_spliced_lists``: JSON-encoded text never holds a raw NUL, so it cannot
    collide with data."""
    return Fragment(f"\x00splice:{name}\x00")


SPLICE = splice("")
"""The placeholder of ``write_spliced`` (one streamed list per document)."""


def write_spliced(
    out: TextIO,
    doc: Any,
    items: Iterable[Any],
    *,
    ensure_ascii: bool,
    encode_item: Callable[[Any, int], str] | None = None,
    default: Default | None = None,
) -> None:
    """Write ``dumps_pretty(doc)`` to ``out``, with the one ``SPLICE`` value in ``doc`` replaced by ``items``.

    The text equals ``dumps_pretty`` of ``doc`` with that value being ``list(items)``, but the list is
    encoded and written one item at a time, so a document with millions of results is never held as one
    string (nor as one list of encoded items). ``encode_item(item, level)`` may replace ``encode_at`` for
    the items (e.g. to splice in shared fragments). ``doc`` must hold ``SPLICE`` exactly once, as a value.
    """
    write_spliced_lists(
        out, doc, {SPLICE: items}, ensure_ascii=ensure_ascii, encode_item=encode_item, default=default
    )


def write_spliced_lists(
    out: TextIO,
    doc: Any,
    lists: Mapping[Fragment, Iterable[Any]],
    *,
    ensure_ascii: bool,
    encode_item: Callable[[Any, int], str] | None = None,
    default: Default | None = None,
) -> None:
    """``write_spliced`` for several lists: each ``splice(name)`` value in ``doc`` (exactly once each) is
    replaced by its items from ``lists``, written one at a time."""
    text = encode_at(doc, 0, ensure_ascii=ensure_ascii, default=default)
    places: list[tuple[int, Fragment, Iterable[Any]]] = []
    for marker, items in lists.items():
        at = text.find(marker)
        if at == -1 or text.find(marker, at + 1) != -1:
            raise ValueError("write_spliced: the document must hold each splice marker exactly once")
        places.append((at, marker, items))
    places.sort(key=lambda place: place[0])
    encode = encode_item or reusable_encoder(ensure_ascii=ensure_ascii, default=default)
    write = out.write
    start = 0
    for at, marker, items in places:
        write(text[start:at])
        line = text[text.rfind("\n", 0, at) + 1 : at]
        level = (len(line) - len(line.lstrip(" "))) // len(_INDENT)  # the list sits at its key's indentation
        inner = "\n" + _INDENT * (level + 1)
        sep = "[" + inner
        for item in items:
            write(sep)
            write(encode(item, level + 1))
            sep = "," + inner
        write("[]" if sep.startswith("[") else "\n" + _INDENT * level + "]")
        start = at + len(marker)
    write(text[start:])
