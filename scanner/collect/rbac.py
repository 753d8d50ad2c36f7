"""Role assignments and role definitions visible from one subscription.

The unfiltered subscription list returns assignments at the subscription and
every scope inside it, plus those inherited from above (management groups,
root). Inherited management-group scopes therefore name ancestors of the
subscription, which is how ``Subscription.management_group_ids`` is filled.
"""

from __future__ import annotations

import sys
from typing import Any

from scanner.collect._normalize import items, last_segment, obj, strings, text, when
from scanner.collect._paging import arm_pages, arm_url
from scanner.collect._run import Run
from scanner.inventory import Permission, RoleAssignment, RoleDefinition, normalize_id

_MG_PREFIX = "/providers/microsoft.management/managementgroups/"


def role_assignment(raw: dict[str, Any]) -> RoleAssignment | None:
    """Normalise one role assignment; None when it lacks an id, scope, role or principal."""
    props = obj(raw, "properties")
    rid, scope = text(raw, "id"), text(props, "scope")
    role, principal = text(props, "roleDefinitionId"), text(props, "principalId")
    if not (rid and scope and role and principal):
        return None
    kind = text(props, "principalType")
    # Scopes, roles and principals repeat across tens of thousands of assignments: one copy of each string
    # (sys.intern) keeps a 100k-assignment tenant's inventory markedly smaller.
    return RoleAssignment(
        id=rid,
        name=text(raw, "name") or last_segment(rid),
        scope=sys.intern(scope),
        role_definition_id=sys.intern(role),
        principal_id=sys.intern(principal),
        principal_type=sys.intern(kind) if kind else None,
        condition=text(props, "condition"),
        created_on=when(props.get("createdOn")),
    )


def role_definition(raw: dict[str, Any]) -> RoleDefinition | None:
    """Normalise one role definition; None when it lacks an id or role name."""
    props = obj(raw, "properties")
    rid, role_name = text(raw, "id"), text(props, "roleName")
    if not (rid and role_name):
        return None
    return RoleDefinition(
        id=rid,
        name=text(raw, "name") or last_segment(rid),
        role_name=role_name,
        role_type=text(props, "type"),
        description=text(props, "description"),
        assignable_scopes=strings(props, "assignableScopes"),
        permissions=[
            Permission(
                actions=strings(p, "actions"),
                not_actions=strings(p, "notActions"),
                data_actions=strings(p, "dataActions"),
                not_data_actions=strings(p, "notDataActions"),
            )
            for p in items(props, "permissions")
        ],
    )


def management_group_of(scope: str) -> str | None:
    """The management-group id of an assignment scope at a management group, else None."""
    lowered = scope.strip().rstrip("/").lower()
    if lowered.startswith(_MG_PREFIX) and "/" not in lowered[len(_MG_PREFIX) :]:
        return scope.strip().rstrip("/")
    return None


async def collect_role_assignments(run: Run, subscription_id: str) -> None:
    """List every role assignment visible from the subscription; hand each page's principals to Graph."""
    scope = f"/subscriptions/{subscription_id}"
    ancestors = run.out.management_groups.setdefault(subscription_id.lower(), set())

    async def work() -> None:
        url = arm_url(run, f"{scope}/providers/Microsoft.Authorization/roleAssignments", "authorization")
        async for page in arm_pages(run, run.arm.authorization, url):
            principals = []
            for raw in page:
                assignment = role_assignment(raw)
                if assignment is None:
                    continue
                run.out.role_assignments.append(assignment)
                principals.append(assignment.principal_id)
                if mg := management_group_of(assignment.scope):
                    ancestors.add(mg)
            if run.on_principal_ids is not None and principals:
                run.on_principal_ids(principals)

    await run.guard(scope, "role_assignments.list_for_subscription", subscription_id, work)


async def collect_role_definitions(run: Run, subscription_id: str) -> None:
    """List the built-in and custom role definitions usable in the subscription; keep one copy per role.

    ARM renders every role definition (built-in or custom) under the id of the
    subscription it was listed from
    (``/subscriptions/<s>/providers/Microsoft.Authorization/roleDefinitions/<guid>``),
    yet a GUID names one role tenant-wide. Each role is kept once, as the copy
    with the lowest id (the first read among equal ids): the same choice whatever
    order the subscriptions answer in. Rules should match an assignment's
    ``role_definition_id`` to a definition by its GUID (``name``).
    """
    scope = f"/subscriptions/{subscription_id}"
    chosen = run.out.role_definitions

    async def work() -> None:
        url = arm_url(run, f"{scope}/providers/Microsoft.Authorization/roleDefinitions", "authorization")
        async for page in arm_pages(run, run.arm.authorization, url):
            for raw in page:
                rid = text(raw, "id")
                if not rid:
                    continue
                guid = (text(raw, "name") or last_segment(rid)).lower()
                kept = chosen.get(guid)
                if kept is not None and normalize_id(kept.id) <= normalize_id(rid):
                    continue  # a copy with a lower id is kept already: do not even build this one
                if (definition := role_definition(raw)) is not None:
                    chosen[guid] = definition

    await run.guard(scope, "role_definitions.list", subscription_id, work)
