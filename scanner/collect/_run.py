"""The shared state of one collection run: clients, the request limiter, and what has been collected so far.

Collectors append normalised inventory models here and report failures through
``Run.guard``; ``collect()`` turns the result into a sorted ``Snapshot``.
Everything runs on one event loop, so plain lists need no locking.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from scanner.collect._clients import ArmClients
from scanner.collect._errors import guarded
from scanner.collect._limiter import Limiter
from scanner.inventory import (
    ApimService,
    ApplicationGateway,
    CollectionError,
    FhirService,
    KeyVault,
    LegacyFhirService,
    PrivateEndpoint,
    RoleAssignment,
    RoleDefinition,
    StorageAccount,
    VaultItem,
    Workspace,
)


@dataclass(slots=True)
class Collected:
    """Everything read from ARM so far, unsorted and possibly with duplicates (deduplicated at the end).

    Role definitions are the exception: every subscription lists the same built-in and custom roles, so
    they are deduplicated as they arrive (a 1,000-subscription tenant would otherwise hold ~18,000 copies).
    """

    workspaces: list[Workspace] = field(default_factory=list)
    fhir_services: list[FhirService] = field(default_factory=list)
    legacy_fhir_services: list[LegacyFhirService] = field(default_factory=list)
    role_assignments: list[RoleAssignment] = field(default_factory=list)
    role_definitions: dict[str, RoleDefinition] = field(default_factory=dict)
    """Role GUID (lower case) -> one copy of that role: see ``rbac.collect_role_definitions``."""
    key_vaults: list[KeyVault] = field(default_factory=list)
    vault_items: list[VaultItem] = field(default_factory=list)
    private_endpoints: list[PrivateEndpoint] = field(default_factory=list)
    application_gateways: list[ApplicationGateway] = field(default_factory=list)
    apim_services: list[ApimService] = field(default_factory=list)
    storage_accounts: list[StorageAccount] = field(default_factory=list)
    management_groups: dict[str, set[str]] = field(default_factory=dict)
    """Subscription id (lower case) -> ancestor management-group ids seen in its inherited assignments."""
    errors: list[CollectionError] = field(default_factory=list)
    incomplete: set[str] = field(default_factory=set)
    """Lower-case ids of subscriptions with at least one failed list."""


@dataclass(slots=True)
class Run:
    """One collection run's clients, limits and results."""

    arm: ArmClients
    limiter: Limiter
    page_deadline_s: float
    """Hard cap on one page, retries included: a server that never answers cannot hang the run."""
    out: Collected
    on_principal_ids: Callable[[list[str]], None] | None = None
    """Called with the principal ids of each role-assignment page (Graph resolves them as they arrive)."""

    def record(self, error: CollectionError, subscription_id: str | None) -> None:
        """Keep ``error`` and mark ``subscription_id`` (if any) incomplete."""
        self.out.errors.append(error)
        if subscription_id:
            self.out.incomplete.add(subscription_id.lower())

    async def guard(
        self, scope: str, operation: str, subscription_id: str | None, work: Callable[[], Awaitable[None]]
    ) -> bool:
        """Run one list; record its failure against ``scope`` and the subscription. True when it completed."""
        return await guarded(lambda e: self.record(e, subscription_id), scope, operation, work)
