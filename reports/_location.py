"""Where a finding "lives" for file-based viewers: a repository-relative pseudo path derived from its resource id.

Code-scanning services (GitHub above all) reject results without a file
location, yet a live cloud resource has none. Each resource id maps to a
stable path such as ``azure/subscriptions/<sid>/resourcegroups/<rg>/providers/<ns>/<type>/<name>.json``
(Entra objects under ``entra/<type>s/<id>.json``), or to the IaC file the
configuration maps it to. Paths are lower-case (ARM ids are case-insensitive,
and the path is part of an alert's identity) and hold only ``[a-z0-9._/-]``
and percent-escapes: no ``:``, no ``..`` segment, never absolute.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def encode_segment(segment: str) -> str:
    """Percent-encode (UTF-8) every character outside ``[A-Za-z0-9._-]``; a ``.``/``..`` segment is encoded too."""
    out = "".join(ch if ch in _SAFE else "".join(f"%{b:02X}" for b in ch.encode("utf-8", "replace")) for ch in segment)
    if set(out) == {"."}:
        out = out.replace(".", "%2E")
    return out


def _encode_path(path: str) -> str:
    return "/".join(encode_segment(seg) for seg in path.replace("\\", "/").split("/") if seg)


def pseudo_path(resource_id: str) -> str:
    """The stable repository-relative pseudo path of ``resource_id`` (same id in any case -> same path)."""
    rid = resource_id.strip().lower()
    if rid.startswith("/") or not rid.rstrip("/"):
        tail = _encode_path(rid)
        return f"azure/{tail}.json" if tail else "azure/tenant.json"
    kind, _, object_id = rid.rstrip("/").partition("/")
    plural = kind if kind.endswith("s") else kind + "s"
    return f"entra/{_encode_path(plural)}/{_encode_path(object_id) or 'unknown'}.json"


def artifact_uri(resource_id: str, iac_map: Mapping[str, str]) -> str:
    """The IaC file of the first ``iac_map`` glob matching ``resource_id`` (case-insensitive), else its pseudo path.

    A mapped path is made safe the same way (no ``:``, no ``..``, relative).
    """
    rid = resource_id.strip().rstrip("/").lower()
    for pattern, path in iac_map.items():
        if fnmatch.fnmatchcase(rid, pattern.strip().rstrip("/").lower()):
            safe = _encode_path(path)
            if safe:
                return safe
    return pseudo_path(resource_id)
