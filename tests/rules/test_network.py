"""AHDS-NET-001..005: public access, approved private endpoints, the CMK vault's and export storage's exposure, CORS."""

from __future__ import annotations

from typing import Any

import pytest

from rules import network
from scanner.rule import Status
from tests.factories import snapshot
from tests.rules._builders_infra import (
    conn,
    cors,
    endpoint,
    fhir,
    legacy,
    run,
    statuses,
    storage,
    vault,
    workspace,
)

URL = "https://kv1.vault.azure.net/keys/cmk"


# --- AHDS-NET-001 ---------------------------------------------------------------------------------


class TestFhirPublicNetworkAccessDisabled:
    rule = network.fhir_public_network_access_disabled

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-NET-001"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(storage_accounts=[storage()])) == []

    def test_disabled_everywhere_passes(self) -> None:
        inv = snapshot(
            workspaces=[workspace("ws1", public_network_access="Disabled")],
            fhir_services=[fhir("f", public_network_access="Disabled")],
            legacy_fhir_services=[legacy("api", public_network_access="Disabled")],
        )
        assert statuses(run(self.rule, inv)) == ["pass", "pass", "pass"]

    def test_enabled_fails_with_the_observed_value(self) -> None:
        [result] = run(
            self.rule, snapshot(legacy_fhir_services=[legacy("api", public_network_access="Enabled")])
        )
        assert result.status is Status.FAIL
        assert result.evidence["publicNetworkAccess"] == "Enabled"
        assert "'api'" in result.message

    def test_unset_is_the_service_default_enabled(self) -> None:
        [result] = run(self.rule, snapshot(workspaces=[workspace("ws1")]))
        assert result.status is Status.FAIL
        assert result.evidence["publicNetworkAccess"] == "(not set: service default Enabled)"

    def test_value_case_does_not_matter(self) -> None:
        inv = snapshot(
            workspaces=[
                workspace("a", public_network_access="disabled"),
                workspace("b", public_network_access="ENABLED"),
            ]
        )
        assert statuses(run(self.rule, inv)) == ["pass", "fail"]

    def test_fhir_service_without_flag_inherits_its_workspace(self) -> None:
        inv = snapshot(
            workspaces=[workspace("ws1", public_network_access="Disabled")], fhir_services=[fhir("f")]
        )
        _, svc_result = run(self.rule, inv)
        assert svc_result.status is Status.PASS
        assert (
            svc_result.evidence["publicNetworkAccess"]
            == "(not set: inherited from workspace 'ws1': Disabled)"
        )

    def test_fhir_service_flag_wins_over_its_workspace(self) -> None:
        inv = snapshot(
            workspaces=[workspace("ws1", public_network_access="Disabled")],
            fhir_services=[fhir("f", public_network_access="Enabled")],
        )
        assert statuses(run(self.rule, inv)) == ["pass", "fail"]

    def test_fhir_service_whose_workspace_is_absent_uses_the_default(self) -> None:
        [result] = run(self.rule, snapshot(fhir_services=[fhir("f")]))
        assert result.status is Status.FAIL


# --- AHDS-NET-002 ---------------------------------------------------------------------------------


class TestFhirPrivateEndpointApproved:
    rule = network.fhir_private_endpoint_approved

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-NET-002"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(workspaces=[workspace()])) == []

    def test_approved_connection_on_the_workspace_passes_the_service(self) -> None:
        inv = snapshot(
            workspaces=[workspace("ws1", private_endpoint_connections=[conn("pe1", "Approved")])],
            fhir_services=[fhir("f")],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.evidence["workspace.approved"] == ["pe1"]

    def test_approved_connection_on_the_service_itself_passes(self) -> None:
        inv = snapshot(
            workspaces=[workspace()],
            fhir_services=[fhir("f", private_endpoint_connections=[conn("pe1", "approved")])],
        )
        assert statuses(run(self.rule, inv)) == ["pass"]

    @pytest.mark.parametrize("status", ["Pending", "Rejected", "Disconnected", None])
    def test_connections_in_other_states_do_not_count(self, status: str | None) -> None:
        inv = snapshot(
            workspaces=[workspace("ws1", private_endpoint_connections=[conn("pe1", status)])],
            fhir_services=[fhir("f")],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert f"pe1: {status or '(no status)'}" in result.message

    def test_no_connection_fails(self) -> None:
        [result] = run(self.rule, snapshot(workspaces=[workspace()], fhir_services=[fhir("f")]))
        assert result.status is Status.FAIL
        assert result.message.endswith("has no approved private endpoint connection.")

    def test_endpoint_side_link_to_the_workspace_counts_with_mixed_case_ids(self) -> None:
        ws = workspace("ws1")
        inv = snapshot(
            fhir_services=[fhir("f")], private_endpoints=[endpoint("pe9", ws.id.upper(), "Approved")]
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert str(result.evidence["workspace"]).startswith("(not in snapshot")

    def test_legacy_service_needs_its_own_approved_connection(self) -> None:
        inv = snapshot(
            legacy_fhir_services=[
                legacy("a", private_endpoint_connections=[conn("pe1", "Approved")]),
                legacy("b", private_endpoint_connections=[conn("pe2", "Pending")]),
            ]
        )
        assert statuses(run(self.rule, inv)) == ["pass", "fail"]


# --- AHDS-NET-003 ---------------------------------------------------------------------------------


def _cmk_estate(**vault_props: Any) -> dict[str, Any]:
    return {"key_vaults": [vault("kv1", **vault_props)], "fhir_services": [fhir("f", cmk_key_url=URL)]}


class TestCmkVaultNotPubliclyReachable:
    rule = network.cmk_vault_not_publicly_reachable

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-NET-003"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(key_vaults=[vault("kv1")])) == []

    def test_public_access_disabled_passes(self) -> None:
        [result] = run(self.rule, snapshot(**_cmk_estate(public_network_access="Disabled")))
        assert result.status is Status.PASS
        assert result.resource_id == vault("kv1").id

    def test_firewall_deny_passes(self) -> None:
        inv = snapshot(
            **_cmk_estate(
                public_network_access="Enabled", network_default_action="Deny", network_bypass="AzureServices"
            )
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.evidence["networkAcls.bypass"] == "AzureServices"

    def test_network_acls_absent_means_allow_and_fails(self) -> None:
        [result] = run(self.rule, snapshot(**_cmk_estate()))
        assert result.status is Status.FAIL
        assert "no networkAcls" in str(result.evidence["networkAcls.defaultAction"])
        assert "not set" in str(result.evidence["publicNetworkAccess"])

    def test_lower_case_enabled_with_allow_fails(self) -> None:
        inv = snapshot(**_cmk_estate(public_network_access="enabled", network_default_action="Allow"))
        assert statuses(run(self.rule, inv)) == ["fail"]

    def test_deny_with_an_any_address_ip_rule_fails(self) -> None:
        inv = snapshot(**_cmk_estate(network_default_action="Deny", ip_rules=["0.0.0.0/0"]))
        assert statuses(run(self.rule, inv)) == ["fail"]

    def test_vault_not_in_snapshot_is_an_error(self) -> None:
        [result] = run(self.rule, snapshot(fhir_services=[fhir("f", cmk_key_url=URL)]))
        assert result.status is Status.ERROR
        assert "vault not in scope" in result.message


# --- AHDS-NET-004 ---------------------------------------------------------------------------------


class TestFhirExportStorageNotPublic:
    rule = network.fhir_export_storage_not_public

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-NET-004"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(storage_accounts=[storage("exportsa")])) == []

    def test_locked_down_export_account_passes(self) -> None:
        sa = storage("exportsa", network_default_action="Deny", allow_blob_public_access=False)
        inv = snapshot(
            storage_accounts=[sa], fhir_services=[fhir("f", export_storage_account_name="ExportSA")]
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.resource_id == sa.id
        assert result.evidence["usedBy"] == ["f (export)"]

    def test_public_network_disabled_passes_even_with_allow(self) -> None:
        sa = storage("exportsa", public_network_access="Disabled", network_default_action="Allow")
        inv = snapshot(
            storage_accounts=[sa], fhir_services=[fhir("f", export_storage_account_name="exportsa")]
        )
        assert statuses(run(self.rule, inv)) == ["pass"]

    def test_network_acls_absent_fails(self) -> None:
        inv = snapshot(
            storage_accounts=[storage("impsa")],
            fhir_services=[fhir("f", import_storage_account_name="impsa")],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert "all networks" in result.message
        assert str(result.evidence["allowBlobPublicAccess"]).startswith("(not set")

    def test_anonymous_blob_access_fails_even_behind_a_firewall(self) -> None:
        sa = storage("exportsa", network_default_action="Deny", allow_blob_public_access=True)
        inv = snapshot(
            storage_accounts=[sa],
            legacy_fhir_services=[legacy("api", export_storage_account_name="exportsa")],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert "anonymous blob access" in result.message

    def test_account_used_for_export_and_import_yields_one_result(self) -> None:
        sa = storage("sa1", network_default_action="Deny")
        svc = fhir("f", export_storage_account_name="sa1", import_storage_account_name="SA1")
        [result] = run(self.rule, snapshot(storage_accounts=[sa], fhir_services=[svc]))
        assert result.evidence["usedBy"] == ["f (export)", "f (import)"]
        assert "export/import" in result.message

    def test_account_not_in_snapshot_is_an_error_per_service_and_role(self) -> None:
        svc = fhir("f", export_storage_account_name="gone", import_storage_account_name="gone")
        results = run(self.rule, snapshot(fhir_services=[svc]))
        assert statuses(results) == ["error", "error"]
        assert [r.sub_id for r in results] == ["exportStorage", "importStorage"]
        assert "not in scope" in results[0].message


# --- AHDS-NET-005 ---------------------------------------------------------------------------------


class TestFhirCorsRejectsAnyOrigin:
    rule = network.fhir_cors_rejects_any_origin

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-NET-005"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(workspaces=[workspace()])) == []

    def test_listed_origins_pass(self) -> None:
        [result] = run(self.rule, snapshot(fhir_services=[fhir("f", cors=cors("https://app.contoso.com"))]))
        assert result.status is Status.PASS
        assert result.evidence["corsConfiguration.origins"] == ["https://app.contoso.com"]

    def test_no_cors_configuration_passes_and_says_so(self) -> None:
        [result] = run(self.rule, snapshot(legacy_fhir_services=[legacy("api")]))
        assert result.status is Status.PASS
        assert str(result.evidence["corsConfiguration.origins"]).startswith("(not set")

    def test_wildcard_origin_fails_on_both_generations(self) -> None:
        inv = snapshot(
            fhir_services=[fhir("f", cors=cors("https://a.example", " * "))],
            legacy_fhir_services=[legacy("api", cors=cors("*"))],
        )
        assert statuses(run(self.rule, inv)) == ["fail", "fail"]

    def test_wildcard_subdomain_is_not_any_origin(self) -> None:
        inv = snapshot(fhir_services=[fhir("f", cors=cors("https://*.contoso.com"))])
        assert statuses(run(self.rule, inv)) == ["pass"]
