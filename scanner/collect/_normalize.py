"""Small, total readers that turn raw REST JSON (camelCase wire names) into inventory field values.

Every reader tolerates a missing or wrongly typed value by returning None or an
empty container: a malformed resource becomes a resource with unknown
properties (rules report "could not decide"), never a crashed run.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from typing import Any

from scanner.inventory import PrivateEndpointConnection, resource_group_of, subscription_of


def obj(value: Any, *path: str) -> dict[str, Any]:
    """The JSON object at ``path`` under ``value``, or an empty dict."""
    current = value
    for key in path:
        current = current.get(key) if isinstance(current, dict) else None
    return current if isinstance(current, dict) else {}


def text(value: Any, *path: str) -> str | None:
    """The string at ``path``, or None."""
    *head, last = path
    found = obj(value, *head).get(last)
    return found if isinstance(found, str) else None


def shared(value: str | None) -> str | None:
    """One copy of a string that repeats across many inventory objects (``sys.intern``).

    For low-cardinality values only (types, locations, subscription ids, credential kinds, well-known
    app ids): each JSON page brings a fresh copy of every string, and a large tenant holds hundreds of
    thousands of them. Unique values (resource ids) gain nothing from it.
    """
    return sys.intern(value) if value is not None else None


def shared_text(value: Any, *path: str) -> str | None:
    """``text(value, *path)``, as one shared copy (see ``shared``)."""
    return shared(text(value, *path))


def shared_strings(value: Any, *path: str) -> list[str]:
    """``strings(value, *path)``, each as one shared copy (see ``shared``)."""
    return [sys.intern(x) for x in strings(value, *path)]


def flag(value: Any, *path: str) -> bool | None:
    """The boolean at ``path``, or None."""
    *head, last = path
    found = obj(value, *head).get(last)
    return found if isinstance(found, bool) else None


def integer(value: Any, *path: str) -> int | None:
    """The integer at ``path`` (not a boolean), or None."""
    *head, last = path
    found = obj(value, *head).get(last)
    return found if isinstance(found, int) and not isinstance(found, bool) else None


def items(value: Any, *path: str) -> list[dict[str, Any]]:
    """The JSON objects in the array at ``path`` (other elements skipped)."""
    *head, last = path
    found = obj(value, *head).get(last)
    return [x for x in found if isinstance(x, dict)] if isinstance(found, list) else []


def strings(value: Any, *path: str) -> list[str]:
    """The strings in the array at ``path`` (other elements skipped)."""
    *head, last = path
    found = obj(value, *head).get(last)
    return [x for x in found if isinstance(x, str)] if isinstance(found, list) else []


def when(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds (Key Vault attributes) or an ISO 8601 string (ARM, Graph).

    Returns None for anything else, including out-of-range numbers.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        try:
            return datetime.fromtimestamp(value, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value)  # 3.11+: "Z" and ARM's seven fractional digits
        except ValueError:
            return None
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def tags(raw: dict[str, Any]) -> dict[str, str]:
    """Resource tags as strings (ARM tag values are strings; anything else is rendered, not dropped)."""
    found = raw.get("tags")
    if not isinstance(found, dict):
        return {}
    return {str(k): v if isinstance(v, str) else str(v) for k, v in found.items()}


def last_segment(resource_id: str) -> str:
    """The last path segment of an ARM id (a child resource's own name)."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1]


def resource_id(raw: dict[str, Any]) -> str | None:
    """The item's ARM ``id``, or None when it has none (such an item is skipped: nothing can refer to it)."""
    found = raw.get("id")
    return found if isinstance(found, str) and found.strip("/") else None


def resource_fields(raw: dict[str, Any], rid: str) -> dict[str, Any]:
    """The ``Resource`` fields of an ARM resource with id ``rid``: name from the id's last segment.

    The name comes from the id because child resources may report ``ws/fhir``
    or the bare child name; the id is unambiguous. Subscription and resource
    group are derived from the id.
    """
    return {
        "id": rid,
        "name": last_segment(rid),
        "type": shared_text(raw, "type") or "",
        "location": shared_text(raw, "location"),
        "subscription_id": shared(subscription_of(rid)),
        "resource_group": shared(resource_group_of(rid)),
        "tags": tags(raw),
    }


def private_endpoint_connections(properties: dict[str, Any]) -> list[PrivateEndpointConnection]:
    """``properties.privateEndpointConnections`` of a target resource (FHIR, workspace, vault, storage)."""
    result = []
    for conn in items(properties, "privateEndpointConnections"):
        props = obj(conn, "properties")
        result.append(
            PrivateEndpointConnection(
                id=text(conn, "id"),
                name=text(conn, "name")
                or (last_segment(conn["id"]) if isinstance(conn.get("id"), str) else None),
                private_endpoint_id=text(props, "privateEndpoint", "id"),
                status=shared_text(props, "privateLinkServiceConnectionState", "status"),
                description=shared_text(props, "privateLinkServiceConnectionState", "description"),
                provisioning_state=shared_text(props, "provisioningState"),
            )
        )
    return result
