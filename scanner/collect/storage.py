"""Storage accounts of one subscription (TLS, HTTPS-only, public access, network rules)."""

from __future__ import annotations

from typing import Any

from scanner.collect._normalize import (
    flag,
    obj,
    private_endpoint_connections,
    resource_fields,
    text,
)
from scanner.collect._paging import arm_url, read_list
from scanner.collect._run import Run
from scanner.inventory import StorageAccount


def storage_account(raw: dict[str, Any], rid: str) -> StorageAccount:
    """Normalise one storage account."""
    props = obj(raw, "properties")
    return StorageAccount(
        **resource_fields(raw, rid),
        kind=text(raw, "kind"),
        sku_name=text(raw, "sku", "name"),
        minimum_tls_version=text(props, "minimumTlsVersion"),
        https_only=flag(props, "supportsHttpsTrafficOnly"),
        allow_blob_public_access=flag(props, "allowBlobPublicAccess"),
        public_network_access=text(props, "publicNetworkAccess"),
        network_default_action=text(props, "networkAcls", "defaultAction"),
        allow_shared_key_access=flag(props, "allowSharedKeyAccess"),
        private_endpoint_connections=private_endpoint_connections(props),
    )


async def collect_storage_accounts(run: Run, subscription_id: str) -> None:
    """List the subscription's storage accounts."""
    scope = f"/subscriptions/{subscription_id}"
    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="storage_accounts.list",
        client=run.arm.storage,
        url=arm_url(run, f"{scope}/providers/Microsoft.Storage/storageAccounts", "storage"),
        convert=storage_account,
        into=run.out.storage_accounts,
    )
