"""The emulator's tenant data file: its model, relative-date tokens, and the loader.

A tenant file (YAML or JSON) describes one Entra tenant: the clients the token
endpoint accepts, management groups, subscriptions holding ARM resources in
their real REST shape, role assignments and custom role definitions, and the
Microsoft Graph directory objects. ``docs/emulator.md`` documents the format.

Dates may be written relative to the load time so a bundled demo stays
meaningful: ``"@now"``, ``"@now+20d"``, ``"@now-400d"`` become ISO 8601 UTC
strings and ``"@epoch:now+90d"`` becomes Unix seconds (Key Vault attributes).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from scanner.errors import ConfigError

BUNDLED_TENANT = "contoso-health"
"""Name of the demo tenant shipped in ``scanner/emulator/data``."""

_TOKEN = re.compile(r"^@(?P<epoch>epoch:)?now(?P<offsets>(?:[+-]\d+[wdhms])*)$")
_OFFSET = re.compile(r"([+-])(\d+)([wdhms])")
_UNIT_SECONDS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1}


def resolve_relative_dates(value: Any, now: datetime) -> Any:
    """Return ``value`` with every relative-date token replaced, recursively.

    Only whole strings that match the token grammar are replaced, so an e-mail
    address or a tag that merely contains ``@now`` is left alone. ISO output
    uses second precision and a ``Z`` suffix, as ARM and Graph do.
    """
    if isinstance(value, str):
        match = _TOKEN.match(value)
        if not match:
            return value
        seconds = sum(
            (1 if sign == "+" else -1) * int(amount) * _UNIT_SECONDS[unit]
            for sign, amount, unit in _OFFSET.findall(match.group("offsets"))
        )
        moment = now + timedelta(seconds=seconds)
        if match.group("epoch"):
            return int(moment.timestamp())
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, Mapping):
        return {key: resolve_relative_dates(item, now) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve_relative_dates(item, now) for item in value]
    return value


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Client(_Doc):
    """An application registration the token endpoint accepts for the client-credentials grant."""

    client_id: str
    """The application (client) id."""
    client_secret: str | None = None
    """The secret accepted for this client; None means only client assertions are accepted."""
    display_name: str = ""
    """Informational only."""


class ManagementGroup(_Doc):
    """A management group; ``parent`` None means directly under the tenant root group."""

    name: str
    """The group's id segment, as in ``/providers/Microsoft.Management/managementGroups/<name>``."""
    display_name: str = ""
    parent: str | None = None
    """The parent group's ``name``; None for a child of the tenant root group (named after the tenant id)."""


class Subscription(_Doc):
    """A subscription and the ARM resources in it, each in its REST GET shape."""

    subscription_id: str
    display_name: str
    state: str = "Enabled"
    management_group: str | None = None
    """The management group directly above the subscription (its ``name``)."""
    resources: list[dict[str, Any]] = Field(default_factory=list)
    """Resources as ARM returns them; ``name``/``type`` default from ``id``; keys starting with ``_``
    are emulator-only (``_children`` nests child resources by type segment) and never served."""


class Graph(_Doc):
    """Microsoft Graph v1.0 directory objects, each in its REST shape (``id`` required)."""

    applications: list[dict[str, Any]] = Field(default_factory=list)
    service_principals: list[dict[str, Any]] = Field(default_factory=list, alias="servicePrincipals")
    users: list[dict[str, Any]] = Field(default_factory=list)
    groups: list[dict[str, Any]] = Field(default_factory=list)


class Tenant(_Doc):
    """A whole emulated tenant, with relative dates already resolved."""

    tenant_id: str
    display_name: str
    default_domain: str = ""
    """The tenant's initial domain (``contoso.onmicrosoft.com``); also accepted in authority paths."""
    clients: list[Client] = Field(min_length=1)
    management_groups: list[ManagementGroup] = Field(default_factory=list)
    subscriptions: list[Subscription] = Field(default_factory=list)
    role_definitions: list[dict[str, Any]] = Field(default_factory=list)
    """Custom role definitions in REST shape (``name`` is the GUID; ``properties.assignableScopes``)."""
    role_assignments: list[dict[str, Any]] = Field(default_factory=list)
    """Role assignments in REST shape; ``properties.scope`` is required; ``role`` (a built-in or custom
    role name or GUID) may stand in for ``properties.roleDefinitionId``."""
    graph: Graph = Field(default_factory=Graph)
    loaded_at: datetime | None = None
    """The ``now`` the relative dates were resolved against (set by the loader)."""

    @classmethod
    def from_data(
        cls, data: Mapping[str, Any], *, now: datetime | None = None, source: str = "<tenant data>"
    ) -> Tenant:
        """Validate a tenant mapping after resolving its relative dates against ``now`` (default: UTC now).

        Raises ConfigError naming ``source`` and the offending key path when the data is invalid.
        """
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
        resolved = resolve_relative_dates(dict(data), moment)
        resolved["loaded_at"] = moment
        try:
            return cls.model_validate(resolved)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ConfigError(f"{source}: invalid tenant data at {where}: {first['msg']}") from exc


def bundled_tenant_path(name: str = BUNDLED_TENANT) -> Path:
    """The path of a tenant file shipped with the emulator (``contoso-health`` by default)."""
    return Path(str(resources.files("scanner.emulator").joinpath("data", f"{name}.yaml")))


def load_tenant(path: Path | str | None = None, *, now: datetime | None = None) -> Tenant:
    """Load a tenant file (YAML or JSON); None loads the bundled ``contoso-health`` demo.

    Relative dates resolve against ``now`` (default: the current UTC time).
    Raises ConfigError when the file is unreadable or invalid.
    """
    file = Path(path) if path is not None else bundled_tenant_path()
    try:
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read tenant file: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f":{mark.line + 1}:{mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{file}{where}: tenant file is not valid YAML") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{file}: a tenant file must hold a mapping at the top level")
    return Tenant.from_data(data, now=now, source=str(file))
