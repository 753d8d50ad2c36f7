"""Baseline comparison: new/unchanged marks, fixed failures, and when "fixed" must not be claimed."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from scanner.baseline import apply_baseline
from scanner.errors import UsageError
from scanner.findings import Suppression, load_findings
from scanner.gate import ExitCode, FailOn, decide
from scanner.rule import Status
from tests.unit._reports import WEEK1, WEEK2, finding, report, rid, rule_doc, unreadable

KV1, KV2, KV3 = rid("kv1"), rid("kv2"), rid("kv3")


def week_pair():  # type: ignore[no-untyped-def]
    """Last week: NET-001 fails on kv1 and kv2, TLS-001 passes on kv1. This week kv2 is fixed, kv3 is new."""
    old = report(
        [
            finding("AHDS-NET-001", KV1),
            finding("AHDS-NET-001", KV2),
            finding("AHDS-TLS-001", KV1, status="pass"),
        ],
        started_at=WEEK1,
    )
    new = report(
        [
            # the same failure, reported by a newer patch release with a dated message and another id casing
            finding("AHDS-NET-001", KV1.upper(), message="public access still enabled on 2026-06-15"),
            finding("AHDS-NET-001", KV2, status="pass"),
            finding("AHDS-NET-001", KV3, severity="critical"),
            finding("AHDS-TLS-001", KV1, status="pass"),
        ],
        started_at=WEEK2,
        version="0.1.1",
    )
    return old, new


def test_week_apart_one_fixed_one_new(tmp_path: Path) -> None:
    old, new = week_pair()
    path = tmp_path / "last-week.json"
    path.write_text(old.to_json(), encoding="utf-8")
    out = apply_baseline(new, load_findings(path), baseline_path=str(path))
    states = {(f.resource_id.lower(), f.rule_id, f.status): f.baseline_state for f in out.results}
    assert states == {
        (KV1.lower(), "AHDS-NET-001", Status.FAIL): "unchanged",
        (KV2.lower(), "AHDS-NET-001", Status.PASS): "new",
        (KV3.lower(), "AHDS-NET-001", Status.FAIL): "new",
        (KV1.lower(), "AHDS-TLS-001", Status.PASS): "unchanged",
    }
    assert out.summary.new_failures == 1 and out.summary.fixed == 1
    assert out.baseline is not None
    assert out.baseline.path == str(path) and out.baseline.started_at == WEEK1
    (fixed,) = out.baseline.fixed
    assert fixed.resource_id == KV2 and fixed.rule_id == "AHDS-NET-001"
    assert fixed.fingerprint == old.results[1].fingerprint


def test_every_result_gets_a_state() -> None:
    old, new = week_pair()
    out = apply_baseline(new, old, baseline_path="b.json")
    assert all(f.baseline_state in {"new", "unchanged"} for f in out.results)
    assert len(out.results) == len(new.results)


def test_fail_on_new_gates_only_the_new_failure() -> None:
    old, new = week_pair()
    # kv1 stays failing (high, unchanged); only kv3's new critical failure counts
    out = apply_baseline(new, old, baseline_path="b.json")
    d = decide(out, fail_on=FailOn.HIGH, fail_on_new=True)
    assert d.code is ExitCode.GATE_FAILED and d.gated_failures == 1
    burned_down = apply_baseline(
        report([finding("AHDS-NET-001", KV1)], started_at=WEEK2), old, baseline_path="b.json"
    )
    assert decide(burned_down, fail_on_new=True).code is ExitCode.OK
    assert decide(burned_down, fail_on_new=False).code is ExitCode.GATE_FAILED


def test_suppressed_baseline_failure_that_now_passes_is_fixed() -> None:
    accepted = Suppression(justification="j", owner="o", expires=date(2026, 12, 31))
    old = report([finding("AHDS-NET-001", KV1, suppression=accepted)])
    out = apply_baseline(report([finding("AHDS-NET-001", KV1, status="pass")]), old, baseline_path="b")
    assert [f.resource_id for f in out.baseline.fixed] == [KV1]  # type: ignore[union-attr]


def test_deleted_resource_counts_as_fixed() -> None:
    old = report([finding("AHDS-NET-001", KV1)])
    out = apply_baseline(report([]), old, baseline_path="b")
    assert out.summary.fixed == 1


@pytest.mark.parametrize(
    "case",
    ["subscription unreadable", "rule errored", "rule disabled", "graph unreadable"],
)
def test_failure_not_rechecked_is_never_claimed_fixed(case: str) -> None:
    app = "application/11111111-0000-0000-0000-000000000001"
    target = app if case == "graph unreadable" else KV1
    old = report([finding("AHDS-NET-001", target)])
    now = {
        "subscription unreadable": report([], errors=[unreadable()]),
        "rule errored": report([finding("AHDS-NET-001", KV1, status="error")]),
        "rule disabled": report([finding("AHDS-TLS-001", KV1, status="pass")]).model_copy(
            update={"rules": [rule_doc("AHDS-TLS-001")]}
        ),
        "graph unreadable": report([], errors=[unreadable("graph:/applications")], graph_complete=False),
    }[case]
    out = apply_baseline(now, old, baseline_path="b")
    assert out.summary.fixed == 0 and out.baseline.fixed == []  # type: ignore[union-attr]


def test_rule_that_ran_and_passed_is_fixed_even_with_catalogue() -> None:
    old = report([finding("AHDS-NET-001", KV1)])
    now = report([finding("AHDS-NET-001", KV1, status="pass")]).model_copy(
        update={"rules": [rule_doc("AHDS-NET-001")]}
    )
    assert apply_baseline(now, old, baseline_path="b").summary.fixed == 1


def test_other_subscription_unreadable_does_not_hide_a_fix() -> None:
    old = report([finding("AHDS-NET-001", KV1)])
    now = report([], errors=[unreadable("/subscriptions/99999999-0000-0000-0000-000000000009")])
    # the helper marks its only subscription incomplete whenever there are errors; restore it
    cov = now.scan.coverage.model_copy(update={"subscriptions": [], "subscriptions_total": 0})
    now = now.model_copy(update={"scan": now.scan.model_copy(update={"coverage": cov})})
    assert apply_baseline(now, old, baseline_path="b").summary.fixed == 1


def test_baseline_of_another_tenant_is_refused() -> None:
    old = report([], tenant_id="11111111-0000-0000-0000-000000000000")
    with pytest.raises(UsageError, match="tenant") as exc:
        apply_baseline(report([]), old, baseline_path="other.json")
    assert exc.value.exit_code == 2
