"""Key Vaults of one subscription with the management-plane metadata of their secrets and keys.

Vaults come from ``list_by_subscription`` (``vaults.list`` goes through the
generic resources endpoint and carries no properties). Secrets and keys are
read from the management plane only: attributes (enabled, nbf, exp, created,
updated, as Unix seconds), URIs, content type, key type and rotation policy.
That API never returns a secret value, and nothing named ``value`` is copied.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any, Literal

from scanner.collect._limiter import Priority
from scanner.collect._normalize import (
    flag,
    integer,
    items,
    last_segment,
    obj,
    private_endpoint_connections,
    resource_fields,
    shared,
    shared_text,
    text,
    when,
)
from scanner.collect._paging import arm_url, read_list
from scanner.collect._run import Run
from scanner.inventory import KeyVault, VaultItem


def key_vault(raw: dict[str, Any], rid: str) -> KeyVault:
    """Normalise one vault from ``vaults.list_by_subscription``."""
    props = obj(raw, "properties")
    acls = props.get("networkAcls")
    acl = acls if isinstance(acls, dict) else {}
    return KeyVault(
        **resource_fields(raw, rid),
        vault_uri=text(props, "vaultUri"),
        enable_soft_delete=flag(props, "enableSoftDelete"),
        enable_purge_protection=flag(props, "enablePurgeProtection"),
        soft_delete_retention_days=integer(props, "softDeleteRetentionInDays"),
        enable_rbac_authorization=flag(props, "enableRbacAuthorization"),
        public_network_access=text(props, "publicNetworkAccess"),
        network_default_action=text(acl, "defaultAction") if isinstance(acls, dict) else None,
        network_bypass=text(acl, "bypass"),
        # ipRules entries are {"value": "<CIDR>"}: an address range, not a secret.
        ip_rules=[r["value"] for r in items(acl, "ipRules") if isinstance(r.get("value"), str)],
        virtual_network_rule_ids=[
            r["id"] for r in items(acl, "virtualNetworkRules") if isinstance(r.get("id"), str)
        ],
        private_endpoint_connections=private_endpoint_connections(props),
    )


def vault_item(raw: dict[str, Any], rid: str, vault_id: str, kind: Literal["secret", "key"]) -> VaultItem:
    """Normalise one management-plane secret or key: metadata only, field by field."""
    props = obj(raw, "properties")
    attributes = obj(props, "attributes")
    rotation = props.get("rotationPolicy")
    return VaultItem(
        id=rid,
        name=shared(last_segment(rid)),  # secret and key names repeat from vault to vault
        vault_id=vault_id,
        kind=kind,
        enabled=flag(attributes, "enabled"),
        not_before=when(attributes.get("nbf")),
        expires=when(attributes.get("exp")),
        created=when(attributes.get("created")),
        updated=when(attributes.get("updated")),
        key_uri=text(props, "keyUri") if kind == "key" else text(props, "secretUri"),
        key_type=shared_text(props, "kty") if kind == "key" else None,
        content_type=shared_text(props, "contentType") if kind == "secret" else None,
        rotation_policy=rotation if kind == "key" and isinstance(rotation, dict) and rotation else None,
    )


async def collect_key_vaults(run: Run, subscription_id: str, tg: asyncio.TaskGroup) -> None:
    """List the subscription's vaults; start each vault's secret and key lists in ``tg`` at once."""
    scope = f"/subscriptions/{subscription_id}"
    client = run.arm.keyvault

    def items_of(vault_id: str) -> None:
        for kind in ("secret", "key"):
            tg.create_task(
                read_list(
                    run,
                    subscription_id=subscription_id,
                    scope=vault_id,
                    operation=f"{kind}s.list",
                    client=client,
                    url=arm_url(run, f"{vault_id}/{kind}s", "keyvault"),
                    convert=functools.partial(vault_item, vault_id=vault_id, kind=kind),
                    into=run.out.vault_items,
                    priority=Priority.CHILD,
                )
            )

    await read_list(
        run,
        subscription_id=subscription_id,
        scope=scope,
        operation="vaults.list_by_subscription",
        client=client,
        url=arm_url(run, f"{scope}/providers/Microsoft.KeyVault/vaults", "keyvault"),
        convert=key_vault,
        into=run.out.key_vaults,
        then=items_of,
    )
