"""Transport-security rules (``AHDS-TLS-``): Application Gateway TLS policies, API Management protocols and ciphers, storage TLS."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from pydantic import Field

from rules._estate import STORAGE_TYPE, as_list, not_set
from scanner.inventory import ApplicationGateway, Snapshot, SslPolicy
from scanner.rule import (
    Compliance,
    JSONValue,
    NoSettings,
    Remediation,
    Result,
    RuleContext,
    RuleMeta,
    RuleSettings,
    Severity,
    rule,
)

APPGW_TYPE = "Microsoft.Network/applicationGateways"
APIM_TYPE = "Microsoft.ApiManagement/service"

APPGW_POLICY_DOC = (
    "https://learn.microsoft.com/en-us/azure/application-gateway/application-gateway-ssl-policy-overview"
)
APPGW_RETIREMENT_DOC = (
    "https://learn.microsoft.com/en-us/azure/application-gateway/application-gateway-tls-version-retirement"
)
APIM_PROTOCOLS_DOC = (
    "https://learn.microsoft.com/en-us/azure/api-management/api-management-howto-manage-protocols-ciphers"
)
STORAGE_TLS_DOC = "https://learn.microsoft.com/en-us/azure/storage/common/transport-layer-security-configure-minimum-version"
STORAGE_HTTPS_DOC = "https://learn.microsoft.com/en-us/azure/storage/common/storage-require-secure-transfer"

TRANSIT = Compliance(
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist=("SC-8", "SC-8(1)", "SC-13"),
    mcsb=("DP-3", "NS-8"),
)
"""Control mappings shared by the TLS rules (each rule adds its own Azure Policy ids)."""

# --- Application Gateway ---------------------------------------------------------------------

TLS_ORDER = {"tlsv1_0": 0, "tlsv1_1": 1, "tlsv1_2": 2, "tlsv1_3": 3}
"""Application Gateway protocol names (``TLSv1_0`` ...), lower-cased, in strength order."""
TLS12 = TLS_ORDER["tlsv1_2"]

PREDEFINED_MIN = {
    "appgwsslpolicy20150501": "TLSv1_0",
    "appgwsslpolicy20170401": "TLSv1_1",
    "appgwsslpolicy20170401s": "TLSv1_2",
    "appgwsslpolicy20220101": "TLSv1_2",
    "appgwsslpolicy20220101s": "TLSv1_2",
}
"""Minimum protocol of each predefined policy (Application Gateway TLS policy overview)."""

LEGACY_DEFAULT_POLICY = "AppGwSslPolicy20150501"
MODERN_DEFAULT_POLICY = "AppGwSslPolicy20220101"
V1_TIERS = frozenset({"standard", "waf"})
"""``sku.tier`` of v1 gateways; v2 tiers are ``Standard_v2``, ``WAF_v2`` and ``Basic``."""


class AppGatewayTlsSettings(RuleSettings):
    """Settings of AHDS-TLS-001."""

    unset_v2_policy_is_modern: bool = Field(
        False,
        description=(
            "Treat a v2 gateway without an SSL policy as using AppGwSslPolicy20220101 (the default for gateways "
            "created with API version 2023-02-01 or later). The snapshot cannot tell the creation API version, "
            "so by default such a gateway is assumed to use the older default, AppGwSslPolicy20150501 (TLS 1.0)."
        ),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Verdict:
    """The effective minimum protocol of one SSL policy, or why it is unknown."""

    minimum: str | None
    """``TLSv1_x``; None when the policy cannot be evaluated."""
    basis: str
    """How the minimum was derived, for evidence."""


def _is_unset(policy: SslPolicy | None) -> bool:
    return policy is None or not (
        policy.policy_type
        or policy.policy_name
        or policy.min_protocol_version
        or policy.disabled_ssl_protocols
    )


def _is_v1(gw: ApplicationGateway) -> bool | None:
    tier = (gw.sku_tier or "").lower()
    if tier:
        return tier in V1_TIERS
    name = (gw.sku_name or "").lower()
    if name:
        return not name.endswith("_v2") and name != "basic"
    return None


def _default_verdict(gw: ApplicationGateway, settings: AppGatewayTlsSettings) -> _Verdict:
    v1 = _is_v1(gw)
    if v1:
        return _Verdict(
            minimum=PREDEFINED_MIN[LEGACY_DEFAULT_POLICY.lower()],
            basis=f"(not set: v1 gateway default {LEGACY_DEFAULT_POLICY})",
        )
    history = (
        f"the default depends on the API version that created the gateway: {LEGACY_DEFAULT_POLICY} (TLS 1.0) "
        f"before 2023-02-01, {MODERN_DEFAULT_POLICY} from then on"
    )
    assumed = MODERN_DEFAULT_POLICY if settings.unset_v2_policy_is_modern else LEGACY_DEFAULT_POLICY
    return _Verdict(
        minimum=PREDEFINED_MIN[assumed.lower()],
        basis=f"(not set: {history}; assumed {assumed})",
    )


def _policy_verdict(policy: SslPolicy) -> _Verdict:
    kind = (policy.policy_type or "").lower()
    if kind == "predefined" or (not kind and policy.policy_name):
        name = policy.policy_name or ""
        minimum = PREDEFINED_MIN.get(name.lower())
        if minimum is None:
            return _Verdict(minimum=None, basis=f"unknown predefined policy {name!r}")
        return _Verdict(minimum=minimum, basis=f"predefined policy {name}")
    if kind == "custom":
        if policy.min_protocol_version:
            return _Verdict(minimum=policy.min_protocol_version, basis="custom policy minProtocolVersion")
        return _Verdict(minimum="TLSv1_0", basis="custom policy without minProtocolVersion: TLSv1_0 accepted")
    if kind == "customv2":
        if policy.min_protocol_version:
            return _Verdict(minimum=policy.min_protocol_version, basis="CustomV2 policy minProtocolVersion")
        return _Verdict(
            minimum="TLSv1_2", basis="CustomV2 policy without minProtocolVersion: accepts TLSv1_2 and up"
        )
    if not kind:
        # The pre-2017 form: no policy type, only the protocols switched off.
        disabled = {p.lower() for p in policy.disabled_ssl_protocols}
        enabled = [p for p in ("tlsv1_0", "tlsv1_1", "tlsv1_2") if p not in disabled]
        if not enabled:
            return _Verdict(minimum=None, basis="disabledSslProtocols disables every protocol")
        return _Verdict(
            minimum=f"TLSv{enabled[0][4:]}",
            basis=f"disabledSslProtocols {sorted(policy.disabled_ssl_protocols)}",
        )
    return _Verdict(minimum=None, basis=f"unknown policyType {policy.policy_type!r}")


def _policy_evidence(policy: SslPolicy | None, verdict: _Verdict) -> dict[str, JSONValue]:
    return {
        "policyType": policy.policy_type if policy else None,
        "policyName": policy.policy_name if policy else None,
        "minProtocolVersion": policy.min_protocol_version if policy else None,
        "disabledSslProtocols": as_list(policy.disabled_ssl_protocols) if policy else [],
        "effectiveMinimum": verdict.minimum,
        "basis": verdict.basis,
    }


def _weak(verdict: _Verdict) -> bool | None:
    if verdict.minimum is None:
        return None
    rank = TLS_ORDER.get(verdict.minimum.lower())
    return None if rank is None else rank < TLS12


@rule(
    RuleMeta(
        id="AHDS-TLS-001",
        title="Application Gateways accept only TLS 1.2 or later",
        severity=Severity.HIGH,
        description=(
            "Evaluates the SSL policy of every Application Gateway in scope and the policy of each of its SSL "
            "profiles, and fails when any accepts a protocol below TLS 1.2: predefined policies "
            "AppGwSslPolicy20150501 and AppGwSslPolicy20170401, custom policies with minProtocolVersion "
            "TLSv1_0/TLSv1_1, or the legacy disabledSslProtocols form that leaves TLSv1_0/TLSv1_1 on. A "
            "gateway without a policy uses a default that depends on its SKU and creation API version; the "
            "evidence names the default assumed. Gateways with only HTTP listeners pass."
        ),
        rationale=(
            "TLS 1.0 and 1.1 have known weaknesses and are retired across Azure; a gateway in front of a "
            "FHIR API that still negotiates them exposes protected health information in transit."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the application gateway > Listeners > TLS policy (and each SSL profile under "
                "Listeners > SSL settings). 2. Select the predefined policy AppGwSslPolicy20220101 or "
                "AppGwSslPolicy20220101S, or a CustomV2 policy with minimum TLSv1_2. 3. Save."
            ),
            cli=(
                "az network application-gateway ssl-policy set --resource-group <rg> --gateway-name <gw> "
                "--policy-type Predefined --name AppGwSslPolicy20220101\n"
                "az network application-gateway ssl-profile update --resource-group <rg> --gateway-name <gw> "
                "--name <profile> --policy-type Predefined --policy-name AppGwSslPolicy20220101"
            ),
        ),
        references=(APPGW_POLICY_DOC, APPGW_RETIREMENT_DOC),
        compliance=TRANSIT,
        resource_types=(APPGW_TYPE,),
    ),
    settings=AppGatewayTlsSettings,
)
def app_gateway_tls12_minimum(inv: Snapshot, ctx: RuleContext[AppGatewayTlsSettings]) -> Iterator[Result]:
    """One result for the gateway's own policy, plus one per SSL profile that sets its own policy.

    A profile without a policy uses the gateway's, so the gateway result covers it.
    """
    for gw in inv.application_gateways:
        protocols = [p.lower() for p in gw.listener_protocols]
        if protocols and "https" not in protocols:
            yield ctx.passed(
                gw,
                f"Application Gateway '{gw.name}' has no HTTPS listener, so its TLS policy is not in use.",
                evidence={"listenerProtocols": as_list(gw.listener_protocols)},
            )
            continue
        policy = gw.ssl_policy
        verdict = (
            _policy_verdict(policy)
            if policy is not None and not _is_unset(policy)
            else _default_verdict(gw, ctx.settings)
        )
        evidence = _policy_evidence(gw.ssl_policy, verdict)
        evidence.update(
            {
                "sku": gw.sku_tier or gw.sku_name,
                "profilesInheritingGatewayPolicy": as_list(
                    p.name for p in gw.ssl_profiles if _is_unset(p.ssl_policy)
                ),
            }
        )
        yield _tls_result(ctx, gw, f"Application Gateway '{gw.name}'", verdict, evidence, sub_id=None)
        for profile in gw.ssl_profiles:
            own = profile.ssl_policy
            if own is None or _is_unset(own):
                continue
            pverdict = _policy_verdict(own)
            yield _tls_result(
                ctx,
                gw,
                f"SSL profile '{profile.name}' of Application Gateway '{gw.name}'",
                pverdict,
                _policy_evidence(own, pverdict),
                sub_id=f"sslProfiles/{profile.name}",
            )


def _tls_result(
    ctx: RuleContext[AppGatewayTlsSettings],
    gw: ApplicationGateway,
    subject: str,
    verdict: _Verdict,
    evidence: dict[str, JSONValue],
    *,
    sub_id: str | None,
) -> Result:
    weak = _weak(verdict)
    if weak is None:
        return ctx.error(
            gw,
            f"{subject} has an SSL policy that cannot be evaluated ({verdict.basis}).",
            evidence=evidence,
            sub_id=sub_id,
        )
    if weak:
        return ctx.failed(
            gw,
            f"{subject} accepts {verdict.minimum} and later ({verdict.basis}), below TLS 1.2.",
            evidence=evidence,
            sub_id=sub_id,
        )
    return ctx.passed(
        gw,
        f"{subject} requires {verdict.minimum} or later ({verdict.basis}).",
        evidence=evidence,
        sub_id=sub_id,
    )


# --- API Management ----------------------------------------------------------------------------

APIM_PREFIX = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security."
APIM_WEAK_SETTINGS = {
    "Protocols.Ssl30": "SSL 3.0 (client side)",
    "Protocols.Tls10": "TLS 1.0 (client side)",
    "Protocols.Tls11": "TLS 1.1 (client side)",
    "Backend.Protocols.Ssl30": "SSL 3.0 (backend side)",
    "Backend.Protocols.Tls10": "TLS 1.0 (backend side)",
    "Backend.Protocols.Tls11": "TLS 1.1 (backend side)",
    "Ciphers.TripleDes168": "3DES cipher TLS_RSA_WITH_3DES_EDE_CBC_SHA",
}
"""``customProperties`` keys (after ``APIM_PREFIX``) that must be "False", with what they enable."""


APIM_DEFAULTS_CHANGED_AT = datetime(2018, 4, 1, tzinfo=UTC)
"""Services created before this default to SSL 3.0/TLS 1.0/1.1/3DES enabled when the setting is absent."""


class ApimTlsSettings(RuleSettings):
    """Settings of AHDS-TLS-002."""

    created_before_2018_04_01: bool = Field(
        False,
        description=(
            "Evaluate an absent protocol or cipher setting as enabled when the service's creation date "
            "(createdAtUtc) is unknown. API Management defaults these settings to True for services created "
            "before 1 April 2018 and to False for later ones; when the snapshot records the creation date, "
            "that decides and this setting is not used."
        ),
    )


@rule(
    RuleMeta(
        id="AHDS-TLS-002",
        title="API Management services disable SSL 3.0, TLS 1.0, TLS 1.1 and 3DES",
        severity=Severity.HIGH,
        description=(
            "Checks the customProperties of every API Management service in scope: the client-side and "
            "backend-side Ssl30, Tls10 and Tls11 protocol settings and the TripleDes168 cipher setting must "
            "be False (values compare case-insensitively). An absent setting is the service default: False "
            "for services created after 1 April 2018, True for older ones (see the rule's setting)."
        ),
        rationale=(
            "API Management often fronts the FHIR API for partner and app traffic; an old protocol or the "
            "3DES cipher on either the client or the backend leg weakens the encryption of protected "
            "health information in transit."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the API Management service > Security > Protocols + ciphers. 2. Turn off SSL 3.0, "
                "TLS 1.0 and TLS 1.1 for client and backend, and the TripleDes168 cipher. 3. Save (changes "
                "can take up to an hour; Developer tier has downtime)."
            ),
            bicep=(
                "resource apim 'Microsoft.ApiManagement/service@2023-05-01-preview' = {\n  name: apimName\n"
                "  location: location\n  sku: { name: 'Premium', capacity: 1 }\n  properties: {\n"
                "    publisherEmail: publisherEmail\n    publisherName: publisherName\n    customProperties: {\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls10': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Tls11': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Protocols.Ssl30': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls10': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Tls11': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Backend.Protocols.Ssl30': 'False'\n"
                "      'Microsoft.WindowsAzure.ApiManagement.Gateway.Security.Ciphers.TripleDes168': 'False'\n"
                "    }\n  }\n}"
            ),
        ),
        references=(APIM_PROTOCOLS_DOC,),
        compliance=TRANSIT,
        resource_types=(APIM_TYPE,),
    ),
    settings=ApimTlsSettings,
)
def apim_weak_protocols_and_ciphers_disabled(
    inv: Snapshot, ctx: RuleContext[ApimTlsSettings]
) -> Iterator[Result]:
    """Keys match case-insensitively; a value other than True/False (any case) makes the result an error."""
    for svc in inv.apim_services:
        # The creation date decides the default when the collector saw it; the setting covers the rest.
        if svc.created_at is not None:
            default = svc.created_at < APIM_DEFAULTS_CHANGED_AT
        else:
            default = ctx.settings.created_before_2018_04_01
        props = {k.lower(): v for k, v in svc.custom_properties.items()}
        evidence: dict[str, JSONValue] = {}
        if svc.created_at is not None:
            evidence["createdAtUtc"] = svc.created_at.isoformat()
        enabled: list[str] = []
        unreadable: list[str] = []
        for suffix, label in APIM_WEAK_SETTINGS.items():
            key = APIM_PREFIX + suffix
            raw = props.get(key.lower())
            if raw is None:
                evidence[key] = not_set(
                    f"{default} (False for services created after 2018-04-01, True for older ones)"
                )
                on = default
            elif raw.strip().lower() in ("true", "false"):
                evidence[key] = raw
                on = raw.strip().lower() == "true"
            else:
                evidence[key] = raw
                unreadable.append(key)
                continue
            if on:
                enabled.append(label)
        evidence["sku"] = svc.sku_name
        if unreadable:
            yield ctx.error(
                svc,
                f"API Management service '{svc.name}' has unrecognised values for {', '.join(unreadable)}.",
                evidence=evidence,
            )
        elif enabled:
            yield ctx.failed(
                svc, f"API Management service '{svc.name}' enables {', '.join(enabled)}.", evidence=evidence
            )
        else:
            yield ctx.passed(
                svc,
                f"API Management service '{svc.name}' disables SSL 3.0, TLS 1.0 and TLS 1.1 on both sides and the 3DES cipher.",
                evidence=evidence,
            )


# --- Storage ---------------------------------------------------------------------------------------

STORAGE_TLS_ORDER = {"tls1_0": 0, "tls1_1": 1, "tls1_2": 2, "tls1_3": 3}


@rule(
    RuleMeta(
        id="AHDS-TLS-003",
        title="Storage accounts require TLS 1.2 or later",
        severity=Severity.MEDIUM,
        description=(
            "Checks minimumTlsVersion on every storage account in the scanned scope (not only those a FHIR "
            "service exports to: FHIR data and its copies are commonly spread across accounts). An unset "
            "value is the Storage API's default interpretation, TLS 1.0."
        ),
        rationale=(
            "A storage account that accepts TLS 1.0 or 1.1 lets clients read and write data, including "
            "exported FHIR resources, over protocols with known weaknesses."
        ),
        remediation=Remediation(
            portal="1. Open the storage account > Settings > Configuration. 2. Set Minimum TLS version to "
            "Version 1.2. 3. Save.",
            cli="az storage account update --name <account> --resource-group <rg> --min-tls-version TLS1_2",
        ),
        references=(STORAGE_TLS_DOC,),
        compliance=replace(TRANSIT, azure_policy=("fe83a0eb-a853-422d-aac2-1bffd182c5d0",)),
        resource_types=(STORAGE_TYPE,),
    )
)
def storage_minimum_tls12(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Unknown version strings are an error rather than a guess."""
    for account in inv.storage_accounts:
        value = account.minimum_tls_version
        effective = value or "TLS1_0"
        evidence: dict[str, JSONValue] = {
            "minimumTlsVersion": value
            if value is not None
            else not_set("TLS1_0", "Storage API default interpretation")
        }
        rank = STORAGE_TLS_ORDER.get(effective.strip().lower())
        if rank is None:
            yield ctx.error(
                account,
                f"Storage account '{account.name}' reports an unrecognised minimumTlsVersion '{value}'.",
                evidence=evidence,
            )
        elif rank < STORAGE_TLS_ORDER["tls1_2"]:
            shown = value or "not set, default TLS1_0"
            yield ctx.failed(
                account,
                f"Storage account '{account.name}' accepts TLS below 1.2 (minimumTlsVersion: {shown}).",
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                account, f"Storage account '{account.name}' requires {value} or later.", evidence=evidence
            )


@rule(
    RuleMeta(
        id="AHDS-TLS-004",
        title="Storage accounts accept only HTTPS (secure transfer required)",
        severity=Severity.HIGH,
        description=(
            "Checks supportsHttpsTrafficOnly on every storage account in the scanned scope. An unset value is "
            "the service default, true since Storage API version 2019-04-01."
        ),
        rationale=(
            "With secure transfer off, requests over plain HTTP carry data and shared-access signatures "
            "unencrypted, exposing protected health information to interception."
        ),
        remediation=Remediation(
            portal="1. Open the storage account > Settings > Configuration. 2. Set Secure transfer required to "
            "Enabled. 3. Save.",
            cli="az storage account update --name <account> --resource-group <rg> --https-only true",
        ),
        references=(STORAGE_HTTPS_DOC,),
        compliance=replace(TRANSIT, azure_policy=("404c3081-a854-4457-ae30-26a93ef643f9",)),
        resource_types=(STORAGE_TYPE,),
    )
)
def storage_https_only(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """One result per storage account in scope."""
    for account in inv.storage_accounts:
        value = account.https_only
        evidence: dict[str, JSONValue] = {
            "supportsHttpsTrafficOnly": value if value is not None else not_set("true (since API 2019-04-01)")
        }
        if value is False:
            yield ctx.failed(
                account,
                f"Storage account '{account.name}' allows HTTP (supportsHttpsTrafficOnly: false).",
                evidence=evidence,
            )
        else:
            shown = "true" if value else "not set, default true"
            yield ctx.passed(
                account,
                f"Storage account '{account.name}' accepts only HTTPS (supportsHttpsTrafficOnly: {shown}).",
                evidence=evidence,
            )
