"""Turn the failures of one list into ``CollectionError`` records: the scope boundary of every collector.

Only expected, per-scope failures are caught here (HTTP errors, transport
errors, timeouts, malformed or looping responses). Anything else is a
programming error and propagates.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable

import httpx
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    IncompleteReadError,
    ServiceRequestError,
    ServiceResponseError,
)
from kiota_abstractions.api_error import APIError

from scanner.inventory import CollectionError

logger = logging.getLogger(__name__)

_MAX_MESSAGE = 300


class MalformedResponse(Exception):
    """A 2xx response whose body is not the JSON shape a list returns."""


class PagingLoop(Exception):
    """A ``nextLink`` pointed back at a page already read."""


class WriteRefused(Exception):
    """An SDK policy tried to send something other than GET (e.g. resource-provider registration).

    Deliberately not an ``AzureError``: azure-core's retry policy lets it through at once.
    """


class ForeignNextLink(Exception):
    """A ``nextLink`` pointed at another host: not followed, so no token leaves for it."""


EXPECTED: tuple[type[BaseException], ...] = (
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
    TimeoutError,  # asyncio.TimeoutError is this class on 3.11+
    APIError,
    httpx.HTTPError,
    json.JSONDecodeError,
    MalformedResponse,
    PagingLoop,
    ForeignNextLink,
    WriteRefused,
)
"""Failures that are data about one scope, never a reason to stop the run."""


def one_line(text: object) -> str:
    """Collapse ``text`` to one printable line of bounded length (error messages are tenant data)."""
    flat = " ".join(str(text).split())
    cleaned = "".join(ch for ch in flat if ch.isprintable())
    return cleaned if len(cleaned) <= _MAX_MESSAGE else cleaned[: _MAX_MESSAGE - 3] + "..."


def to_collection_error(scope: str, operation: str, exc: BaseException) -> CollectionError:
    """Describe ``exc`` as a ``CollectionError``: status, service error code and a one-line message.

    Never copies headers or response bodies beyond the service's own error code and message.
    """
    status: int | None = None
    code: str | None = None
    message: str
    if isinstance(exc, IncompleteReadError):  # the connection closed before Content-Length bytes arrived
        message = "response body cut short (connection closed mid-body)"
    elif isinstance(exc, ClientAuthenticationError) and exc.error is None:
        # Raised by the credential (no token for this request), not by the service read: the status and
        # reason are the token endpoint's, so say so instead of passing them off as the list's answer.
        message = f"authentication failed (no token for this request): {exc.message or exc.reason}"
    elif isinstance(exc, DecodeError):  # azure-core's ContentDecodePolicy could not parse a 2xx body
        status = exc.status_code
        message = "malformed JSON in response"
    elif isinstance(exc, HttpResponseError):
        status = exc.status_code
        odata = exc.error
        code = getattr(odata, "code", None) if odata is not None else None
        detail = getattr(odata, "message", None) if odata is not None else None
        message = detail or exc.reason or type(exc).__name__
        if status is None and isinstance(exc, ClientAuthenticationError):
            message = f"authentication failed: {message}"
    elif isinstance(exc, APIError):
        status = exc.response_status_code
        main = getattr(exc, "error", None)
        code = getattr(main, "code", None)
        message = getattr(main, "message", None) or exc.message or "Microsoft Graph request failed"
    elif isinstance(exc, (ServiceRequestError, httpx.ConnectError)):
        message = f"connection failed: {exc}"
    elif isinstance(exc, (ServiceResponseError, httpx.HTTPError)):
        message = f"no valid response: {exc}" if str(exc) else f"no valid response: {type(exc).__name__}"
    elif isinstance(exc, TimeoutError):
        message = "timed out waiting for the service"
    elif isinstance(exc, json.JSONDecodeError):
        message = f"malformed JSON in response (line {exc.lineno}, column {exc.colno})"
    else:
        message = str(exc) or type(exc).__name__
    return CollectionError(
        scope=scope, operation=operation, status=status, code=code, message=one_line(message)
    )


async def guarded(
    record: Callable[[CollectionError], None],
    scope: str,
    operation: str,
    work: Callable[[], Awaitable[None]],
) -> bool:
    """Run ``work``; on an expected failure record it against ``scope``/``operation`` and return False.

    Returns True when ``work`` completed. Programming errors propagate.
    """
    try:
        await work()
    except EXPECTED as exc:
        error = to_collection_error(scope, operation, exc)
        logger.warning(
            "cannot read %s of %r: %s%s",
            operation,
            scope,
            f"HTTP {error.status} " if error.status else "",
            error.message,
        )
        record(error)
        return False
    return True


__all__ = [
    "EXPECTED",
    "ForeignNextLink",
    "MalformedResponse",
    "PagingLoop",
    "WriteRefused",
    "guarded",
    "one_line",
    "to_collection_error",
]
