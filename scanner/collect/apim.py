"""API Management services of one subscription (gateway TLS settings, network exposure)."""

from __future__ import annotations

from typing import Any

from scanner.collect._normalize import items, obj, resource_fields, text, when
from scanner.collect._paging import arm_url, read_list
from scanner.collect._run import Run
from scanner.inventory import ApimService


def apim_service(raw: dict[str, Any], rid: str) -> ApimService:
    """Normalise one API Management service; ``customProperties`` values are kept as strings."""
    props = obj(raw, "properties")
    custom = obj(props, "customProperties")
    return ApimService(
        **resource_fields(raw, rid),
        sku_name=text(raw, "sku", "name"),
        custom_properties={str(k): v if isinstance(v, str) else str(v) for k, v in custom.items()},
        public_network_access=text(props, "publicNetworkAccess"),
        virtual_network_type=text(props, "virtualNetworkType"),
        gateway_url=text(props, "gatewayUrl"),
        hostnames=[h for c in items(props, "hostnameConfigurations") if (h := text(c, "hostName"))],
        min_api_version=text(props, "apiVersionConstraint", "minApiVersion"),
        created_at=when(props.get("createdAtUtc")),
    )


async def collect_apim_services(run: Run, subscription_id: str) -> None:
    """List the subscription's API Management services."""
    scope = f"/subscriptions/{subscription_id}"
    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="api_management_service.list",
        client=run.arm.apimanagement,
        url=arm_url(run, f"{scope}/providers/Microsoft.ApiManagement/service", "apimanagement"),
        convert=apim_service,
        into=run.out.apim_services,
    )
