"""The README's copy of ``--help`` matches the CLI (regenerate with AHDS_AUDIT_REGEN_README=1)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from scanner.cli import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"
BLOCK = re.compile(r"(<!-- help:start -->\n)(.*?)(<!-- help:end -->)", re.DOTALL)


def rendered_help(monkeypatch: pytest.MonkeyPatch) -> str:
    """``ahds-audit --help`` and ``ahds-audit scan --help`` at a fixed width, as a Markdown block."""
    monkeypatch.setenv("COLUMNS", "100")
    parser = build_parser()
    scan = next(
        a
        for a in parser._subparsers._group_actions  # type: ignore[union-attr]
    ).choices["scan"]
    text = parser.format_help() + "\n$ ahds-audit scan --help\n" + scan.format_help()
    return "```text\n$ ahds-audit --help\n" + text.rstrip() + "\n```\n"


def test_readme_embeds_current_help(monkeypatch: pytest.MonkeyPatch) -> None:
    readme = README.read_text(encoding="utf-8")
    match = BLOCK.search(readme)
    assert match, "README.md lost its <!-- help:start --> / <!-- help:end --> markers"
    expected = rendered_help(monkeypatch)
    if os.environ.get("AHDS_AUDIT_REGEN_README") == "1":
        README.write_text(readme[: match.start(2)] + expected + readme[match.end(2) :], encoding="utf-8")
        return
    assert match.group(2) == expected, "README --help is stale: rerun with AHDS_AUDIT_REGEN_README=1"


def test_readme_quick_start_names_the_two_commands() -> None:
    readme = README.read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
