"""The FHIR data-role catalogue and Azure RBAC action matching: which role definitions grant FHIR data access.

Azure RBAC grants FHIR data-plane access only through a role definition's
``dataActions`` (minus its ``notDataActions``); ``actions`` are control-plane
operations and never grant data access (Owner has ``actions: ["*"]`` and no
FHIR data access, which is why control-plane roles are a separate rule).
The FHIR data actions live under two namespaces, one per product:

- ``Microsoft.HealthcareApis/workspaces/fhirservices/resources/...`` (AHDS FHIR service),
- ``Microsoft.HealthcareApis/services/fhir/resources/...`` (legacy Azure API for FHIR).

Sources: the built-in role definitions in
https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles/integration
and https://learn.microsoft.com/en-us/azure/healthcare-apis/configure-azure-rbac.

Everything here is pure and is computed once per check: ``RoleCatalogue`` classifies
each role definition once, so classifying N role assignments is N dictionary lookups.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from scanner.inventory import Permission, Snapshot
from scanner.rule import RuleContext

FHIR_DATA_NAMESPACES: tuple[str, ...] = (
    "Microsoft.HealthcareApis/workspaces/fhirservices/resources/",
    "Microsoft.HealthcareApis/services/fhir/resources/",
)
"""Prefixes of every FHIR data action (AHDS FHIR service, then legacy Azure API for FHIR)."""

FHIR_DATA_OPERATIONS: tuple[str, ...] = (
    "read",
    "write",
    "delete",
    "hardDelete/action",
    "export/action",
    "import/action",
    "convertData/action",
    "resourceValidate/action",
    "reindex/action",
    "editProfileDefinitions/action",
    "smart/action",
)
"""The FHIR data operations named by Microsoft's built-in roles and RBAC documentation."""

WRITE_OPERATIONS: frozenset[str] = frozenset(
    {"write", "delete", "harddelete/action", "import/action", "editprofiledefinitions/action"}
)
"""Operations (lower case) that create, change or remove FHIR data: a role granting any is write-capable."""

FHIR_DATA_ACTIONS: tuple[str, ...] = tuple(
    ns + op for ns in FHIR_DATA_NAMESPACES for op in FHIR_DATA_OPERATIONS
)
"""Every known concrete FHIR data action in both namespaces."""

HEALTHCARE_APIS_APP_ID = "4f6778d8-5aef-43dc-a1ff-b073724b9495"
"""The first-party "Azure Healthcare APIs" application an app requests permissions on (requiredResourceAccess)."""

# Built-in role definition GUIDs (the last segment of a role definition id).
FHIR_DATA_READER = "4c8d0bbc-75d3-4935-991f-5f3c56d81508"
FHIR_DATA_WRITER = "3f88fce4-5892-4214-ae73-ba5294559913"
FHIR_DATA_CONTRIBUTOR = "5a1fc7df-4bf1-4951-a576-89034ee01acd"
FHIR_DATA_EXPORTER = "3db33094-8700-4567-8da5-1501d4e7e843"
FHIR_DATA_IMPORTER = "4465e953-8ced-4406-a58e-0f6e3f3b530b"
FHIR_SMART_USER = "4ba50f17-9666-485c-a643-ff00808643f0"
FHIR_DATA_CONVERTER = "a1705bd2-3a8f-45a5-8683-466fcfd5cc24"
OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
CONTRIBUTOR = "b24988ac-6180-42a0-ab88-20f7382dd24c"
READER = "acdd72a7-3385-48ef-bd42-f606fba81ae7"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
RBAC_ADMINISTRATOR = "f58310d9-a9f6-439a-9e8d-f62e7b41a168"

PRIVILEGED_CONTROL_ROLES: Mapping[str, str] = {
    OWNER: "Owner",
    USER_ACCESS_ADMINISTRATOR: "User Access Administrator",
    RBAC_ADMINISTRATOR: "Role Based Access Control Administrator",
}
"""Control-plane roles that can create role assignments, hence grant themselves FHIR data access."""

_AHDS, _LEGACY = FHIR_DATA_NAMESPACES


def _both(*ops: str) -> tuple[str, ...]:
    return tuple(ns + op for ns in (_LEGACY, _AHDS) for op in ops)


@dataclass(frozen=True, slots=True)
class _BuiltIn:
    name: str
    data_actions: tuple[str, ...] = ()
    not_data_actions: tuple[str, ...] = ()


# The documented permissions of the built-ins, used only when a snapshot lacks the definition
# (the snapshot's own copy always wins: it is what Azure returned).
_BUILTINS: Mapping[str, _BuiltIn] = {
    FHIR_DATA_READER: _BuiltIn("FHIR Data Reader", _both("read")),
    FHIR_DATA_WRITER: _BuiltIn(
        "FHIR Data Writer",
        _both(
            "read",
            "write",
            "delete",
            "export/action",
            "resourceValidate/action",
            "reindex/action",
            "convertData/action",
            "editProfileDefinitions/action",
            "import/action",
        ),
    ),
    FHIR_DATA_CONTRIBUTOR: _BuiltIn(
        "FHIR Data Contributor", (_LEGACY + "*", _AHDS + "*"), _both("smart/action")
    ),
    FHIR_DATA_EXPORTER: _BuiltIn("FHIR Data Exporter", _both("read", "export/action")),
    FHIR_DATA_IMPORTER: _BuiltIn("FHIR Data Importer", (_AHDS + "read", _AHDS + "import/action")),
    FHIR_SMART_USER: _BuiltIn("FHIR SMART User", _both("read", "smart/action")),
    FHIR_DATA_CONVERTER: _BuiltIn("FHIR Data Converter", _both("convertData/action")),
    OWNER: _BuiltIn("Owner"),
    CONTRIBUTOR: _BuiltIn("Contributor"),
    READER: _BuiltIn("Reader"),
    USER_ACCESS_ADMINISTRATOR: _BuiltIn("User Access Administrator"),
    RBAC_ADMINISTRATOR: _BuiltIn("Role Based Access Control Administrator"),
}

BUILTIN_FHIR_DATA_ROLES: Mapping[str, str] = {guid: b.name for guid, b in _BUILTINS.items() if b.data_actions}
"""GUID -> name of the seven built-in FHIR data roles."""


def role_guid(role_definition_id: str) -> str:
    """The role definition GUID (lower case) of a role definition id or bare GUID.

    Built-ins are referenced as ``/subscriptions/<sid>/providers/Microsoft.Authorization/
    roleDefinitions/<guid>`` from every subscription, so the GUID is the identity to compare.
    """
    return role_definition_id.strip().rstrip("/").rsplit("/", 1)[-1].lower()


@lru_cache(maxsize=4096)
def _pattern(pattern: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in pattern.strip().split("*")), re.IGNORECASE)


def action_matches(pattern: str, action: str) -> bool:
    """True when RBAC action ``pattern`` grants ``action``, with Azure semantics.

    Case-insensitive; ``*`` matches any run of characters (slashes included) wherever
    it appears, so ``*``, ``Microsoft.HealthcareApis/*`` and ``*/read`` all match
    ``Microsoft.HealthcareApis/workspaces/fhirservices/resources/read``.
    """
    return _pattern(pattern).fullmatch(action.strip()) is not None


def is_fhir_data_action(action: str) -> bool:
    """True for a concrete action (no wildcard) in one of the FHIR data namespaces."""
    low = action.strip().lower()
    return "*" not in low and any(low.startswith(ns.lower()) for ns in FHIR_DATA_NAMESPACES)


def operation_of(action: str) -> str:
    """The operation part of a FHIR data action (``hardDelete/action``), or the action unchanged."""
    low = action.strip().lower()
    for ns in FHIR_DATA_NAMESPACES:
        if low.startswith(ns.lower()):
            return action.strip()[len(ns) :]
    return action.strip()


@dataclass(frozen=True, slots=True, kw_only=True)
class FhirGrant:
    """What one role definition grants on FHIR data, after ``notDataActions``; build with ``of``."""

    role_guid: str
    role_name: str
    custom: bool
    actions: tuple[str, ...]
    """Concrete FHIR data actions granted, sorted case-insensitively."""
    wildcard_patterns: tuple[str, ...]
    """``dataActions`` entries containing ``*`` that still grant a FHIR data action after ``notDataActions``."""
    operations: tuple[str, ...]
    """Distinct operations granted across both namespaces, sorted (for evidence)."""
    write_operations: tuple[str, ...]
    """The subset of ``operations`` that create, change or delete FHIR data."""

    @classmethod
    def of(
        cls, role_guid: str, role_name: str, *, custom: bool, permissions: Iterable[Permission]
    ) -> FhirGrant:
        """Evaluate ``permissions`` once; every derived view is stored, so per-assignment use is free."""
        actions, wildcards = evaluate_permissions(permissions)
        operations = tuple(sorted({operation_of(a) for a in actions}, key=str.lower))
        return cls(
            role_guid=role_guid,
            role_name=role_name,
            custom=custom,
            actions=actions,
            wildcard_patterns=wildcards,
            operations=operations,
            write_operations=tuple(op for op in operations if op.lower() in WRITE_OPERATIONS),
        )

    @property
    def grants_data(self) -> bool:
        """True when the role grants at least one FHIR data action: it is a FHIR data role."""
        return bool(self.actions)

    @property
    def write_capable(self) -> bool:
        """True when the role can create, change or delete FHIR data (write/delete/hardDelete/import/...)."""
        return bool(self.write_operations)


def evaluate_permissions(permissions: Iterable[Permission]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (FHIR data actions granted, wildcard dataActions that grant any of them).

    Each permission block is evaluated on its own (its ``notDataActions`` remove from its
    own ``dataActions``), then blocks are unioned, as Azure computes a role's effective
    permissions. The candidate actions are the known catalogue plus any concrete FHIR
    data action the role names literally, so an operation added by Microsoft after this
    catalogue is still seen when a custom role grants it by name.
    """
    blocks = list(permissions)
    candidates: dict[str, str] = {a.lower(): a for a in FHIR_DATA_ACTIONS}
    for block in blocks:
        for entry in block.data_actions:
            if is_fhir_data_action(entry):
                candidates.setdefault(entry.strip().lower(), entry.strip())
    granted: dict[str, str] = {}
    wildcards: dict[str, str] = {}
    for block in blocks:
        denied = [p for p in block.not_data_actions if p.strip()]
        for key, action in candidates.items():
            if any(action_matches(p, action) for p in denied):
                continue
            for entry in block.data_actions:
                if action_matches(entry, action):
                    granted.setdefault(key, action)
                    if "*" in entry:
                        wildcards.setdefault(entry.strip().lower(), entry.strip())
    return (
        tuple(sorted(granted.values(), key=str.lower)),
        tuple(sorted(wildcards.values(), key=str.lower)),
    )


class RoleCatalogue:
    """Role GUID -> ``FhirGrant`` for every definition in a snapshot, with documented built-in fallbacks.

    Build it once per check (``from_snapshot``); lookups are O(1). A role definition the
    snapshot does not hold and that is not a well-known built-in is *unknown*
    (``grant`` returns None): rules must not guess what it grants.
    """

    def __init__(self, grants: Mapping[str, FhirGrant]) -> None:
        self._grants = dict(grants)
        self._by_id: dict[str, FhirGrant | None] = {}
        """Memo of role definition id as written -> grant: assignments repeat a handful of ids."""

    @classmethod
    def from_snapshot(cls, inv: Snapshot) -> RoleCatalogue:
        """Classify the snapshot's role definitions (deduplicated by GUID) plus absent well-known built-ins."""
        grants: dict[str, FhirGrant] = {}
        for guid, builtin in _BUILTINS.items():
            block = Permission(
                data_actions=list(builtin.data_actions), not_data_actions=list(builtin.not_data_actions)
            )
            grants[guid] = FhirGrant.of(guid, builtin.name, custom=False, permissions=[block])
        seen: set[str] = set()
        for definition in inv.role_definitions:
            guid = role_guid(definition.name or definition.id)
            if guid in seen:
                continue
            seen.add(guid)
            custom = (definition.role_type or "").lower() == "customrole"
            grants[guid] = FhirGrant.of(
                guid, definition.role_name, custom=custom, permissions=definition.permissions
            )
        return cls(grants)

    @classmethod
    def shared(cls, inv: Snapshot, ctx: RuleContext[Any]) -> RoleCatalogue:
        """``from_snapshot``, built once per evaluation for every rule that asks (``RuleContext.memo``)."""
        return ctx.memo("fhir_roles.catalogue", lambda: cls.from_snapshot(inv))

    def grant(self, role_definition_id: str) -> FhirGrant | None:
        """The grant of a role definition id (or GUID); None when the definition is unknown."""
        try:
            return self._by_id[role_definition_id]
        except KeyError:
            found = self._by_id[role_definition_id] = self._grants.get(role_guid(role_definition_id))
            return found


def fhir_data_role_holders(inv: Snapshot, catalogue: RoleCatalogue | None = None) -> frozenset[str]:
    """Principal object ids (lower case) holding any FHIR data role through an assignment in the snapshot.

    Linear in the number of role assignments. Assignments of unknown role definitions count as
    not granting FHIR data access.
    """
    cat = catalogue or RoleCatalogue.from_snapshot(inv)
    holders: set[str] = set()
    for assignment in inv.role_assignments:
        grant = cat.grant(assignment.role_definition_id)
        if grant is not None and grant.grants_data:
            holders.add(assignment.principal_id.lower())
    return frozenset(holders)
