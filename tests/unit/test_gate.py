"""The CI gate: exit code truth table and the one explanatory line."""

from __future__ import annotations

from datetime import date

import pytest

from scanner.findings import Finding, Suppression
from scanner.gate import ExitCode, FailOn, decide
from scanner.rule import Severity, Status
from tests.unit._reports import finding, report, rid, unreadable

ACCEPTED = Suppression(justification="legacy", owner="team", expires=date(2026, 12, 31), entry="s.yaml:3")


def fail(sev: str, **kw: object) -> Finding:
    return finding("AHDS-NET-001", rid(f"kv-{sev}-{len(kw)}"), severity=sev, **kw)  # type: ignore[arg-type]


CASES = [
    # id, results, fail_on, fail_on_new, allow_incomplete, incomplete, expected
    ("empty", [], "high", False, False, False, ExitCode.OK),
    ("passes only", [finding(status="pass")], "high", False, False, False, ExitCode.OK),
    ("high at high", [fail("high")], "high", False, False, False, ExitCode.GATE_FAILED),
    ("critical above high", [fail("critical")], "high", False, False, False, ExitCode.GATE_FAILED),
    ("medium below high", [fail("medium")], "high", False, False, False, ExitCode.OK),
    ("medium at medium", [fail("medium")], "medium", False, False, False, ExitCode.GATE_FAILED),
    ("low at low", [fail("low")], "low", False, False, False, ExitCode.GATE_FAILED),
    ("high below critical", [fail("high")], "critical", False, False, False, ExitCode.OK),
    ("info never gates", [fail("info")], "low", False, False, False, ExitCode.OK),
    (
        "suppressed critical",
        [fail("critical", suppression=ACCEPTED)],
        "low",
        False,
        False,
        False,
        ExitCode.OK,
    ),
    ("none never fails", [fail("critical")], "none", False, False, False, ExitCode.OK),
    (
        "unchanged with fail-on-new",
        [fail("high", baseline_state="unchanged")],
        "high",
        True,
        False,
        False,
        ExitCode.OK,
    ),
    (
        "new with fail-on-new",
        [fail("high", baseline_state="new")],
        "high",
        True,
        False,
        False,
        ExitCode.GATE_FAILED,
    ),
    (
        "no baseline with fail-on-new counts as new",
        [fail("high")],
        "high",
        True,
        False,
        False,
        ExitCode.GATE_FAILED,
    ),
    (
        "unchanged without fail-on-new",
        [fail("high", baseline_state="unchanged")],
        "high",
        False,
        False,
        False,
        ExitCode.GATE_FAILED,
    ),
    ("new but below threshold", [fail("low", baseline_state="new")], "high", True, False, False, ExitCode.OK),
    ("incomplete", [finding(status="pass")], "high", False, False, True, ExitCode.INCOMPLETE),
    ("incomplete allowed", [finding(status="pass")], "high", False, True, True, ExitCode.OK),
    ("failure wins over incomplete", [fail("high")], "high", False, False, True, ExitCode.GATE_FAILED),
    ("allow-incomplete keeps failure", [fail("high")], "high", False, True, True, ExitCode.GATE_FAILED),
    ("below threshold and incomplete", [fail("medium")], "high", False, False, True, ExitCode.INCOMPLETE),
    ("none still reports incomplete", [fail("critical")], "none", False, False, True, ExitCode.INCOMPLETE),
    ("rule error is incomplete", [finding(status="error")], "high", False, False, False, ExitCode.INCOMPLETE),
    ("rule error allowed", [finding(status="error")], "high", False, True, False, ExitCode.OK),
    (
        "suppressed and incomplete",
        [fail("high", suppression=ACCEPTED)],
        "high",
        False,
        False,
        True,
        ExitCode.INCOMPLETE,
    ),
]


@pytest.mark.parametrize(
    ("results", "fail_on", "fail_on_new", "allow_incomplete", "incomplete", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_truth_table(
    results: list[Finding],
    fail_on: str,
    fail_on_new: bool,
    allow_incomplete: bool,
    incomplete: bool,
    expected: ExitCode,
) -> None:
    rep = report(results, errors=[unreadable()] if incomplete else None)
    d = decide(rep, fail_on=FailOn(fail_on), fail_on_new=fail_on_new, allow_incomplete=allow_incomplete)
    assert d.code is expected
    assert d.line.startswith("gate: ")
    assert "\n" not in d.line
    assert ("FAILED" in d.line) == (expected is ExitCode.GATE_FAILED)
    assert ("INCOMPLETE" in d.line) == (expected is ExitCode.INCOMPLETE)


def test_default_threshold_is_high() -> None:
    assert decide(report([fail("high")])).code is ExitCode.GATE_FAILED
    assert decide(report([fail("medium")])).code is ExitCode.OK


def test_exit_codes_are_the_documented_numbers() -> None:
    assert [int(c) for c in (ExitCode.OK, ExitCode.GATE_FAILED, ExitCode.USAGE, ExitCode.INCOMPLETE)] == [
        0,
        1,
        2,
        3,
    ]


def test_failed_line_counts_by_severity_and_names_threshold() -> None:
    rep = report([fail("critical"), fail("high"), fail("high", sub_id="x"), fail("medium")])
    d = decide(rep, fail_on=FailOn.HIGH)
    assert d.gated_failures == 3
    assert (
        d.line
        == "gate: FAILED — 3 unsuppressed failures at or above high (1 critical, 2 high); threshold high"
    )


def test_passed_line_mentions_what_was_not_gated() -> None:
    rep = report([fail("medium"), fail("low"), fail("low", sub_id="b"), fail("high", suppression=ACCEPTED)])
    d = decide(rep, fail_on=FailOn.HIGH)
    assert d.code is ExitCode.OK
    assert d.line == (
        "gate: passed — no unsuppressed failure at or above high "
        "(1 medium, 2 low below threshold; 1 suppressed); threshold high"
    )


def test_fail_on_new_line_says_unchanged_were_not_gated() -> None:
    rep = report([fail("high", baseline_state="unchanged"), fail("critical", baseline_state="new")])
    d = decide(rep, fail_on=FailOn.HIGH, fail_on_new=True)
    assert d.code is ExitCode.GATE_FAILED
    assert d.gated_failures == 1
    assert "1 unsuppressed new failure at or above high (1 critical)" in d.line
    assert d.line.endswith("threshold high, new failures only")
    passed = decide(report([fail("high", baseline_state="unchanged")]), fail_on_new=True)
    assert "1 high unchanged since the baseline, not gated" in passed.line


def test_incomplete_line_counts_unreadable_scopes_and_rule_errors() -> None:
    scopes = [unreadable("/subscriptions/a"), unreadable("/subscriptions/B/"), unreadable("/subscriptions/b")]
    rep = report([finding(status="error"), finding(status="pass")], errors=scopes)
    d = decide(rep)
    assert d.code is ExitCode.INCOMPLETE and d.incomplete
    assert "2 scopes could not be read" in d.line
    assert "1 rule result could not be decided" in d.line
    allowed = decide(rep, allow_incomplete=True)
    assert allowed.code is ExitCode.OK and allowed.incomplete
    assert allowed.line.startswith("gate: passed (incomplete scan allowed)")


def test_graph_gap_without_error_record_is_incomplete() -> None:
    d = decide(report([], graph_complete=False))
    assert d.code is ExitCode.INCOMPLETE
    assert "coverage is incomplete" in d.line


def test_failed_line_mentions_incompleteness_too() -> None:
    d = decide(report([fail("high")], errors=[unreadable()]))
    assert d.code is ExitCode.GATE_FAILED
    assert d.line.endswith("also incomplete: 1 scope could not be read")


def test_none_line_says_gate_disabled_and_lists_failures() -> None:
    d = decide(report([fail("critical")]), fail_on=FailOn.NONE)
    assert "gate disabled" in d.line and "1 critical" in d.line


def test_fail_on_threshold_mapping() -> None:
    assert FailOn.NONE.threshold is None
    assert FailOn("medium").threshold is Severity.MEDIUM
    assert {f.value for f in FailOn} == {"critical", "high", "medium", "low", "none"}


def test_pass_and_error_never_gate_even_at_critical() -> None:
    rep = report([finding(status=Status.PASS, severity="critical")])
    assert decide(rep, fail_on=FailOn.LOW).code is ExitCode.OK
