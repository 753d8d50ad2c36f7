"""Response builders shared by the routes: ARM and Graph error bodies, JSON, and page tokens.

Error shapes follow the real services: ARM ``{"error": {"code", "message"}}``,
Graph ``{"error": {"code", "message", "innerError": {...}}}``.
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiohttp import web

JSON_CT = "application/json; charset=utf-8"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A compact JSON response with the request-id headers ARM and Graph send."""
    merged = {"x-ms-request-id": str(uuid.uuid4()), **(headers or {})}
    return web.Response(
        body=json.dumps(body, separators=(",", ":")).encode(),
        status=status,
        headers=merged,
        content_type="application/json",
        charset="utf-8",
    )


def arm_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """An ARM error response: ``{"error": {"code", "message"}}``."""
    return json_response({"error": {"code": code, "message": message}}, status, headers)


def graph_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> web.Response:
    """A Microsoft Graph error response with the ``innerError`` block Graph always adds."""
    request_id = str(uuid.uuid4())
    inner = {
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S"),
        "request-id": request_id,
        "client-request-id": request_id,
    }
    return json_response(
        {"error": {"code": code, "message": message, "innerError": inner}},
        status,
        {"request-id": request_id, **(headers or {})},
    )


def encode_skiptoken(offset: int) -> str:
    """An opaque continuation token for ``offset`` (clients must not parse it, as with Azure's)."""
    return base64.urlsafe_b64encode(f"emu:{offset}".encode()).decode().rstrip("=")


def decode_skiptoken(token: str | None) -> int | None:
    """The offset in a token from ``encode_skiptoken``; 0 when absent, None when malformed."""
    if not token:
        return 0
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    prefix, _, number = text.partition(":")
    if prefix != "emu" or not number.isdigit():
        return None
    return int(number)


def next_link(request: web.Request, offset: int, *, token_param: str = "$skiptoken") -> str:
    """An absolute URL on this server's origin for the page starting at ``offset``.

    Keeps every query parameter of the request (``$filter``, ``$select``, ``api-version``)
    except the previous token.
    """
    query = {k: v for k, v in request.query.items() if k != token_param}
    query[token_param] = encode_skiptoken(offset)
    return str(request.url.with_query(query))
