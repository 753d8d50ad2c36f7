"""AHDS-CRED-001..012: app registration secrets and certificates, Key Vault secrets and keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import pytest
from pydantic import ValidationError

from rules import credentials
from rules._fhir_roles import FHIR_DATA_READER, OWNER
from scanner.inventory import AppCredential, CollectionError, KeyVault, Snapshot
from scanner.rule import Rule, Severity, Status
from tests.factories import NOW, arm_id, snapshot
from tests.rules._builders_access import (
    app,
    assignment,
    credential,
    days,
    legacy_fhir,
    rg_scope,
    run,
    sp_of,
    statuses,
    vault_item,
)

Kind = Literal["password", "certificate"]

# (rule, credential kind): each app-credential rule runs the same scenarios for its kind.
EXPIRED = [
    pytest.param(credentials.app_client_secrets_not_expired, "password", id="AHDS-CRED-001"),
    pytest.param(credentials.app_certificates_not_expired, "certificate", id="AHDS-CRED-004"),
]
EXPIRING = [
    pytest.param(credentials.app_client_secrets_not_expiring_soon, "password", id="AHDS-CRED-002"),
    pytest.param(credentials.app_certificates_not_expiring_soon, "certificate", id="AHDS-CRED-005"),
]
LIFETIME = [
    pytest.param(credentials.app_client_secrets_have_bounded_lifetime, "password", id="AHDS-CRED-003"),
    pytest.param(credentials.app_certificates_have_bounded_lifetime, "certificate", id="AHDS-CRED-006"),
]
ALL_APP_RULES = EXPIRED + EXPIRING + LIFETIME


def fhir_app(kind: Kind, *creds: AppCredential, name: str = "fhir-client") -> Snapshot:
    """A snapshot with one app that requests Azure Healthcare APIs permissions and holds ``creds``."""
    creds = tuple(c.model_copy(update={"kind": kind}) for c in creds)
    a = app(
        name,
        secrets=creds if kind == "password" else (),
        certs=creds if kind == "certificate" else (),
        requests_fhir=True,
    )
    return snapshot(applications=[a])


def ending(delta: timedelta, key: str = "k1", **kw: Any) -> AppCredential:
    """A credential ending ``delta`` after NOW."""
    return credential(key, end=NOW + delta, **kw)


def test_rule_ids_are_the_catalogue_ones() -> None:
    ids = [p.values[0].id for p in ALL_APP_RULES]
    assert ids == [p.id for p in ALL_APP_RULES]
    assert credentials.key_vault_secrets_have_expiry.id == "AHDS-CRED-007"
    assert credentials.key_vault_secrets_not_expired.id == "AHDS-CRED-008"
    assert credentials.key_vault_secrets_not_expiring_soon.id == "AHDS-CRED-009"
    assert credentials.key_vault_keys_have_expiry.id == "AHDS-CRED-010"
    assert credentials.key_vault_keys_not_expired.id == "AHDS-CRED-011"
    assert credentials.key_vault_keys_not_expiring_soon.id == "AHDS-CRED-012"


# --- shared app scenarios -------------------------------------------------------------------------


@pytest.mark.parametrize(("rule_", "kind"), ALL_APP_RULES)
def test_empty_inventory_yields_nothing(rule_: Rule[Any], kind: Kind) -> None:
    assert run(rule_, snapshot()) == []


@pytest.mark.parametrize(("rule_", "kind"), ALL_APP_RULES)
def test_app_without_credentials_of_the_kind_yields_nothing(rule_: Rule[Any], kind: Kind) -> None:
    other: Kind = "certificate" if kind == "password" else "password"
    assert run(rule_, fhir_app(other, ending(days(3)))) == []


@pytest.mark.parametrize(("rule_", "kind"), ALL_APP_RULES)
def test_only_fhir_relevant_apps_by_default_and_all_when_asked(rule_: Rule[Any], kind: Kind) -> None:
    cred = ending(days(3), start=NOW - days(800)).model_copy(update={"kind": kind})
    field = "password_credentials" if kind == "password" else "key_credentials"
    plain = app("payroll").model_copy(update={field: [cred]})
    via_role = app("ingest").model_copy(update={field: [cred]})
    via_policy = app("legacy-client").model_copy(update={field: [cred]})
    inv = snapshot(
        applications=[plain, via_role, via_policy],
        service_principals=[sp_of(plain), sp_of(via_role), sp_of(via_policy)],
        legacy_fhir_services=[legacy_fhir(policies=[sp_of(via_policy).id.upper()])],
        role_assignments=[
            assignment("r1", scope=rg_scope(), role=FHIR_DATA_READER, principal=sp_of(via_role).id),
            assignment("r2", scope=rg_scope(), role=OWNER, principal=sp_of(plain).id),
        ],
    )
    default = run(rule_, inv)
    assert [r.resource_id for r in default] == ["application/obj-ingest", "application/obj-legacy-client"]
    assert default[0].evidence["fhirRelevance"] == "its service principal holds a FHIR data role"
    assert "access policy" in str(default[1].evidence["fhirRelevance"])
    widened = run(rule_, inv, scope="all")
    assert [r.resource_id for r in widened] == [
        "application/obj-payroll",
        "application/obj-ingest",
        "application/obj-legacy-client",
    ]


@pytest.mark.parametrize(("rule_", "kind"), ALL_APP_RULES)
def test_scope_setting_rejects_unknown_values(rule_: Rule[Any], kind: Kind) -> None:
    with pytest.raises(ValidationError):
        rule_.settings_model(scope="everything")


# --- AHDS-CRED-001 / AHDS-CRED-004: expired -------------------------------------------------------


@pytest.mark.parametrize(("rule_", "kind"), EXPIRED)
def test_expired_fails_and_valid_passes(rule_: Rule[Any], kind: Kind) -> None:
    inv = fhir_app(kind, ending(-days(10), "old", name="rotated"), ending(days(100), "new"))
    old, new = run(rule_, inv)
    assert (old.status, new.status) == (Status.FAIL, Status.PASS)
    assert old.sub_id == "old" and new.sub_id == "new"
    assert old.resource_id == "application/obj-fhir-client"
    assert old.resource_type == "Microsoft.Graph/application"
    assert old.evidence["endDateTime"] == "2026-06-05T12:00:00Z"
    assert old.evidence["daysRemaining"] == -10
    assert "fhir-client" in old.message and "rotated" in old.message and "10 day(s) ago" in old.message


@pytest.mark.parametrize(("rule_", "kind"), EXPIRED)
def test_expiry_exactly_now_is_expired(rule_: Rule[Any], kind: Kind) -> None:
    [result] = run(rule_, fhir_app(kind, ending(timedelta(0))))
    assert result.status is Status.FAIL


@pytest.mark.parametrize(("rule_", "kind"), EXPIRED)
def test_no_end_date_passes_as_never_expiring(rule_: Rule[Any], kind: Kind) -> None:
    [result] = run(rule_, fhir_app(kind, credential("k1", end=None)))
    assert result.status is Status.PASS
    assert result.evidence["endDateTime"] == "(not set: never expires)"


@pytest.mark.parametrize(("rule_", "kind"), EXPIRED)
def test_offsets_compare_in_utc(rule_: Rule[Any], kind: Kind) -> None:
    plus2 = timezone(timedelta(hours=2))
    # 13:00+02:00 is 11:00Z, an hour before NOW (12:00Z): expired although 13 > 12 on the wall clock
    early = credential("early", end=datetime(2026, 6, 15, 13, 0, tzinfo=plus2))
    # a naive timestamp is UTC: 12:30 is after NOW
    naive = credential("naive", end=datetime(2026, 6, 15, 12, 30))
    results = run(rule_, fhir_app(kind, early, naive))
    assert statuses(results) == ["fail", "pass"]
    assert results[0].evidence["endDateTime"] == "2026-06-15T11:00:00Z"


# --- AHDS-CRED-002 / AHDS-CRED-005: expiring within the window ------------------------------------


@pytest.mark.parametrize(("rule_", "kind"), EXPIRING)
@pytest.mark.parametrize(
    ("delta", "status", "severity"),
    [
        (days(31), Status.PASS, None),
        (days(30) + timedelta(hours=23), Status.FAIL, None),  # 30 whole days left
        (days(30), Status.FAIL, None),  # the threshold day fails
        (days(8), Status.FAIL, None),
        (days(7) + timedelta(hours=1), Status.FAIL, Severity.HIGH),
        (timedelta(minutes=1), Status.FAIL, Severity.HIGH),
    ],
)
def test_warning_window_boundaries_and_escalation(
    rule_: Rule[Any], kind: Kind, delta: timedelta, status: Status, severity: Severity | None
) -> None:
    [result] = run(rule_, fhir_app(kind, ending(delta)))
    assert result.status is status
    assert result.severity is severity
    assert result.evidence["daysRemaining"] == delta // days(1)


@pytest.mark.parametrize(("rule_", "kind"), EXPIRING)
def test_expired_and_never_expiring_credentials(rule_: Rule[Any], kind: Kind) -> None:
    results = run(rule_, fhir_app(kind, ending(-days(1), "gone"), credential("forever", end=None)))
    assert [(r.sub_id, r.status) for r in results] == [("forever", Status.PASS)]
    assert results[0].evidence["endDateTime"] == "(not set: never expires)"


@pytest.mark.parametrize(("rule_", "kind"), EXPIRING)
def test_settings_boundary_values(rule_: Rule[Any], kind: Kind) -> None:
    inv = fhir_app(kind, ending(timedelta(hours=12), "today"), ending(days(1), "tomorrow"))
    results = run(rule_, inv, warn_days=0, critical_days=0)
    assert [(r.sub_id, r.status, r.severity) for r in results] == [
        ("today", Status.FAIL, Severity.HIGH),
        ("tomorrow", Status.PASS, None),
    ]
    wide = run(rule_, inv, warn_days=365, critical_days=0)
    assert [(r.status, r.severity) for r in wide] == [(Status.FAIL, Severity.HIGH), (Status.FAIL, None)]


@pytest.mark.parametrize(("rule_", "kind"), EXPIRING)
@pytest.mark.parametrize(
    "bad", [{"warn_days": -1}, {"critical_days": -1}, {"warn_days": 5, "critical_days": 6}]
)
def test_invalid_windows_are_refused(rule_: Rule[Any], kind: Kind, bad: dict[str, int]) -> None:
    with pytest.raises(ValidationError):
        rule_.settings_model(**bad)


@pytest.mark.parametrize(("rule_", "kind"), EXPIRING)
def test_offset_expiry_is_counted_in_utc(rule_: Rule[Any], kind: Kind) -> None:
    minus5 = timezone(timedelta(hours=-5))
    # 2026-07-15T02:00-05:00 is 07:00Z: 29 days 19 hours after NOW, so 29 whole days
    [result] = run(rule_, fhir_app(kind, credential("k", end=datetime(2026, 7, 15, 2, 0, tzinfo=minus5))))
    assert result.status is Status.FAIL
    assert result.evidence["daysRemaining"] == 29


# --- AHDS-CRED-003 / AHDS-CRED-006: lifetime ------------------------------------------------------


@pytest.mark.parametrize(("rule_", "kind"), LIFETIME)
@pytest.mark.parametrize(
    ("lifetime", "status"),
    [
        (days(180), Status.PASS),
        (days(365), Status.PASS),
        (
            days(365) + timedelta(seconds=30),
            Status.PASS,
        ),  # whole days: Graph's few seconds of skew do not count
        (days(366), Status.FAIL),
        (days(730), Status.FAIL),
    ],
)
def test_lifetime_limit(rule_: Rule[Any], kind: Kind, lifetime: timedelta, status: Status) -> None:
    start = NOW - days(30)
    [result] = run(rule_, fhir_app(kind, credential("k", start=start, end=start + lifetime)))
    assert result.status is status
    assert result.evidence["lifetimeDays"] == lifetime // days(1)
    assert result.evidence["maxLifetimeDays"] == 365


@pytest.mark.parametrize(("rule_", "kind"), LIFETIME)
def test_no_end_date_is_an_unbounded_lifetime(rule_: Rule[Any], kind: Kind) -> None:
    [result] = run(rule_, fhir_app(kind, credential("k", end=None)))
    assert result.status is Status.FAIL
    assert result.evidence["endDateTime"] == "(not set: never expires)"
    assert "unbounded" in result.message


@pytest.mark.parametrize(("rule_", "kind"), LIFETIME)
def test_missing_start_date_is_an_error(rule_: Rule[Any], kind: Kind) -> None:
    cred = credential("k", end=NOW + days(10)).model_copy(update={"start_date_time": None})
    [result] = run(rule_, fhir_app(kind, cred))
    assert result.status is Status.ERROR
    assert "startDateTime" in result.message


@pytest.mark.parametrize(("rule_", "kind"), LIFETIME)
def test_lifetime_setting_boundary(rule_: Rule[Any], kind: Kind) -> None:
    start = NOW - days(10)
    inv = fhir_app(
        kind,
        credential("a", start=start, end=start + days(90)),
        credential("b", start=start, end=start + days(91)),
    )
    assert statuses(run(rule_, inv, max_lifetime_days=90)) == ["pass", "fail"]
    with pytest.raises(ValidationError):
        rule_.settings_model(max_lifetime_days=0)


@pytest.mark.parametrize(("rule_", "kind"), LIFETIME)
def test_lifetime_across_offsets(rule_: Rule[Any], kind: Kind) -> None:
    # 2026-01-01T00:00+10:00 -> 2027-01-01T20:00Z reads as 365 days 20 hours on the wall clock but is
    # 366 days 6 hours in UTC (the start is 2025-12-31T14:00Z): over the 365-day limit
    start = datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=10)))
    end = datetime(2027, 1, 1, 20, 0, tzinfo=UTC)
    [result] = run(rule_, fhir_app(kind, credential("k", start=start, end=end)))
    assert result.evidence["lifetimeDays"] == 366
    assert result.evidence["startDateTime"] == "2025-12-31T14:00:00Z"
    assert result.status is Status.FAIL


# --- Key Vault secrets and keys -------------------------------------------------------------------

NO_EXPIRY = [
    pytest.param(credentials.key_vault_secrets_have_expiry, "secret", id="AHDS-CRED-007"),
    pytest.param(credentials.key_vault_keys_have_expiry, "key", id="AHDS-CRED-010"),
]
KV_EXPIRED = [
    pytest.param(credentials.key_vault_secrets_not_expired, "secret", id="AHDS-CRED-008"),
    pytest.param(credentials.key_vault_keys_not_expired, "key", id="AHDS-CRED-011"),
]
KV_EXPIRING = [
    pytest.param(credentials.key_vault_secrets_not_expiring_soon, "secret", id="AHDS-CRED-009"),
    pytest.param(credentials.key_vault_keys_not_expiring_soon, "key", id="AHDS-CRED-012"),
]
ALL_KV = NO_EXPIRY + KV_EXPIRED + KV_EXPIRING
VaultKind = Literal["secret", "key"]


def other(kind: VaultKind) -> VaultKind:
    return "key" if kind == "secret" else "secret"


@pytest.mark.parametrize(("rule_", "kind"), ALL_KV)
def test_vault_rules_yield_nothing_for_an_empty_inventory(rule_: Rule[Any], kind: VaultKind) -> None:
    assert run(rule_, snapshot()) == []


@pytest.mark.parametrize(("rule_", "kind"), ALL_KV)
def test_vault_rules_examine_only_their_kind(rule_: Rule[Any], kind: VaultKind) -> None:
    assert run(rule_, snapshot(vault_items=[vault_item("x", other(kind), expires=None)])) == []


@pytest.mark.parametrize(("rule_", "kind"), ALL_KV)
def test_unlisted_vault_is_an_error(rule_: Rule[Any], kind: VaultKind) -> None:
    vault_id = arm_id("Microsoft.KeyVault/vaults", "kv1")
    vault = KeyVault(id=vault_id, name="kv1", type="Microsoft.KeyVault/vaults")
    errors = [
        CollectionError(
            scope=vault_id.lower(), operation=f"{kind}s.list", status=403, code="Forbidden", message="denied"
        ),
        CollectionError(scope=vault_id, operation=f"{other(kind)}s.list", status=500, message="other kind"),
    ]
    [result] = run(rule_, snapshot(key_vaults=[vault], errors=errors))
    assert result.status is Status.ERROR
    assert result.resource_id == vault_id
    assert "403 Forbidden" in result.message and "denied" in result.message


@pytest.mark.parametrize(("rule_", "kind"), NO_EXPIRY)
def test_items_without_expiry_fail_even_when_disabled(rule_: Rule[Any], kind: VaultKind) -> None:
    items = [
        vault_item("none", kind, expires=None),
        vault_item("off", kind, expires=None, enabled=False),
        vault_item("dated", kind, expires=NOW + days(90)),
    ]
    results = run(rule_, snapshot(vault_items=items))
    assert statuses(results) == ["fail", "fail", "pass"]
    assert results[0].evidence["expires"] == "(not set: never expires)"
    assert results[0].resource_type == f"Microsoft.KeyVault/vaults/{kind}s"
    assert results[0].resource_id.endswith(f"/vaults/kv1/{kind}s/none")
    assert "'none'" in results[0].message and "'kv1'" in results[0].message


@pytest.mark.parametrize(("rule_", "kind"), KV_EXPIRED)
def test_enabled_expired_items_fail(rule_: Rule[Any], kind: VaultKind) -> None:
    items = [
        vault_item("expired", kind, expires=NOW - days(3)),
        vault_item("now", kind, expires=NOW),
        vault_item("default-enabled", kind, expires=NOW - days(1), enabled=None),
        vault_item("retired", kind, expires=NOW - days(3), enabled=False),
        vault_item("valid", kind, expires=NOW + days(1)),
        vault_item("forever", kind, expires=None),
    ]
    results = run(rule_, snapshot(vault_items=items))
    assert statuses(results) == ["fail", "fail", "fail", "pass", "pass", "pass"]
    assert results[2].evidence["enabled"] == "(not set: enabled)"
    assert results[3].evidence["enabled"] is False
    assert results[5].evidence["expires"] == "(not set: never expires)"


@pytest.mark.parametrize(("rule_", "kind"), KV_EXPIRING)
def test_vault_expiry_window(rule_: Rule[Any], kind: VaultKind) -> None:
    items = [
        vault_item("later", kind, expires=NOW + days(31)),
        vault_item("threshold", kind, expires=NOW + days(30)),
        vault_item("soon", kind, expires=NOW + days(3)),
        vault_item("expired", kind, expires=NOW - days(1)),
        vault_item("off-future", kind, expires=NOW + days(3), enabled=False),
        vault_item("off-expired", kind, expires=NOW - days(3), enabled=False),
        vault_item("forever", kind, expires=None),
    ]
    results = run(rule_, snapshot(vault_items=items))
    assert [(r.resource_id.rsplit("/", 1)[-1], r.status.value, r.severity) for r in results] == [
        ("later", "pass", None),
        ("threshold", "fail", None),
        ("soon", "fail", Severity.HIGH),
        ("off-future", "pass", None),
        ("forever", "pass", None),
    ]


@pytest.mark.parametrize(("rule_", "kind"), KV_EXPIRING)
def test_vault_window_settings(rule_: Rule[Any], kind: VaultKind) -> None:
    plus9 = timezone(timedelta(hours=9))
    # 2026-06-25T20:00+09:00 is 11:00Z on the 25th: 9 days 23 hours after NOW
    item = vault_item("k", kind, expires=datetime(2026, 6, 25, 20, 0, tzinfo=plus9))
    inv = snapshot(vault_items=[item])
    [default] = run(rule_, inv)
    assert (default.status, default.severity, default.evidence["daysRemaining"]) == (Status.FAIL, None, 9)
    [narrow] = run(rule_, inv, warn_days=8, critical_days=2)
    assert narrow.status is Status.PASS
    [critical] = run(rule_, inv, warn_days=9, critical_days=9)
    assert critical.severity is Severity.HIGH
    with pytest.raises(ValidationError):
        rule_.settings_model(warn_days=3, critical_days=4)
    with pytest.raises(ValidationError):
        rule_.settings_model(scope="all")  # vault rules have no app scope
