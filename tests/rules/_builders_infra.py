"""Builders of infrastructure inventory (FHIR servers, vaults, keys, storage, endpoints, gateways, APIM) for rule tests."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from scanner.inventory import (
    ApimService,
    ApplicationGateway,
    Cors,
    FhirService,
    KeyVault,
    LegacyFhirService,
    PrivateEndpoint,
    PrivateEndpointConnection,
    PrivateEndpointLink,
    Snapshot,
    SslPolicy,
    SslProfile,
    StorageAccount,
    VaultItem,
    Workspace,
)
from scanner.rule import Result, Rule, RuleContext
from tests.factories import NOW, RG, SUB, arm_id

WS_TYPE = "Microsoft.HealthcareApis/workspaces"
FHIR_TYPE = "Microsoft.HealthcareApis/workspaces/fhirservices"
LEGACY_TYPE = "Microsoft.HealthcareApis/services"
VAULT_TYPE = "Microsoft.KeyVault/vaults"


def run(rule_: Rule[Any], inv: Snapshot, now: datetime = NOW, **settings: Any) -> list[Result]:
    """Call a rule's check directly, as the engine does, with its settings model built from ``settings``."""
    ctx = RuleContext(rule_id=rule_.id, settings=rule_.settings_model(**settings), now=now)
    return list(rule_.check(inv, ctx))


def statuses(results: Iterable[Result]) -> list[str]:
    """The status values of ``results`` in order."""
    return [r.status.value for r in results]


def workspace(name: str = "ws1", *, sub: str = SUB, **kw: Any) -> Workspace:
    """An AHDS workspace in ``sub``/RG."""
    return Workspace(id=arm_id(WS_TYPE, name, sub=sub), name=name, type=WS_TYPE, **kw)


def fhir(name: str = "fhir1", ws: str = "ws1", *, sub: str = SUB, **kw: Any) -> FhirService:
    """An AHDS FHIR service in workspace ``ws``; its ``name`` is the bare child name, as ARM may return it."""
    return FhirService(
        id=arm_id(FHIR_TYPE, f"{ws}/{name}", sub=sub),
        name=name,
        type=FHIR_TYPE,
        workspace_id=arm_id(WS_TYPE, ws, sub=sub),
        **kw,
    )


def legacy(name: str = "api1", *, sub: str = SUB, **kw: Any) -> LegacyFhirService:
    """A legacy Azure API for FHIR service."""
    return LegacyFhirService(id=arm_id(LEGACY_TYPE, name, sub=sub), name=name, type=LEGACY_TYPE, **kw)


def vault(name: str = "kv1", *, sub: str = SUB, rg: str = RG, uri: str | None = "", **kw: Any) -> KeyVault:
    """A Key Vault; ``uri`` defaults to ``https://<name>.vault.azure.net/`` (pass None for an uncollected URI)."""
    return KeyVault(
        id=arm_id(VAULT_TYPE, name, sub=sub, rg=rg),
        name=name,
        type=VAULT_TYPE,
        vault_uri=f"https://{name}.vault.azure.net/" if uri == "" else uri,
        **kw,
    )


def key(kv: KeyVault, name: str = "cmk", **kw: Any) -> VaultItem:
    """A key's management-plane metadata in vault ``kv``."""
    return VaultItem(
        id=f"{kv.id}/keys/{name}",
        name=name,
        vault_id=kv.id,
        kind="key",
        key_uri=f"{(kv.vault_uri or '').rstrip('/')}/keys/{name}",
        **kw,
    )


def storage(name: str = "exportsa", *, sub: str = SUB, **kw: Any) -> StorageAccount:
    """A storage account."""
    return StorageAccount(
        id=arm_id("Microsoft.Storage/storageAccounts", name, sub=sub),
        name=name,
        type="Microsoft.Storage/storageAccounts",
        **kw,
    )


def conn(name: str, status: str | None) -> PrivateEndpointConnection:
    """A private endpoint connection as listed on the target resource."""
    return PrivateEndpointConnection(name=name, status=status)


def endpoint(name: str, target_id: str, status: str | None) -> PrivateEndpoint:
    """A private endpoint with one connection to ``target_id``."""
    return PrivateEndpoint(
        id=arm_id("Microsoft.Network/privateEndpoints", name),
        name=name,
        type="Microsoft.Network/privateEndpoints",
        connections=[PrivateEndpointLink(name=f"{name}-link", target_id=target_id, status=status)],
    )


def cors(*origins: str) -> Cors:
    """A CORS configuration allowing ``origins``."""
    return Cors(origins=list(origins))


def gateway(
    name: str = "agw1",
    *,
    tier: str | None = "WAF_v2",
    policy: SslPolicy | None = None,
    profiles: Iterable[tuple[str, SslPolicy | None]] = (),
    **kw: Any,
) -> ApplicationGateway:
    """An Application Gateway with an optional SSL policy and named SSL profiles."""
    return ApplicationGateway(
        id=arm_id("Microsoft.Network/applicationGateways", name),
        name=name,
        type="Microsoft.Network/applicationGateways",
        sku_tier=tier,
        ssl_policy=policy,
        ssl_profiles=[SslProfile(name=n, ssl_policy=p) for n, p in profiles],
        **kw,
    )


def predefined(name: str) -> SslPolicy:
    """A predefined SSL policy by name."""
    return SslPolicy(policy_type="Predefined", policy_name=name)


def custom(minimum: str | None, kind: str = "Custom") -> SslPolicy:
    """A Custom or CustomV2 SSL policy with ``minimum`` as minProtocolVersion."""
    return SslPolicy(policy_type=kind, min_protocol_version=minimum)


def apim(name: str = "apim1", props: dict[str, str] | None = None, **kw: Any) -> ApimService:
    """An API Management service with ``customProperties``."""
    return ApimService(
        id=arm_id("Microsoft.ApiManagement/service", name),
        name=name,
        type="Microsoft.ApiManagement/service",
        custom_properties=props or {},
        **kw,
    )
