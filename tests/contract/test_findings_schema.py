"""The shipped findings JSON Schema is current, and documents built by the engine validate against it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator

import jsonschema
import pytest

from scanner.engine import build_report, evaluate, select_rules
from scanner.findings import ScanReport, Suppression
from scanner.inventory import CollectionError, KeyVault, Subscription
from scanner.plugins import Registry
from scanner.rule import NoSettings, Result, RuleContext, Severity, entra_id, rule
from scanner.schema import (
    FINDINGS_SCHEMA_PATH,
    REGENERATE_COMMAND,
    load_findings_schema,
    render_findings_schema,
)
from tests.factories import NOW, SUB, arm_id, snapshot
from tests.fixtures.rulekit import meta


@rule(meta("TEST-CMK-001", severity=Severity.HIGH))
def vault_purge_protection(inv, ctx: RuleContext[NoSettings]) -> Iterator[Result]:  # type: ignore[no-untyped-def]
    for kv in inv.key_vaults:
        if kv.enable_purge_protection is None:
            yield ctx.error(kv, f"Vault {kv.name}: purge protection not returned.")
        elif kv.enable_purge_protection:
            yield ctx.passed(
                kv, f"Vault {kv.name} has purge protection.", evidence={"enablePurgeProtection": True}
            )
        else:
            yield ctx.failed(
                kv,
                f"Vault {kv.name} <b>lacks</b> purge protection.",
                evidence={"enablePurgeProtection": False, "nested": {"list": [1, None, "x"]}},
            )
    yield ctx.failed(
        entra_id("application", "obj-1"), "An Entra object.", sub_id="key-1", severity=Severity.CRITICAL
    )


@rule(meta("TEST-CMK-002"))
def crashes(inv, ctx):  # type: ignore[no-untyped-def]
    raise RuntimeError("boom")
    yield  # pragma: no cover


def _report() -> ScanReport:
    vaults = [
        KeyVault(
            id=arm_id("Microsoft.KeyVault/vaults", name),
            name=name,
            type="Microsoft.KeyVault/vaults",
            enable_purge_protection=value,
        )
        for name, value in (("kv-on", True), ("kv-off", False), ("kv-unknown", None))
    ]
    snap = snapshot(
        key_vaults=vaults,
        subscriptions=[Subscription(subscription_id=SUB, display_name="prod", complete=False)],
        errors=[
            CollectionError(scope=f"/subscriptions/{SUB}", operation="storage.list", status=403, message="no")
        ],
    )
    selection = select_rules(
        Registry(rules=(vault_purge_protection, crashes)), severity={"TEST-CMK-002": "low"}
    )
    report = build_report(snap, selection, evaluate(snap, selection, now=NOW), tool_version="0.1.0")
    # A suppressed result, as the suppression step writes it, must validate too.
    first, *rest = report.results
    suppressed = dataclasses.replace(
        first,
        suppression=Suppression(
            justification="accepted", expires=NOW.date(), owner="secops", entry="accepted-risks.yaml:3"
        ),
    )
    return report.model_copy(update={"results": [suppressed, *rest]})


def test_checked_in_schema_is_current() -> None:
    assert FINDINGS_SCHEMA_PATH.read_text(encoding="utf-8") == render_findings_schema(), (
        f"{FINDINGS_SCHEMA_PATH.name} is stale: regenerate it with `{REGENERATE_COMMAND}`"
    )


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = load_findings_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) >= {"tool", "scan", "summary", "results"}


def test_built_report_validates_against_the_shipped_schema() -> None:
    document = json.loads(_report().to_json())
    jsonschema.Draft202012Validator(load_findings_schema()).validate(document)
    statuses = {r["status"] for r in document["results"]}
    assert statuses == {"pass", "fail", "error"}
    assert all(
        set(r)
        >= {
            "rule_id",
            "title",
            "severity",
            "status",
            "resource_id",
            "resource_type",
            "subscription_id",
            "message",
            "evidence",
            "remediation",
            "compliance",
            "fingerprint",
            "suppression",
            "baseline_state",
        }
        for r in document["results"]
    )


@pytest.mark.parametrize(
    ("path", "bad"),
    [
        (("results", 0, "status"), "failed"),
        (("results", 0, "severity"), "urgent"),
        (("results", 0, "baseline_state"), "old"),
        (("tool",), {"name": "ahds-audit"}),
    ],
)
def test_schema_rejects_documents_that_break_the_contract(path: tuple[object, ...], bad: object) -> None:
    document = json.loads(_report().to_json())
    target = document
    for key in path[:-1]:
        target = target[key]  # type: ignore[index]
    target[path[-1]] = bad  # type: ignore[index]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(load_findings_schema()).validate(document)
