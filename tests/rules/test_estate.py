"""rules._estate: key URL parsing, CMK vault and key lookups, storage by name, private endpoint approval."""

from __future__ import annotations

import pytest

from rules._estate import (
    PrivateLinkIndex,
    VaultIndex,
    cmk_uses,
    is_approved,
    parse_key_url,
    storage_by_name,
    storage_uses,
    vault_host,
)
from scanner.inventory import CollectionError, PrivateEndpointConnection
from tests.factories import SUB2, snapshot
from tests.rules._builders_infra import conn, endpoint, fhir, key, legacy, storage, vault, workspace


@pytest.mark.parametrize(
    ("url", "host", "name", "version"),
    [
        ("https://kv1.vault.azure.net/keys/cmk", "kv1.vault.azure.net", "cmk", None),
        ("https://kv1.vault.azure.net/keys/cmk/", "kv1.vault.azure.net", "cmk", None),
        ("https://KV1.Vault.Azure.NET/keys/CMK/0123abcd", "kv1.vault.azure.net", "CMK", "0123abcd"),
        ("https://kv1.vault.azure.net:443/keys/cmk/v1", "kv1.vault.azure.net", "cmk", "v1"),
        ("https://kv1.vault.usgovcloudapi.net/keys/cmk", "kv1.vault.usgovcloudapi.net", "cmk", None),
        ("  https://hsm1.managedhsm.azure.net/keys/cmk  ", "hsm1.managedhsm.azure.net", "cmk", None),
    ],
)
def test_parse_key_url_accepts_versioned_and_versionless_urls(
    url: str, host: str, name: str, version: str | None
) -> None:
    ref = parse_key_url(url)
    assert ref is not None
    assert (ref.host, ref.name, ref.version) == (host, name, version)


@pytest.mark.parametrize(
    "url",
    [
        None,
        "",
        "   ",
        "http://kv1.vault.azure.net/keys/cmk",
        "https://kv1.vault.azure.net/secrets/cmk",
        "https://kv1.vault.azure.net/keys",
        "https://kv1.vault.azure.net/keys/cmk/v1/extra",
        "kv1/cmk",
    ],
)
def test_parse_key_url_rejects_other_shapes(url: str | None) -> None:
    assert parse_key_url(url) is None


def test_vault_host_is_lower_case_and_tolerates_missing_uri() -> None:
    assert vault_host("https://KV1.vault.azure.net/") == "kv1.vault.azure.net"
    assert vault_host(None) is None
    assert vault_host("") is None


def test_vault_is_matched_on_vault_uri_case_insensitively_in_any_cloud() -> None:
    gov = vault("kvgov", uri="https://KvGov.vault.usgovcloudapi.net/")
    index = VaultIndex(snapshot(key_vaults=[vault("kv1"), gov]))
    ref = parse_key_url("https://kvgov.VAULT.usgovcloudapi.net/keys/cmk")
    assert ref is not None
    match = index.vault_for(ref)
    assert match is not None and match.vault.name == "kvgov" and match.matched_by == "vault_uri"


def test_vault_without_collected_uri_is_matched_by_name_only_for_vault_hosts() -> None:
    index = VaultIndex(snapshot(key_vaults=[vault("kv1", uri=None)]))
    by_name = parse_key_url("https://kv1.vault.azure.net/keys/cmk")
    hsm = parse_key_url("https://kv1.managedhsm.azure.net/keys/cmk")
    assert by_name is not None and hsm is not None
    match = index.vault_for(by_name)
    assert match is not None and match.matched_by == "name"
    assert index.vault_for(hsm) is None


def test_vault_in_another_cloud_with_the_same_name_does_not_match() -> None:
    index = VaultIndex(snapshot(key_vaults=[vault("kv1")]))
    ref = parse_key_url("https://kv1.vault.azure.cn/keys/cmk")
    assert ref is not None and index.vault_for(ref) is None


def test_key_lookup_is_case_insensitive_and_per_vault() -> None:
    kv1, kv2 = vault("kv1"), vault("kv2")
    index = VaultIndex(snapshot(key_vaults=[kv1, kv2], vault_items=[key(kv1, "CMK")]))
    assert index.key_in(kv1, "cmk") is not None
    assert index.key_in(kv2, "cmk") is None


def test_key_lookup_ignores_secrets_of_the_same_name() -> None:
    kv = vault("kv1")
    secret = key(kv, "cmk").model_copy(update={"kind": "secret"})
    assert VaultIndex(snapshot(key_vaults=[kv], vault_items=[secret])).key_in(kv, "cmk") is None


def test_errors_for_a_vault_include_those_below_it_only() -> None:
    kv = vault("kv1")
    mine = CollectionError(scope=kv.id.upper() + "/keys", operation="keys.list", status=403, message="denied")
    other = CollectionError(scope=vault("kv2").id, operation="keys.list", status=403, message="denied")
    index = VaultIndex(snapshot(key_vaults=[kv], errors=[mine, other]))
    assert index.errors_for(kv) == [mine]


def test_cmk_uses_cover_both_generations_and_skip_blank_urls() -> None:
    inv = snapshot(
        fhir_services=[
            fhir("a", cmk_key_url="https://kv1.vault.azure.net/keys/k"),
            fhir("b", cmk_key_url=" "),
        ],
        legacy_fhir_services=[legacy("c", cosmos_key_vault_key_uri="https://kv1.vault.azure.net/keys/k/v2")],
    )
    uses = cmk_uses(inv)
    assert [u.service.name for u in uses] == ["a", "c"]
    assert [u.key.version if u.key else "bad" for u in uses] == [None, "v2"]


def test_storage_uses_and_lookup_by_name_are_case_insensitive() -> None:
    inv = snapshot(
        fhir_services=[
            fhir("a", export_storage_account_name="ExportSA", import_storage_account_name="importsa")
        ],
        legacy_fhir_services=[legacy("c", export_storage_account_name="exportsa")],
        storage_accounts=[storage("exportsa")],
    )
    uses = storage_uses(inv)
    assert [(u.service.name, u.role, u.account_name) for u in uses] == [
        ("a", "export", "ExportSA"),
        ("a", "import", "importsa"),
        ("c", "export", "exportsa"),
    ]
    assert storage_by_name(inv)["exportsa"].name == "exportsa"


@pytest.mark.parametrize(
    ("status", "approved"),
    [("Approved", True), ("approved", True), ("Pending", False), ("Rejected", False), (None, False)],
)
def test_only_approved_connections_count(status: str | None, approved: bool) -> None:
    assert is_approved(status) is approved


def test_private_link_state_merges_both_sides_of_the_link() -> None:
    ws = workspace("ws1")
    inv = snapshot(
        private_endpoints=[endpoint("pe-b", ws.id.lower(), "Approved"), endpoint("pe-c", ws.id, "Rejected")]
    )
    state = PrivateLinkIndex(inv).state(ws.id, [conn("pe-a", "Pending")])
    assert state.approved == ("pe-b",)
    assert state.not_approved == ("pe-a: Pending", "pe-c: Rejected")


def test_a_link_seen_from_both_sides_counts_once_with_the_target_side_status() -> None:
    ws = workspace("ws1")
    pe = endpoint("pe1", ws.id, "Approved")
    listed = PrivateEndpointConnection(name="ws1.conn", private_endpoint_id=pe.id.upper(), status="Pending")
    state = PrivateLinkIndex(snapshot(private_endpoints=[pe])).state(ws.id, [listed])
    assert state.approved == ()
    assert state.not_approved == ("PE1: Pending",)


def test_private_link_state_for_a_resource_in_another_subscription_is_separate() -> None:
    inv = snapshot(private_endpoints=[endpoint("pe", workspace("ws1", sub=SUB2).id, "Approved")])
    assert PrivateLinkIndex(inv).state(workspace("ws1").id, []).approved == ()
