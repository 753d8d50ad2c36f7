"""What a collection of an emulated tenant must contain, derived from the tenant file itself.

Nothing here is hard-coded per tenant: the same reading of the file serves the
bundled demo and the small test tenant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from scanner.emulator import Tenant
from scanner.emulator.roles import BUILT_IN_ROLES
from scanner.inventory import normalize_id


@dataclass
class Expected:
    """ARM resources by lower-case type, each as ``{normalised id: raw REST object}``; plus role data."""

    resources: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    role_assignments: set[tuple[str, str, str]] = field(default_factory=set)
    """(normalised scope or "/", lower-case principal id, lower-case role GUID) of visible assignments."""
    custom_role_guids: set[str] = field(default_factory=set)
    management_groups: dict[str, set[str]] = field(default_factory=dict)
    """Subscription id -> ancestor MG ids (lower case) that carry a visible assignment."""

    def of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """The resources of one type (may be empty)."""
        return self.resources.get(resource_type.lower(), {})


def _walk(
    raw: dict[str, Any], parent: str | None, segment: str | None
) -> Iterator[tuple[str, dict[str, Any]]]:
    rid = raw.get("id") or f"{parent}/{segment}/{raw['name']}"
    yield rid, raw
    for child_segment, children in (raw.get("_children") or {}).items():
        for child in children:
            yield from _walk(child, rid, child_segment)


def _type_of(resource_id: str) -> str:
    _, _, tail = resource_id.partition("/providers/")
    parts = tail.split("/")
    return "/".join([parts[0], *parts[1::2]]).lower()


def _mg_chain(tenant: Tenant, mg: str | None) -> list[str]:
    parents = {m.name.lower(): (m.parent or tenant.tenant_id).lower() for m in tenant.management_groups}
    chain, current = [], (mg or tenant.tenant_id).lower()
    while current and current not in chain:
        chain.append(current)
        current = parents.get(current, "")
    return chain


def expected(tenant: Tenant) -> Expected:
    """Read the tenant file into the expectations every collection of it must meet."""
    result = Expected()
    scopes_above: dict[str, set[str]] = {}
    for sub in tenant.subscriptions:
        for resource in sub.resources:
            for rid, raw in _walk(resource, None, None):
                result.resources.setdefault(_type_of(rid), {})[normalize_id(rid)] = raw
        mgs = _mg_chain(tenant, sub.management_group)
        scopes_above[sub.subscription_id.lower()] = {
            "/",
            *(f"/providers/microsoft.management/managementgroups/{m}" for m in mgs),
        }
    result.custom_role_guids = {r["name"].lower() for r in tenant.role_definitions}
    guid_by_name = {role.role_name.lower(): role.guid.lower() for role in BUILT_IN_ROLES}
    guid_by_name.update(
        (str(r.get("properties", {}).get("roleName", "")).lower(), r["name"].lower())
        for r in tenant.role_definitions
    )
    for raw in tenant.role_assignments:
        props = raw["properties"]
        scope = normalize_id(props["scope"]) or "/"
        ref = str(raw.get("role") or props.get("roleDefinitionId", ""))
        role = guid_by_name.get(ref.lower()) or ref.rstrip("/").rsplit("/", 1)[-1].lower()
        visible = False
        for sid, above in scopes_above.items():
            if scope in above:
                visible = True
                if scope != "/":
                    result.management_groups.setdefault(sid, set()).add(scope.rsplit("/", 1)[-1])
            elif scope == f"/subscriptions/{sid}" or scope.startswith(f"/subscriptions/{sid}/"):
                visible = True
        if visible:
            result.role_assignments.add((scope, props["principalId"].lower(), role))
    return result
