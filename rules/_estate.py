"""Shared lookups over the FHIR estate: CMK key references and their vaults and keys, export/import storage accounts, private-endpoint approval.

Every lookup indexes the snapshot once (linear time) and compares ARM ids only
through ``scanner.inventory.normalize_id`` / ``is_within``; vault hosts and
storage-account names, which are DNS labels, are compared case-insensitively.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, TypeVar
from urllib.parse import urlsplit

from scanner.inventory import (
    CollectionError,
    FhirService,
    KeyVault,
    LegacyFhirService,
    PrivateEndpointConnection,
    Snapshot,
    StorageAccount,
    VaultItem,
    Workspace,
    is_within,
    normalize_id,
)
from scanner.rule import JSONValue, Result, RuleContext, RuleSettings

S = TypeVar("S", bound=RuleSettings)

FhirLike = FhirService | LegacyFhirService
"""A FHIR server of either generation: AHDS FHIR service or legacy Azure API for FHIR."""

FHIR_TYPE = "Microsoft.HealthcareApis/workspaces/fhirservices"
LEGACY_TYPE = "Microsoft.HealthcareApis/services"
WORKSPACE_TYPE = "Microsoft.HealthcareApis/workspaces"
VAULT_TYPE = "Microsoft.KeyVault/vaults"
STORAGE_TYPE = "Microsoft.Storage/storageAccounts"
VAULT_KEY_TYPE = "Microsoft.KeyVault/vaults/keys"
"""Resource type reported for a CMK key (``VaultItem`` carries no ``type`` of its own)."""


def not_set(default: object, note: str = "service default") -> str:
    """Evidence text for an optional property the service did not return: ``(not set: service default X)``."""
    return f"(not set: {note} {default})"


def shown(value: object | None, default: object, note: str = "service default") -> object:
    """The observed value for evidence, or the ``not_set`` text naming the default that applies."""
    return not_set(default, note) if value is None else value


def same_text(a: str | None, b: str) -> bool:
    """Case-insensitive equality for enum-like strings ARM spells in several cases (``Enabled``/``enabled``)."""
    return a is not None and a.strip().lower() == b.lower()


# --- customer-managed keys -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class KeyRef:
    """A parsed Key Vault key URL: ``https://<vault host>/keys/<name>[/<version>]``."""

    url: str
    host: str
    """Lower-case DNS host of the vault (or managed HSM) the key lives in."""
    name: str
    version: str | None


def parse_key_url(url: str | None) -> KeyRef | None:
    """Parse a key URL; None when it is empty or not of the ``https://host/keys/name[/version]`` shape.

    The host is not checked against any cloud's DNS suffix: sovereign and
    custom clouds use other suffixes, so callers match it against collected
    ``vault_uri`` values instead.
    """
    if not url or not url.strip():
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    if len(segments) not in (2, 3) or segments[0].lower() != "keys":
        return None
    return KeyRef(
        url=url.strip(),
        host=parts.hostname.lower(),
        name=segments[1],
        version=segments[2] if len(segments) == 3 else None,
    )


def vault_host(vault_uri: str | None) -> str | None:
    """The lower-case host of a vault's ``vault_uri`` (``https://kv1.vault.azure.net/``), or None."""
    if not vault_uri:
        return None
    try:
        host = urlsplit(vault_uri.strip()).hostname
    except ValueError:
        return None
    return host.lower() if host else None


@dataclass(frozen=True, slots=True, kw_only=True)
class CmkUse:
    """One FHIR server's customer-managed key setting, parsed."""

    service: FhirLike
    url: str
    key: KeyRef | None
    """None when ``url`` is not a parsable key URL."""


def cmk_uses(inv: Snapshot) -> list[CmkUse]:
    """Every FHIR service and legacy service that names a CMK key URL, in snapshot order."""
    uses: list[CmkUse] = []
    services: list[tuple[FhirLike, str | None]] = [(s, s.cmk_key_url) for s in inv.fhir_services]
    services += [(s, s.cosmos_key_vault_key_uri) for s in inv.legacy_fhir_services]
    for svc, url in services:
        if url and url.strip():
            uses.append(CmkUse(service=svc, url=url.strip(), key=parse_key_url(url)))
    return uses


@dataclass(frozen=True, slots=True, kw_only=True)
class VaultMatch:
    """A CMK vault found in the snapshot and how it was matched."""

    vault: KeyVault
    matched_by: Literal["vault_uri", "name"]


class VaultIndex:
    """Key vaults by host, keys by (vault, name), and collection errors by vault: built once per check."""

    def __init__(self, inv: Snapshot) -> None:
        self._by_host: dict[str, KeyVault] = {}
        self._by_name: dict[str, KeyVault] = {}
        for vault in inv.key_vaults:
            host = vault_host(vault.vault_uri)
            if host is not None:
                self._by_host.setdefault(host, vault)
            else:
                self._by_name.setdefault(vault.name.lower(), vault)
        self._keys: dict[tuple[str, str], VaultItem] = {}
        for item in inv.vault_items:
            if item.kind == "key":
                self._keys.setdefault((normalize_id(item.vault_id), item.name.lower()), item)
        self._errors = inv.errors

    def vault_for(self, key: KeyRef) -> VaultMatch | None:
        """The vault holding ``key``, matched on its collected ``vault_uri`` host.

        A vault collected without ``vault_uri`` is matched by name only when the
        key host is a Key Vault host (``<name>.vault.<suffix>``): vault names
        are unique per cloud. Managed HSM keys never match a Key Vault.
        """
        vault = self._by_host.get(key.host)
        if vault is not None:
            return VaultMatch(vault=vault, matched_by="vault_uri")
        labels = key.host.split(".")
        if len(labels) > 2 and labels[1] == "vault":
            by_name = self._by_name.get(labels[0])
            if by_name is not None:
                return VaultMatch(vault=by_name, matched_by="name")
        return None

    def key_in(self, vault: KeyVault, name: str) -> VaultItem | None:
        """The key ``name`` (case-insensitive, as Key Vault names are) collected from ``vault``."""
        return self._keys.get((normalize_id(vault.id), name.lower()))

    def errors_for(self, vault: KeyVault) -> list[CollectionError]:
        """Collection errors recorded at or below ``vault`` (e.g. its keys could not be listed)."""
        return [e for e in self._errors if is_within(e.scope, vault.id)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ResolvedCmk:
    """A CMK use whose key URL parsed and whose vault is in the snapshot."""

    use: CmkUse
    key: KeyRef
    vault: KeyVault


def service_kind(service: FhirLike) -> str:
    """``FHIR service`` or ``Azure API for FHIR service``, for messages."""
    return "FHIR service" if isinstance(service, FhirService) else "Azure API for FHIR service"


def _resolve(use: CmkUse, ctx: RuleContext[S], index: VaultIndex) -> Result | ResolvedCmk:
    kind = service_kind(use.service)
    if use.key is None:
        return ctx.error(
            use.service,
            f"{kind} '{use.service.name}' has a customer-managed key URL '{use.url}' that is not of the form "
            "https://<vault>/keys/<name>[/<version>].",
            evidence={"keyUrl": use.url},
            sub_id="cmk",
        )
    match = index.vault_for(use.key)
    if match is None:
        return ctx.error(
            use.service,
            f"{kind} '{use.service.name}' uses a customer-managed key in '{use.key.host}', a vault that is not in "
            "the snapshot (vault not in scope): add its subscription to the scan to evaluate it.",
            evidence={"keyUrl": use.url, "vaultHost": use.key.host},
            sub_id="cmk",
        )
    return ResolvedCmk(use=use, key=use.key, vault=match.vault)


def cmk_vaults(inv: Snapshot, ctx: RuleContext[S], index: VaultIndex) -> Iterator[Result | list[ResolvedCmk]]:
    """The FHIR estate's CMK vaults, each once with the uses that point at it, sorted by vault id.

    A key URL that does not parse, or whose vault is not in the snapshot, is
    yielded as an ``error`` result on the FHIR server that names it (sub-object
    ``cmk``), before the groups: an out-of-scope vault is never skipped in silence.
    """
    groups: dict[str, list[ResolvedCmk]] = {}
    for use in cmk_uses(inv):
        found = _resolve(use, ctx, index)
        if isinstance(found, Result):
            yield found
        else:
            groups.setdefault(normalize_id(found.vault.id), []).append(found)
    for vault_id in sorted(groups):
        yield groups[vault_id]


def key_id(vault: KeyVault, name: str) -> str:
    """The ARM id of key ``name`` in ``vault`` (``<vault id>/keys/<name>``), for results about a missing key."""
    return f"{vault.id.rstrip('/')}/keys/{name}"


# --- export / import storage -----------------------------------------------------------------

StorageRole = Literal["export", "import"]


@dataclass(frozen=True, slots=True, kw_only=True)
class StorageUse:
    """A storage account a FHIR server exports to or imports from, by name."""

    service: FhirLike
    role: StorageRole
    account_name: str


def storage_uses(inv: Snapshot) -> list[StorageUse]:
    """Every configured export/import storage account name, per FHIR server, in snapshot order."""
    uses: list[StorageUse] = []
    for svc in inv.fhir_services:
        if svc.export_storage_account_name and svc.export_storage_account_name.strip():
            uses.append(
                StorageUse(service=svc, role="export", account_name=svc.export_storage_account_name.strip())
            )
        if svc.import_storage_account_name and svc.import_storage_account_name.strip():
            uses.append(
                StorageUse(service=svc, role="import", account_name=svc.import_storage_account_name.strip())
            )
    for legacy in inv.legacy_fhir_services:
        if legacy.export_storage_account_name and legacy.export_storage_account_name.strip():
            uses.append(
                StorageUse(
                    service=legacy, role="export", account_name=legacy.export_storage_account_name.strip()
                )
            )
    return uses


def storage_by_name(inv: Snapshot) -> dict[str, StorageAccount]:
    """Storage accounts by lower-case name (names are globally unique DNS labels)."""
    index: dict[str, StorageAccount] = {}
    for account in inv.storage_accounts:
        index.setdefault(account.name.lower(), account)
    return index


# --- private endpoints ---------------------------------------------------------------------------

APPROVED = "Approved"


def is_approved(status: str | None) -> bool:
    """True only for ``Approved``: Pending, Rejected and Disconnected connections carry no traffic."""
    return same_text(status, APPROVED)


@dataclass(frozen=True, slots=True, kw_only=True)
class PrivateLinkState:
    """Private endpoint connections that reach one resource, from both sides of the link."""

    approved: tuple[str, ...]
    """Names or ids of approved connections."""
    not_approved: tuple[str, ...]
    """``<name>: <status>`` for every connection in another state."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Link:
    key: str
    """Normalised private endpoint id when known, else the connection name: the same link seen from both sides."""
    label: str
    status: str | None


def _last_segment(resource_id: str) -> str:
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


class PrivateLinkIndex:
    """Private endpoint links by target resource, read from the private endpoints' side once."""

    def __init__(self, inv: Snapshot) -> None:
        self._links: dict[str, list[_Link]] = {}
        for pe in inv.private_endpoints:
            for link in pe.connections:
                if link.target_id:
                    self._links.setdefault(normalize_id(link.target_id), []).append(
                        _Link(key=normalize_id(pe.id), label=pe.name, status=link.status)
                    )

    def state(self, resource_id: str, connections: Sequence[PrivateEndpointConnection]) -> PrivateLinkState:
        """Combine the connections listed on ``resource_id`` with endpoint links that target it.

        A link seen from both sides counts once (matched on the private
        endpoint's id); the target resource's own status wins, as it is the
        side that approves.
        """
        links: dict[str, _Link] = {}
        for c in connections:
            label = (
                _last_segment(c.private_endpoint_id)
                if c.private_endpoint_id
                else c.name or c.id or "(unnamed)"
            )
            key = normalize_id(c.private_endpoint_id) if c.private_endpoint_id else f"name:{label}"
            links.setdefault(key, _Link(key=key, label=label, status=c.status))
        for link in self._links.get(normalize_id(resource_id), []):
            links.setdefault(link.key, link)
        approved = tuple(sorted({x.label for x in links.values() if is_approved(x.status)}))
        other = tuple(
            sorted(
                {
                    f"{x.label}: {x.status or '(no status)'}"
                    for x in links.values()
                    if not is_approved(x.status)
                }
            )
        )
        return PrivateLinkState(approved=approved, not_approved=other)


def workspaces_by_id(inv: Snapshot) -> dict[str, Workspace]:
    """Workspaces by normalised id."""
    return {normalize_id(w.id): w for w in inv.workspaces}


def names(services: Iterable[FhirLike]) -> list[JSONValue]:
    """Sorted, de-duplicated service names for evidence."""
    return strings(s.name for s in services)


def strings(values: Iterable[str]) -> list[JSONValue]:
    """Sorted, de-duplicated strings as an evidence list."""
    out: list[JSONValue] = []
    out.extend(sorted(set(values)))
    return out


def as_list(values: Iterable[str]) -> list[JSONValue]:
    """Strings as an evidence list, order kept."""
    out: list[JSONValue] = []
    out.extend(values)
    return out
