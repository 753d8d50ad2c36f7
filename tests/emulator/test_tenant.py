"""The tenant file: relative dates, validation errors, and what the bundled demo guarantees."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from scanner.emulator import load_tenant, resolve_relative_dates
from scanner.emulator.store import ArmStore
from scanner.errors import ConfigError

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def test_relative_dates_resolve_against_the_injected_now() -> None:
    data = {"a": "@now+20d", "b": ["@now-400d", {"c": "@epoch:now+90d"}], "d": "@now", "e": "@now+1d-12h"}
    assert resolve_relative_dates(data, NOW) == {
        "a": "2025-03-21T12:00:00Z",
        "b": ["2024-01-26T12:00:00Z", {"c": int(datetime(2025, 5, 30, 12, tzinfo=UTC).timestamp())}],
        "d": "2025-03-01T12:00:00Z",
        "e": "2025-03-02T00:00:00Z",
    }


def test_strings_that_only_contain_a_token_are_left_alone() -> None:
    values = ["ops@now.example", "see @now+1d later", "@nowhere", "@now+5x"]
    assert resolve_relative_dates(values, NOW) == values


def test_bundled_demo_dates_are_relative_to_load_time() -> None:
    tenant = load_tenant(now=NOW)
    portal = next(a for a in tenant.graph.applications if a["displayName"] == "Clinical Portal")
    assert portal["passwordCredentials"][0]["endDateTime"] == "2025-03-04T12:00:00Z"
    assert tenant.loaded_at == NOW


def test_invalid_tenant_file_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("tenant_id: x\ndisplay_name: y\nclients: []\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"t\.yaml.*clients"):
        load_tenant(path)
    path.write_text("tenant_id: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"t\.yaml:\d+:\d+"):
        load_tenant(path)


def test_resource_outside_its_subscription_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "tenant_id: t\ndisplay_name: T\nclients: [{client_id: c, client_secret: s}]\n"
        "subscriptions:\n- subscription_id: s1\n  display_name: one\n  resources:\n"
        "  - id: /subscriptions/s2/resourceGroups/rg/providers/Microsoft.KeyVault/vaults/kv\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="not in subscription"):
        ArmStore.build(load_tenant(path))


def _services(store: ArmStore) -> list[dict]:
    return [
        r
        for r in store.resources.values()
        if r["type"]
        in ("Microsoft.HealthcareApis/workspaces/fhirservices", "Microsoft.HealthcareApis/services")
    ]


def test_demo_has_a_pass_and_a_fail_for_network_and_encryption() -> None:
    store = ArmStore.build(load_tenant())
    services = _services(store)
    access = {s["properties"].get("publicNetworkAccess") for s in services}
    assert access == {"Enabled", "Disabled"}
    cmk = [
        bool(
            s["properties"].get("encryption", {}).get("customerManagedKeyEncryption")
            or s["properties"].get("cosmosDbConfiguration", {}).get("keyVaultKeyUri")
        )
        for s in services
    ]
    assert True in cmk and False in cmk
    origins = [s["properties"]["corsConfiguration"]["origins"] for s in services]
    assert ["*"] in origins and any(o and "*" not in o for o in origins)
    statuses = {
        c["properties"]["privateLinkServiceConnectionState"]["status"]
        for s in services
        for c in s["properties"]["privateEndpointConnections"]
    }
    assert {"Approved", "Pending"} <= statuses
    vaults = [r for r in store.resources.values() if r["type"] == "Microsoft.KeyVault/vaults"]
    assert {v["properties"].get("enablePurgeProtection") for v in vaults} == {True, None}
    assert {v["properties"]["networkAcls"]["defaultAction"] for v in vaults} == {"Allow", "Deny"}


def test_demo_has_a_pass_and_a_fail_for_tls() -> None:
    store = ArmStore.build(load_tenant())
    gateways = [
        r["properties"].get("sslPolicy")
        for r in store.resources.values()
        if r["type"] == "Microsoft.Network/applicationGateways"
    ]
    assert None in gateways
    assert {g.get("policyName") or g.get("minProtocolVersion") for g in gateways if g} == {
        "AppGwSslPolicy20150501",
        "AppGwSslPolicy20220101",
        "TLSv1_0",
    }
    accounts = [
        r["properties"] for r in store.resources.values() if r["type"] == "Microsoft.Storage/storageAccounts"
    ]
    assert {a["minimumTlsVersion"] for a in accounts} >= {"TLS1_0", "TLS1_2"}
    assert {a["supportsHttpsTrafficOnly"] for a in accounts} == {True, False}
    apims = [
        r["properties"]["customProperties"]
        for r in store.resources.values()
        if r["type"] == "Microsoft.ApiManagement/service"
    ]
    assert {frozenset(c.values()) for c in apims} >= {frozenset({"True"}), frozenset({"False", "True"})}


def test_demo_credentials_cover_expired_expiring_healthy_and_no_expiry() -> None:
    tenant = load_tenant(now=NOW)
    ends = [p["endDateTime"] for a in tenant.graph.applications for p in a["passwordCredentials"]]
    now_iso = "2025-03-01T12:00:00Z"
    assert None in ends
    assert any(e and e < now_iso for e in ends)
    assert "2025-03-04T12:00:00Z" in ends and "2025-09-17T12:00:00Z" in ends
    store = ArmStore.build(tenant)
    keys = [
        r["properties"]["attributes"]
        for r in store.resources.values()
        if r["type"] == "Microsoft.KeyVault/vaults/keys"
    ]
    assert any(not k["enabled"] for k in keys)
    assert any("exp" not in k for k in keys)
    assert any(k.get("exp", 1 << 40) < NOW.timestamp() for k in keys)


def test_demo_rbac_scopes_and_principals() -> None:
    tenant = load_tenant()
    store = ArmStore.build(tenant)
    scopes = [a["properties"]["scope"] for a, _ in store.role_assignments]
    assert any(s.startswith("/providers/Microsoft.Management/managementGroups/") for s in scopes)
    assert any("/resourcegroups/" in s for s in scopes), "mixed-case scopes are part of the demo"
    known = {o["id"] for o in tenant.graph.users + tenant.graph.service_principals + tenant.graph.groups}
    assert any(a["properties"]["principalId"] not in known for a, _ in store.role_assignments)
    assert any(u.get("userType") == "Guest" for u in tenant.graph.users)
