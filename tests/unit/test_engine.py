"""The rule engine: selection and config checks, results to findings, crashing rules, determinism."""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from pydantic import TypeAdapter

from reports import ReportOptions, render_all
from scanner.engine import RULE_RESOURCE_PREFIX, build_report, evaluate, select_rules
from scanner.errors import ConfigError
from scanner.findings import Finding, ScanReport, Suppression, finding_document, fingerprint, sort_key
from scanner.inventory import (
    Application,
    CollectionError,
    KeyVault,
    Snapshot,
    StorageAccount,
    Subscription,
    Workspace,
)
from scanner.plugins import Registry
from scanner.rule import (
    NoSettings,
    Result,
    Rule,
    RuleContext,
    RuleSettings,
    Severity,
    Status,
    entra_id,
    rule,
)
from tests.factories import NOW, SUB, SUB2, arm_id, snapshot
from tests.fixtures.rulekit import meta

WS1 = arm_id("Microsoft.HealthcareApis/workspaces", "ws-one")
WS2 = arm_id("Microsoft.HealthcareApis/workspaces", "ws-two", sub=SUB2)
WS3 = arm_id("Microsoft.HealthcareApis/workspaces", "ws-three")


class TagSettings(RuleSettings):
    """Settings of the test's tag rule."""

    tag: str = "owner"
    min_length: int = 1


@rule(meta("TEST-TAG-001", severity=Severity.LOW), settings=TagSettings)
def workspace_tagged(inv: Snapshot, ctx: RuleContext[TagSettings]) -> Iterator[Result]:
    for ws in inv.workspaces:
        value = ws.tags.get(ctx.settings.tag)
        if value is None:
            yield (
                ctx.error(ws, f"Workspace {ws.name} has no tags block.", evidence={"tags": None})
                if not ws.tags
                else ctx.failed(
                    ws, f"Workspace {ws.name} has no {ctx.settings.tag} tag.", evidence={"tags": ws.tags}
                )
            )
        elif len(value) < ctx.settings.min_length:
            yield ctx.failed(ws, f"Workspace {ws.name} tag too short.", evidence={ctx.settings.tag: value})
        else:
            yield ctx.passed(ws, f"Workspace {ws.name} is tagged.", evidence={ctx.settings.tag: value})


@rule(meta("TEST-TLS-001", severity=Severity.MEDIUM))
def storage_tls(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    for sa in inv.storage_accounts:
        if sa.minimum_tls_version == "TLS1_0":
            # Escalates for this one result, as rules do for "expires within critical_days".
            yield ctx.failed(sa, f"{sa.name} allows TLS 1.0.", severity=Severity.CRITICAL, sub_id="blob")
        elif sa.minimum_tls_version == "TLS1_1":
            yield ctx.failed(sa, f"{sa.name} allows TLS 1.1.", severity=Severity.LOW, sub_id="blob")
        else:
            yield ctx.passed(sa, f"{sa.name} requires TLS 1.2.", sub_id="blob")


@rule(meta("TEST-TLS-002", severity=Severity.HIGH))
def vault_crashes(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    for kv in inv.key_vaults:
        yield ctx.passed(kv, f"{kv.name} looked at.")
    raise KeyError("properties")


@rule(meta("TEST-RBAC-001", severity=Severity.HIGH))
def yields_garbage(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    yield "not a result"  # type: ignore[misc]


@rule(meta("TEST-CRED-001", severity=Severity.INFO))
def apps_seen(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    for app in inv.applications:
        yield ctx.passed(entra_id("application", app.id), f"App {app.display_name} seen.", sub_id=app.app_id)


ALL: tuple[Rule, ...] = (workspace_tagged, storage_tls, vault_crashes, yields_garbage, apps_seen)  # type: ignore[type-arg]
REGISTRY = Registry(rules=tuple(sorted(ALL, key=lambda r: r.id)))


def inventory(**extra: object) -> Snapshot:
    lists: dict[str, object] = {
        "subscriptions": [Subscription(subscription_id=SUB), Subscription(subscription_id=SUB2)],
        "workspaces": [
            Workspace(
                id=WS1, name="ws-one", type="Microsoft.HealthcareApis/workspaces", tags={"owner": "team-a"}
            ),
            Workspace(id=WS2, name="ws-two", type="Microsoft.HealthcareApis/workspaces", tags={"cost": "x"}),
            Workspace(id=WS3, name="ws-three", type="Microsoft.HealthcareApis/workspaces"),
        ],
        "storage_accounts": [
            StorageAccount(
                id=arm_id("Microsoft.Storage/storageAccounts", n),
                name=n,
                type="Microsoft.Storage/storageAccounts",
                minimum_tls_version=v,
            )
            for n, v in (("sa10", "TLS1_0"), ("sa11", "TLS1_1"), ("sa12", "TLS1_2"))
        ],
        "key_vaults": [
            KeyVault(
                id=arm_id("Microsoft.KeyVault/vaults", "kv1"), name="kv1", type="Microsoft.KeyVault/vaults"
            )
        ],
        "applications": [Application(id="obj-1", app_id="app-1", display_name="Billing <script>")],
    }
    lists.update(extra)
    return snapshot(**lists)


def by_rule(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule_id == rule_id]


def test_pass_fail_error_results_become_findings_with_rule_metadata() -> None:
    findings = evaluate(inventory(), select_rules(REGISTRY, enable=["TEST-TAG-*"]), now=NOW)

    got = {f.resource_name: f for f in findings}
    assert {n: f.status for n, f in got.items()} == {
        "ws-one": Status.PASS,
        "ws-two": Status.FAIL,
        "ws-three": Status.ERROR,
    }
    failed = got["ws-two"]
    assert failed.title == workspace_tagged.meta.title
    assert failed.severity is Severity.LOW
    assert failed.resource_id == WS2 and failed.subscription_id == SUB2
    assert failed.resource_type == "Microsoft.HealthcareApis/workspaces"
    assert failed.evidence == {"tags": {"cost": "x"}}
    assert failed.remediation.portal == workspace_tagged.meta.remediation.portal
    assert failed.compliance.hipaa == list(workspace_tagged.meta.compliance.hipaa)
    assert failed.fingerprint == fingerprint("TEST-TAG-001", WS2)
    assert failed.rule_version == "1" and failed.suppression is None and failed.baseline_state is None
    assert got["ws-three"].message == "Workspace ws-three has no tags block."


def test_findings_validate_as_the_findings_model() -> None:
    """Findings are built without per-item validation for speed; they must still be valid documents."""
    adapter = TypeAdapter(Finding)
    for f in evaluate(inventory(), select_rules(REGISTRY), now=NOW):
        assert adapter.validate_python(adapter.dump_python(f, mode="json")) == f


def test_the_hand_written_finding_document_is_what_pydantic_would_write() -> None:
    """``finding_document`` spells the JSON object out for speed; it must not drift from the model."""
    adapter = TypeAdapter(Finding)
    findings = evaluate(inventory(), select_rules(REGISTRY), now=NOW)
    suppressed = dataclasses.replace(
        findings[0],
        suppression=Suppression(justification="j", expires=NOW.date(), owner="o", entry="f:1", ticket="T-1"),
        baseline_state="new",
    )
    for f in [*findings, suppressed]:
        expected = adapter.dump_python(f, mode="json")
        got = finding_document(f, f.remediation.model_dump(mode="json"), f.compliance.model_dump(mode="json"))
        assert got == expected
        assert list(got) == list(expected)


def test_evidence_a_rule_filled_with_non_json_values_is_written_not_a_crash() -> None:
    """A third-party rule's datetime, set or tuple in evidence: every JSON reporter still writes the report."""

    @rule(meta("TEST-EVD-001", resource_types=("Microsoft.HealthcareApis/workspaces",)))
    def odd_evidence(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
        for ws in inv.workspaces:
            yield ctx.failed(ws, "odd", evidence={"when": NOW, "tags": {"b", "a"}, "pair": (1, 2)})  # type: ignore[dict-item]

    selection = select_rules(Registry(rules=(odd_evidence,)))
    snap = inventory()
    report = build_report(snap, selection, evaluate(snap, selection, now=NOW), tool_version="0.1.0")
    texts = render_all(report, ["json", "sarif", "html", "junit", "md"], ReportOptions(sarif_all=True))
    for evidence in (
        json.loads(texts["json"])["results"][0]["evidence"],
        json.loads(texts["sarif"])["runs"][0]["results"][0]["properties"]["evidence"],
    ):
        assert datetime.fromisoformat(evidence["when"]) == NOW and sorted(evidence["tags"]) == ["a", "b"]
        assert evidence["pair"] == [1, 2]


def test_a_raising_rule_becomes_one_error_finding_and_other_rules_still_run(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.DEBUG, logger="scanner.engine"):
        findings = evaluate(inventory(), select_rules(REGISTRY), now=NOW)

    crashed = by_rule(findings, "TEST-TLS-002")
    assert [f.status for f in crashed] == [Status.PASS, Status.ERROR]  # the result before the crash is kept
    error = crashed[1]
    assert error.resource_id == RULE_RESOURCE_PREFIX + "TEST-TLS-002"
    assert "KeyError" in error.message and "properties" in error.message
    assert error.severity is Severity.HIGH
    assert any(r.exc_info and r.levelno == logging.DEBUG for r in caplog.records)
    assert len(by_rule(findings, "TEST-TAG-001")) == 3 and len(by_rule(findings, "TEST-TLS-001")) == 3
    assert len(by_rule(findings, "TEST-CRED-001")) == 1


def test_a_malformed_result_is_an_error_finding_for_that_rule() -> None:
    findings = by_rule(evaluate(inventory(), select_rules(REGISTRY), now=NOW), "TEST-RBAC-001")
    assert [(f.status, f.resource_id) for f in findings] == [(Status.ERROR, "ahds-audit/rule/TEST-RBAC-001")]
    assert "str" in findings[0].message


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("status", "fail", "status 'fail' is not a Status"),
        ("message", None, "message None is not a string"),
        ("resource_type", 7, "resource_type 7 is not a string"),
        ("severity", "high", "severity 'high' is not a Severity"),
        ("resource_id", "  ", "resource_id '  ' is empty"),
    ],
)
def test_a_result_with_a_field_of_the_wrong_type_is_an_error_finding(field: str, value: object, named: str) -> None:
    """Findings are not validated one by one, so the engine checks each result's fields itself."""

    @rule(meta("TEST-BAD-001", resource_types=("Microsoft.HealthcareApis/workspaces",)))
    def bad(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
        good = ctx.failed(inv.workspaces[0], "fine")
        yield good
        broken = ctx.failed(inv.workspaces[1], "broken")
        setattr(broken, field, value)
        yield broken

    findings = evaluate(inventory(), select_rules(Registry(rules=(bad,))), now=NOW)
    assert [f.status for f in findings] == [Status.FAIL, Status.ERROR]
    assert named in findings[1].message and findings[1].evidence["results_before_error"] == 1


def test_result_severity_raises_but_never_lowers_the_rules_severity() -> None:
    findings = {
        f.resource_name: f
        for f in by_rule(evaluate(inventory(), select_rules(REGISTRY), now=NOW), "TEST-TLS-001")
    }
    assert findings["sa10"].severity is Severity.CRITICAL
    assert findings["sa11"].severity is Severity.MEDIUM
    assert findings["sa12"].severity is Severity.MEDIUM


def test_severity_override_applies_to_findings_and_escalation_is_relative_to_it() -> None:
    selection = select_rules(REGISTRY, severity={"test-tls-001": "high", "TEST-TAG-001": "critical"})
    findings = evaluate(inventory(), selection, now=NOW)
    tls = {f.resource_name: f.severity for f in by_rule(findings, "TEST-TLS-001")}
    assert tls == {"sa10": Severity.CRITICAL, "sa11": Severity.HIGH, "sa12": Severity.HIGH}
    assert {f.severity for f in by_rule(findings, "TEST-TAG-001")} == {Severity.CRITICAL}


def test_unknown_severity_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"rules\.severity\.TEST-TLS-001: 'severe' is not one of critical"):
        select_rules(REGISTRY, severity={"TEST-TLS-001": "severe"})


@pytest.mark.parametrize(
    ("enable", "disable", "expected"),
    [
        (["*"], [], {"TEST-CRED-001", "TEST-RBAC-001", "TEST-TAG-001", "TEST-TLS-001", "TEST-TLS-002"}),
        (["*"], ["TEST-TLS-*"], {"TEST-CRED-001", "TEST-RBAC-001", "TEST-TAG-001"}),
        (["test-tls-*"], [], {"TEST-TLS-001", "TEST-TLS-002"}),
        (["TEST-TLS-*", "TEST-TAG-001"], ["TEST-TLS-002"], {"TEST-TAG-001", "TEST-TLS-001"}),
        (["TEST-*-001"], ["TEST-RBAC-*"], {"TEST-CRED-001", "TEST-TAG-001", "TEST-TLS-001"}),
    ],
)
def test_enable_and_disable_globs(enable: list[str], disable: list[str], expected: set[str]) -> None:
    selection = select_rules(REGISTRY, enable=enable, disable=disable)
    assert {r.id for r in selection.rules} == expected
    assert set(selection.settings) == expected and set(selection.severities) == expected


def test_disabled_rules_do_not_run() -> None:
    findings = evaluate(inventory(), select_rules(REGISTRY, disable=["TEST-TLS-*", "TEST-RBAC-001"]), now=NOW)
    assert {f.rule_id for f in findings} == {"TEST-TAG-001", "TEST-CRED-001"}


def test_a_glob_matching_nothing_is_a_config_error_with_a_suggestion() -> None:
    with pytest.raises(
        ConfigError, match=r"rules\.disable\[1\]: 'TEST-TSL-\*' matches no loaded rule"
    ) as info:
        select_rules(REGISTRY, disable=["TEST-TAG-001", "TEST-TSL-*"])
    assert info.value.hint is not None and "TEST-TLS-*" in info.value.hint


def test_selecting_no_rule_at_all_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no rule is enabled"):
        select_rules(REGISTRY, disable=["*"])


@pytest.mark.parametrize("section", ["settings", "severity"])
def test_unknown_rule_id_in_overrides_is_a_config_error_with_did_you_mean(section: str) -> None:
    kwargs: dict[str, object] = (
        {"settings": {"TEST-TAG-01": {"tag": "x"}}}
        if section == "settings"
        else {"severity": {"TEST-TAG-01": "low"}}
    )
    with pytest.raises(ConfigError, match=rf"rules\.{section}\.TEST-TAG-01: no loaded rule") as info:
        select_rules(REGISTRY, **kwargs)  # type: ignore[arg-type]
    assert info.value.hint == "did you mean TEST-TAG-001?"


def test_invalid_setting_value_names_the_key_path() -> None:
    with pytest.raises(ConfigError) as info:
        select_rules(REGISTRY, settings={"TEST-TAG-001": {"min_length": "many"}})
    assert str(info.value.message) == (
        "rules.settings.TEST-TAG-001.min_length: Input should be a valid integer, unable to parse string as an integer"
    )
    assert info.value.hint is not None and "tag, min_length" in info.value.hint


def test_unknown_setting_name_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"rules\.settings\.TEST-TAG-001\.warn_day: Extra inputs"):
        select_rules(REGISTRY, settings={"TEST-TAG-001": {"warn_day": 3}})


def test_settings_for_a_disabled_rule_are_still_validated() -> None:
    with pytest.raises(ConfigError, match="min_length"):
        select_rules(REGISTRY, disable=["TEST-TAG-*"], settings={"TEST-TAG-001": {"min_length": []}})


def test_settings_overrides_reach_the_rule_and_defaults_fill_the_rest() -> None:
    selection = select_rules(REGISTRY, settings={"test-tag-001": {"min_length": 7}})
    assert selection.settings["TEST-TAG-001"] == TagSettings(tag="owner", min_length=7)
    assert selection.settings["TEST-TLS-001"] == NoSettings()
    statuses = {
        f.resource_name: f.status for f in by_rule(evaluate(inventory(), selection, now=NOW), "TEST-TAG-001")
    }
    assert statuses["ws-one"] is Status.FAIL  # "team-a" is shorter than 7


def test_resource_names_come_from_the_snapshot_else_the_last_id_segment() -> None:
    findings = evaluate(inventory(), select_rules(REGISTRY), now=NOW)
    app = by_rule(findings, "TEST-CRED-001")[0]
    assert app.resource_id == "application/obj-1" and app.resource_name == "Billing <script>"
    assert app.subscription_id is None
    crashed = [f for f in findings if f.resource_id.startswith(RULE_RESOURCE_PREFIX)]
    assert {f.resource_name for f in crashed} == {"TEST-TLS-002", "TEST-RBAC-001"}


def test_output_is_sorted_and_deterministic() -> None:
    selection = select_rules(REGISTRY)
    first = evaluate(inventory(), selection, now=NOW)
    reversed_inventory = inventory(workspaces=list(reversed(inventory().workspaces)))
    second = evaluate(reversed_inventory, select_rules(Registry(rules=tuple(reversed(ALL)))), now=NOW)
    assert first == second
    ranks = [-f.severity.rank for f in first]
    assert ranks == sorted(ranks)
    assert first[0].severity is Severity.CRITICAL
    # The engine lays rules out severity by severity instead of sorting all findings: same order.
    assert first == sorted(first, key=sort_key)
    assert len({f.severity for f in first}) >= 3 and len({f.rule_id for f in first}) >= 4


def test_fingerprints_are_stable_across_runs_case_and_volatile_values() -> None:
    base = {f.fingerprint for f in evaluate(inventory(), select_rules(REGISTRY), now=NOW)}
    later = NOW + timedelta(days=30)
    shouted = inventory(
        workspaces=[
            Workspace(
                id=WS1.upper(),
                name="ws-one",
                type="Microsoft.HealthcareApis/workspaces",
                tags={"owner": "someone-else"},
            ),
            Workspace(
                id=WS2.lower() + "/",
                name="ws-two",
                type="Microsoft.HealthcareApis/workspaces",
                tags={"c": "y"},
            ),
            Workspace(id=WS3, name="ws-three", type="Microsoft.HealthcareApis/workspaces"),
        ],
        started_at=later,
        finished_at=later,
    )
    again = {f.fingerprint for f in evaluate(shouted, select_rules(REGISTRY), now=later)}
    assert again == base
    assert len(base) == len(evaluate(inventory(), select_rules(REGISTRY), now=NOW))  # distinct per resource
    assert fingerprint("test-tag-001", WS1) == fingerprint("TEST-TAG-001", WS1.upper())


def test_sub_ids_separate_fingerprints_of_one_resource() -> None:
    assert fingerprint("TEST-TLS-001", WS1, "blob") != fingerprint("TEST-TLS-001", WS1, "file")
    assert fingerprint("TEST-TLS-001", WS1, "blob") != fingerprint("TEST-TLS-001", WS1)


def test_evaluate_refuses_a_naive_clock() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(inventory(), select_rules(REGISTRY), now=datetime(2026, 1, 1))


def test_build_report_fills_scan_summary_rules_and_ids() -> None:
    snap = inventory(
        subscriptions=[
            Subscription(subscription_id=SUB, display_name="prod"),
            Subscription(subscription_id=SUB2),
        ],
        errors=[
            CollectionError(
                scope=f"/subscriptions/{SUB2}",
                operation="vaults.list_by_subscription",
                status=403,
                message="forbidden",
            ),
            CollectionError(
                scope="graph:/applications", operation="applications.list", status=429, message="throttled"
            ),
        ],
    )
    selection = select_rules(
        REGISTRY, severity={"TEST-TAG-001": "high"}, settings={"TEST-TAG-001": {"tag": "team"}}
    )
    findings = evaluate(snap, selection, now=NOW)
    report = build_report(snap, selection, findings, tool_version="9.9.9")

    assert isinstance(report, ScanReport) and report.tool.version == "9.9.9"
    assert report.results == findings and report.baseline is None
    cov = report.scan.coverage
    assert (cov.complete, cov.subscriptions_total, cov.subscriptions_complete, cov.graph_complete) == (
        False,
        2,
        1,
        False,
    )
    assert [s.complete for s in cov.subscriptions] == [True, False]
    assert len(report.scan.errors) == 2 and report.scan.snapshot_schema_version == snap.schema_version
    assert report.summary.total == len(findings)
    assert report.summary.by_status["error"] == sum(f.status is Status.ERROR for f in findings)
    docs = {d.id: d for d in report.rules}
    assert set(docs) == {r.id for r in selection.rules}
    assert docs["TEST-TAG-001"].severity is Severity.HIGH and docs["TEST-TAG-001"].settings == {
        "tag": "team",
        "min_length": 1,
    }
    assert docs["TEST-TLS-001"].settings == {} and docs["TEST-TLS-001"].area == "TLS"


def test_complete_snapshot_has_complete_coverage() -> None:
    selection = select_rules(REGISTRY)
    report = build_report(inventory(), selection, evaluate(inventory(), selection, now=NOW), tool_version="1")
    assert report.scan.coverage.complete and report.scan.coverage.graph_complete


def test_report_and_catalogue_ids_follow_content() -> None:
    selection = select_rules(REGISTRY)
    findings = evaluate(inventory(), selection, now=NOW)
    one = build_report(inventory(), selection, findings, tool_version="1")
    two = build_report(inventory(), selection, list(reversed(findings)), tool_version="2")
    assert one.report_id == two.report_id
    assert one.scan.rule_catalogue_version == two.scan.rule_catalogue_version

    fewer = select_rules(REGISTRY, disable=["TEST-CRED-001"])
    other = build_report(inventory(), fewer, evaluate(inventory(), fewer, now=NOW), tool_version="1")
    assert other.report_id != one.report_id
    assert other.scan.rule_catalogue_version != one.scan.rule_catalogue_version


def test_evaluation_scales_linearly_without_per_result_surprises() -> None:
    """A rule yielding many results gets one finding each, names resolved from the snapshot."""
    many = [
        Workspace(
            id=arm_id("Microsoft.HealthcareApis/workspaces", f"ws{i:05d}"),
            name=f"ws{i:05d}",
            type="Microsoft.HealthcareApis/workspaces",
            tags={"owner": "t"},
        )
        for i in range(5000)
    ]
    findings = evaluate(snapshot(workspaces=many), select_rules(REGISTRY, enable=["TEST-TAG-001"]), now=NOW)
    assert len(findings) == 5000 and len({f.fingerprint for f in findings}) == 5000
    assert findings[0].resource_name == "ws00000" and findings[-1].resource_name == "ws04999"


@rule(meta("TEST-NET-001"))
def repeats_itself(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    for _ in range(3):
        yield ctx.passed(WS1, "Same resource again.")


def test_repeated_results_are_kept_and_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scanner.engine"):
        findings = evaluate(inventory(), select_rules(Registry(rules=(repeats_itself,))), now=NOW)
    assert len(findings) == 3
    assert [r.getMessage() for r in caplog.records] == [
        "rule TEST-NET-001 yielded 2 result(s) repeating a resource and sub_id"
    ]


def test_memo_is_built_once_per_evaluation_and_shared_by_its_rules() -> None:
    """``RuleContext.memo``: an index several rules need is built once per scan, never carried into the next."""
    builds: list[int] = []

    def index(inv: Snapshot) -> int:
        builds.append(len(inv.workspaces))
        return len(inv.workspaces)

    def counting_rule(rule_id: str) -> Rule[NoSettings]:
        @rule(meta(rule_id, resource_types=("Microsoft.HealthcareApis/workspaces",)))
        def check(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
            count = ctx.memo("test.workspaces", lambda: index(inv))
            yield ctx.passed(inv.workspaces[0], f"{count} workspaces")

        return check

    selection = select_rules(Registry(rules=(counting_rule("TEST-MEM-001"), counting_rule("TEST-MEM-002"))))
    first = evaluate(inventory(), selection, now=NOW)
    assert [f.message for f in first] == ["3 workspaces", "3 workspaces"] and builds == [3]
    smaller = inventory().model_copy(update={"workspaces": inventory().workspaces[:2]})
    assert [f.message for f in evaluate(smaller, selection, now=NOW)] == ["2 workspaces"] * 2
    assert builds == [3, 2]
