"""The inventory snapshot: a versioned, SDK-independent record of what was collected.

Collectors fill it, rules read it, ``--snapshot FILE`` reloads it. Optional
properties the service did not return stay ``None`` here: rules decide what the
service default means and say so in their evidence, so the snapshot never
pretends to have observed a value it did not.

It never holds a secret value, a token, or data-plane content.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, NewType, TextIO

from pydantic import BaseModel, ConfigDict, Field

from scanner._files import write_atomically
from scanner._jsontext import splice, write_spliced_lists
from scanner.errors import SnapshotError

SCHEMA_VERSION = "1.0"
"""Major.minor. Readers refuse an unknown major; a minor bump only adds optional fields."""

ResourceId = NewType("ResourceId", str)


def normalize_id(resource_id: str) -> str:
    """Return the comparison key of an ARM id or scope.

    ARM ids are case-insensitive and role-assignment scopes often differ in
    case from resource ids (``resourcegroups``, ``microsoft.healthcareapis``),
    and may carry a trailing slash. Every comparison of ids in this project
    goes through this one function.
    """
    return resource_id.strip().rstrip("/").lower()


def is_within(child: str, scope: str) -> bool:
    """True when ARM id ``child`` equals ``scope`` or lies below it (case-insensitive).

    A management-group scope contains no ARM id by prefix; callers resolve
    management-group membership from the snapshot (see ``Snapshot.management_groups_of``).
    """
    c, s = normalize_id(child), normalize_id(scope)
    if s == "":
        return True
    return c == s or c.startswith(s + "/")


def subscription_of(resource_id: str) -> str | None:
    """The subscription GUID (lower case) in an ARM id, or None for tenant/MG scopes."""
    return subscription_of_key(normalize_id(resource_id))


def subscription_of_key(key: str) -> str | None:
    """``subscription_of`` for an id already passed through ``normalize_id`` (the engine's hot path)."""
    if not key.startswith(_SUBSCRIPTIONS):
        return None
    end = key.find("/", len(_SUBSCRIPTIONS))
    return (key[len(_SUBSCRIPTIONS) : end] if end != -1 else key[len(_SUBSCRIPTIONS) :]) or None


_SUBSCRIPTIONS = "/subscriptions/"


def resource_group_of(resource_id: str) -> str | None:
    """The resource-group name (lower case) in an ARM id, or None."""
    parts = normalize_id(resource_id).split("/")
    if len(parts) >= 5 and parts[3] == "resourcegroups":
        return parts[4]
    return None


_ALL_FIELDS_SET: dict[type[BaseModel], set[str]] = {}
"""One shared ``__pydantic_fields_set__`` per model class, for instances that were given every field."""


class _Model(BaseModel):
    """Base of every snapshot model: immutable, and strict about unknown keys when read back."""

    # defer_build: the validators are built on first use, not at import (keeps `rules list` fast).
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    def model_post_init(self, context: Any, /) -> None:
        """Share one fields-set among the instances of a class that were given every field.

        Pydantic keeps a set of the fields each instance was given; for an 8-field model that set takes
        728 bytes, more than the instance's own ``__dict__``, and a large tenant holds hundreds of thousands
        of instances (collectors and saved snapshots give every field). The models are frozen, and pydantic
        copies the set before changing it (``model_copy(update=...)``), so sharing it is invisible to callers.
        """
        given = self.__pydantic_fields_set__
        cls = type(self)
        shared = _ALL_FIELDS_SET.get(cls)
        if shared is None:
            shared = _ALL_FIELDS_SET.setdefault(cls, set(cls.model_fields))
        if given == shared:
            object.__setattr__(self, "__pydantic_fields_set__", shared)


class Resource(_Model):
    """Fields every ARM resource in the snapshot carries."""

    id: str
    name: str
    type: str
    location: str | None = None
    subscription_id: str | None = None
    resource_group: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)


class PrivateEndpointConnection(_Model):
    """One private endpoint connection as seen on the target resource."""

    id: str | None = None
    name: str | None = None
    private_endpoint_id: str | None = None
    status: str | None = None
    """``privateLinkServiceConnectionState.status``: Approved, Pending, Rejected, Disconnected."""
    description: str | None = None
    provisioning_state: str | None = None


class Cors(_Model):
    """CORS configuration of a FHIR service (``properties.corsConfiguration``)."""

    origins: list[str] = Field(default_factory=list)
    headers: list[str] = Field(default_factory=list)
    methods: list[str] = Field(default_factory=list)
    max_age: int | None = None
    allow_credentials: bool | None = None


class Workspace(Resource):
    """An AHDS workspace (``Microsoft.HealthcareApis/workspaces``)."""

    public_network_access: str | None = None
    private_endpoint_connections: list[PrivateEndpointConnection] = Field(default_factory=list)
    provisioning_state: str | None = None


class FhirService(Resource):
    """An AHDS FHIR service (``Microsoft.HealthcareApis/workspaces/fhirservices``)."""

    workspace_id: str
    kind: str | None = None
    public_network_access: str | None = None
    private_endpoint_connections: list[PrivateEndpointConnection] = Field(default_factory=list)
    cors: Cors | None = None
    cmk_key_url: str | None = None
    """``properties.encryption.customerManagedKeyEncryption.keyEncryptionKeyUrl``."""
    export_storage_account_name: str | None = None
    import_storage_account_name: str | None = None
    import_enabled: bool | None = None
    authority: str | None = None
    audience: str | None = None
    smart_proxy_enabled: bool | None = None
    identity_type: str | None = None
    provisioning_state: str | None = None


class LegacyFhirService(Resource):
    """A legacy Azure API for FHIR service (``Microsoft.HealthcareApis/services``)."""

    kind: str | None = None
    public_network_access: str | None = None
    private_endpoint_connections: list[PrivateEndpointConnection] = Field(default_factory=list)
    cors: Cors | None = None
    cosmos_key_vault_key_uri: str | None = None
    """``properties.cosmosDbConfiguration.keyVaultKeyUri``."""
    export_storage_account_name: str | None = None
    access_policy_object_ids: list[str] = Field(default_factory=list)
    authority: str | None = None
    audience: str | None = None
    identity_type: str | None = None
    provisioning_state: str | None = None


class Permission(_Model):
    """One permission block of a role definition."""

    actions: list[str] = Field(default_factory=list)
    not_actions: list[str] = Field(default_factory=list)
    data_actions: list[str] = Field(default_factory=list)
    not_data_actions: list[str] = Field(default_factory=list)


class RoleDefinition(_Model):
    """A role definition (built-in or custom) visible from a collected subscription."""

    id: str
    name: str
    """The role definition GUID (the last segment of ``id``)."""
    role_name: str
    role_type: str | None = None
    """``BuiltInRole`` or ``CustomRole``."""
    description: str | None = None
    assignable_scopes: list[str] = Field(default_factory=list)
    permissions: list[Permission] = Field(default_factory=list)


class RoleAssignment(_Model):
    """A role assignment at, above or below a collected subscription."""

    id: str
    name: str
    scope: str
    role_definition_id: str
    principal_id: str
    principal_type: str | None = None
    """``User``, ``Group``, ``ServicePrincipal``, ``ForeignGroup``, ``Device``."""
    condition: str | None = None
    created_on: datetime | None = None


class KeyVault(Resource):
    """A Key Vault with its management-plane properties (from ``vaults.list_by_subscription``)."""

    vault_uri: str | None = None
    enable_soft_delete: bool | None = None
    enable_purge_protection: bool | None = None
    soft_delete_retention_days: int | None = None
    enable_rbac_authorization: bool | None = None
    public_network_access: str | None = None
    network_default_action: str | None = None
    """``properties.networkAcls.defaultAction``; None when no ACL block was returned."""
    network_bypass: str | None = None
    ip_rules: list[str] = Field(default_factory=list)
    virtual_network_rule_ids: list[str] = Field(default_factory=list)
    private_endpoint_connections: list[PrivateEndpointConnection] = Field(default_factory=list)


class VaultItem(_Model):
    """Management-plane metadata of one Key Vault secret or key: never its value."""

    id: str
    name: str
    vault_id: str
    kind: Literal["secret", "key"]
    enabled: bool | None = None
    not_before: datetime | None = None
    expires: datetime | None = None
    created: datetime | None = None
    updated: datetime | None = None
    key_uri: str | None = None
    """``properties.keyUri`` (keys) or ``properties.secretUri`` (secrets): the data-plane address, not content."""
    key_type: str | None = None
    content_type: str | None = None
    rotation_policy: dict[str, Any] | None = None
    """Key rotation policy as returned (``properties.rotationPolicy``), when present."""


class PrivateEndpoint(Resource):
    """A private endpoint and the resources it connects to."""

    subnet_id: str | None = None
    connections: list[PrivateEndpointLink] = Field(default_factory=list)


class PrivateEndpointLink(_Model):
    """One ``privateLinkServiceConnections`` / ``manualPrivateLinkServiceConnections`` entry."""

    name: str | None = None
    target_id: str | None = None
    """``privateLinkServiceId``: the resource the endpoint reaches."""
    group_ids: list[str] = Field(default_factory=list)
    status: str | None = None
    manual: bool = False


class SslPolicy(_Model):
    """An Application Gateway SSL policy (gateway default or one SSL profile's)."""

    policy_type: str | None = None
    """``Predefined``, ``Custom``, ``CustomV2``; None when the gateway has no policy block."""
    policy_name: str | None = None
    min_protocol_version: str | None = None
    disabled_ssl_protocols: list[str] = Field(default_factory=list)
    cipher_suites: list[str] = Field(default_factory=list)


class SslProfile(_Model):
    """A named SSL profile of an Application Gateway."""

    name: str
    ssl_policy: SslPolicy | None = None


class ApplicationGateway(Resource):
    """An Application Gateway's TLS-relevant configuration."""

    sku_name: str | None = None
    sku_tier: str | None = None
    ssl_policy: SslPolicy | None = None
    ssl_profiles: list[SslProfile] = Field(default_factory=list)
    listener_protocols: list[str] = Field(default_factory=list)
    backend_fqdns: list[str] = Field(default_factory=list)


class ApimService(Resource):
    """An API Management service's TLS and network configuration."""

    sku_name: str | None = None
    custom_properties: dict[str, str] = Field(default_factory=dict)
    """``properties.customProperties`` as returned (``Microsoft.WindowsAzure.ApiManagement.Gateway.Security.*``)."""
    public_network_access: str | None = None
    virtual_network_type: str | None = None
    gateway_url: str | None = None
    hostnames: list[str] = Field(default_factory=list)
    min_api_version: str | None = None
    created_at: datetime | None = None
    """``properties.createdAtUtc``: decides the TLS defaults of services created before 2018-04-01."""


class StorageAccount(Resource):
    """A storage account's TLS and exposure settings."""

    kind: str | None = None
    sku_name: str | None = None
    minimum_tls_version: str | None = None
    https_only: bool | None = None
    """``properties.supportsHttpsTrafficOnly``."""
    allow_blob_public_access: bool | None = None
    public_network_access: str | None = None
    network_default_action: str | None = None
    allow_shared_key_access: bool | None = None
    private_endpoint_connections: list[PrivateEndpointConnection] = Field(default_factory=list)


class AppCredential(_Model):
    """One password or key credential of an app registration: metadata only, never the secret."""

    key_id: str
    kind: Literal["password", "certificate"]
    display_name: str | None = None
    hint: str | None = None
    start_date_time: datetime | None = None
    end_date_time: datetime | None = None
    usage: str | None = None
    """keyCredentials only: ``Verify`` or ``Sign``."""
    type: str | None = None
    """keyCredentials only: ``AsymmetricX509Cert``, ..."""


class ResourceAccess(_Model):
    """One ``requiredResourceAccess`` entry: the API and the permissions requested."""

    resource_app_id: str
    scopes: list[str] = Field(default_factory=list)
    """``resourceAccess[].id`` of type ``Scope`` (delegated)."""
    roles: list[str] = Field(default_factory=list)
    """``resourceAccess[].id`` of type ``Role`` (application)."""


class Application(_Model):
    """An Entra app registration (Graph ``application``)."""

    id: str
    """Object id."""
    app_id: str
    display_name: str | None = None
    sign_in_audience: str | None = None
    created_date_time: datetime | None = None
    password_credentials: list[AppCredential] = Field(default_factory=list)
    key_credentials: list[AppCredential] = Field(default_factory=list)
    required_resource_access: list[ResourceAccess] = Field(default_factory=list)


class ServicePrincipal(_Model):
    """An Entra service principal (Graph ``servicePrincipal``)."""

    id: str
    app_id: str | None = None
    display_name: str | None = None
    service_principal_type: str | None = None
    account_enabled: bool | None = None
    app_owner_organization_id: str | None = None


class DirectoryPrincipal(_Model):
    """A user, group or service principal resolved from a role assignment's principal id."""

    id: str
    object_type: Literal["user", "group", "servicePrincipal", "other"]
    display_name: str | None = None
    user_principal_name: str | None = None
    user_type: str | None = None
    """Users only: ``Member`` or ``Guest``."""


class Subscription(_Model):
    """A subscription in scope and whether it was read completely."""

    subscription_id: str
    display_name: str | None = None
    state: str | None = None
    tenant_id: str | None = None
    management_group_ids: list[str] = Field(default_factory=list)
    """Ancestor management groups (ids), when known: lets rules place MG-scoped assignments."""
    complete: bool = True
    """False when any list under this subscription failed (see ``Snapshot.errors``)."""


class CollectionError(_Model):
    """A scope or list that could not be read. Data, not an exception: it shows in coverage and exit 3."""

    scope: str
    """ARM id of the subscription/resource, or ``graph:/applications`` etc. for Graph."""
    operation: str
    """What was being read, e.g. ``fhirservices.list_by_workspace``."""
    status: int | None = None
    code: str | None = None
    message: str


class ScopeRequest(_Model):
    """What the user asked to scan."""

    mode: Literal["all", "include", "exclude"] = "all"
    subscriptions: list[str] = Field(default_factory=list)


class ToolInfo(_Model):
    """Which build of the tool wrote the snapshot."""

    name: str = "ahds-audit"
    version: str


class Identity(_Model):
    """The identity the scan ran as (for the report's cover). Never a secret."""

    method: str
    client_id: str | None = None


class Snapshot(_Model):
    """The whole collected inventory of one scan. Lists are sorted by id for deterministic output."""

    schema_version: str = SCHEMA_VERSION
    tool: ToolInfo
    tenant_id: str
    tenant_name: str | None = None
    cloud: str
    identity: Identity | None = None
    started_at: datetime
    finished_at: datetime
    scope: ScopeRequest = Field(default_factory=ScopeRequest)
    subscriptions: list[Subscription] = Field(default_factory=list)
    errors: list[CollectionError] = Field(default_factory=list)

    workspaces: list[Workspace] = Field(default_factory=list)
    fhir_services: list[FhirService] = Field(default_factory=list)
    legacy_fhir_services: list[LegacyFhirService] = Field(default_factory=list)
    role_assignments: list[RoleAssignment] = Field(default_factory=list)
    role_definitions: list[RoleDefinition] = Field(default_factory=list)
    key_vaults: list[KeyVault] = Field(default_factory=list)
    vault_items: list[VaultItem] = Field(default_factory=list)
    private_endpoints: list[PrivateEndpoint] = Field(default_factory=list)
    application_gateways: list[ApplicationGateway] = Field(default_factory=list)
    apim_services: list[ApimService] = Field(default_factory=list)
    storage_accounts: list[StorageAccount] = Field(default_factory=list)

    applications: list[Application] = Field(default_factory=list)
    service_principals: list[ServicePrincipal] = Field(default_factory=list)
    principals: list[DirectoryPrincipal] = Field(default_factory=list)
    unresolved_principal_ids: list[str] = Field(default_factory=list)
    """Principal ids of role assignments that Graph's getByIds did not return: deleted objects."""
    graph_collected: bool = True
    """False when Microsoft Graph was not read at all (``collection.graph: false``): Entra-based rules had no data."""
    principals_resolved: bool = False
    """True when every assignment principal was looked up in Graph (so absence means deleted)."""

    def to_json(self) -> str:
        """Serialise deterministically (sorted keys, ISO datetimes): the text ``write_json`` writes."""
        buffer = io.StringIO()
        self.write_json(buffer)
        return buffer.getvalue()

    def write_json(self, out: TextIO) -> None:
        """Write ``json.dumps(self.model_dump(mode="json"), indent=2, sort_keys=True)`` and a newline to ``out``,
        each list (a million role assignments in a big tenant) one item at a time, never the whole text."""
        lists = {name: value for name, value in self if isinstance(value, list)}
        doc = self.model_dump(mode="json", exclude=set(lists))
        markers = {name: splice(name) for name in lists}
        doc.update(markers)
        write_spliced_lists(
            out,
            doc,
            {markers[name]: (_json_item(item) for item in items) for name, items in lists.items()},
            ensure_ascii=True,
        )
        out.write("\n")

    def save(self, path: Path) -> None:
        """Write the snapshot to ``path`` (UTF-8 JSON) through a temporary file renamed into place, so a
        failure never leaves half a snapshot where a complete one is expected."""
        write_atomically(path, self.write_json)


def _json_item(item: object) -> object:
    return item.model_dump(mode="json") if isinstance(item, BaseModel) else item


def load_snapshot(path: Path) -> Snapshot:
    """Read a snapshot file.

    Raises SnapshotError (exit 2) with one clear line for an unreadable file,
    invalid JSON, an unknown major ``schema_version`` or a malformed document.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SnapshotError(f"{path}: cannot read snapshot: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SnapshotError(f"{path}: not a UTF-8 JSON snapshot") from exc
    return parse_snapshot(text, source=str(path))


def parse_snapshot(text: str, *, source: str = "<snapshot>") -> Snapshot:
    """Parse snapshot JSON text; see ``load_snapshot`` for the errors raised."""
    from scanner._documents import parse_versioned

    return parse_versioned(
        text, Snapshot, source=source, kind="an ahds-audit inventory snapshot", schema_version=SCHEMA_VERSION
    )


def sorted_by_id(items: Iterable[Any]) -> list[Any]:
    """Sort models by their normalised ``id`` so snapshots diff cleanly week to week."""
    return sorted(items, key=lambda x: normalize_id(x.id))


PrivateEndpoint.model_rebuild()
