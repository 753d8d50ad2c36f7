"""Microsoft Graph: app registrations, service principals, and the principals of role assignments.

Applications and service principals are read with ``$select`` and ``$top=999``
through msgraph-sdk's request builders and adapter (auth, retry on 429 with
``Retry-After``), but each page is read as raw JSON rather than kiota model
objects: at 100k applications model construction dominates CPU time, and the
inventory is normalised JSON anyway.

Role-assignment principals are resolved with ``directoryObjects/getByIds`` in
batches of at most 1000, started as soon as 1000 new ids have arrived from
ARM, so resolution overlaps collection. getByIds returns only a subset of user
properties in v1.0 (no ``userType``); users it returns without one are looked
up again with ``/users?$filter=id in (...)&$select=...``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
from collections.abc import Callable
from typing import Any, Literal

from kiota_abstractions.base_request_configuration import RequestConfiguration
from msgraph.generated.applications.applications_request_builder import ApplicationsRequestBuilder
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)
from msgraph.generated.organization.organization_request_builder import OrganizationRequestBuilder
from msgraph.generated.service_principals.service_principals_request_builder import (
    ServicePrincipalsRequestBuilder,
)
from msgraph.generated.users.users_request_builder import UsersRequestBuilder

from scanner.collect._clients import GraphClients
from scanner.collect._errors import MalformedResponse, guarded
from scanner.collect._limiter import Limiter, Priority
from scanner.collect._normalize import items, shared_text, text, when
from scanner.collect._paging import graph_pages, graph_send
from scanner.inventory import (
    AppCredential,
    Application,
    CollectionError,
    DirectoryPrincipal,
    ResourceAccess,
    ServicePrincipal,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 999
"""Graph's maximum ``$top`` for applications and service principals."""
GET_BY_IDS_MAX = 1000
"""getByIds accepts at most 1000 ids per call."""
USERS_FILTER_MAX = 15
"""Graph accepts at most 15 values in one ``in`` filter."""

APPLICATION_FIELDS = [
    "id",
    "appId",
    "displayName",
    "signInAudience",
    "createdDateTime",
    "passwordCredentials",
    "keyCredentials",
    "requiredResourceAccess",
]
SERVICE_PRINCIPAL_FIELDS = [
    "id",
    "appId",
    "displayName",
    "servicePrincipalType",
    "accountEnabled",
    "appOwnerOrganizationId",
]
USER_FIELDS = ["id", "userType", "userPrincipalName", "displayName"]

_OBJECT_TYPES: dict[str, Literal["user", "group", "servicePrincipal"]] = {
    "#microsoft.graph.user": "user",
    "#microsoft.graph.group": "group",
    "#microsoft.graph.serviceprincipal": "servicePrincipal",
}


def _credentials(
    raw: dict[str, Any], key: str, kind: Literal["password", "certificate"]
) -> list[AppCredential]:
    """Credential metadata only: ``secretText`` and ``key`` are never copied."""
    result = []
    for cred in items(raw, key):
        key_id = text(cred, "keyId")
        if not key_id:
            continue
        result.append(
            AppCredential(
                key_id=key_id,
                kind=kind,
                display_name=shared_text(cred, "displayName"),
                hint=shared_text(cred, "hint") if kind == "password" else None,
                start_date_time=when(cred.get("startDateTime")),
                end_date_time=when(cred.get("endDateTime")),
                usage=shared_text(cred, "usage") if kind == "certificate" else None,
                type=shared_text(cred, "type") if kind == "certificate" else None,
            )
        )
    return result


def _grant_ids(grants: list[dict[str, Any]], kind: str) -> list[str]:
    """The permission ids of one type in ``resourceAccess`` (the same few ids recur in every app)."""
    return [sys.intern(g["id"]) for g in grants if g.get("type") == kind and isinstance(g.get("id"), str)]


def application(raw: dict[str, Any]) -> Application | None:
    """Normalise one Graph application; None without ``id``/``appId``."""
    oid, app_id = text(raw, "id"), text(raw, "appId")
    if not (oid and app_id):
        return None
    access = []
    for entry in items(raw, "requiredResourceAccess"):
        resource_app_id = shared_text(entry, "resourceAppId")  # a few well-known APIs, over and over
        if not resource_app_id:
            continue
        grants = items(entry, "resourceAccess")
        access.append(
            ResourceAccess(
                resource_app_id=resource_app_id,
                scopes=_grant_ids(grants, "Scope"),
                roles=_grant_ids(grants, "Role"),
            )
        )
    return Application(
        id=oid,
        app_id=app_id,
        display_name=text(raw, "displayName"),
        sign_in_audience=shared_text(raw, "signInAudience"),
        created_date_time=when(raw.get("createdDateTime")),
        password_credentials=_credentials(raw, "passwordCredentials", "password"),
        key_credentials=_credentials(raw, "keyCredentials", "certificate"),
        required_resource_access=access,
    )


def service_principal(raw: dict[str, Any]) -> ServicePrincipal | None:
    """Normalise one Graph service principal; None without ``id``."""
    oid = text(raw, "id")
    if not oid:
        return None
    return ServicePrincipal(
        id=oid,
        app_id=text(raw, "appId"),
        display_name=text(raw, "displayName"),
        service_principal_type=shared_text(raw, "servicePrincipalType"),
        account_enabled=raw.get("accountEnabled") if isinstance(raw.get("accountEnabled"), bool) else None,
        app_owner_organization_id=shared_text(raw, "appOwnerOrganizationId"),
    )


def directory_principal(raw: dict[str, Any]) -> DirectoryPrincipal | None:
    """Normalise one getByIds result by its ``@odata.type``; None without ``id``."""
    oid = text(raw, "id")
    if not oid:
        return None
    kind: Literal["user", "group", "servicePrincipal", "other"] = _OBJECT_TYPES.get(
        (text(raw, "@odata.type") or "").lower(), "other"
    )
    return DirectoryPrincipal(
        id=oid,
        object_type=kind,
        display_name=text(raw, "displayName"),
        user_principal_name=text(raw, "userPrincipalName") if kind == "user" else None,
        user_type=shared_text(raw, "userType") if kind == "user" else None,
    )


def _values(body: bytes) -> list[dict[str, Any]]:
    data = json.loads(body)
    if not isinstance(data, dict) or not isinstance(data.get("value"), list):
        raise MalformedResponse("response body has no 'value' list")
    return [v for v in data["value"] if isinstance(v, dict)]


class GraphCollector:
    """Reads the directory objects of one run; every failure is recorded, never raised.

    Use ``directory()`` for applications and service principals, ``add()`` with
    principal ids as role assignments arrive, and ``close()`` once no more will.
    Batches run in the caller's task group.
    """

    def __init__(
        self,
        graph: GraphClients,
        limiter: Limiter,
        deadline_s: float,
        tg: asyncio.TaskGroup,
        record: Callable[[CollectionError], None],
    ) -> None:
        self._graph = graph
        self._limiter = limiter
        self._deadline_s = deadline_s
        self._tg = tg
        self._record = record
        self.applications: list[Application] = []
        self.service_principals: list[ServicePrincipal] = []
        self.principals: dict[str, DirectoryPrincipal] = {}
        self.asked: dict[str, str] = {}
        """Lower-case id -> id as first seen in a role assignment."""
        self._pending: list[str] = []
        self._looked_up: set[str] = set()
        """Lower-case ids of batches that succeeded: only their absences mean "deleted"."""
        self.batches_ok = True
        """False once any getByIds batch failed: absence from ``principals`` then proves nothing."""
        self.tenant_name: str | None = None
        """The organization's display name, for the report cover; None when it could not be read."""

    async def directory(self) -> None:
        """Read all applications and service principals (concurrently)."""
        client = self._graph.client
        apps_query = ApplicationsRequestBuilder.ApplicationsRequestBuilderGetQueryParameters(
            select=APPLICATION_FIELDS, top=PAGE_SIZE
        )
        sps_query = ServicePrincipalsRequestBuilder.ServicePrincipalsRequestBuilderGetQueryParameters(
            select=SERVICE_PRINCIPAL_FIELDS, top=PAGE_SIZE
        )
        async with asyncio.TaskGroup() as tg:
            tg.create_task(
                self._collection(
                    "graph:/applications",
                    "applications.list",
                    client.applications,
                    client.applications.to_get_request_information(
                        RequestConfiguration(query_parameters=apps_query)
                    ),
                    application,
                    self.applications,
                )
            )
            tg.create_task(self._organization())
            tg.create_task(
                self._collection(
                    "graph:/servicePrincipals",
                    "service_principals.list",
                    client.service_principals,
                    client.service_principals.to_get_request_information(
                        RequestConfiguration(query_parameters=sps_query)
                    ),
                    service_principal,
                    self.service_principals,
                )
            )

    async def _organization(self) -> None:
        """Read the tenant's display name. Cosmetic: a failure is logged, never recorded as a coverage gap."""
        client = self._graph.client
        query = OrganizationRequestBuilder.OrganizationRequestBuilderGetQueryParameters(
            select=["id", "displayName"]
        )
        found: list[str] = []

        def name(raw: dict[str, Any]) -> str | None:
            value = raw.get("displayName")
            return value if isinstance(value, str) and value else None

        def ignore(error: CollectionError) -> None:
            logger.info("tenant display name not available: %s", error.message)

        async def work() -> None:
            first = client.organization.to_get_request_information(
                RequestConfiguration(query_parameters=query)
            )
            async for page in graph_pages(
                self._graph, self._limiter, self._deadline_s, client.organization, first
            ):
                found.extend(n for raw in page if (n := name(raw)) is not None)

        await guarded(ignore, "graph:/organization", "organization.list", work)
        self.tenant_name = found[0] if found else None

    async def _collection(
        self,
        scope: str,
        operation: str,
        builder: Any,
        first: Any,
        convert: Callable[[dict[str, Any]], Any],
        into: list[Any],
    ) -> None:
        async def work() -> None:
            async for page in graph_pages(self._graph, self._limiter, self._deadline_s, builder, first):
                into.extend(model for raw in page if (model := convert(raw)) is not None)

        await guarded(self._record, scope, operation, work)

    def add(self, principal_ids: list[str]) -> None:
        """Queue principal ids for resolution; a full batch starts at once."""
        for pid in principal_ids:
            key = pid.strip().lower()
            if key and key not in self.asked:
                self.asked[key] = pid.strip()
                self._pending.append(pid.strip())
        while len(self._pending) >= GET_BY_IDS_MAX:
            batch, self._pending = self._pending[:GET_BY_IDS_MAX], self._pending[GET_BY_IDS_MAX:]
            self._tg.create_task(self._resolve(batch))

    def close(self) -> None:
        """No more ids will come: start the last, partial batch."""
        if self._pending:
            batch, self._pending = self._pending, []
            self._tg.create_task(self._resolve(batch))

    def unresolved(self) -> list[str]:
        """Ids a successful getByIds batch did not return: the principal no longer exists."""
        return sorted(
            (pid for key, pid in self.asked.items() if key in self._looked_up and key not in self.principals),
            key=str.lower,
        )

    async def _resolve(self, ids: list[str]) -> None:
        missing_type: list[str] = []

        async def work() -> None:
            info = self._graph.client.directory_objects.get_by_ids.to_post_request_information(
                GetByIdsPostRequestBody(ids=ids)
            )
            body = await graph_send(self._graph, self._limiter, self._deadline_s, info, Priority.CHILD)
            for raw in _values(body):
                if (principal := directory_principal(raw)) is not None:
                    self.principals[principal.id.lower()] = principal
                    if principal.object_type == "user" and principal.user_type is None:
                        missing_type.append(principal.id)

        if not await guarded(
            self._record, "graph:/directoryObjects/getByIds", "directory_objects.get_by_ids", work
        ):
            self.batches_ok = False
            return
        self._looked_up.update(i.lower() for i in ids)
        async with asyncio.TaskGroup() as tg:
            for start in range(0, len(missing_type), USERS_FILTER_MAX):
                tg.create_task(self._user_types(missing_type[start : start + USERS_FILTER_MAX]))

    async def _user_types(self, ids: list[str]) -> None:
        """Fill ``userType`` (Member/Guest) for users getByIds returned without it."""

        async def work() -> None:
            quoted = ",".join("'" + i.replace("'", "''") + "'" for i in ids)
            query = UsersRequestBuilder.UsersRequestBuilderGetQueryParameters(
                filter=f"id in ({quoted})", select=USER_FIELDS
            )
            info = self._graph.client.users.to_get_request_information(
                RequestConfiguration(query_parameters=query)
            )
            body = await graph_send(self._graph, self._limiter, self._deadline_s, info, Priority.CHILD)
            for raw in _values(body):
                oid = text(raw, "id")
                known = self.principals.get(oid.lower()) if oid else None
                if known is not None and (user_type := shared_text(raw, "userType")):
                    self.principals[known.id.lower()] = known.model_copy(
                        update={
                            "user_type": user_type,
                            "user_principal_name": known.user_principal_name
                            or text(raw, "userPrincipalName"),
                        }
                    )

        await guarded(self._record, "graph:/users", "users.list", work)


__all__ = ["GraphCollector", "application", "directory_principal", "service_principal"]
