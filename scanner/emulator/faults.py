"""Fault injection: throttling, errors, malformed or truncated bodies, dropped connections, lost subscriptions.

A FaultPlan is changed from the test's thread while the server's loop reads
it, so every access goes through one lock. Rules match in the order added; the
first rule with remaining uses wins. The wire-level faults (a dropped
connection, a body cut short of its ``Content-Length``) are sent by
``drop_connection`` and ``send_truncated``, which the server calls.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
from dataclasses import dataclass, field
from typing import NoReturn

from aiohttp import web


@dataclass(slots=True)
class FaultRule:
    """One injected fault.

    ``path_pattern`` is a regular expression searched (case-insensitively) in the request path.
    A ``status`` below 400 with no ``body`` only delays the request by ``delay_s`` and then serves it
    normally; otherwise the fault answers ``status`` with ``body`` (raw text, e.g. malformed JSON) or
    the real error shape of the API hit. ``times`` None fires forever; the first ``skip`` matching
    requests pass untouched (a fault that starts mid-run). ``truncate_at`` sends the answer (``body``,
    or the real one when ``body`` is None) with its full ``Content-Length`` but only its first
    ``truncate_at`` bytes, then closes the connection (reset, with ``close_connection``).
    ``close_connection`` alone drops the connection before any byte of an answer.
    """

    path_pattern: str
    method: str | None = None
    status: int = 429
    retry_after_s: float | None = 1
    times: int | None = 1
    delay_s: float = 0
    body: str | None = None
    close_connection: bool = False
    truncate_at: int | None = None
    skip: int = 0
    headers: dict[str, str] | None = None
    """Extra response headers (e.g. an ARM ``WWW-Authenticate`` challenge on an injected 401)."""
    _regex: re.Pattern[str] = field(init=False, repr=False)
    fired: int = field(default=0, init=False)
    """How many requests this rule answered so far."""
    _seen: int = field(default=0, init=False, repr=False)

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path_pattern, re.IGNORECASE)

    @classmethod
    def subscription_not_found(cls, subscription_id: str, *, times: int | None = None) -> FaultRule:
        """Every ARM path under the subscription answers 404 ``SubscriptionNotFound``, as ARM does for a
        subscription deleted (or moved to another tenant) after it was listed; ``/subscriptions`` still lists it.
        """
        body = {
            "error": {
                "code": "SubscriptionNotFound",
                "message": f"The subscription '{subscription_id}' could not be found.",
            }
        }
        return cls(
            path_pattern=f"^/subscriptions/{re.escape(subscription_id)}(/|$)",
            status=404,
            retry_after_s=None,
            times=times,
            body=json.dumps(body),
        )

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to the request and has uses left (does not count a use)."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._regex.search(path) is not None

    @property
    def passes_through(self) -> bool:
        """True for a delay-only rule that lets the request reach its handler."""
        return (
            self.status < 400 and self.body is None and not self.close_connection and self.truncate_at is None
        )


class FaultPlan:
    """The runtime-configurable set of faults; safe to change while the server runs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._forbidden: dict[str, int] = {}

    def add(self, rule: FaultRule) -> FaultRule:
        """Add ``rule`` after the existing ones and return it (its ``fired`` count is live)."""
        with self._lock:
            self._rules.append(rule)
        return rule

    def forbid_subscription(self, subscription_id: str, status: int = 403) -> None:
        """Every ARM path under the subscription answers ``status`` with code AuthorizationFailed."""
        with self._lock:
            self._forbidden[subscription_id.lower()] = status

    def clear(self) -> None:
        """Remove every rule and forbidden subscription."""
        with self._lock:
            self._rules.clear()
            self._forbidden.clear()

    def take(self, method: str, path: str) -> FaultRule | None:
        """The first matching rule, counting the use; None when no rule applies."""
        with self._lock:
            for rule in self._rules:
                if rule.matches(method, path):
                    if rule._seen < rule.skip:
                        rule._seen += 1
                        continue
                    rule.fired += 1
                    return rule
        return None

    def forbidden_status(self, subscription_id: str) -> int | None:
        """The status a forbidden subscription answers with, or None."""
        with self._lock:
            return self._forbidden.get(subscription_id.lower())


def drop_connection(request: web.Request) -> NoReturn:
    """Drop the request's connection before any byte of an answer is sent.

    Raises ``CancelledError``, the way aiohttp ends a handler whose client went
    away, so the server treats it as a lost connection instead of logging a
    handler crash.
    """
    if request.transport is not None:
        request.transport.abort()
    raise asyncio.CancelledError("connection dropped by an injected fault")


async def send_truncated(
    request: web.Request, full: web.Response, at: int, *, reset: bool = False
) -> web.StreamResponse:
    """Send ``full``'s status and headers with its whole ``Content-Length``, then only ``at`` bytes of its
    body, then close the connection (``reset``: abort it). The client sees a body cut short.
    """
    body = full.body if isinstance(full.body, bytes) else b""
    skip = {"content-length", "transfer-encoding", "content-encoding"}
    partial = web.StreamResponse(
        status=full.status, headers={k: v for k, v in full.headers.items() if k.lower() not in skip}
    )
    partial.content_length = len(body)
    await partial.prepare(request)
    await partial.write(body[: max(0, min(at, len(body) - 1))])
    transport = request.transport
    if transport is not None:
        if reset:
            await asyncio.sleep(0.05)  # let the partial body leave before the reset discards the buffer
            transport.abort()
        else:
            transport.close()
    return partial
