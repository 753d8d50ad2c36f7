"""RBAC rules (AHDS-RBAC-*): who holds FHIR data access, at what scope, and who can grant it.

Which assignment applies to which FHIR service: an assignment at scope S applies to a
FHIR service (AHDS or legacy Azure API for FHIR) F when F's id lies within S
(``is_within``), when S is the tenant root ``/``, or when S is a management group that
is an ancestor of F's subscription. Ancestry comes from ``Subscription.management_group_ids``,
which the collector fills with the management-group scopes of the assignments each
subscription inherits (its assignment list includes inherited ones). So when any subscription
lists management groups, a completely read subscription that does not list a group did not
inherit from it. Ancestry is unknown for a subscription that is missing from the snapshot, was
not read completely, or when no subscription lists any group (a snapshot from elsewhere); a
management-group assignment in the snapshot is then taken to apply, since it only appears there
because some collected subscription inherits it.

Every rule builds its indexes once and is linear in the number of role assignments.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from pydantic import Field, field_validator

from rules._fhir_roles import PRIVILEGED_CONTROL_ROLES, FhirGrant, RoleCatalogue, role_guid
from rules._principals import Directory, PrincipalState, is_guest
from scanner.inventory import RoleAssignment, Snapshot, normalize_id, subscription_of
from scanner.rule import (
    Compliance,
    JSONValue,
    NoSettings,
    Remediation,
    Result,
    RuleContext,
    RuleMeta,
    RuleSettings,
    Severity,
    rule,
)

ASSIGNMENT_TYPE = "Microsoft.Authorization/roleAssignments"
DEFINITION_TYPE = "Microsoft.Authorization/roleDefinitions"
_MG_PREFIX = "/providers/microsoft.management/managementgroups/"
_HEALTHCARE_PROVIDER = "/providers/microsoft.healthcareapis/"
_BROAD_LEVELS = frozenset({"root", "managementGroup", "subscription", "resourceGroup", "tenant"})
_EVIDENCE_LIST_LIMIT = 20
_S = TypeVar("_S", bound=RuleSettings)

_REF_AHDS_RBAC = "https://learn.microsoft.com/en-us/azure/healthcare-apis/configure-azure-rbac"
_REF_LEGACY_RBAC = (
    "https://learn.microsoft.com/en-us/azure/healthcare-apis/azure-api-for-fhir/configure-azure-rbac"
)
_REF_RBAC_BEST = "https://learn.microsoft.com/en-us/azure/role-based-access-control/best-practices"
_REF_SCOPE = "https://learn.microsoft.com/en-us/azure/role-based-access-control/scope-overview"
_REF_BUILTIN = "https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles/integration"


# --- scope and estate indexes -------------------------------------------------------------------


@lru_cache(maxsize=65536)
def scope_level(scope: str) -> str:
    """``root``, ``managementGroup``, ``subscription``, ``resourceGroup``, ``resource`` or ``tenant``."""
    key = normalize_id(scope)
    if key == "":
        return "root"
    if key.startswith(_MG_PREFIX):
        return "managementGroup"
    parts = key.split("/")
    if len(parts) >= 3 and parts[1] == "subscriptions":
        if len(parts) == 3:
            return "subscription"
        if len(parts) == 5 and parts[3] == "resourcegroups":
            return "resourceGroup"
        return "resource"
    return "tenant"


def _management_group(key: str) -> str | None:
    if key.startswith(_MG_PREFIX):
        return key[len(_MG_PREFIX) :].split("/", 1)[0]
    return None


def _prefixes(key: str) -> Iterator[str]:
    """Every ancestor scope of a normalised ARM id from its subscription down, itself included."""
    parts = key.split("/")
    for end in range(3, len(parts) + 1):
        yield "/".join(parts[:end])


def _label(resource_id: str) -> str:
    """``ws/fhir`` for an AHDS FHIR service, the service name for a legacy one (parsed from the id)."""
    parts = resource_id.strip().rstrip("/").split("/")
    lowered = [p.lower() for p in parts]
    try:
        start = lowered.index("microsoft.healthcareapis") + 1
    except ValueError:
        return parts[-1]
    return "/".join(parts[start + 1 :: 2])


@dataclass(frozen=True, slots=True)
class FhirTarget:
    """A FHIR-estate resource an assignment can reach: its ARM id, display label and subscription."""

    id: str
    label: str
    subscription: str | None


class ScopeIndex:
    """Answers "which targets does an assignment at scope S reach" in O(1) per call (cached per MG)."""

    def __init__(self, targets: Sequence[FhirTarget], inv: Snapshot) -> None:
        self.targets = tuple(sorted(targets, key=lambda t: normalize_id(t.id)))
        self._below: dict[str, list[FhirTarget]] = defaultdict(list)
        for target in self.targets:
            for prefix in _prefixes(normalize_id(target.id)):
                self._below[prefix].append(target)
        self.keys = frozenset(normalize_id(t.id) for t in self.targets)
        listed = any(s.management_group_ids for s in inv.subscriptions)
        self._mgs: dict[str, frozenset[str]] = {
            s.subscription_id.lower(): frozenset(
                normalize_id(m).rsplit("/", 1)[-1] for m in s.management_group_ids
            )
            for s in inv.subscriptions
            if s.management_group_ids or (listed and s.complete)
        }
        """Subscription -> ancestor management-group names, for subscriptions whose ancestry is known."""
        self._mg_cache: dict[str, tuple[FhirTarget, ...]] = {}
        self._memo: dict[str, Sequence[FhirTarget]] = {}
        """Scope as written -> targets: many assignments share a scope."""

    def under(self, scope: str) -> Sequence[FhirTarget]:
        """Targets an assignment at ``scope`` applies to (see the module docstring for MG scopes)."""
        found = self._memo.get(scope)
        if found is None:
            found = self._memo[scope] = self._under(scope)
        return found

    def _under(self, scope: str) -> Sequence[FhirTarget]:
        key = normalize_id(scope)
        if key == "":
            return self.targets
        mg = _management_group(key)
        if mg is None:
            return self._below.get(key, ())
        cached = self._mg_cache.get(mg)
        if cached is None:
            cached = tuple(
                t
                for t in self.targets
                if (known := self._mgs.get(t.subscription or "")) is None or mg in known
            )
            self._mg_cache[mg] = cached
        return cached

    def inside(self, scope: str) -> bool:
        """True when ``scope`` is one of the targets or lies below one."""
        key = normalize_id(scope)
        if _HEALTHCARE_PROVIDER not in key:
            return False
        return any(prefix in self.keys for prefix in _prefixes(key))


def _targets(inv: Snapshot, *, workspaces: bool) -> list[FhirTarget]:
    ids = [f.id for f in inv.fhir_services] + [s.id for s in inv.legacy_fhir_services]
    if workspaces:
        ids += [w.id for w in inv.workspaces]
    return [FhirTarget(id=i, label=_label(i), subscription=subscription_of(i)) for i in ids]


def fhir_services_index(inv: Snapshot) -> ScopeIndex:
    """Index of the FHIR services (AHDS and legacy) that hold data."""
    return ScopeIndex(_targets(inv, workspaces=False), inv)


def fhir_estate_index(inv: Snapshot) -> ScopeIndex:
    """Index of the FHIR estate: FHIR services, legacy services and AHDS workspaces."""
    return ScopeIndex(_targets(inv, workspaces=True), inv)


# --- shared result helpers ----------------------------------------------------------------------


def _assignment_evidence(
    a: RoleAssignment, role_name: str, directory: Directory, services: Sequence[FhirTarget]
) -> dict[str, JSONValue]:
    evidence: dict[str, JSONValue] = {
        "roleName": role_name,
        "roleDefinitionId": a.role_definition_id,
        "scope": a.scope,
        "scopeLevel": scope_level(a.scope),
    }
    evidence.update(directory.evidence(a))
    evidence["fhirServicesInScope"] = len(services)
    evidence["fhirServices"] = [t.label for t in services[:_EVIDENCE_LIST_LIMIT]]
    if a.condition:
        evidence["condition"] = a.condition
    return evidence


class _View:
    """What every RBAC rule of one evaluation reads: the role catalogue, the scope indexes, the directory,
    and the evidence of each examined assignment; built once and shared through ``RuleContext.memo``
    (four rules examine the same assignments, a million of them in a big tenant)."""

    def __init__(self, inv: Snapshot, ctx: RuleContext[Any]) -> None:
        self.inv = inv
        self.catalogue = RoleCatalogue.shared(inv, ctx)
        self.services = fhir_services_index(inv)
        self.estate = fhir_estate_index(inv)
        self.directory = Directory(inv)
        self._evidence: dict[tuple[str, str], dict[str, JSONValue]] = {}

    def evidence(self, a: RoleAssignment, role_name: str) -> dict[str, JSONValue]:
        """The assignment's evidence, naming ``role_name`` and the FHIR services it reaches; one shared
        dict per (assignment, role name): merge it into a new dict to add to it, never change it."""
        key = (a.id, role_name)
        found = self._evidence.get(key)
        if found is None:
            reached = self.services.under(a.scope)
            found = self._evidence[key] = _assignment_evidence(a, role_name, self.directory, reached)
        return found


def _view(inv: Snapshot, ctx: RuleContext[Any]) -> _View:
    return ctx.memo("rbac.view", lambda: _View(inv, ctx))


def _fhir_grants(
    view: _View, *, writers_only: bool = False
) -> Iterator[tuple[RoleAssignment, FhirGrant | None, Sequence[FhirTarget]]]:
    """Assignments of FHIR data roles (write-capable only if asked), with the FHIR services each reaches.

    Yields ``grant=None`` for an assignment whose role definition is missing from the snapshot
    and that reaches a FHIR service: the caller reports it as an error, since the role may
    grant FHIR data access.
    """
    catalogue, services = view.catalogue, view.services
    for a in view.inv.role_assignments:
        grant = catalogue.grant(a.role_definition_id)
        if grant is None:
            reached = services.under(a.scope)
            if reached:
                yield a, None, reached
            continue
        if not grant.grants_data or (writers_only and not grant.write_capable):
            continue
        yield a, grant, services.under(a.scope)


def _unknown_role(ctx: RuleContext[_S], view: _View, a: RoleAssignment) -> Result:
    return ctx.error(
        a.id,
        f"Role assignment to {view.directory.label(a)} at '{a.scope}' references role definition "
        f"{role_guid(a.role_definition_id)}, which is not in the snapshot, so whether it grants FHIR data "
        "access cannot be decided.",
        resource_type=ASSIGNMENT_TYPE,
        evidence=view.evidence(a, "(definition not in snapshot)"),
    )


class AllowedPrincipalsSettings(RuleSettings):
    """Settings of rules that accept an allow-list of principals."""

    allowed_principals: list[str] = Field(
        default_factory=list,
        description=(
            "Entra object ids (users, groups, service principals) expected to hold this access; matched "
            "case-insensitively. Empty (the default) means every holder is reported."
        ),
    )

    @field_validator("allowed_principals")
    @classmethod
    def _normalise(cls, value: list[str]) -> list[str]:
        return [v.strip().lower() for v in value if v.strip()]

    def allows(self, principal_id: str) -> bool:
        """True when ``principal_id`` is on the allow-list (case-insensitive)."""
        return principal_id.strip().lower() in self.allowed_principals


# --- AHDS-RBAC-001 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-001",
        title="FHIR data roles are assigned at the FHIR service or workspace scope",
        severity=Severity.HIGH,
        description=(
            "Examines every role assignment of a FHIR data role: the seven built-ins (FHIR Data Reader, "
            "Writer, Contributor, Exporter, Importer, Converter, SMART User) and any custom role whose "
            "dataActions, after notDataActions, grant a FHIR data action. It fails when the assignment "
            "scope is the tenant root, a management group, a subscription or a resource group, because "
            "the access then reaches every FHIR service below that scope, including services created "
            "later. Assignments at a FHIR service, workspace or legacy Azure API for FHIR pass. An "
            "assignment whose role definition is not in the snapshot and that reaches a FHIR service is "
            "an error."
        ),
        rationale=(
            "Least privilege: FHIR data roles expose protected health information. Assigned at a broad "
            "scope they silently extend to every FHIR service in that scope, current and future, which "
            "defeats per-service access reviews."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the FHIR service (or workspace) in the Azure portal and select Access control (IAM). "
                "2. Add a role assignment of the same FHIR data role for the principal at this scope. "
                "3. Open the broad scope named in the finding (subscription, resource group or management "
                "group), select Access control (IAM) > Role assignments and remove the broad assignment."
            ),
            cli=(
                'az role assignment create --assignee-object-id <principalId> --role "<FHIR role name>" '
                "--scope <fhirServiceId>\n"
                "az role assignment delete --ids <roleAssignmentId>"
            ),
        ),
        references=(_REF_AHDS_RBAC, _REF_LEGACY_RBAC, _REF_RBAC_BEST, _REF_SCOPE),
        compliance=Compliance(
            hipaa=("164.308(a)(4)", "164.312(a)(1)"),
            nist=("AC-6", "AC-3"),
            mcsb=("PA-7",),
        ),
        resource_types=(ASSIGNMENT_TYPE,),
    )
)
def fhir_data_roles_scoped_to_fhir_resources(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Passes any scope narrower than a resource group (resource level), including non-FHIR resources."""
    view = _view(inv, ctx)
    directory = view.directory
    for a, grant, reached in _fhir_grants(view):
        if grant is None:
            yield _unknown_role(ctx, view, a)
            continue
        level = scope_level(a.scope)
        evidence = view.evidence(a, grant.role_name)
        if level in _BROAD_LEVELS:
            yield ctx.failed(
                a.id,
                f"'{grant.role_name}' is assigned to {directory.label(a)} at {level} scope '{a.scope}', "
                f"reaching {len(reached)} FHIR service(s) instead of one service or workspace.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        else:
            yield ctx.passed(
                a.id,
                f"'{grant.role_name}' is assigned to {directory.label(a)} at resource scope '{a.scope}'.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )


# --- AHDS-RBAC-002 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-002",
        title="Write-capable FHIR data roles are held only by allowed principals",
        severity=Severity.MEDIUM,
        description=(
            "Examines every assignment of a write-capable FHIR data role: FHIR Data Writer, FHIR Data "
            "Contributor, FHIR Data Importer and any custom role granting write, delete, hardDelete, "
            "import or editProfileDefinitions on FHIR data. It fails when the principal's object id is "
            "not in the rule's allowed_principals setting. With the default empty list every holder of "
            "write access is reported, so configure the list with the ingestion and integration "
            "identities you expect."
        ),
        rationale=(
            "Write access to FHIR data can alter or destroy clinical records (integrity). The set of "
            "identities holding it should be short, known and reviewed; an unexpected writer is either "
            "excess privilege or an unreviewed change."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the scope named in the finding and select Access control (IAM) > Role assignments. "
                "2. If the principal needs read access only, assign FHIR Data Reader and remove the "
                "write-capable assignment. 3. If the principal is expected, add its object id to "
                "allowed_principals for AHDS-RBAC-002 in the ahds-audit configuration."
            ),
            cli="az role assignment delete --ids <roleAssignmentId>",
        ),
        references=(_REF_AHDS_RBAC, _REF_BUILTIN, _REF_RBAC_BEST),
        compliance=Compliance(
            hipaa=("164.308(a)(4)(ii)(B)", "164.312(c)(1)"),
            nist=("AC-6", "AC-2"),
            mcsb=("PA-7",),
        ),
        resource_types=(ASSIGNMENT_TYPE,),
    ),
    settings=AllowedPrincipalsSettings,
)
def fhir_write_roles_held_by_allowed_principals(
    inv: Snapshot, ctx: RuleContext[AllowedPrincipalsSettings]
) -> Iterator[Result]:
    """An assignment of an unknown role definition reaching a FHIR service is an error (it may grant write)."""
    view = _view(inv, ctx)
    directory = view.directory
    configured = bool(ctx.settings.allowed_principals)
    for a, grant, _ in _fhir_grants(view, writers_only=True):
        if grant is None:
            yield _unknown_role(ctx, view, a)
            continue
        evidence: dict[str, JSONValue] = {
            **view.evidence(a, grant.role_name),
            "writeOperations": list(grant.write_operations),
            "allowedPrincipalsConfigured": configured,
        }
        if ctx.settings.allows(a.principal_id):
            yield ctx.passed(
                a.id,
                f"{directory.label(a)} holds write-capable '{grant.role_name}' at '{a.scope}' and is an "
                "allowed principal.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
            continue
        why = (
            "which is not in allowed_principals"
            if configured
            else "and no allowed_principals are configured for AHDS-RBAC-002, so every write-capable holder "
            "is reported"
        )
        yield ctx.failed(
            a.id,
            f"{directory.label(a)} holds write-capable '{grant.role_name}' at '{a.scope}', {why}.",
            resource_type=ASSIGNMENT_TYPE,
            evidence=evidence,
        )


# --- AHDS-RBAC-003 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-003",
        title="FHIR data roles are not held by guest users",
        severity=Severity.HIGH,
        description=(
            "Examines every assignment of a FHIR data role and resolves its principal in the directory. "
            "It fails when the principal is a B2B guest user (userType Guest, or a #EXT# user principal "
            "name when userType is absent). Group members are not expanded: a group passes here and its "
            "membership belongs in an access review. When the directory could not be read and the "
            "principal was not resolved, the result is an error."
        ),
        rationale=(
            "Guest accounts are governed by another organisation's identity lifecycle (joiners, leavers, "
            "MFA). Direct data-plane access to protected health information for them escapes your "
            "workforce controls."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the scope named in the finding and select Access control (IAM) > Role assignments. "
                "2. Remove the guest's FHIR data role assignment. 3. If the access is needed, create a "
                "member account or an approved group governed by access reviews, and grant the role to it "
                "at the FHIR service scope."
            ),
            cli="az role assignment delete --ids <roleAssignmentId>",
        ),
        references=(
            _REF_AHDS_RBAC,
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-assignments-external-users",
            "https://learn.microsoft.com/en-us/entra/external-id/user-properties",
        ),
        compliance=Compliance(
            hipaa=("164.308(a)(3)(ii)(A)", "164.312(a)(1)"),
            nist=("AC-2", "AC-6"),
            mcsb=("PA-4", "PA-7"),
            azure_policy=("e9ac8f8e-ce22-4355-8f04-99b911d6be52", "94e1c2ac-cbbe-4cac-a2b5-389c812dee87"),
        ),
        resource_types=(ASSIGNMENT_TYPE,),
    )
)
def fhir_data_roles_not_held_by_guests(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """A principal that no longer exists passes here (it is no guest); AHDS-RBAC-006 reports it."""
    view = _view(inv, ctx)
    directory = view.directory
    for a, grant, _ in _fhir_grants(view):
        if grant is None:
            yield _unknown_role(ctx, view, a)
            continue
        evidence = view.evidence(a, grant.role_name)
        principal = directory.lookup(a.principal_id)
        state = directory.state(a.principal_id)
        if principal is None and state is PrincipalState.UNKNOWN:
            yield ctx.error(
                a.id,
                f"'{grant.role_name}' at '{a.scope}' is held by principal {a.principal_id}, which was not "
                "resolved because the directory could not be read.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        elif principal is None:
            yield ctx.passed(
                a.id,
                f"'{grant.role_name}' at '{a.scope}' is held by principal {a.principal_id}, which no longer "
                "exists in the directory (see AHDS-RBAC-006).",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        elif is_guest(principal):
            yield ctx.failed(
                a.id,
                f"Guest user '{principal.user_principal_name or principal.display_name or principal.id}' holds "
                f"'{grant.role_name}' at '{a.scope}'.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        else:
            kind = "member user" if principal.object_type == "user" else principal.object_type
            yield ctx.passed(
                a.id,
                f"'{grant.role_name}' at '{a.scope}' is held by {kind} "
                f"'{principal.display_name or principal.id}', not a guest.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )


# --- AHDS-RBAC-004 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-004",
        title="Custom roles do not grant wildcard FHIR data actions",
        severity=Severity.MEDIUM,
        description=(
            "Examines every custom role definition (built-in roles are Microsoft's and are not examined). "
            "It fails when a dataActions entry containing a wildcard, such as *, Microsoft.HealthcareApis/*, "
            "Microsoft.HealthcareApis/workspaces/fhirservices/* or .../services/fhir/*, still grants a "
            "FHIR data action after the role's notDataActions are applied. Wildcards are matched with "
            "Azure semantics (case-insensitive, * matches any characters). A role listed from several "
            "subscriptions is examined once."
        ),
        rationale=(
            "A wildcard grants every FHIR data operation, including hard delete and bulk import or export, "
            "and any operation Microsoft adds later, so the role's real power cannot be reviewed from its "
            "definition. Naming the operations keeps custom roles least-privilege and reviewable."
        ),
        remediation=Remediation(
            portal=(
                "1. In the Azure portal open Subscriptions > Access control (IAM) > Roles and filter on "
                "custom roles. 2. Open the role named in the finding and select Edit. 3. On the JSON tab "
                "replace the wildcard dataActions with the specific FHIR operations the role needs (for "
                "example .../fhirservices/resources/read), or use a built-in FHIR role instead."
            ),
            cli="az role definition update --role-definition @custom-role.json",
        ),
        references=(
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/custom-roles",
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-definitions",
            _REF_AHDS_RBAC,
        ),
        compliance=Compliance(
            hipaa=("164.308(a)(4)",),
            nist=("AC-6", "AC-6(1)"),
            mcsb=("PA-7",),
            azure_policy=("a451c1ef-c6ca-483d-87ed-f49761e3ffb5",),
        ),
        resource_types=(DEFINITION_TYPE,),
    )
)
def custom_roles_grant_no_wildcard_fhir_data_actions(
    inv: Snapshot, ctx: RuleContext[NoSettings]
) -> Iterator[Result]:
    """Only dataActions count: control-plane actions never grant FHIR data access."""
    catalogue = RoleCatalogue.shared(inv, ctx)
    seen: set[str] = set()
    for definition in inv.role_definitions:
        if (definition.role_type or "").lower() != "customrole":
            continue
        guid = role_guid(definition.name or definition.id)
        if guid in seen:
            continue
        seen.add(guid)
        grant = catalogue.grant(guid)
        assert grant is not None  # every snapshot definition is in the catalogue
        evidence: dict[str, JSONValue] = {
            "roleName": definition.role_name,
            "dataActions": [d for p in definition.permissions for d in p.data_actions],
            "notDataActions": [d for p in definition.permissions for d in p.not_data_actions],
            "assignableScopes": list(definition.assignable_scopes),
            "wildcardDataActions": list(grant.wildcard_patterns),
            "fhirOperationsGranted": list(grant.operations),
        }
        if grant.wildcard_patterns:
            yield ctx.failed(
                definition.id,
                f"Custom role '{definition.role_name}' grants FHIR data actions through wildcard "
                f"{', '.join(repr(p) for p in grant.wildcard_patterns)}.",
                resource_type=DEFINITION_TYPE,
                evidence=evidence,
            )
        else:
            what = (
                "names its FHIR data actions explicitly"
                if grant.grants_data
                else "grants no FHIR data action"
            )
            yield ctx.passed(
                definition.id,
                f"Custom role '{definition.role_name}' {what}.",
                resource_type=DEFINITION_TYPE,
                evidence=evidence,
            )


# --- AHDS-RBAC-005 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-005",
        title="Roles that can grant FHIR data access are held only by allowed principals",
        severity=Severity.MEDIUM,
        description=(
            "Examines every assignment of Owner, User Access Administrator or Role Based Access Control "
            "Administrator whose scope contains a FHIR service or Azure API for FHIR (the service itself, "
            "its workspace, resource group, subscription, a management group above it, or the tenant "
            "root). These roles can create role assignments, so their holders can grant themselves FHIR "
            "data access. Each assignment is listed with its principal; those whose object id is in "
            "allowed_principals (for example break-glass accounts) pass, the others fail. Conditions on "
            "the assignment (constrained delegation) are shown in the evidence."
        ),
        rationale=(
            "Data-plane roles are only as tight as the set of people who can assign them. Standing "
            "Owner or access-administration rights over a FHIR service are an indirect path to "
            "protected health information and should be few, known and preferably just-in-time."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the scope named in the finding and select Access control (IAM) > Role assignments. "
                "2. Remove the standing assignment or replace it with a narrower role (Contributor cannot "
                "assign roles). 3. Make remaining privileged access eligible through Privileged Identity "
                "Management, or constrain Role Based Access Control Administrator with a condition. "
                "4. Add expected break-glass accounts to allowed_principals for AHDS-RBAC-005."
            ),
            cli="az role assignment delete --ids <roleAssignmentId>",
        ),
        references=(
            _REF_RBAC_BEST,
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/delegate-role-assignments-overview",
            "https://learn.microsoft.com/en-us/entra/id-governance/privileged-identity-management/pim-configure",
            _REF_AHDS_RBAC,
        ),
        compliance=Compliance(
            hipaa=("164.308(a)(4)(ii)(C)", "164.312(a)(1)"),
            nist=("AC-6(5)", "AC-5"),
            mcsb=("PA-1", "PA-7"),
        ),
        resource_types=(ASSIGNMENT_TYPE,),
    ),
    settings=AllowedPrincipalsSettings,
)
def fhir_access_granting_roles_held_by_allowed_principals(
    inv: Snapshot, ctx: RuleContext[AllowedPrincipalsSettings]
) -> Iterator[Result]:
    """Role GUIDs are matched case-insensitively whatever subscription the definition id names."""
    view = _view(inv, ctx)
    services, directory = view.services, view.directory
    for a in inv.role_assignments:
        role_name = PRIVILEGED_CONTROL_ROLES.get(role_guid(a.role_definition_id))
        if role_name is None:
            continue
        reached = services.under(a.scope)
        if not reached:
            continue
        evidence = view.evidence(a, role_name)
        if ctx.settings.allows(a.principal_id):
            yield ctx.passed(
                a.id,
                f"{directory.label(a)} holds '{role_name}' at '{a.scope}' over {len(reached)} FHIR "
                "service(s) and is an allowed principal.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        else:
            yield ctx.failed(
                a.id,
                f"{directory.label(a)} holds '{role_name}' at '{a.scope}' and can grant itself data access "
                f"to {len(reached)} FHIR service(s).",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )


# --- AHDS-RBAC-006 ------------------------------------------------------------------------------


@rule(
    RuleMeta(
        id="AHDS-RBAC-006",
        title="Role assignments in the FHIR estate reference principals that exist",
        severity=Severity.LOW,
        description=(
            "Examines every role assignment relevant to the FHIR estate: any assignment at a scope that "
            "contains or lies inside an AHDS workspace, FHIR service or Azure API for FHIR (management "
            "groups and the tenant root included), and any assignment of a FHIR data role. It fails when "
            "the principal no longer exists in Microsoft Entra ID (the directory returned no object for "
            "its id: the portal shows it as 'Identity not found'). When the directory could not be read, "
            "the result is an error."
        ),
        rationale=(
            "Orphaned assignments are left behind when users, groups or service principals are deleted "
            "without their access being removed. They clutter access reviews, hide the real set of "
            "holders and show that the leaver process does not clean up access to health data."
        ),
        remediation=Remediation(
            portal=(
                "1. Open the scope named in the finding and select Access control (IAM) > Role assignments. "
                "2. Filter on 'Identity not found' (unknown type). 3. Select the orphaned assignment and "
                "select Delete."
            ),
            cli="az role assignment delete --ids <roleAssignmentId>",
        ),
        references=(
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/troubleshooting",
            "https://learn.microsoft.com/en-us/azure/role-based-access-control/role-assignments-remove",
            _REF_RBAC_BEST,
        ),
        compliance=Compliance(
            hipaa=("164.308(a)(3)(ii)(C)", "164.308(a)(4)(ii)(C)"),
            nist=("AC-2",),
            mcsb=("PA-4",),
        ),
        resource_types=(ASSIGNMENT_TYPE,),
    )
)
def fhir_role_assignment_principals_exist(inv: Snapshot, ctx: RuleContext[NoSettings]) -> Iterator[Result]:
    """Assignments of unknown role definitions are still examined when their scope is in the estate."""
    view = _view(inv, ctx)
    catalogue, estate, directory = view.catalogue, view.estate, view.directory
    for a in inv.role_assignments:
        grant = catalogue.grant(a.role_definition_id)
        data_role = grant is not None and grant.grants_data
        if not (data_role or estate.under(a.scope) or estate.inside(a.scope)):
            continue
        role_name = (
            grant.role_name
            if grant
            else f"role {role_guid(a.role_definition_id)} (definition not in snapshot)"
        )
        evidence = view.evidence(a, role_name)
        state = directory.state(a.principal_id)
        if state is PrincipalState.EXISTS:
            yield ctx.passed(
                a.id,
                f"'{role_name}' at '{a.scope}' is held by {directory.label(a)}, which exists in the directory.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        elif state is PrincipalState.DELETED:
            yield ctx.failed(
                a.id,
                f"'{role_name}' at '{a.scope}' is assigned to principal {a.principal_id}, which no longer "
                "exists in the directory.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
        else:
            yield ctx.error(
                a.id,
                f"'{role_name}' at '{a.scope}' is assigned to principal {a.principal_id}; the directory could "
                "not be read, so whether it still exists is unknown.",
                resource_type=ASSIGNMENT_TYPE,
                evidence=evidence,
            )
