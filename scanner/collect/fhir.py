"""AHDS workspaces with their FHIR services, and legacy Azure API for FHIR services, of one subscription.

There is no subscription-wide FHIR service list: workspaces are listed, and
each workspace's ``fhirservices`` list starts as soon as its page arrives.
"""

from __future__ import annotations

import asyncio
from typing import Any

from scanner.collect._limiter import Priority
from scanner.collect._normalize import (
    flag,
    integer,
    obj,
    private_endpoint_connections,
    resource_fields,
    strings,
    text,
)
from scanner.collect._paging import arm_url, read_list
from scanner.collect._run import Run
from scanner.inventory import Cors, FhirService, LegacyFhirService, Workspace


def _cors(properties: dict[str, Any]) -> Cors | None:
    raw = properties.get("corsConfiguration")
    if not isinstance(raw, dict):
        return None
    return Cors(
        origins=strings(raw, "origins"),
        headers=strings(raw, "headers"),
        methods=strings(raw, "methods"),
        max_age=integer(raw, "maxAge"),
        allow_credentials=flag(raw, "allowCredentials"),
    )


def workspace(raw: dict[str, Any], rid: str) -> Workspace:
    """Normalise one ``Microsoft.HealthcareApis/workspaces`` item."""
    props = obj(raw, "properties")
    return Workspace(
        **resource_fields(raw, rid),
        public_network_access=text(props, "publicNetworkAccess"),
        private_endpoint_connections=private_endpoint_connections(props),
        provisioning_state=text(props, "provisioningState"),
    )


def fhir_service(raw: dict[str, Any], rid: str, workspace_id: str) -> FhirService:
    """Normalise one ``workspaces/fhirservices`` item (name taken from the id, see ``resource_fields``)."""
    props = obj(raw, "properties")
    auth = obj(props, "authenticationConfiguration")
    return FhirService(
        **resource_fields(raw, rid),
        workspace_id=workspace_id,
        kind=text(raw, "kind"),
        public_network_access=text(props, "publicNetworkAccess"),
        private_endpoint_connections=private_endpoint_connections(props),
        cors=_cors(props),
        cmk_key_url=text(props, "encryption", "customerManagedKeyEncryption", "keyEncryptionKeyUrl"),
        export_storage_account_name=text(props, "exportConfiguration", "storageAccountName"),
        import_storage_account_name=text(props, "importConfiguration", "integrationDataStore"),
        import_enabled=flag(props, "importConfiguration", "enabled"),
        authority=text(auth, "authority"),
        audience=text(auth, "audience"),
        smart_proxy_enabled=flag(auth, "smartProxyEnabled"),
        identity_type=text(raw, "identity", "type"),
        provisioning_state=text(props, "provisioningState"),
    )


def legacy_fhir_service(raw: dict[str, Any], rid: str) -> LegacyFhirService:
    """Normalise one legacy ``Microsoft.HealthcareApis/services`` item."""
    props = obj(raw, "properties")
    auth = obj(props, "authenticationConfiguration")
    policies = props.get("accessPolicies")
    object_ids = (
        [p["objectId"] for p in policies if isinstance(p, dict) and isinstance(p.get("objectId"), str)]
        if isinstance(policies, list)
        else []
    )
    return LegacyFhirService(
        **resource_fields(raw, rid),
        kind=text(raw, "kind"),
        public_network_access=text(props, "publicNetworkAccess"),
        private_endpoint_connections=private_endpoint_connections(props),
        cors=_cors(props),
        cosmos_key_vault_key_uri=text(props, "cosmosDbConfiguration", "keyVaultKeyUri"),
        export_storage_account_name=text(props, "exportConfiguration", "storageAccountName"),
        access_policy_object_ids=object_ids,
        authority=text(auth, "authority"),
        audience=text(auth, "audience"),
        identity_type=text(raw, "identity", "type"),
        provisioning_state=text(props, "provisioningState"),
    )


async def collect_workspaces(run: Run, subscription_id: str, tg: asyncio.TaskGroup) -> None:
    """List the subscription's workspaces; start each workspace's FHIR-service list in ``tg`` at once."""
    scope = f"/subscriptions/{subscription_id}"
    client = run.arm.healthcare

    def fhir_of(ws_id: str) -> None:
        tg.create_task(
            read_list(
                run,
                subscription_id=subscription_id,
                scope=ws_id,
                operation="fhir_services.list_by_workspace",
                client=client,
                url=arm_url(run, f"{ws_id}/fhirservices", "healthcare"),
                convert=lambda raw, rid: fhir_service(raw, rid, ws_id),
                into=run.out.fhir_services,
                priority=Priority.CHILD,
            )
        )

    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="workspaces.list_by_subscription",
        client=client,
        url=arm_url(run, f"{scope}/providers/Microsoft.HealthcareApis/workspaces", "healthcare"),
        convert=workspace,
        into=run.out.workspaces,
        then=fhir_of,
    )


async def collect_legacy(run: Run, subscription_id: str) -> None:
    """List the subscription's Azure API for FHIR services."""
    scope = f"/subscriptions/{subscription_id}"
    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="services.list",
        client=run.arm.healthcare,
        url=arm_url(run, f"{scope}/providers/Microsoft.HealthcareApis/services", "healthcare"),
        convert=legacy_fhir_service,
        into=run.out.legacy_fhir_services,
    )
