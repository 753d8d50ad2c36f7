"""Paged list reads for ARM and Graph that return each page's raw JSON items.

Each request goes through the SDK client's own pipeline (authentication,
retries with ``Retry-After``, transport), but the page is read as JSON instead
of being turned into SDK model objects: the inventory is normalised JSON
anyway, and DESIGN measured model construction as the main CPU cost at scale.

Guarantees of both pagers: a ``nextLink`` is followed exactly as returned
(query kept as-is); a link back to a page already read raises ``PagingLoop``;
a link to another origin raises ``ForeignNextLink`` and is not followed (the
bearer token never leaves for it); a body that is not a JSON object with a
``value`` list raises ``MalformedResponse`` or ``json.JSONDecodeError``; one
page, retries included, never takes longer than the run's page deadline.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import httpx
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import ContentDecodePolicy
from azure.core.rest import HttpRequest
from azure.mgmt.core.exceptions import ARMErrorFormat
from kiota_abstractions.api_error import APIError
from kiota_abstractions.request_information import RequestInformation
from msgraph.generated.models.o_data_errors.o_data_error import ODataError

from scanner.collect._clients import GraphClients, api_version
from scanner.collect._errors import ForeignNextLink, MalformedResponse, PagingLoop
from scanner.collect._limiter import Limiter, Priority
from scanner.collect._normalize import resource_id
from scanner.collect._run import Run

T = TypeVar("T")

_GRAPH_ERRORS: dict[str, Any] = {"XXX": ODataError}
"""Map every error status to Graph's OData error body, so failures carry Graph's code and message."""
_GRAPH_BACKOFF_S = 0.5
_GRAPH_BACKOFF_MAX_S = 8.0


def arm_url(run: Run, path: str, family: str, **query: str) -> str:
    """The absolute URL of an ARM list: ``path`` (an ARM id or route) with the family's api-version.

    ``path`` is percent-encoded (resource-group names may hold Unicode letters and parentheses).
    """
    extra = "".join(f"&{quote(k, safe='$')}={quote(v, safe='')}" for k, v in query.items())
    return f"{run.arm.endpoint}{quote(path, safe='/()')}?api-version={api_version(family)}{extra}"


def _follow(link: object, origin: str, seen: set[str]) -> str | None:
    """Validate a next-page link against the origin and the pages already read; None ends paging."""
    if link is None or link == "":
        return None
    if not isinstance(link, str):
        raise MalformedResponse(f"next-page link is a {type(link).__name__}, not a URL")
    absolute = urljoin(origin + "/", link)
    want, got = urlsplit(origin), urlsplit(absolute)
    if (got.scheme.lower(), got.netloc.lower()) != (want.scheme.lower(), want.netloc.lower()):
        raise ForeignNextLink(f"next-page link points to another host ({got.netloc!r}); not followed")
    if absolute in seen:
        raise PagingLoop(f"next-page link repeats a page already read after {len(seen)} page(s)")
    seen.add(absolute)
    return absolute


def _items(body: object) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    if not isinstance(body, dict):
        raise MalformedResponse(f"response body is a JSON {type(body).__name__}, not an object")
    value = body.get("value")
    if not isinstance(value, list):
        raise MalformedResponse("response body has no 'value' list")
    return [item for item in value if isinstance(item, dict)], body


async def _pages(
    send: Callable[[str, Priority], Awaitable[object]],
    first_url: str,
    origin: str,
    link_key: str,
    priority: Priority,
) -> AsyncIterator[list[dict[str, Any]]]:
    seen = {first_url}
    url: str | None = first_url
    while url is not None:
        items, body = _items(await send(url, priority))
        yield items
        url = _follow(body.get(link_key), origin, seen)
        priority = Priority.NEXT_PAGE


async def arm_pages(
    run: Run, client: Any, first_url: str, priority: Priority = Priority.ROOT
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the items of every page of an ARM list, following ``nextLink``.

    ``client`` is the management client whose pipeline sends the request (its
    ``_client``: the generated clients disagree on the name of their public
    ``send_request`` and the multi-API authorization client has none). Raises
    ``HttpResponseError`` (ARM error code and message parsed) for a 4xx/5xx
    after retries, and the exceptions listed in the module docstring.
    """
    pipeline = client._client

    async def send(url: str, prio: Priority) -> object:
        async with run.limiter.slot(prio), asyncio.timeout(run.page_deadline_s):
            # The pipeline response, not just the HTTP response: azure-core's ContentDecodePolicy has parsed
            # a JSON body already (its "deserialized_data"), and parsing it twice cost 5-10% of a run's CPU.
            result = await pipeline.send_request(HttpRequest("GET", url), _return_pipeline_response=True)
        response = result.http_response
        if response.status_code >= 400:
            raise HttpResponseError(response=response, error_format=ARMErrorFormat)
        parsed = result.context.get(ContentDecodePolicy.CONTEXT_NAME)
        return parsed if isinstance(parsed, dict) else json.loads(response.content)

    async for page in _pages(send, first_url, run.arm.endpoint, "nextLink", priority):
        yield page


class _GraphCollection(Protocol):
    """A msgraph-sdk collection request builder (``client.applications`` and the like)."""

    def with_url(self, raw_url: str) -> Any: ...


async def graph_pages(
    graph: GraphClients,
    limiter: Limiter,
    deadline_s: float,
    builder: _GraphCollection,
    first: RequestInformation,
    priority: Priority = Priority.ROOT,
) -> AsyncIterator[list[dict[str, Any]]]:
    """Yield the raw items of every page of a Graph collection, following ``@odata.nextLink``.

    ``first`` is the request the SDK builder prepared (``$select``, ``$top``);
    later pages use ``builder.with_url(nextLink)``. Requests go through the
    adapter's middleware (auth, retry with ``Retry-After``). Raises ``ODataError``
    (an ``APIError``) for an error status, ``httpx.HTTPError`` for transport
    failures, and the exceptions listed in the module docstring.
    """
    infos: dict[str, RequestInformation] = {}

    async def send(url: str, prio: Priority) -> object:
        info = infos.pop(url, None) or builder.with_url(url).to_get_request_information()
        return json.loads(await graph_send(graph, limiter, deadline_s, info, prio))

    graph.adapter.set_base_url_for_request_information(first)  # so ``first.url`` renders absolute
    first_url = first.url
    infos[first_url] = first
    async for page in _pages(send, first_url, graph.endpoint, "@odata.nextLink", priority):
        yield page


async def graph_send(
    graph: GraphClients, limiter: Limiter, deadline_s: float, info: RequestInformation, priority: Priority
) -> bytes:
    """Send one prepared Graph request and return the raw body of its 2xx response.

    Every Graph request the collectors send is a read (getByIds included), so a transport failure is
    resent up to ``graph.transport_retries`` times with a short exponential backoff, inside the deadline.
    """
    async with limiter.slot(priority), asyncio.timeout(deadline_s):
        attempt = 0
        refreshed = False
        while True:
            try:
                body = await graph.adapter.send_primitive_async(info, "bytes", _GRAPH_ERRORS)
                break
            except APIError as exc:
                # A token that expired in flight: the next attempt asks the credential again, which
                # then returns a fresh one. Once per request; any other status is the answer. Kiota
                # keeps the Authorization header on the request object and would resend the stale
                # token, so it is dropped first.
                if exc.response_status_code != 401 or refreshed:
                    raise
                refreshed = True
                if info.headers.contains("Authorization"):
                    info.headers.remove("Authorization")
            except httpx.TransportError:
                if attempt >= graph.transport_retries:
                    raise
                await asyncio.sleep(min(_GRAPH_BACKOFF_S * 2**attempt, _GRAPH_BACKOFF_MAX_S))
                attempt += 1
    if not isinstance(body, bytes):
        raise MalformedResponse("empty response body")
    return body


async def read_list(
    run: Run,
    *,
    subscription_id: str,
    scope: str,
    operation: str,
    client: Any,
    url: str,
    convert: Callable[[dict[str, Any], str], T],
    into: list[T],
    priority: Priority = Priority.ROOT,
    then: Callable[[str], None] | None = None,
) -> None:
    """Read every page of one ARM list into ``into``; record a failure against ``scope`` and go on.

    Items without an ``id`` are skipped. ``then(id)`` runs for each item as its
    page arrives (to start child lists at once).
    """

    async def work() -> None:
        async for page in arm_pages(run, client, url, priority):
            for raw in page:
                if rid := resource_id(raw):
                    into.append(convert(raw, rid))
                    if then is not None:
                        then(rid)

    await run.guard(scope, operation, subscription_id, work)
