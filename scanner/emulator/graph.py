"""Microsoft Graph v1.0 routes: directory collections, single objects, getByIds and organization.

Supports ``$select`` (selected properties plus ``id``), ``$top``, ``$count``,
a ``$filter`` subset (``eq``, ``in``, ``startswith``, joined by ``and``/``or``)
and absolute ``@odata.nextLink`` paging with ``$skiptoken``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web

from scanner.emulator.responses import decode_skiptoken, graph_error, json_response, next_link
from scanner.emulator.store import GraphStore

_MAX_TOP = 999
_TYPE_NAMES = {
    "user": "#microsoft.graph.user",
    "group": "#microsoft.graph.group",
    "serviceprincipal": "#microsoft.graph.servicePrincipal",
    "application": "#microsoft.graph.application",
}
_KEY_SEGMENT = re.compile(r"^(?P<collection>\w+)\((?P<prop>\w+)='(?P<value>[^']*)'\)$")
_STRING = r"'((?:[^']|'')*)'"
_EQ = re.compile(rf"^(?P<prop>[\w/]+)\s+eq\s+(?:{_STRING}|(?P<literal>true|false|null))$", re.IGNORECASE)
_IN = re.compile(r"^(?P<prop>[\w/]+)\s+in\s+\((?P<values>.*)\)$", re.IGNORECASE)
_STARTSWITH = re.compile(rf"^startswith\(\s*(?P<prop>[\w/]+)\s*,\s*{_STRING}\s*\)$", re.IGNORECASE)

Predicate = Callable[[dict[str, Any]], bool]


class UnsupportedFilter(ValueError):
    """The ``$filter`` uses syntax the emulator does not implement."""


def _get(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("/"):
        if not isinstance(value, dict):
            return None
        lowered = {k.lower(): v for k, v in value.items()}
        value = lowered.get(part.lower())
    return value


def _equal(actual: Any, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str):
        return actual.lower() == expected.lower()
    return bool(actual == expected)


def _term(text: str) -> Predicate:
    text = text.strip()
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    if match := _EQ.match(text):
        prop = match.group("prop")
        literal = match.group("literal")
        expected: Any = (
            {"true": True, "false": False, "null": None}[literal.lower()]
            if literal
            else match.group(2).replace("''", "'")
        )
        return lambda obj: _equal(_get(obj, prop), expected)
    if match := _IN.match(text):
        prop = match.group("prop")
        values = [v.replace("''", "'") for v in re.findall(_STRING, match.group("values"))]
        return lambda obj: any(_equal(_get(obj, prop), v) for v in values)
    if match := _STARTSWITH.match(text):
        prop, prefix = match.group("prop"), match.group(2).replace("''", "'").lower()
        return lambda obj: str(_get(obj, prop) or "").lower().startswith(prefix)
    raise UnsupportedFilter(text)


def parse_filter(text: str) -> Predicate:
    """A predicate for a Graph ``$filter``; raises UnsupportedFilter for anything beyond the subset."""
    alternatives = [
        [_term(part) for part in re.split(r"\s+and\s+", branch, flags=re.IGNORECASE)]
        for branch in re.split(r"\s+or\s+", text.strip(), flags=re.IGNORECASE)
    ]
    return lambda obj: any(all(term(obj) for term in terms) for terms in alternatives)


def select(obj: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
    """``obj`` trimmed to ``fields`` (case-insensitive, canonical casing kept) plus ``id``."""
    if not fields:
        return obj
    by_lower = {k.lower(): k for k in obj}
    out: dict[str, Any] = {"id": obj.get("id")}
    for name in fields:
        key = by_lower.get(name.lower())
        if key is not None:
            out[key] = obj[key]
        elif name.lower() != "id":
            out[name] = None
    return out


class GraphRoutes:
    """aiohttp handlers for ``/v1.0``; ``page_size`` is read per request (the ``$top`` default and cap)."""

    def __init__(self, store: GraphStore, page_size: Callable[[], int]) -> None:
        self._store = store
        self._page_size = page_size
        self._filtered: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def add_to(self, app: web.Application) -> None:
        """Register the routes on ``app``."""
        app.router.add_post("/v1.0/directoryObjects/getByIds", self.get_by_ids, name="graph-getbyids")
        app.router.add_get("/v1.0/{segment}", self.collection, name="graph-collection")
        app.router.add_get("/v1.0/{segment}/{object_id}", self.single, name="graph-single")
        app.router.add_route("*", "/v1.0/{tail:.*}", self.unknown, name="graph-unknown")

    def _context(self, request: web.Request, fragment: str) -> str:
        return f"{request.scheme}://{request.host}/v1.0/$metadata#{fragment}"

    @staticmethod
    def _fields(request: web.Request) -> list[str] | None:
        raw = request.query.get("$select")
        return [f.strip() for f in raw.split(",") if f.strip()] if raw else None

    async def unknown(self, request: web.Request) -> web.Response:
        """Graph's answer for a segment it does not know."""
        segment = request.path.split("/")[2] if request.path.count("/") >= 2 else ""
        return graph_error(400, "BadRequest", f"Resource not found for the segment '{segment}'.")

    async def collection(self, request: web.Request) -> web.Response:
        """A directory collection (``applications``, ``users``...), ``organization``, or a key segment."""
        segment = request.match_info["segment"]
        if keyed := _KEY_SEGMENT.match(segment):
            return self._by_alternate_key(request, keyed)
        if segment.lower() == "organization":
            return json_response(
                {
                    "@odata.context": self._context(request, "organization"),
                    "value": [select(self._store.organization, self._fields(request))],
                }
            )
        entry = self._store.collections.get(segment.lower())
        if entry is None:
            return await self.unknown(request)
        name, items = entry
        flt = request.query.get("$filter")
        if flt:
            cache_key = (name, flt)
            filtered = self._filtered.get(cache_key)
            if filtered is None:
                try:
                    predicate = parse_filter(flt)
                except UnsupportedFilter as exc:
                    return graph_error(
                        400,
                        "Request_UnsupportedQuery",
                        f"Unsupported or invalid query filter clause specified: '{exc}'.",
                    )
                filtered = [item for item in items if predicate(item)]
                self._filtered[cache_key] = filtered
            items = filtered
        offset = decode_skiptoken(request.query.get("$skiptoken"))
        if offset is None:
            return graph_error(
                400,
                "Directory_ExpiredPageToken",
                "The specified page token value has expired and can no longer be included in your request.",
            )
        try:
            top = int(request.query.get("$top", self._page_size()))
        except ValueError:
            return graph_error(400, "BadRequest", "Invalid $top value.")
        # Graph may answer fewer than $top items (it pages server-side), so the page size caps $top too.
        size = min(max(1, top), _MAX_TOP, max(1, self._page_size()))
        fields = self._fields(request)
        context = f"{name}({','.join(fields)})" if fields else name
        body: dict[str, Any] = {"@odata.context": self._context(request, context)}
        if request.query.get("$count", "").lower() == "true":
            body["@odata.count"] = len(items)
        if offset + size < len(items):
            body["@odata.nextLink"] = next_link(request, offset + size)
        body["value"] = [select(item, fields) for item in items[offset : offset + size]]
        return json_response(body)

    def _by_alternate_key(self, request: web.Request, keyed: re.Match[str]) -> web.Response:
        entry = self._store.collections.get(keyed.group("collection").lower())
        if entry is None:
            return graph_error(
                400, "BadRequest", f"Resource not found for the segment '{keyed.group('collection')}'."
            )
        name, items = entry
        prop, value = keyed.group("prop"), keyed.group("value")
        for item in items:
            if _equal(_get(item, prop), value):
                body = {
                    "@odata.context": self._context(request, f"{name}/$entity"),
                    **select(item, self._fields(request)),
                }
                return json_response(body)
        return self._not_found(value)

    @staticmethod
    def _not_found(object_id: str) -> web.Response:
        return graph_error(
            404,
            "Request_ResourceNotFound",
            f"Resource '{object_id}' does not exist or one of its queried reference-property "
            "objects are not present.",
        )

    async def single(self, request: web.Request) -> web.Response:
        """One object by id from its collection (or from ``directoryObjects``)."""
        segment = request.match_info["segment"].lower()
        object_id = request.match_info["object_id"]
        found = self._store.objects.get(object_id.lower())
        if segment == "directoryobjects":
            if found is None:
                return self._not_found(object_id)
            return json_response(
                {
                    "@odata.context": self._context(request, "directoryObjects/$entity"),
                    "@odata.type": found[0],
                    **select(found[1], self._fields(request)),
                }
            )
        entry = self._store.collections.get(segment)
        if entry is None:
            return await self.unknown(request)
        if found is None or found[0].rsplit(".", 1)[-1].lower() != entry[0].lower().rstrip("s"):
            return self._not_found(object_id)
        return json_response(
            {
                "@odata.context": self._context(request, f"{entry[0]}/$entity"),
                **select(found[1], self._fields(request)),
            }
        )

    async def get_by_ids(self, request: web.Request) -> web.Response:
        """``POST /directoryObjects/getByIds``: the objects found among ``ids``, typed; unknown ids absent."""
        try:
            payload = json.loads(await request.text())
        except ValueError:
            return graph_error(400, "BadRequest", "Unable to read JSON request payload.")
        ids = payload.get("ids") if isinstance(payload, dict) else None
        if not isinstance(ids, list) or len(ids) > 1000:
            return graph_error(
                400, "Request_BadRequest", "Invalid 'ids' parameter: a list of at most 1000 ids is required."
            )
        types = {(_TYPE_NAMES.get(str(t).lower()) or "") for t in payload.get("types") or []}
        value = []
        for object_id in ids:
            found = self._store.objects.get(str(object_id).lower())
            if found is not None and (not types or found[0] in types):
                value.append({"@odata.type": found[0], **found[1]})
        return json_response({"@odata.context": self._context(request, "directoryObjects"), "value": value})
