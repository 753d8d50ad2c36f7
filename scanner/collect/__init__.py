"""Collect a tenant's inventory ``Snapshot`` from Azure Resource Manager and Microsoft Graph, read-only.

One call, ``collect()``, fans out over every subscription in scope and, within
each, over every list at once; child lists (FHIR services of a workspace,
secrets and keys of a vault) start as soon as their parent's page arrives, and
Graph runs alongside ARM. One limiter bounds the requests in flight across all
of it. A scope that cannot be read is recorded in the snapshot and collection
goes on everywhere else.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import ssl
from collections.abc import Callable, Sequence
from contextlib import AsyncExitStack
from datetime import UTC, datetime
from typing import Any, TypeVar

from azure.core.credentials_async import AsyncTokenCredential

from scanner import __version__
from scanner._gc import collection_gc
from scanner.collect._clients import open_arm_clients, open_graph_client
from scanner.collect._limiter import Limiter
from scanner.collect._run import Collected, Run
from scanner.collect.apim import collect_apim_services
from scanner.collect.fhir import collect_legacy, collect_workspaces
from scanner.collect.graph import GraphCollector
from scanner.collect.keyvault import collect_key_vaults
from scanner.collect.network import collect_application_gateways, collect_private_endpoints
from scanner.collect.rbac import collect_role_assignments, collect_role_definitions
from scanner.collect.storage import collect_storage_accounts
from scanner.collect.subscriptions import SubscriptionInfo, list_subscriptions
from scanner.inventory import (
    Identity,
    ScopeRequest,
    Snapshot,
    Subscription,
    ToolInfo,
    normalize_id,
)
from scanner.progress import NullProgress, ProgressSink

logger = logging.getLogger(__name__)

T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def collect(
    *,
    credential: AsyncTokenCredential,
    arm_endpoint: str,
    graph_endpoint: str,
    ssl_context: ssl.SSLContext,
    tenant_id: str,
    cloud_name: str,
    scope: ScopeRequest,
    concurrency: int = 32,
    timeout_s: float = 60,
    max_retries: int = 5,
    include_graph: bool = True,
    identity: Identity | None = None,
    progress: ProgressSink | None = None,
    clock: Callable[[], datetime] = _utc_now,
) -> Snapshot:
    """Read the tenant and return its inventory snapshot, every list sorted by id.

    Read-only: ARM requests are GETs (a pipeline guard refuses anything else),
    Graph requests are GETs plus the getByIds POST, and the credential makes its
    token POSTs. Never raises for an unreadable scope: each failed list becomes a
    ``CollectionError`` and its subscription is marked ``complete=False``. An
    authentication failure of the first call (listing subscriptions) propagates
    as ``azure.core.exceptions.ClientAuthenticationError``; anything else that
    propagates is a programming error. The snapshot holds no secret values and
    no tokens.
    """
    sink: ProgressSink = progress or NullProgress()
    started_at = clock()
    limiter = Limiter(concurrency)
    # One page, retries and their waits included, may take this long at most (a server that never answers).
    deadline_s = timeout_s * (max_retries + 2)
    out = Collected()
    with collection_gc():  # the run's own GC thresholds (see scanner._gc); restored on return
        async with AsyncExitStack() as stack:
            http: dict[str, Any] = {
                "credential": credential,
                "ssl_context": ssl_context,
                "concurrency": concurrency,
                "timeout_s": timeout_s,
                "max_retries": max_retries,
            }
            arm = await stack.enter_async_context(open_arm_clients(arm_endpoint=arm_endpoint, **http))
            run = Run(arm=arm, limiter=limiter, page_deadline_s=deadline_s, out=out)
            sink.stage("listing subscriptions")
            subscriptions, _ = await list_subscriptions(run, scope)
            sink.start(len(subscriptions))

            graph: GraphCollector | None = None
            async with asyncio.TaskGroup() as tg:
                if include_graph:
                    graph_clients = await stack.enter_async_context(
                        open_graph_client(graph_endpoint=graph_endpoint, **http)
                    )
                    graph = GraphCollector(
                        graph_clients, limiter, deadline_s, tg, lambda e: run.record(e, None)
                    )
                    run.on_principal_ids = graph.add
                    tg.create_task(graph.directory())
                tg.create_task(_all_subscriptions(run, subscriptions, sink, graph))
            sink.finish()

        return _snapshot(
            out,
            subscriptions,
            graph,
            tenant_id=tenant_id,
            cloud_name=cloud_name,
            scope=scope,
            identity=identity,
            started_at=started_at,
            finished_at=clock(),
        )


async def _all_subscriptions(
    run: Run, subscriptions: list[SubscriptionInfo], sink: ProgressSink, graph: GraphCollector | None
) -> None:
    async with asyncio.TaskGroup() as tg:
        for info in subscriptions:
            if info.visible:
                tg.create_task(_subscription(run, info, sink))
            else:
                sink.subscription_done(info.subscription_id, info.display_name, False)
    if graph is not None:
        sink.stage(f"resolving {len(graph.asked)} role-assignment principal(s) in Microsoft Graph")
        graph.close()


async def _subscription(run: Run, info: SubscriptionInfo, sink: ProgressSink) -> None:
    """Every list of one subscription, concurrently; reports progress when all have finished."""
    sid = info.subscription_id
    async with asyncio.TaskGroup() as tg:
        tg.create_task(collect_workspaces(run, sid, tg))
        tg.create_task(collect_legacy(run, sid))
        tg.create_task(collect_role_assignments(run, sid))
        tg.create_task(collect_role_definitions(run, sid))
        tg.create_task(collect_key_vaults(run, sid, tg))
        tg.create_task(collect_private_endpoints(run, sid))
        tg.create_task(collect_application_gateways(run, sid))
        tg.create_task(collect_apim_services(run, sid))
        tg.create_task(collect_storage_accounts(run, sid))
    sink.subscription_done(sid, info.display_name, sid.lower() not in run.out.incomplete)


_SORT_BLOCK = 8192
"""Models sorted at a time by ``_unique`` before the sorted blocks are merged."""


def _unique(models: Sequence[T], key: Callable[[T], str]) -> list[T]:
    """Deduplicate by ``key`` (the first read wins) and sort by it: deterministic output.

    Sorted block by block, then merged, so only one block's keys exist at a time: a key is a
    lower-cased copy of the id, and holding all of them at once (123,000 role assignments at 1,000
    subscriptions) made the end of a run its memory peak, 30 MB above the inventory itself. Both
    ``sorted`` and ``heapq.merge`` are stable, so among equal keys the first read comes first.
    """
    blocks = [sorted(models[i : i + _SORT_BLOCK], key=key) for i in range(0, len(models), _SORT_BLOCK)]
    result: list[T] = []
    last: str | None = None
    for model in heapq.merge(*blocks, key=key):
        if (current := key(model)) != last:
            result.append(model)
            last = current
    return result


def _by_id(model: Any) -> str:
    return normalize_id(model.id)


def _snapshot(
    out: Collected,
    subscriptions: list[SubscriptionInfo],
    graph: GraphCollector | None,
    *,
    tenant_id: str,
    cloud_name: str,
    scope: ScopeRequest,
    identity: Identity | None,
    started_at: datetime,
    finished_at: datetime,
) -> Snapshot:
    subs = [
        Subscription(
            subscription_id=info.subscription_id,
            display_name=info.display_name,
            state=info.state,
            tenant_id=info.tenant_id,
            management_group_ids=sorted(
                out.management_groups.get(info.subscription_id.lower(), set()), key=str.lower
            ),
            complete=info.visible and info.subscription_id.lower() not in out.incomplete,
        )
        for info in subscriptions
    ]
    errors = sorted(
        out.errors, key=lambda e: (normalize_id(e.scope), e.operation, e.status or 0, e.code or "", e.message)
    )
    if not tenant_id:  # azure-cli / default auth without a configured tenant: the subscriptions say
        tenant_id = next((info.tenant_id for info in subscriptions if info.tenant_id), "") or "unknown"
    return Snapshot(
        tool=ToolInfo(version=__version__),
        tenant_id=tenant_id,
        tenant_name=graph.tenant_name if graph else None,
        cloud=cloud_name,
        identity=identity,
        started_at=started_at,
        finished_at=finished_at,
        scope=scope,
        subscriptions=subs,
        errors=errors,
        workspaces=_unique(out.workspaces, _by_id),
        fhir_services=_unique(out.fhir_services, _by_id),
        legacy_fhir_services=_unique(out.legacy_fhir_services, _by_id),
        role_assignments=_unique(out.role_assignments, _by_id),
        role_definitions=sorted(out.role_definitions.values(), key=_by_id),
        key_vaults=_unique(out.key_vaults, _by_id),
        vault_items=_unique(out.vault_items, _by_id),
        private_endpoints=_unique(out.private_endpoints, _by_id),
        application_gateways=_unique(out.application_gateways, _by_id),
        apim_services=_unique(out.apim_services, _by_id),
        storage_accounts=_unique(out.storage_accounts, _by_id),
        applications=_unique(graph.applications, _by_id) if graph else [],
        service_principals=_unique(graph.service_principals, _by_id) if graph else [],
        principals=_unique(list(graph.principals.values()), _by_id) if graph else [],
        unresolved_principal_ids=graph.unresolved() if graph else [],
        principals_resolved=graph.batches_ok if graph else False,
        graph_collected=graph is not None,
    )


__all__ = ["collect"]
