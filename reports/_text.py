"""Escaping helpers shared by the text formats: XML 1.0 character hygiene and Markdown cell escaping.

Hostile input is data: resource names, tags and messages may hold control
characters, HTML or Markdown. Each medium is escaped once, here or by its
serialiser (ElementTree for XML, Jinja2 autoescape for HTML).
"""

from __future__ import annotations

import json
import re
from typing import Any

from scanner.findings import evidence_default

_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot carry at all (C0 controls except tab/LF/CR, lone surrogates, non-characters)."""

_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u2028\u2029]")
"""Controls a reader should never receive (C0, DEL, C1, lone surrogates, Unicode line separators)."""

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~:@!&#()$])")
"""ASCII punctuation that CommonMark or GFM may interpret (escaped with a backslash, which CommonMark allows
before any ASCII punctuation). ``:`` and ``@`` are escaped so GFM cannot autolink ``https://...`` or e-mails,
``$`` so GitHub cannot typeset math. Block markers (``-``, ``+``, ``=``) are harmless inside a table row."""

_WWW = re.compile(r"(?i)(www)\.")
"""GFM autolinks ``www.example.com`` even without a scheme: escaping its first dot breaks the pattern."""


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can carry: forbidden characters become U+FFFD (so the reader sees one was there)."""
    return _XML_FORBIDDEN.sub("\ufffd", str(value))


def strip_control(value: str) -> str:
    """Replace control characters (and CR/LF/tab) with a space so a value stays on one visual line."""
    return _CONTROL.sub("\ufffd", value).replace("\r\n", " ").replace("\r", " ").replace("\n", " ").replace(
        "\t", " "
    )


def clean_text(value: str) -> str:
    """Replace control characters with U+FFFD but keep newlines and tabs (multi-line text such as remediation)."""
    return _CONTROL.sub("\ufffd", value)


def md_cell(value: object) -> str:
    """Escape ``value`` for one GitHub-flavoured Markdown table cell (or one inline run of text).

    The result renders as the literal text: no emphasis, code, HTML, link,
    image or autolink can come out of it, it holds no line break, and ``|``
    cannot end the cell.
    """
    text = strip_control(value if isinstance(value, str) else display_value(value))
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _WWW.sub(r"\1\\.", text)
    return text.strip() or " "


def display_value(value: Any) -> str:
    """One observed evidence value as text: strings verbatim, everything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(", ", ": "), default=evidence_default)


def truncate(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, ending with an ellipsis when it was cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)].rstrip() + "\u2026"
