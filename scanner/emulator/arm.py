"""Azure Resource Manager routes: subscriptions, generic resource lists and gets, RBAC.

Any resource type is served generically from the store: a GET of an id returns
the resource, a GET of a collection path lists it with absolute ``nextLink``
paging. Any ``api-version`` is accepted (its absence is an error, as in ARM).
Paths compare case-insensitively.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from scanner.emulator.responses import arm_error, decode_skiptoken, json_response, next_link
from scanner.emulator.store import ArmStore, norm, subscription_of

_RA = "/providers/microsoft.authorization/roleassignments"
_RD = "/providers/microsoft.authorization/roledefinitions"
_MG = "/providers/microsoft.management/managementgroups"
_QUOTED = r"'((?:[^']|'')*)'"
_PRINCIPAL = re.compile(rf"principalid\s+eq\s+{_QUOTED}", re.IGNORECASE)
_ASSIGNED_TO = re.compile(rf"assignedto\(\s*{_QUOTED}\s*\)", re.IGNORECASE)
_ROLE_TYPE = re.compile(rf"type\s+eq\s+{_QUOTED}", re.IGNORECASE)
_ROLE_NAME = re.compile(rf"rolename\s+eq\s+{_QUOTED}", re.IGNORECASE)
_RESOURCE_TYPE = re.compile(rf"resourcetype\s+eq\s+{_QUOTED}", re.IGNORECASE)
_NOT_FOUND_HINT = "For more details please go to https://aka.ms/ARMResourceNotFoundFix"


def _unquote(value: str) -> str:
    return value.replace("''", "'")


class ArmRoutes:
    """The ARM request handler; ``page_size`` is read per request so it can change at run time."""

    def __init__(self, store: ArmStore, page_size: Callable[[], int]) -> None:
        self._store = store
        self._page_size = page_size

    def page(self, request: web.Request, items: list[dict[str, Any]]) -> web.Response:
        """One page of ``items`` with an absolute ``nextLink`` when more remain."""
        offset = decode_skiptoken(request.query.get("$skiptoken"))
        if offset is None:
            return arm_error(400, "InvalidSkipToken", "The provided skip token is not valid.")
        size = max(1, self._page_size())
        body: dict[str, Any] = {"value": items[offset : offset + size]}
        if offset + size < len(items):
            body["nextLink"] = next_link(request, offset + size)
        return json_response(body)

    async def handle(self, request: web.Request) -> web.Response:
        """Dispatch a GET on any ARM path."""
        if "api-version" not in request.query:
            return arm_error(
                400,
                "MissingApiVersionParameter",
                "The api-version query parameter (?api-version=) is required for all requests.",
            )
        key = norm(request.path)
        store = self._store
        if key == "/subscriptions":
            return self.page(request, list(store.subscriptions.values()))
        if key == "/tenants":
            return self.page(
                request,
                [
                    {
                        "id": f"/tenants/{store.tenant.tenant_id}",
                        "tenantId": store.tenant.tenant_id,
                        "displayName": store.tenant.display_name,
                        "defaultDomain": store.tenant.default_domain,
                    }
                ],
            )
        sid = subscription_of(key)
        if sid is not None and sid not in store.subscriptions:
            return arm_error(
                404,
                "SubscriptionNotFound",
                f"The subscription '{request.path.split('/')[2]}' could not be found.",
            )
        if _RA in key:
            return self._role_assignments(request, key)
        if _RD in key:
            return self._role_definitions(request, key)
        if key.startswith(_MG):
            return self._management_groups(request, key)
        if sid is None:
            return arm_error(
                404,
                "InvalidResourceType",
                f"The resource type '{request.path.strip('/')}' could not be found.",
            )
        return self._subscription_path(request, key, sid)

    def _subscription_path(self, request: web.Request, key: str, sid: str) -> web.Response:
        store = self._store
        parts = key.split("/")
        if len(parts) == 3:
            return json_response(store.subscriptions[sid])
        if len(parts) == 4 and parts[3] == "resourcegroups":
            return self.page(request, store.groups_by_subscription[sid])
        if len(parts) == 4 and parts[3] == "resources":
            match = _RESOURCE_TYPE.search(request.query.get("$filter", ""))
            return self.page(
                request, store.generic_resources(sid, _unquote(match.group(1)) if match else None)
            )
        if (
            len(parts) >= 5
            and parts[3] == "resourcegroups"
            and "/".join(parts[:5]) not in store.resource_groups
        ):
            return arm_error(
                404,
                "ResourceGroupNotFound",
                f"Resource group '{request.path.split('/')[4]}' could not be found.",
            )
        if len(parts) == 5 and parts[3] == "resourcegroups":
            return json_response(store.resource_groups[key])
        resource = store.resources.get(key)
        if resource is not None:
            return json_response(resource)
        items = store.collections.get(key)
        if items is not None:
            return self.page(request, items)
        return self._missing(request, key)

    def _missing(self, request: web.Request, key: str) -> web.Response:
        """The ARM answer for a path the store does not hold: an empty list, or the right 404."""
        original = request.path.rstrip("/")
        head, sep, tail = original.rpartition("/providers/")
        if not sep:
            return arm_error(
                404, "InvalidResourceType", f"The resource type '{original}' could not be found."
            )
        segments = tail.split("/")
        namespace, rest = segments[0], segments[1:]
        full_type = "/".join([namespace] + rest[0::2])
        version = request.query.get("api-version", "")
        if full_type.lower() not in self._store.known_types or not rest:
            return arm_error(
                404,
                "InvalidResourceType",
                f"The resource type '{'/'.join(rest[0::2])}' could not be found in the namespace "
                f"'{namespace}' for api version '{version}'.",
            )
        group = head.split("/")[4] if head.lower().split("/")[3:4] == ["resourcegroups"] else None
        where = f" under resource group '{group}'" if group else ""
        if len(rest) % 2 == 1:
            parent = norm(original.rsplit("/", 1)[0])
            if len(rest) == 1 or parent in self._store.resources:
                return self.page(request, [])
            missing = "/".join([namespace] + rest[:-1])
            return arm_error(
                404,
                "ParentResourceNotFound",
                f"Can not perform requested operation on nested resource. Parent resource "
                f"'{missing}' not found.",
            )
        named = "/".join([namespace] + rest)
        return arm_error(
            404, "ResourceNotFound", f"The Resource '{named}'{where} was not found. {_NOT_FOUND_HINT}"
        )

    def _role_assignments(self, request: web.Request, key: str) -> web.Response:
        scope, _, rest = key.partition(_RA)
        if rest.strip("/"):
            found = self._store.role_assignments_by_id.get(key)
            if found is None:
                return arm_error(404, "RoleAssignmentNotFound", "The role assignment does not exist.")
            return json_response(found)
        text = request.query.get("$filter", "")
        principal = _PRINCIPAL.search(text) or _ASSIGNED_TO.search(text)
        items = self._store.list_role_assignments(
            scope or "/",
            at_scope_only="atscope()" in text.lower().replace(" ", ""),
            principal_id=_unquote(principal.group(1)) if principal else None,
        )
        return self.page(request, items)

    def _role_definitions(self, request: web.Request, key: str) -> web.Response:
        scope, _, rest = key.partition(_RD)
        guid = rest.strip("/")
        if guid:
            found = self._store.role_definition(guid, scope or "/")
            if found is None:
                return arm_error(
                    404,
                    "RoleDefinitionDoesNotExist",
                    f"The specified role definition with ID '{guid}' does not exist.",
                )
            return json_response(found)
        text = request.query.get("$filter", "")
        role_type = _ROLE_TYPE.search(text)
        role_name = _ROLE_NAME.search(text)
        items = self._store.list_role_definitions(
            scope or "/",
            role_type=_unquote(role_type.group(1)) if role_type else None,
            role_name=_unquote(role_name.group(1)) if role_name else None,
        )
        return self.page(request, items)

    def _management_groups(self, request: web.Request, key: str) -> web.Response:
        def render(mg: dict[str, Any]) -> dict[str, Any]:
            parent = mg["parent"]
            return {
                "id": f"/providers/Microsoft.Management/managementGroups/{mg['name']}",
                "type": "Microsoft.Management/managementGroups",
                "name": mg["name"],
                "properties": {
                    "tenantId": self._store.tenant.tenant_id,
                    "displayName": mg["displayName"],
                    "details": {
                        "parent": None
                        if parent is None
                        else {
                            "id": f"/providers/Microsoft.Management/managementGroups/{parent}",
                            "name": parent,
                        }
                    },
                },
            }

        name = key[len(_MG) :].strip("/")
        if not name:
            return self.page(request, [render(mg) for mg in self._store.management_groups.values()])
        found = self._store.management_groups.get(name)
        if found is None:
            return arm_error(404, "NotFound", f"'{name}' not found")
        return json_response(render(found))
