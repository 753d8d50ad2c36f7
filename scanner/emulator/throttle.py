"""Throttling as Azure does it: a token bucket per client and per service (ARM and Graph apart).

Azure Resource Manager meters reads with a token bucket per security principal (a bucket of 250 requests
refilled at 25 per second per subscription scope, see "Understand how Azure Resource Manager throttles
requests" on learn.microsoft.com) and answers 429 with ``Retry-After`` once it is empty; Microsoft Graph
does the same per app and tenant. The emulator keeps one bucket per (service, client): the client is the
``appid`` claim of the bearer token, or the caller's address when there is none.
"""

from __future__ import annotations

import base64
import json
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["Bucket", "Decision", "Service", "Throttle", "client_of"]


class Service(StrEnum):
    """The services metered separately."""

    ARM = "arm"
    GRAPH = "graph"


@dataclass(frozen=True, slots=True)
class Bucket:
    """A token bucket's shape: ``burst`` requests at once, refilled at ``rate_per_s``."""

    rate_per_s: float
    burst: int

    def __post_init__(self) -> None:
        if self.rate_per_s <= 0 or self.burst < 1:
            raise ValueError(f"a throttle needs a positive rate and a burst of at least 1 (got {self})")

    @classmethod
    def parse(cls, text: str) -> Bucket:
        """``"25"`` (burst = rate) or ``"25/250"`` (rate per second / burst); ValueError otherwise."""
        rate_text, _, burst_text = text.strip().partition("/")
        try:
            rate = float(rate_text)
            burst = int(burst_text) if burst_text else max(1, math.ceil(rate))
        except ValueError:
            raise ValueError(f"expected RATE or RATE/BURST (e.g. 25/250), got {text!r}") from None
        return cls(rate_per_s=rate, burst=burst)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome of one request against its bucket."""

    allowed: bool
    remaining: int
    """Whole tokens left after this request (the ``x-ms-ratelimit-remaining-*`` value)."""
    retry_after_s: int
    """Whole seconds until a token is available again (at least 1 when refused, 0 when allowed)."""


class Throttle:
    """Token buckets keyed by (service, client); thread-safe, changeable while the server runs.

    A service without a ``Bucket`` is not throttled. Changing a service's bucket refills its clients.
    """

    def __init__(
        self,
        arm: Bucket | None = None,
        graph: Bucket | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._shapes: dict[Service, Bucket | None] = {Service.ARM: arm, Service.GRAPH: graph}
        self._levels: dict[tuple[Service, str], tuple[float, float]] = {}
        self.refused = 0
        """How many requests were answered 429 so far."""

    def configure(self, service: Service, bucket: Bucket | None) -> None:
        """Throttle ``service`` with ``bucket`` (None turns its throttling off)."""
        with self._lock:
            self._shapes[service] = bucket
            for key in [k for k in self._levels if k[0] is service]:
                del self._levels[key]

    def bucket(self, service: Service) -> Bucket | None:
        """The bucket ``service`` is throttled with, or None."""
        with self._lock:
            return self._shapes[service]

    def take(self, service: Service, client: str) -> Decision | None:
        """Spend one token of ``client``'s bucket for ``service``; None when the service is not throttled."""
        with self._lock:
            shape = self._shapes[service]
            if shape is None:
                return None
            now = self._clock()
            level, since = self._levels.get((service, client), (float(shape.burst), now))
            level = min(float(shape.burst), level + (now - since) * shape.rate_per_s)
            if level >= 1:
                level -= 1
                self._levels[(service, client)] = (level, now)
                return Decision(allowed=True, remaining=int(level), retry_after_s=0)
            self._levels[(service, client)] = (level, now)
            self.refused += 1
            wait = (1 - level) / shape.rate_per_s
            return Decision(allowed=False, remaining=0, retry_after_s=max(1, math.ceil(wait)))


_client_cache: dict[str, str] = {}
_CACHE_MAX = 4096


def client_of(authorization: str | None, fallback: str) -> str:
    """The ``appid`` (or ``azp``) claim of a bearer token, read without verifying it; ``fallback`` otherwise.

    The emulator issues JWT-shaped tokens carrying ``appid``; anything unreadable is keyed by ``fallback``
    (the caller's address), so one client cannot escape its bucket by sending garbage.
    """
    if not authorization:
        return fallback
    token = authorization.partition(" ")[2].strip()
    cached = _client_cache.get(token)
    if cached is not None:
        return cached
    client = fallback
    parts = token.split(".")
    if len(parts) == 3:
        try:
            claims = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        except ValueError:
            claims = None
        if isinstance(claims, dict):
            found = claims.get("appid") or claims.get("azp")
            if isinstance(found, str) and found:
                client = found.lower()
                if len(_client_cache) >= _CACHE_MAX:
                    _client_cache.clear()
                _client_cache[token] = client
    return client
