"""AHDS-CMK-001..004: customer-managed keys on FHIR servers, their vaults' recoverability and the keys' state."""

from __future__ import annotations

from datetime import timedelta

from rules import encryption
from scanner.inventory import CollectionError
from scanner.rule import Status
from tests.factories import NOW, snapshot
from tests.rules._builders_infra import fhir, key, legacy, run, statuses, vault

KV = vault("kv1", enable_purge_protection=True, enable_soft_delete=True)
URL = "https://kv1.vault.azure.net/keys/cmk"


# --- AHDS-CMK-001 ---------------------------------------------------------------------------------


class TestFhirServiceUsesCustomerManagedKey:
    rule = encryption.fhir_service_uses_customer_managed_key

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-CMK-001"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_service_with_key_url_passes_and_quotes_it(self) -> None:
        svc = fhir("fhir1", cmk_key_url=URL)
        [result] = run(self.rule, snapshot(fhir_services=[svc]))
        assert result.status is Status.PASS
        assert result.resource_id == svc.id
        assert result.evidence["encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl"] == URL
        assert "'fhir1'" in result.message

    def test_service_without_key_fails_naming_the_default(self) -> None:
        [result] = run(self.rule, snapshot(fhir_services=[fhir("fhir1")]))
        assert result.status is Status.FAIL
        shown = result.evidence["encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl"]
        assert shown == "(not set: service default Microsoft-managed keys)"

    def test_blank_key_url_counts_as_not_set(self) -> None:
        assert statuses(run(self.rule, snapshot(fhir_services=[fhir("f", cmk_key_url="  ")]))) == ["fail"]

    def test_one_result_per_service(self) -> None:
        inv = snapshot(fhir_services=[fhir("a", cmk_key_url=URL), fhir("b")])
        assert statuses(run(self.rule, inv)) == ["pass", "fail"]


# --- AHDS-CMK-002 ---------------------------------------------------------------------------------


class TestLegacyFhirServiceUsesCustomerManagedKey:
    rule = encryption.legacy_fhir_service_uses_customer_managed_key

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-CMK-002"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(fhir_services=[fhir("not-legacy")])) == []

    def test_service_with_cosmos_key_passes(self) -> None:
        [result] = run(
            self.rule, snapshot(legacy_fhir_services=[legacy("api1", cosmos_key_vault_key_uri=URL)])
        )
        assert result.status is Status.PASS
        assert result.evidence["cosmosDbConfiguration.keyVaultKeyUri"] == URL

    def test_service_without_cosmos_key_fails(self) -> None:
        [result] = run(self.rule, snapshot(legacy_fhir_services=[legacy("api1")]))
        assert result.status is Status.FAIL
        assert result.resource_type == "Microsoft.HealthcareApis/services"
        assert "not set" in str(result.evidence["cosmosDbConfiguration.keyVaultKeyUri"])


# --- AHDS-CMK-003 ---------------------------------------------------------------------------------


class TestCmkVaultHasPurgeProtection:
    rule = encryption.cmk_vault_has_purge_protection

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-CMK-003"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_vaults_not_used_for_cmk_are_not_examined(self) -> None:
        assert run(self.rule, snapshot(key_vaults=[vault("other", enable_purge_protection=False)])) == []

    def test_recoverable_cmk_vault_passes(self) -> None:
        inv = snapshot(key_vaults=[KV], fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.resource_id == KV.id
        assert result.evidence["usedBy"] == ["f"]

    def test_missing_purge_protection_fails(self) -> None:
        kv = vault("kv1", enable_soft_delete=True, enable_purge_protection=None)
        [result] = run(self.rule, snapshot(key_vaults=[kv], fhir_services=[fhir("f", cmk_key_url=URL)]))
        assert result.status is Status.FAIL
        assert "purge protection" in result.message
        assert result.evidence["enablePurgeProtection"] == "(not set: service default false)"

    def test_soft_delete_unset_is_the_always_on_default(self) -> None:
        kv = vault("kv1", enable_soft_delete=None, enable_purge_protection=True)
        [result] = run(self.rule, snapshot(key_vaults=[kv], fhir_services=[fhir("f", cmk_key_url=URL)]))
        assert result.status is Status.PASS
        assert str(result.evidence["enableSoftDelete"]).startswith("(not set: service default true")

    def test_soft_delete_explicitly_off_fails(self) -> None:
        kv = vault("kv1", enable_soft_delete=False, enable_purge_protection=False)
        [result] = run(self.rule, snapshot(key_vaults=[kv], fhir_services=[fhir("f", cmk_key_url=URL)]))
        assert result.status is Status.FAIL
        assert "soft delete and purge protection" in result.message

    def test_vault_shared_by_both_generations_yields_one_result(self) -> None:
        inv = snapshot(
            key_vaults=[KV],
            fhir_services=[fhir("f", cmk_key_url=URL)],
            legacy_fhir_services=[
                legacy("api", cosmos_key_vault_key_uri="https://KV1.vault.azure.net/keys/cmk/v9")
            ],
        )
        [result] = run(self.rule, inv)
        assert result.evidence["usedBy"] == ["api", "f"]

    def test_vault_not_in_snapshot_is_an_error_on_the_service(self) -> None:
        svc = fhir("f", cmk_key_url="https://elsewhere.vault.azure.net/keys/cmk")
        [result] = run(self.rule, snapshot(key_vaults=[KV], fhir_services=[svc]))
        assert result.status is Status.ERROR
        assert result.resource_id == svc.id
        assert result.sub_id == "cmk"
        assert "vault not in scope" in result.message
        assert result.evidence["vaultHost"] == "elsewhere.vault.azure.net"

    def test_unparsable_key_url_is_an_error(self) -> None:
        svc = legacy("api", cosmos_key_vault_key_uri="kv1/cmk")
        [result] = run(self.rule, snapshot(key_vaults=[KV], legacy_fhir_services=[svc]))
        assert result.status is Status.ERROR
        assert "not of the form" in result.message


# --- AHDS-CMK-004 ---------------------------------------------------------------------------------


class TestCmkKeyEnabledAndUnexpired:
    rule = encryption.cmk_key_enabled_and_unexpired

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-CMK-004"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(key_vaults=[KV], vault_items=[key(KV)])) == []

    def test_enabled_unexpired_key_passes(self) -> None:
        k = key(KV, "cmk", enabled=True, expires=NOW + timedelta(days=200))
        inv = snapshot(key_vaults=[KV], vault_items=[k], fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.resource_id == k.id
        assert result.resource_type == "Microsoft.KeyVault/vaults/keys"

    def test_key_without_expiry_or_enabled_flag_passes_with_defaults_shown(self) -> None:
        inv = snapshot(key_vaults=[KV], vault_items=[key(KV)], fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.PASS
        assert result.evidence["enabled"] == "(not set: service default true)"
        assert result.evidence["expires"] == "(not set: never expires)"

    def test_disabled_key_fails(self) -> None:
        inv = snapshot(
            key_vaults=[KV], vault_items=[key(KV, enabled=False)], fhir_services=[fhir("f", cmk_key_url=URL)]
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert "is disabled" in result.message

    def test_expiry_boundary_is_inclusive(self) -> None:
        def verdict(expires_in: timedelta) -> str:
            inv = snapshot(
                key_vaults=[KV],
                vault_items=[key(KV, expires=NOW + expires_in)],
                fhir_services=[fhir("f", cmk_key_url=URL)],
            )
            return statuses(run(self.rule, inv))[0]

        assert verdict(timedelta(seconds=1)) == "pass"
        assert verdict(timedelta(0)) == "fail"
        assert verdict(-timedelta(days=3)) == "fail"

    def test_key_not_yet_active_fails(self) -> None:
        inv = snapshot(
            key_vaults=[KV],
            vault_items=[key(KV, not_before=NOW + timedelta(days=1))],
            fhir_services=[fhir("f", cmk_key_url=URL)],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert "not valid before" in result.message

    def test_versioned_mixed_case_url_finds_the_key_and_shows_the_pinned_version(self) -> None:
        inv = snapshot(
            key_vaults=[KV],
            vault_items=[key(KV, "cmk", enabled=False)],
            fhir_services=[fhir("f", cmk_key_url="https://KV1.Vault.Azure.Net/keys/CMK/abc123")],
        )
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert result.evidence["pinnedVersions"] == ["abc123"]

    def test_services_sharing_a_key_yield_one_result(self) -> None:
        inv = snapshot(
            key_vaults=[KV],
            vault_items=[key(KV)],
            fhir_services=[fhir("a", cmk_key_url=URL), fhir("b", cmk_key_url=URL + "/v2")],
        )
        [result] = run(self.rule, inv)
        assert result.evidence["usedBy"] == ["a", "b"]
        assert result.evidence["keyUrls"] == [URL, URL + "/v2"]

    def test_key_missing_from_a_fully_read_vault_fails(self) -> None:
        inv = snapshot(key_vaults=[KV], fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.FAIL
        assert result.resource_id == f"{KV.id}/keys/cmk"
        assert "deleted or never existed" in result.message

    def test_key_missing_from_a_vault_whose_keys_were_not_read_is_an_error(self) -> None:
        err = CollectionError(scope=KV.id, operation="keys.list", status=403, message="Forbidden")
        inv = snapshot(key_vaults=[KV], errors=[err], fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.ERROR
        assert result.evidence["collectionErrors"] == ["keys.list: Forbidden"]

    def test_vault_not_in_snapshot_is_an_error(self) -> None:
        inv = snapshot(fhir_services=[fhir("f", cmk_key_url=URL)])
        [result] = run(self.rule, inv)
        assert result.status is Status.ERROR
        assert "not in the snapshot" in result.message

    def test_managed_hsm_key_is_out_of_scope_not_matched_to_a_vault(self) -> None:
        inv = snapshot(
            key_vaults=[vault("kv1", uri=None)],
            fhir_services=[fhir("f", cmk_key_url="https://kv1.managedhsm.azure.net/keys/cmk")],
        )
        assert statuses(run(self.rule, inv)) == ["error"]
