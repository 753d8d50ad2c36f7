"""Accepted risks: matching, fail-safe entries, expiry boundary, stale entries, the shipped schema."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml

from scanner.errors import ConfigError
from scanner.gate import ExitCode, decide
from scanner.suppressions import (
    SCHEMA_PATH,
    SuppressionSet,
    WarningKind,
    apply_suppressions,
    load_suppressions,
    render_suppressions_schema,
)
from tests.unit._reports import SUB, finding, report, rid

TODAY = date(2026, 6, 15)
LEGACY = rid("kv-old", rg="rg-legacy")
FHIR = rid("ws1/fhir1", kind="Microsoft.HealthcareApis/workspaces/fhirservices")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "suppressions.yaml"


def write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "accepted.yaml"
    p.write_text(body, encoding="utf-8")
    return p


def entry(
    rule: str = "AHDS-TLS-*", resource: str = "*", *, expires: str = "2026-12-31", extra: str = ""
) -> str:
    return (
        f"  - rule: {json.dumps(rule)}\n    resource: {json.dumps(resource)}\n"
        f"    justification: legacy gateway\n    owner: platform\n    expires: {expires}\n{extra}"
    )


def load(tmp_path: Path, *entries: str) -> SuppressionSet:
    return load_suppressions(write(tmp_path, "version: 1\nsuppressions:\n" + "".join(entries)))


def apply(tmp_path: Path, results: list, *entries: str, today: date = TODAY):  # type: ignore[no-untyped-def]
    return apply_suppressions(report(results), load(tmp_path, *entries), today=today)


# --------------------------------------------------------------------------- matching


def test_matching_failure_is_suppressed_with_its_entry_and_stops_gating(tmp_path: Path) -> None:
    rep, warnings = apply(tmp_path, [finding("AHDS-TLS-002", LEGACY)], entry("AHDS-TLS-*", "*/rg-legacy/*"))
    (f,) = rep.results
    assert f.suppression is not None
    assert f.suppression.justification == "legacy gateway" and f.suppression.owner == "platform"
    assert f.suppression.expires == date(2026, 12, 31)
    assert f.suppression.entry == f"{tmp_path / 'accepted.yaml'}:3"
    assert rep.summary.suppressed == 1 and rep.summary.failures_by_severity["high"] == 0
    assert warnings == []
    assert decide(rep).code is ExitCode.OK


def test_rule_and_resource_globs_are_case_insensitive(tmp_path: Path) -> None:
    pattern = f"/SUBSCRIPTIONS/{SUB.upper()}/resourcegroups/RG-LEGACY/*"
    rep, _ = apply(tmp_path, [finding("AHDS-TLS-002", LEGACY)], entry("ahds-tls-00?", pattern))
    assert rep.results[0].suppression is not None


def test_trailing_slash_and_exact_id_match(tmp_path: Path) -> None:
    rep, _ = apply(tmp_path, [finding("AHDS-NET-001", FHIR)], entry("AHDS-NET-001", FHIR.lower() + "/"))
    assert rep.results[0].suppression is not None


@pytest.mark.parametrize(
    ("rule", "resource"),
    [
        ("AHDS-TLS-*", "*"),
        ("AHDS-NET-001", "*/rg-legacy/*"),
        ("AHDS-NET-00", "*"),
        ("AHDS-NET-001", FHIR + "2"),
    ],
    ids=["other rule", "other resource group", "rule prefix without wildcard", "longer resource id"],
)
def test_non_matching_entries_leave_failure_unsuppressed(tmp_path: Path, rule: str, resource: str) -> None:
    rep, warnings = apply(tmp_path, [finding("AHDS-NET-001", FHIR)], entry(rule, resource))
    assert rep.results[0].suppression is None
    assert [w.kind for w in warnings] == [WarningKind.STALE]
    assert "matched no failure" in warnings[0].message


def test_fingerprint_narrows_to_one_sub_object(tmp_path: Path) -> None:
    app = "application/11111111-0000-0000-0000-000000000001"
    one, two = (
        finding("AHDS-CRED-001", app, sub_id="secret-a"),
        finding("AHDS-CRED-001", app, sub_id="secret-b"),
    )
    fp = one.fingerprint.upper()
    rep, warnings = apply(
        tmp_path, [one, two], entry("AHDS-CRED-*", "application/*", extra=f"    fingerprint: {fp}\n")
    )
    assert [f.suppression is not None for f in rep.results] == [True, False]
    assert warnings == []


def test_pass_and_error_results_are_never_suppressed(tmp_path: Path) -> None:
    rep, warnings = apply(
        tmp_path,
        [finding("AHDS-TLS-001", LEGACY, status="pass"), finding("AHDS-TLS-002", LEGACY, status="error")],
        entry("*", "*"),
    )
    assert all(f.suppression is None for f in rep.results)
    assert [w.kind for w in warnings] == [WarningKind.STALE]


def test_first_entry_in_file_order_is_recorded_and_second_is_not_stale(tmp_path: Path) -> None:
    rep, warnings = apply(
        tmp_path, [finding("AHDS-TLS-002", LEGACY)], entry("AHDS-TLS-002", "*"), entry("*", LEGACY)
    )
    assert rep.results[0].suppression is not None
    assert rep.results[0].suppression.entry.endswith(":3")
    assert warnings == []


def test_reapplying_replaces_earlier_marks(tmp_path: Path) -> None:
    rep, _ = apply(tmp_path, [finding("AHDS-TLS-002", LEGACY)], entry())
    empty = load_suppressions(write(tmp_path, "version: 1\nsuppressions: []\n"))
    again, _ = apply_suppressions(rep, empty, today=TODAY)
    assert again.results[0].suppression is None and again.summary.suppressed == 0


# --------------------------------------------------------------------------- expiry


@pytest.mark.parametrize(
    ("expires", "applies"),
    [("2026-06-16", True), ("2026-06-15", True), ("2026-06-14", False)],
    ids=["tomorrow", "today is the last valid day", "yesterday"],
)
def test_expiry_boundary(tmp_path: Path, expires: str, applies: bool) -> None:
    rep, warnings = apply(tmp_path, [finding("AHDS-TLS-002", LEGACY)], entry(expires=expires))
    assert (rep.results[0].suppression is not None) is applies
    if applies:
        assert warnings == []
    else:
        (w,) = warnings
        assert w.kind is WarningKind.EXPIRED
        assert (
            "expired on 2026-06-14" in w.message
            and "1 failure it matches count against the gate" in w.message
        )
        assert decide(rep).code is ExitCode.GATE_FAILED


# --------------------------------------------------------------------------- fail-safe entries

BAD_ENTRIES = {
    "no justification": (
        "  - rule: '*'\n    resource: '*'\n    owner: me\n    expires: 2026-12-31\n",
        "missing justification",
    ),
    "no owner": (
        "  - rule: '*'\n    resource: '*'\n    justification: why\n    expires: 2026-12-31\n",
        "missing owner",
    ),
    "no expiry": (
        "  - rule: '*'\n    resource: '*'\n    justification: why\n    owner: me\n",
        "missing expires",
    ),
    "blank justification": (
        "  - rule: '*'\n    resource: '*'\n    justification: '  '\n    owner: me\n    expires: 2026-12-31\n",
        "justification is empty",
    ),
    "impossible date": (entry("*", "*", expires="2026-13-01"), "expires: not a valid date"),
    "not a date": (entry("*", "*", expires="next-year"), "expires: must be a date"),
    "epoch number": (entry("*", "*", expires="1798675200"), "expires: must be a date"),
    "misspelt key": (entry("*", "*", extra="    justfication: typo\n"), "unknown key 'justfication'"),
    "repeated key": (entry("*", "*", extra="    expires: 2099-01-01\n"), "key 'expires' is given twice"),
    "not a mapping": ("  - AHDS-TLS-001\n", "must be a mapping"),
}


@pytest.mark.parametrize("case", list(BAD_ENTRIES), ids=list(BAD_ENTRIES))
def test_bad_entry_suppresses_nothing_and_warns_with_its_line(tmp_path: Path, case: str) -> None:
    body, expected = BAD_ENTRIES[case]
    supp = load(tmp_path, entry("AHDS-NET-*", "*"), body)
    assert len(supp.entries) == 1
    (w,) = supp.warnings
    assert w.kind is WarningKind.INVALID
    assert w.entry == f"{tmp_path / 'accepted.yaml'}:8"
    assert expected in w.message and "suppresses nothing" in w.message
    rep, warnings = apply_suppressions(report([finding("AHDS-TLS-001", LEGACY)]), supp, today=TODAY)
    assert rep.results[0].suppression is None
    assert w in warnings
    assert str(w).startswith(f"{w.entry}: invalid accepted risk: ")


def test_warning_never_echoes_the_bad_value(tmp_path: Path) -> None:
    supp = load(tmp_path, entry("*", "*", expires="'<script>secret-value</script>'"))
    assert "secret-value" not in str(supp.warnings[0])


def test_warnings_come_in_file_order(tmp_path: Path) -> None:
    rep, warnings = apply(
        tmp_path,
        [finding("AHDS-TLS-002", LEGACY)],
        entry("AHDS-NET-*", "*"),
        entry("*", "*", expires="2020-01-01"),
        "  - nope\n",
        entry("AHDS-TLS-*", "*"),
    )
    assert [w.kind for w in warnings] == [WarningKind.STALE, WarningKind.EXPIRED, WarningKind.INVALID]
    assert rep.results[0].suppression is not None


# --------------------------------------------------------------------------- whole-file errors


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("version: 1\nsuppressions: [\n", ":3:1: not valid YAML"),
        ("", "is empty"),
        ("- rule: x\n", ":1:1: expected a mapping"),
        ("version: 1\nsupressions: []\n", ":2:1: unknown key 'supressions'"),
        ("suppressions: []\n", "missing 'version: 1'"),
        ("version: 2\nsuppressions: []\n", ":1:10: unsupported version 2"),
        ("version: 1\nsuppressions:\n  rule: x\n", ":3:3: 'suppressions' must be a list"),
        ("version: 1\nversion: 1\n", "'version' is given twice"),
        ("version: 1\nsuppressions: !!python/object:os.system []\n", "not valid YAML"),
    ],
    ids=[
        "syntax",
        "empty",
        "list at top",
        "typo key",
        "no version",
        "version 2",
        "not a list",
        "dup",
        "unsafe tag",
    ],
)
def test_malformed_file_is_a_config_error(tmp_path: Path, body: str, expected: str) -> None:
    with pytest.raises(ConfigError) as exc:
        load_suppressions(write(tmp_path, body))
    assert expected in str(exc.value)
    assert ExitCode(exc.value.exit_code) is ExitCode.USAGE


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_suppressions(tmp_path / "absent.yaml")


def test_empty_list_and_null_list_are_valid(tmp_path: Path) -> None:
    assert load_suppressions(write(tmp_path, "version: 1\nsuppressions:\n")).entries == ()
    assert load_suppressions(write(tmp_path, "version: 1\n")).entries == ()


# --------------------------------------------------------------------------- example and schema


def test_shipped_example_loads_cleanly_and_validates_against_schema() -> None:
    supp = load_suppressions(EXAMPLE)
    assert len(supp.entries) == 3 and supp.warnings == ()
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data = json.loads(json.dumps(data, default=str))  # YAML dates -> ISO strings, as in JSON
    jsonschema.validate(data, schema, format_checker=jsonschema.FormatChecker())


def test_schema_rejects_entry_without_owner() -> None:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    doc = {
        "version": 1,
        "suppressions": [{"rule": "*", "resource": "*", "justification": "x", "expires": "2026-01-01"}],
    }
    with pytest.raises(jsonschema.ValidationError, match="owner"):
        jsonschema.validate(doc, schema)


def test_checked_in_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text(encoding="utf-8") == render_suppressions_schema(), (
        "run: python -c 'from scanner.suppressions import write_suppressions_schema as w; w()'"
    )
