"""What a user must see after a fault: a complete scan, or exactly the affected scopes reported and exit 3."""

from __future__ import annotations

from typing import Any

import markupsafe

from reports._text import md_cell
from tests.faults.conftest import Outcome


def _section(text: str, start: str, end: str) -> str:
    """The part of a report from ``start`` up to the next ``end`` marker."""
    begin = text.index(start)
    stop = text.find(end, begin + len(start))
    return text[begin : stop if stop != -1 else len(text)]


def assert_clean(outcome: Outcome) -> None:
    """Whatever happened, the user saw no traceback and no internal error."""
    assert "Traceback" not in outcome.stderr, outcome.stderr
    assert "internal error" not in outcome.stderr, outcome.stderr


def assert_complete(outcome: Outcome) -> None:
    """An absorbed fault: exit 0, no error recorded, full coverage."""
    assert_clean(outcome)
    assert outcome.errors == [], outcome.errors
    assert outcome.findings["scan"]["coverage"]["complete"] is True
    assert outcome.code == 0


def assert_incomplete(outcome: Outcome, expected: set[tuple[str, str]]) -> list[dict[str, Any]]:
    """A lasting fault: exactly ``expected`` (scope, operation) pairs recorded, reported, exit 3.

    Returns the recorded errors for further checks.
    """
    assert_clean(outcome)
    errors = outcome.errors
    assert {(e["scope"].lower(), e["operation"]) for e in errors} == {(s.lower(), op) for s, op in expected}
    assert outcome.findings["scan"]["coverage"]["complete"] is False
    markdown = _section(outcome.markdown, "### Coverage gaps", "\n## ")
    html = _section(outcome.html, '<section id="coverage"', "</section>")
    for error in errors:
        assert md_cell(error["scope"]) in markdown, error["scope"]
        assert str(markupsafe.escape(error["scope"])) in html, error["scope"]
        assert md_cell(error["operation"]) in markdown and error["operation"] in html
        assert "\n" not in error["message"]
    assert outcome.code == 3
    return errors
