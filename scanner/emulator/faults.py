"""Fault injection: throttling, errors, malformed bodies, dropped connections and forbidden subscriptions.

A FaultPlan is changed from the test's thread while the server's loop reads
it, so every access goes through one lock. Rules match in the order added; the
first rule with remaining uses wins.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field


@dataclass(slots=True)
class FaultRule:
    """One injected fault.

    ``path_pattern`` is a regular expression searched (case-insensitively) in the request path.
    A ``status`` below 400 with no ``body`` only delays the request by ``delay_s`` and then serves it
    normally; otherwise the fault answers ``status`` with ``body`` (raw text, e.g. malformed JSON) or
    the real error shape of the API hit. ``times`` None fires forever.
    """

    path_pattern: str
    method: str | None = None
    status: int = 429
    retry_after_s: float | None = 1
    times: int | None = 1
    delay_s: float = 0
    body: str | None = None
    close_connection: bool = False
    _regex: re.Pattern[str] = field(init=False, repr=False)
    fired: int = field(default=0, init=False)
    """How many requests this rule answered so far."""

    def __post_init__(self) -> None:
        self._regex = re.compile(self.path_pattern, re.IGNORECASE)

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to the request and has uses left."""
        if self.times is not None and self.fired >= self.times:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self._regex.search(path) is not None

    @property
    def passes_through(self) -> bool:
        """True for a delay-only rule that lets the request reach its handler."""
        return self.status < 400 and self.body is None and not self.close_connection


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
                    rule.fired += 1
                    return rule
        return None

    def forbidden_status(self, subscription_id: str) -> int | None:
        """The status a forbidden subscription answers with, or None."""
        with self._lock:
            return self._forbidden.get(subscription_id.lower())
