"""Builders of small inventories for rule and engine tests: inventory models only, never SDK objects."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scanner.inventory import Snapshot, ToolInfo

NOW = datetime(2026, 6, 15, 12, 0, 0, tzinfo=UTC)
"""The fixed clock rule tests evaluate against."""

SUB = "00000000-0000-0000-0000-000000000001"
SUB2 = "00000000-0000-0000-0000-000000000002"
RG = "rg-fhir"


def arm_id(provider_type: str, name: str, *, sub: str = SUB, rg: str = RG) -> str:
    """An ARM id such as ``arm_id("Microsoft.KeyVault/vaults", "kv1")``; nested types take ``ws/fhir`` names."""
    ns, *types = provider_type.split("/")
    names = name.split("/")
    if len(types) != len(names):
        raise ValueError(f"{provider_type!r} needs {len(types)} name segment(s), got {name!r}")
    tail = "/".join(f"{t}/{n}" for t, n in zip(types, names, strict=True))
    return f"/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{tail}"


def snapshot(**lists: Any) -> Snapshot:
    """A snapshot with the given inventory lists and neutral defaults for the rest."""
    base: dict[str, Any] = {
        "tool": ToolInfo(version="0.0.0"),
        "tenant_id": "72f988bf-0000-0000-0000-000000000000",
        "cloud": "AzureCloud",
        "started_at": NOW,
        "finished_at": NOW,
        "principals_resolved": True,
    }
    base.update(lists)
    return Snapshot(**base)
