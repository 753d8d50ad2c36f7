"""AHDS-TLS-001..004: Application Gateway policies and profiles, API Management protocols/ciphers, storage TLS."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from rules import tls
from scanner.inventory import SslPolicy
from scanner.rule import Status
from tests.factories import snapshot
from tests.rules._builders_infra import apim, custom, gateway, predefined, run, statuses, storage

# --- AHDS-TLS-001 ---------------------------------------------------------------------------------


class TestAppGatewayTls12Minimum:
    rule = tls.app_gateway_tls12_minimum

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-TLS-001"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(storage_accounts=[storage()])) == []

    @pytest.mark.parametrize(
        ("policy", "expected"),
        [
            (predefined("AppGwSslPolicy20150501"), "fail"),
            (predefined("AppGwSslPolicy20170401"), "fail"),
            (predefined("AppGwSslPolicy20170401S"), "pass"),
            (predefined("AppGwSslPolicy20220101"), "pass"),
            (predefined("appgwsslpolicy20220101s"), "pass"),
            (SslPolicy(policy_name="AppGwSslPolicy20170401"), "fail"),
            (custom("TLSv1_0"), "fail"),
            (custom("TLSv1_1"), "fail"),
            (custom("TLSv1_2"), "pass"),
            (custom(None), "fail"),
            (custom("TLSv1_3", "CustomV2"), "pass"),
            (custom(None, "CustomV2"), "pass"),
            (SslPolicy(disabled_ssl_protocols=["TLSv1_0"]), "fail"),
            (SslPolicy(disabled_ssl_protocols=["TLSv1_0", "TLSv1_1"]), "pass"),
        ],
    )
    def test_gateway_policy_is_judged_by_its_minimum_protocol(self, policy: SslPolicy, expected: str) -> None:
        [result] = run(self.rule, snapshot(application_gateways=[gateway(policy=policy)]))
        assert result.status.value == expected
        assert result.evidence["effectiveMinimum"] in ("TLSv1_0", "TLSv1_1", "TLSv1_2", "TLSv1_3")

    def test_weak_policy_message_names_gateway_and_minimum(self) -> None:
        [result] = run(self.rule, snapshot(application_gateways=[gateway("agw1", policy=custom("TLSv1_1"))]))
        assert "'agw1'" in result.message and "TLSv1_1" in result.message
        assert result.evidence["minProtocolVersion"] == "TLSv1_1"

    def test_v1_gateway_without_policy_uses_the_2015_default(self) -> None:
        [result] = run(self.rule, snapshot(application_gateways=[gateway(tier="Standard")]))
        assert result.status is Status.FAIL
        assert result.evidence["basis"] == "(not set: v1 gateway default AppGwSslPolicy20150501)"

    def test_v2_gateway_without_policy_assumes_the_old_default_unless_told(self) -> None:
        inv = snapshot(application_gateways=[gateway(tier="WAF_v2", policy=SslPolicy())])
        [default] = run(self.rule, inv)
        [modern] = run(self.rule, inv, unset_v2_policy_is_modern=True)
        assert default.status is Status.FAIL
        assert "2023-02-01" in str(default.evidence["basis"])
        assert modern.status is Status.PASS
        assert "assumed AppGwSslPolicy20220101" in str(modern.evidence["basis"])

    def test_v1_default_ignores_the_v2_setting(self) -> None:
        inv = snapshot(application_gateways=[gateway(tier=None, sku_name="Standard_Medium")])
        assert statuses(run(self.rule, inv, unset_v2_policy_is_modern=True)) == ["fail"]

    def test_every_ssl_profile_with_its_own_policy_is_evaluated(self) -> None:
        gw = gateway(
            policy=predefined("AppGwSslPolicy20220101"),
            profiles=[
                ("strict", predefined("AppGwSslPolicy20220101S")),
                ("legacy-clients", custom("TLSv1_0")),
                ("inherits", None),
            ],
        )
        results = run(self.rule, snapshot(application_gateways=[gw]))
        assert [(r.sub_id, r.status.value) for r in results] == [
            (None, "pass"),
            ("sslProfiles/strict", "pass"),
            ("sslProfiles/legacy-clients", "fail"),
        ]
        assert results[0].evidence["profilesInheritingGatewayPolicy"] == ["inherits"]
        assert all(r.resource_id == gw.id for r in results)
        assert "SSL profile 'legacy-clients'" in results[2].message

    def test_gateway_with_only_http_listeners_passes(self) -> None:
        gw = gateway(tier="Standard", listener_protocols=["Http"])
        [result] = run(self.rule, snapshot(application_gateways=[gw]))
        assert result.status is Status.PASS
        assert "no HTTPS listener" in result.message

    @pytest.mark.parametrize(
        "policy",
        [
            predefined("AppGwSslPolicy20991231"),
            SslPolicy(policy_type="Mystery", policy_name="x"),
            custom("SSLv3"),
        ],
    )
    def test_unknown_policy_is_an_error(self, policy: SslPolicy) -> None:
        assert statuses(run(self.rule, snapshot(application_gateways=[gateway(policy=policy)]))) == ["error"]

    def test_unknown_setting_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            tls.AppGatewayTlsSettings(unset_policy_is_modern=True)  # type: ignore[call-arg]


# --- AHDS-TLS-002 ---------------------------------------------------------------------------------

P = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
ALL_OFF = {
    P + "Protocols.Tls10": "False",
    P + "Protocols.Tls11": "False",
    P + "Protocols.Ssl30": "False",
    P + "Backend.Protocols.Tls10": "False",
    P + "Backend.Protocols.Tls11": "False",
    P + "Backend.Protocols.Ssl30": "False",
    P + "Ciphers.TripleDes168": "False",
}


class TestApimWeakProtocolsAndCiphersDisabled:
    rule = tls.apim_weak_protocols_and_ciphers_disabled

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-TLS-002"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_everything_off_passes(self) -> None:
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", ALL_OFF)]))
        assert result.status is Status.PASS
        assert result.evidence[P + "Protocols.Tls10"] == "False"

    @pytest.mark.parametrize("value", ["True", "true", "TRUE", " True "])
    def test_any_spelling_of_true_fails(self, value: str) -> None:
        props = {**ALL_OFF, P + "Backend.Protocols.Tls11": value}
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", props)]))
        assert result.status is Status.FAIL
        assert "TLS 1.1 (backend side)" in result.message

    def test_lower_case_false_and_key_case_are_accepted(self) -> None:
        props = {k.lower(): "false" for k in ALL_OFF}
        assert statuses(run(self.rule, snapshot(apim_services=[apim("apim1", props)]))) == ["pass"]

    def test_triple_des_enabled_fails(self) -> None:
        props = {**ALL_OFF, P + "Ciphers.TripleDes168": "True"}
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", props)]))
        assert result.status is Status.FAIL
        assert "3DES" in result.message

    def test_absent_settings_use_the_post_2018_default_and_say_so(self) -> None:
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", {})]))
        assert result.status is Status.PASS
        shown = str(result.evidence[P + "Protocols.Tls10"])
        assert shown.startswith("(not set: service default False") and "2018-04-01" in shown

    def test_absent_settings_fail_for_services_created_before_april_2018(self) -> None:
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", {})]), created_before_2018_04_01=True)
        assert result.status is Status.FAIL
        assert "TLS 1.0 (client side)" in result.message

    def test_recorded_creation_date_decides_the_default_over_the_setting(self) -> None:
        old = apim("old", {}, created_at=datetime(2018, 3, 31, 23, 59, tzinfo=UTC))
        new = apim("new", {}, created_at=datetime(2018, 4, 1, tzinfo=UTC))
        results = run(self.rule, snapshot(apim_services=[old, new]), created_before_2018_04_01=False)
        by_name = {r.resource_id.rsplit("/", 1)[1]: r for r in results}
        assert by_name["old"].status is Status.FAIL
        assert by_name["new"].status is Status.PASS
        assert by_name["old"].evidence["createdAtUtc"].startswith("2018-03-31")

    def test_explicit_false_beats_the_old_default(self) -> None:
        results = run(
            self.rule, snapshot(apim_services=[apim("apim1", ALL_OFF)]), created_before_2018_04_01=True
        )
        assert statuses(results) == ["pass"]

    def test_unrecognised_value_is_an_error(self) -> None:
        props = {**ALL_OFF, P + "Protocols.Ssl30": "maybe"}
        [result] = run(self.rule, snapshot(apim_services=[apim("apim1", props)]))
        assert result.status is Status.ERROR
        assert "Ssl30" in result.message


# --- AHDS-TLS-003 / AHDS-TLS-004 -------------------------------------------------------------------


class TestStorageMinimumTls12:
    rule = tls.storage_minimum_tls12

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-TLS-003"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot(apim_services=[apim()])) == []

    @pytest.mark.parametrize(
        ("value", "expected"),
        [("TLS1_0", "fail"), ("TLS1_1", "fail"), ("TLS1_2", "pass"), ("TLS1_3", "pass"), ("tls1_2", "pass")],
    )
    def test_minimum_version(self, value: str, expected: str) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1", minimum_tls_version=value)]))
        assert result.status.value == expected
        assert result.evidence["minimumTlsVersion"] == value

    def test_unset_is_the_tls10_default_and_fails(self) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1")]))
        assert result.status is Status.FAIL
        assert "TLS1_0" in str(result.evidence["minimumTlsVersion"])

    def test_every_storage_account_is_examined_not_only_fhir_ones(self) -> None:
        inv = snapshot(storage_accounts=[storage("a", minimum_tls_version="TLS1_2"), storage("b")])
        assert statuses(run(self.rule, inv)) == ["pass", "fail"]

    def test_unknown_version_is_an_error(self) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1", minimum_tls_version="TLS9")]))
        assert result.status is Status.ERROR


class TestStorageHttpsOnly:
    rule = tls.storage_https_only

    def test_rule_id(self) -> None:
        assert self.rule.id == "AHDS-TLS-004"

    def test_empty_inventory_yields_nothing(self) -> None:
        assert run(self.rule, snapshot()) == []

    def test_https_only_passes(self) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1", https_only=True)]))
        assert result.status is Status.PASS
        assert result.evidence["supportsHttpsTrafficOnly"] is True

    def test_http_allowed_fails(self) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1", https_only=False)]))
        assert result.status is Status.FAIL
        assert "allows HTTP" in result.message

    def test_unset_is_the_secure_default(self) -> None:
        [result] = run(self.rule, snapshot(storage_accounts=[storage("sa1")]))
        assert result.status is Status.PASS
        assert str(result.evidence["supportsHttpsTrafficOnly"]).startswith("(not set: service default true")
