"""Escaping helpers: what a hostile string becomes in Markdown and XML."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from markdown_it import MarkdownIt

from reports._text import display_value, md_cell, strip_control, truncate, xml_text
from tests.reports._sample import HOSTILE


def _render_row(*cells: str) -> str:
    md = "| a | b |\n| --- | --- |\n| " + " | ".join(md_cell(c) for c in cells) + " |\n"
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(md)


def test_md_cell_keeps_table_shape_and_renders_no_markup_for_hostile_strings() -> None:
    for value in HOSTILE.values():
        html = _render_row(value, "tail")
        assert html.count("<td>") == 2, (value, html)
        for tag in ("<a ", "<img", "<script", "<strong", "<em", "<code", "<s>", "<br"):
            assert tag not in html, (value, tag, html)


def test_md_cell_renders_back_to_the_visible_text() -> None:
    html = _render_row("a|b [x](y) *z* <i>", "t")
    assert "<td>a|b [x](y) *z* &lt;i&gt;</td>" in html


def test_md_cell_breaks_gfm_autolinks() -> None:
    cell = md_cell(HOSTILE["auto"])
    assert re.search(r"(?<!\\)[:@]", cell) is None  # every ':' and '@' escaped: no scheme, no e-mail
    assert "www." not in cell.lower()
    assert "\n" not in md_cell("two\nlines") and md_cell("") == " "


def test_xml_text_makes_any_string_serialisable_and_parseable() -> None:
    el = ET.Element("x", {"a": xml_text(HOSTILE["ctrl"] + "\ud800")})
    el.text = xml_text(HOSTILE["ctrl"] + HOSTILE["xml"])
    back = ET.fromstring(ET.tostring(el, encoding="unicode"))
    assert back.text is not None and "]]>" in back.text and "\x07" not in back.text and "\ufffd" in back.text


def test_strip_control_keeps_one_line_and_marks_removed_characters() -> None:
    assert strip_control("a\nb\x07c") == "a b\ufffdc"


def test_display_value_and_truncate() -> None:
    assert display_value({"b": [1, None], "a": True}) == '{"a": true, "b": [1, null]}'
    assert display_value("x") == "x"
    assert truncate("abcdef", 4) == "abc\u2026" and truncate("abc", 4) == "abc"
