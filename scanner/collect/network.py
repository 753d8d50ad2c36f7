"""Private endpoints and Application Gateways of one subscription."""

from __future__ import annotations

from typing import Any

from scanner.collect._normalize import items, obj, resource_fields, shared_strings, shared_text, strings, text
from scanner.collect._paging import arm_url, read_list
from scanner.collect._run import Run
from scanner.inventory import ApplicationGateway, PrivateEndpoint, PrivateEndpointLink, SslPolicy, SslProfile


def private_endpoint(raw: dict[str, Any], rid: str) -> PrivateEndpoint:
    """Normalise one private endpoint with its automatic and manual service connections."""
    props = obj(raw, "properties")
    links = []
    for key, manual in (
        ("privateLinkServiceConnections", False),
        ("manualPrivateLinkServiceConnections", True),
    ):
        for conn in items(props, key):
            conn_props = obj(conn, "properties")
            links.append(
                PrivateEndpointLink(
                    name=text(conn, "name"),
                    target_id=text(conn_props, "privateLinkServiceId"),
                    group_ids=shared_strings(conn_props, "groupIds"),
                    status=shared_text(conn_props, "privateLinkServiceConnectionState", "status"),
                    manual=manual,
                )
            )
    return PrivateEndpoint(
        **resource_fields(raw, rid), subnet_id=shared_text(props, "subnet", "id"), connections=links
    )


def _ssl_policy(raw: Any) -> SslPolicy | None:
    if not isinstance(raw, dict):
        return None
    return SslPolicy(
        policy_type=text(raw, "policyType"),
        policy_name=text(raw, "policyName"),
        min_protocol_version=text(raw, "minProtocolVersion"),
        disabled_ssl_protocols=strings(raw, "disabledSslProtocols"),
        cipher_suites=strings(raw, "cipherSuites"),
    )


def application_gateway(raw: dict[str, Any], rid: str) -> ApplicationGateway:
    """Normalise one Application Gateway's TLS-relevant settings."""
    props = obj(raw, "properties")
    profiles = [
        SslProfile(name=text(p, "name") or "", ssl_policy=_ssl_policy(obj(p, "properties").get("sslPolicy")))
        for p in items(props, "sslProfiles")
    ]
    protocols = [
        proto for lst in items(props, "httpListeners") if (proto := text(lst, "properties", "protocol"))
    ]
    fqdns = [
        fqdn
        for pool in items(props, "backendAddressPools")
        for address in items(obj(pool, "properties"), "backendAddresses")
        if (fqdn := text(address, "fqdn"))
    ]
    return ApplicationGateway(
        **resource_fields(raw, rid),
        sku_name=text(props, "sku", "name"),
        sku_tier=text(props, "sku", "tier"),
        ssl_policy=_ssl_policy(props.get("sslPolicy")),
        ssl_profiles=profiles,
        listener_protocols=protocols,
        backend_fqdns=fqdns,
    )


async def collect_private_endpoints(run: Run, subscription_id: str) -> None:
    """List the subscription's private endpoints."""
    scope = f"/subscriptions/{subscription_id}"
    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="private_endpoints.list_by_subscription",
        client=run.arm.network,
        url=arm_url(run, f"{scope}/providers/Microsoft.Network/privateEndpoints", "network"),
        convert=private_endpoint,
        into=run.out.private_endpoints,
    )


async def collect_application_gateways(run: Run, subscription_id: str) -> None:
    """List the subscription's Application Gateways."""
    scope = f"/subscriptions/{subscription_id}"
    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="application_gateways.list_all",
        client=run.arm.network,
        url=arm_url(run, f"{scope}/providers/Microsoft.Network/applicationGateways", "network"),
        convert=application_gateway,
        into=run.out.application_gateways,
    )
