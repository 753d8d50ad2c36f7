"""Collecting an emulated tenant yields exactly the tenant file's content, normalised.

Runs against the bundled demo tenant (read-only, shared session emulator) and
the small test tenant; every expectation is read from the tenant file itself.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from scanner.emulator import Emulator
from scanner.inventory import Snapshot, normalize_id
from tests.collect._expect import Expected, expected
from tests.collect.conftest import run_collect

_LISTS = {
    "microsoft.healthcareapis/workspaces": "workspaces",
    "microsoft.healthcareapis/workspaces/fhirservices": "fhir_services",
    "microsoft.healthcareapis/services": "legacy_fhir_services",
    "microsoft.keyvault/vaults": "key_vaults",
    "microsoft.network/privateendpoints": "private_endpoints",
    "microsoft.network/applicationgateways": "application_gateways",
    "microsoft.apimanagement/service": "apim_services",
    "microsoft.storage/storageaccounts": "storage_accounts",
}


def _by_id(models: list[Any]) -> dict[str, Any]:
    return {normalize_id(m.id): m for m in models}


def _props(raw: dict[str, Any]) -> dict[str, Any]:
    return raw.get("properties") or {}


def _pe_statuses(props: dict[str, Any]) -> list[str | None]:
    return [
        (c.get("properties") or {}).get("privateLinkServiceConnectionState", {}).get("status")
        for c in props.get("privateEndpointConnections") or []
    ]


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


@pytest.fixture(params=["demo", "small"], scope="module")
async def collected(request: pytest.FixtureRequest) -> tuple[Emulator, Snapshot, Expected]:
    """One collection per tenant, shared by this module's read-only assertions."""
    emu: Emulator = request.getfixturevalue("emulator" if request.param == "demo" else "small_emulator")
    snapshot = await run_collect(emu)
    return emu, snapshot, expected(emu.tenant)


async def test_every_resource_in_the_tenant_is_collected_and_nothing_else(collected: Any) -> None:
    _, snap, exp = collected
    for resource_type, field in _LISTS.items():
        assert set(_by_id(getattr(snap, field))) == set(exp.of_type(resource_type)), resource_type
    items = set(exp.of_type("microsoft.keyvault/vaults/secrets")) | set(
        exp.of_type("microsoft.keyvault/vaults/keys")
    )
    assert set(_by_id(snap.vault_items)) == items
    assert snap.errors == []
    assert all(s.complete for s in snap.subscriptions)
    assert len(snap.subscriptions) == len(collected[0].tenant.subscriptions)


async def test_fhir_and_workspace_properties_match(collected: Any) -> None:
    _, snap, exp = collected
    services = _by_id(snap.fhir_services)
    for rid, raw in exp.of_type("microsoft.healthcareapis/workspaces/fhirservices").items():
        props, got = _props(raw), services[rid]
        cmk = ((props.get("encryption") or {}).get("customerManagedKeyEncryption") or {}).get(
            "keyEncryptionKeyUrl"
        )
        assert got.cmk_key_url == cmk
        assert got.public_network_access == props.get("publicNetworkAccess")
        assert [c.status for c in got.private_endpoint_connections] == _pe_statuses(props)
        assert got.name == rid.rsplit("/", 1)[-1]
        assert normalize_id(got.workspace_id) == rid.rsplit("/fhirservices/", 1)[0]
    workspaces = _by_id(snap.workspaces)
    for rid, raw in exp.of_type("microsoft.healthcareapis/workspaces").items():
        assert workspaces[rid].public_network_access == _props(raw).get("publicNetworkAccess")
        assert [c.status for c in workspaces[rid].private_endpoint_connections] == _pe_statuses(_props(raw))
    legacy = _by_id(snap.legacy_fhir_services)
    for rid, raw in exp.of_type("microsoft.healthcareapis/services").items():
        props = _props(raw)
        assert legacy[rid].cosmos_key_vault_key_uri == (props.get("cosmosDbConfiguration") or {}).get(
            "keyVaultKeyUri"
        )
        assert legacy[rid].public_network_access == props.get("publicNetworkAccess")
        assert [c.status for c in legacy[rid].private_endpoint_connections] == _pe_statuses(props)


async def test_key_vaults_and_item_dates_match(collected: Any) -> None:
    _, snap, exp = collected
    vaults = _by_id(snap.key_vaults)
    for rid, raw in exp.of_type("microsoft.keyvault/vaults").items():
        props = _props(raw)
        assert vaults[rid].enable_purge_protection == props.get("enablePurgeProtection")
        assert vaults[rid].public_network_access == props.get("publicNetworkAccess")
        assert vaults[rid].network_default_action == (props.get("networkAcls") or {}).get("defaultAction")
    got = _by_id(snap.vault_items)
    for kind in ("secrets", "keys"):
        for rid, raw in exp.of_type(f"microsoft.keyvault/vaults/{kind}").items():
            attributes = _props(raw).get("attributes") or {}
            item = got[rid]
            assert item.kind == kind[:-1]
            assert item.enabled == attributes.get("enabled")
            exp_at = attributes.get("exp")
            assert item.expires == (datetime.fromtimestamp(exp_at, tz=UTC) if exp_at is not None else None)
            nbf = attributes.get("nbf")
            assert item.not_before == (datetime.fromtimestamp(nbf, tz=UTC) if nbf is not None else None)
            assert item.expires is None or item.expires.tzinfo is not None


async def test_network_tls_and_storage_properties_match(collected: Any) -> None:
    _, snap, exp = collected
    accounts = _by_id(snap.storage_accounts)
    for rid, raw in exp.of_type("microsoft.storage/storageaccounts").items():
        props = _props(raw)
        assert accounts[rid].minimum_tls_version == props.get("minimumTlsVersion")
        assert accounts[rid].https_only == props.get("supportsHttpsTrafficOnly")
        assert accounts[rid].allow_blob_public_access == props.get("allowBlobPublicAccess")
    gateways = _by_id(snap.application_gateways)
    for rid, raw in exp.of_type("microsoft.network/applicationgateways").items():
        policy = _props(raw).get("sslPolicy")
        got = gateways[rid].ssl_policy
        assert (got is None) == (policy is None)
        if policy is not None:
            assert got.policy_name == policy.get("policyName")
            assert got.min_protocol_version == policy.get("minProtocolVersion")
            assert got.disabled_ssl_protocols == (policy.get("disabledSslProtocols") or [])
    apims = _by_id(snap.apim_services)
    for rid, raw in exp.of_type("microsoft.apimanagement/service").items():
        custom = _props(raw).get("customProperties") or {}
        assert apims[rid].custom_properties == {k: str(v) for k, v in custom.items()}
    endpoints = _by_id(snap.private_endpoints)
    for rid, raw in exp.of_type("microsoft.network/privateendpoints").items():
        props = _props(raw)
        targets = [
            (c.get("properties") or {}).get("privateLinkServiceId")
            for key in ("privateLinkServiceConnections", "manualPrivateLinkServiceConnections")
            for c in props.get(key) or []
        ]
        assert [c.target_id for c in endpoints[rid].connections] == targets


async def test_graph_applications_and_credentials_match(collected: Any) -> None:
    emu, snap, _ = collected
    graph = emu.tenant.graph
    assert {a.id for a in snap.applications} == {a["id"] for a in graph.applications}
    assert {s.id for s in snap.service_principals} == {s["id"] for s in graph.service_principals}
    apps = {a.id: a for a in snap.applications}
    for raw in graph.applications:
        got = apps[raw["id"]]
        assert got.app_id == raw["appId"]
        want = {c["keyId"]: _iso(c.get("endDateTime")) for c in raw.get("passwordCredentials") or []}
        assert {c.key_id: c.end_date_time for c in got.password_credentials} == want
        want = {c["keyId"]: _iso(c.get("endDateTime")) for c in raw.get("keyCredentials") or []}
        assert {c.key_id: c.end_date_time for c in got.key_credentials} == want


async def test_role_assignments_including_management_group_ones(collected: Any) -> None:
    _, snap, exp = collected
    got = {
        (
            normalize_id(a.scope) or "/",
            a.principal_id.lower(),
            a.role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower(),
        )
        for a in snap.role_assignments
    }
    assert got == exp.role_assignments
    assert len({normalize_id(a.id) for a in snap.role_assignments}) == len(snap.role_assignments)
    names = [d.name.lower() for d in snap.role_definitions]
    assert len(names) == len(set(names)), "role definitions repeat per subscription"
    assert exp.custom_role_guids <= set(names)
    assigned_roles = {r for _, _, r in exp.role_assignments}
    assert assigned_roles <= set(names), "every assigned role's definition is collected"
    for sub in snap.subscriptions:
        mgs = {m.rsplit("/", 1)[-1].lower() for m in sub.management_group_ids}
        assert mgs == exp.management_groups.get(sub.subscription_id.lower(), set())


async def test_assignment_principals_resolved_or_reported_deleted(collected: Any) -> None:
    emu, snap, _ = collected
    graph = emu.tenant.graph
    directory: dict[str, tuple[str, dict[str, Any]]] = {}
    for kind, objects in (
        ("user", graph.users),
        ("group", graph.groups),
        ("servicePrincipal", graph.service_principals),
    ):
        directory.update((o["id"].lower(), (kind, o)) for o in objects)
    asked = {a.principal_id.lower() for a in snap.role_assignments}
    resolved = {p.id.lower(): p for p in snap.principals}
    assert snap.principals_resolved is True
    assert set(resolved) == asked & set(directory)
    assert {u.lower() for u in snap.unresolved_principal_ids} == asked - set(directory)
    for pid, principal in resolved.items():
        kind, raw = directory[pid]
        assert principal.object_type == kind
        if kind == "user":
            assert principal.user_type == raw.get("userType")
            assert principal.user_principal_name == raw.get("userPrincipalName")
