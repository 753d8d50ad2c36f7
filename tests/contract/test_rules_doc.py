"""docs/rules.md is the rule reference generated from the built-in rules' metadata, and stays current.

Regenerate with ``AHDS_AUDIT_REGEN_DOCS=1 .venv/bin/pytest tests/contract/test_rules_doc.py``
or ``ahds-audit rules list --markdown > docs/rules.md``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.catalog import render_markdown
from scanner.cli import main
from scanner.plugins import Registry, load_registry

RULES_DOC = Path(__file__).resolve().parents[2] / "docs" / "rules.md"
REGENERATE = (
    "AHDS_AUDIT_REGEN_DOCS=1 .venv/bin/pytest tests/contract/test_rules_doc.py"
    " (or: ahds-audit rules list --markdown > docs/rules.md)"
)


def builtin_registry() -> Registry:
    """Only the built-in rules (``AHDS-`` ids), whatever packs happen to be installed here."""
    return Registry(rules=tuple(r for r in load_registry().rules if r.id.startswith("AHDS-")))


def test_rules_doc_is_the_generated_reference() -> None:
    expected = render_markdown(builtin_registry())
    if os.environ.get("AHDS_AUDIT_REGEN_DOCS") == "1":
        RULES_DOC.write_text(expected, encoding="utf-8")
        return
    assert RULES_DOC.is_file(), f"docs/rules.md is missing; generate it: {REGENERATE}"
    assert RULES_DOC.read_text(encoding="utf-8") == expected, (
        f"docs/rules.md is stale; regenerate: {REGENERATE}"
    )


def test_rules_doc_documents_every_builtin_rule() -> None:
    text = RULES_DOC.read_text(encoding="utf-8")
    for rule_obj in builtin_registry().rules:
        assert f"\n### {rule_obj.id}\n" in text, f"{rule_obj.id} has no section in docs/rules.md"


def test_cli_markdown_is_the_same_text(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(
        "AHDS_AUDIT_CONFIG", raising=False
    )  # no config: no local folder, no severity overrides
    assert main(["rules", "list", "--markdown"]) == 0
    assert capsys.readouterr().out == render_markdown(load_registry())


def test_markdown_and_json_cannot_be_combined() -> None:
    assert main(["rules", "list", "--markdown", "--json"]) == 2
