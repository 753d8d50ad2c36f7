"""``check-access``: one read of each kind the scanner makes, and which permission is missing where.

It reuses the collectors' clients and pagers, so a probe fails exactly when the
real collection would, and reads only the first page of each list.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError
from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)

from scanner.collect._clients import ArmClients, open_arm_clients, open_graph_client
from scanner.collect._errors import EXPECTED, to_collection_error
from scanner.collect._limiter import Limiter
from scanner.collect._paging import arm_pages, arm_url, graph_pages
from scanner.collect._run import Collected, Run
from scanner.collect.subscriptions import list_subscriptions
from scanner.inventory import ScopeRequest

READER = "Reader (Azure RBAC) on the subscription or a management group above it"
APP_READ = "Microsoft Graph application permission Application.Read.All"
DIR_READ = "Microsoft Graph application permission Directory.Read.All"
DENIED = {401, 403}

# (check name, client attribute, path below /subscriptions/<id>, api family, permission needed)
ARM_PROBES: tuple[tuple[str, str, str, str, str], ...] = (
    ("AHDS workspaces", "healthcare", "providers/Microsoft.HealthcareApis/workspaces", "healthcare", READER),
    ("Azure API for FHIR", "healthcare", "providers/Microsoft.HealthcareApis/services", "healthcare", READER),
    (
        "role assignments",
        "authorization",
        "providers/Microsoft.Authorization/roleAssignments",
        "authorization",
        READER + " (Microsoft.Authorization/roleAssignments/read)",
    ),
    (
        "role definitions",
        "authorization",
        "providers/Microsoft.Authorization/roleDefinitions",
        "authorization",
        READER + " (Microsoft.Authorization/roleDefinitions/read)",
    ),
    ("key vaults", "keyvault", "providers/Microsoft.KeyVault/vaults", "keyvault", READER),
    ("private endpoints", "network", "providers/Microsoft.Network/privateEndpoints", "network", READER),
    ("application gateways", "network", "providers/Microsoft.Network/applicationGateways", "network", READER),
    ("API Management", "apimanagement", "providers/Microsoft.ApiManagement/service", "apimanagement", READER),
    ("storage accounts", "storage", "providers/Microsoft.Storage/storageAccounts", "storage", READER),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Probe:
    """The outcome of one read."""

    check: str
    scope: str
    ok: bool
    detail: str
    """``ok`` or, when refused, the permission to grant; otherwise the error."""


async def _probe(check: str, scope: str, permission: str, read: Callable[[], Awaitable[None]]) -> Probe:
    try:
        await read()
    except ClientAuthenticationError:
        raise
    except EXPECTED as exc:
        err = to_collection_error(scope, check, exc)
        if err.status in DENIED:
            return Probe(
                check=check, scope=scope, ok=False, detail=f"missing: {permission} [{err.code or err.status}]"
            )
        return Probe(check=check, scope=scope, ok=False, detail=f"error: HTTP {err.status} {err.message}")
    return Probe(check=check, scope=scope, ok=True, detail="ok")


async def _first_page(run: Run, client: Any, url: str) -> None:
    async for _ in arm_pages(run, client, url):
        return


async def check_access(
    *,
    credential: AsyncTokenCredential,
    arm_endpoint: str,
    graph_endpoint: str,
    ssl_context: ssl.SSLContext,
    scope: ScopeRequest,
    include_graph: bool = True,
    concurrency: int = 8,
    timeout_s: float = 30,
) -> list[Probe]:
    """Try each kind of read once (per subscription for ARM) and return what succeeded or was refused."""
    http: dict[str, Any] = {
        "credential": credential,
        "ssl_context": ssl_context,
        "concurrency": concurrency,
        "timeout_s": timeout_s,
        "max_retries": 2,
    }
    probes: list[Probe] = []
    async with open_arm_clients(arm_endpoint=arm_endpoint, **http) as arm:
        run = Run(arm=arm, limiter=Limiter(concurrency), page_deadline_s=timeout_s * 4, out=Collected())
        subscriptions, listed = await list_subscriptions(run, scope)
        if not listed or not subscriptions:
            detail = "ok" if listed else f"missing: {READER}"
            if listed and not subscriptions:
                detail = f"missing: no subscription is visible; grant {READER}"
            probes.append(Probe(check="subscriptions", scope="/subscriptions", ok=False, detail=detail))
        else:
            probes.append(
                Probe(
                    check="subscriptions",
                    scope="/subscriptions",
                    ok=True,
                    detail=f"ok ({len(subscriptions)} visible in scope)",
                )
            )
        probes.extend(
            await asyncio.gather(
                *(
                    _arm_probe(run, arm, info.subscription_id, probe)
                    for info in subscriptions
                    if info.visible
                    for probe in ARM_PROBES
                )
            )
        )
        for vault_probes in await asyncio.gather(
            *(_vault_item_probes(run, arm, info.subscription_id) for info in subscriptions if info.visible)
        ):
            probes.extend(vault_probes)
        for err in run.out.errors:  # include-scope subscriptions that are not visible at all
            probes.append(Probe(check="subscription", scope=err.scope, ok=False, detail=f"missing: {READER}"))
    if include_graph:
        async with open_graph_client(graph_endpoint=graph_endpoint, **http) as graph:
            probes.extend(await _graph_probes(graph, Limiter(concurrency), timeout_s * 4))
    return probes


VAULT_ITEMS_PERMISSION = (
    READER
    + " (Microsoft.KeyVault/vaults/secrets/read and keys/read: management-plane attributes, never values)"
)


async def _vault_item_probes(run: Run, arm: ArmClients, subscription_id: str) -> list[Probe]:
    """Secret and key lists of the subscription's first vault: a role can allow vaults but not their items."""
    scope = f"/subscriptions/{subscription_id}"
    vault_id: str | None = None
    try:
        async for page in arm_pages(
            run, arm.keyvault, arm_url(run, f"{scope}/providers/Microsoft.KeyVault/vaults", "keyvault")
        ):
            vault_id = next((v["id"] for v in page if isinstance(v.get("id"), str)), None)
            break
    except EXPECTED:
        return []  # the "key vaults" probe already reports why
    if vault_id is None:
        return []
    found: str = vault_id

    def items(kind: str) -> Callable[[], Awaitable[None]]:
        return lambda: _first_page(run, arm.keyvault, arm_url(run, f"{found}/{kind}", "keyvault"))

    return [
        await _probe(f"key vault {kind}", found, VAULT_ITEMS_PERMISSION, items(kind))
        for kind in ("secrets", "keys")
    ]


async def _arm_probe(
    run: Run, arm: ArmClients, subscription_id: str, probe: tuple[str, str, str, str, str]
) -> Probe:
    check, attr, path, family, permission = probe
    scope = f"/subscriptions/{subscription_id}"
    url = arm_url(run, f"{scope}/{path}", family)
    return await _probe(check, scope, permission, lambda: _first_page(run, getattr(arm, attr), url))


async def _graph_probes(graph: Any, limiter: Limiter, deadline_s: float) -> list[Probe]:
    client = graph.client

    async def first(builder: Any) -> None:
        info = builder.to_get_request_information(RequestConfiguration())
        async for _ in graph_pages(graph, limiter, deadline_s, builder, info):
            return

    async def get_by_ids() -> None:
        body = GetByIdsPostRequestBody(ids=["00000000-0000-0000-0000-000000000000"], types=["user"])
        await client.directory_objects.get_by_ids.post(body)

    return list(
        await asyncio.gather(
            _probe("applications", "graph:/applications", APP_READ, lambda: first(client.applications)),
            _probe(
                "service principals",
                "graph:/servicePrincipals",
                APP_READ,
                lambda: first(client.service_principals),
            ),
            _probe("directory objects (getByIds)", "graph:/directoryObjects", DIR_READ, get_by_ids),
        )
    )
