"""The rule-author API: metadata, settings, the ``@rule`` decorator and the results a check yields.

A rule is a frozen ``Rule`` value built by ``@rule(META, settings=S)`` on a
plain function ``check(inv, ctx) -> Iterator[Result]``. The loader gathers
module-level ``Rule`` objects, so adding a rule is one edit in one module.
Checks are pure: no I/O, no clock (``ctx.now``), no globals.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, NewType, Protocol, TypeVar, Union, cast

from pydantic import BaseModel, ConfigDict

from scanner.inventory import Snapshot

RuleId = NewType("RuleId", str)
RULE_ID_PATTERN = re.compile(r"^[A-Z][A-Z0-9]*-[A-Z][A-Z0-9]*-[0-9]{3}$")
"""``AHDS-<AREA>-<NNN>`` for built-ins; packs use their own prefix in the same shape."""

JSONValue = Union[str, int, float, bool, None, list["JSONValue"], dict[str, "JSONValue"]]  # noqa: UP007 (recursive alias needs string forward references)


AREA_NAMES: dict[str, str] = {
    "CRED": "credentials",
    "RBAC": "rbac",
    "CMK": "encryption",
    "NET": "network",
    "TLS": "tls",
    "LIFE": "lifecycle",
}
"""Built-in area codes (the middle part of a rule id) and the names reports show for them."""


def area_code(rule_id: str) -> str:
    """The middle part of a rule id (``AHDS-TLS-001`` -> ``TLS``); ``OTHER`` for an id of another shape."""
    parts = rule_id.split("-")
    return parts[1].upper() if len(parts) == 3 and parts[1] else "OTHER"


def area_name(rule_id: str) -> str:
    """``AHDS-TLS-001`` -> ``tls``; a pack's unknown area is shown as its code in lower case."""
    code = area_code(rule_id)
    return AREA_NAMES.get(code, code.lower())


class Severity(StrEnum):
    """How bad a failure is; ordered from most to least severe by ``rank``."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Larger is more severe (critical 4 ... info 0): compare with ``>=`` for thresholds."""
        return _SEVERITY_RANK[self.value]


_SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


class Status(StrEnum):
    """Outcome for one examined resource."""

    FAIL = "fail"
    PASS = "pass"
    ERROR = "error"


@dataclass(frozen=True, slots=True, kw_only=True)
class Remediation:
    """How to fix a failure: portal steps and a command (``az`` CLI and/or Bicep)."""

    portal: str
    cli: str | None = None
    bicep: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Compliance:
    """Control mappings. Ids must exist in ``rules/_controls.py`` (a contract test checks)."""

    hipaa: tuple[str, ...]
    """HIPAA Security Rule sections, e.g. ``164.312(a)(1)``."""
    nist: tuple[str, ...]
    """NIST SP 800-53 r5 controls, e.g. ``AC-6``."""
    mcsb: tuple[str, ...]
    """Microsoft Cloud Security Benchmark v1 ids, e.g. ``NS-2``."""
    azure_policy: tuple[str, ...] = ()
    """Matching Azure Policy built-in definition GUIDs, where one exists."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleMeta:
    """Everything a user, auditor or SARIF viewer reads about a rule; the rule's documentation."""

    id: str
    title: str
    """States the desired state in sentence case (results pass as well as fail)."""
    severity: Severity
    description: str
    rationale: str
    remediation: Remediation
    references: tuple[str, ...]
    compliance: Compliance
    resource_types: tuple[str, ...]
    version: str = "1"
    """Bumped when the rule's logic changes; recorded in findings so a bundle can be re-verified."""

    @property
    def area(self) -> str:
        """The middle part of the id (``CRED``, ``RBAC``, ``CMK``, ``NET``, ``TLS``)."""
        return self.id.split("-")[1]


class RuleSettings(BaseModel):
    """Base of a rule's settings: frozen, unknown keys refused, defaults in the subclass."""

    # defer_build: each rule module declares settings classes; validators are built on first use.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class NoSettings(RuleSettings):
    """Settings of a rule that takes none."""


S = TypeVar("S", bound=RuleSettings)
T = TypeVar("T")


@dataclass(slots=True, kw_only=True)
class Result:
    """What a check concluded about one resource (or one sub-object of it).

    Not frozen, though nothing should change it after it is yielded: a rule may yield millions, and a
    frozen dataclass takes three times as long to build. The engine copies what it keeps.
    """

    status: Status
    resource_id: str
    """ARM id, or ``<type>/<objectId>`` for Entra objects (see ``entra_id``)."""
    resource_type: str
    message: str
    """One sentence quoting the resource name and the observed value."""
    subscription_id: str | None = None
    """None: the engine derives it from ``resource_id`` (an ARM id names its subscription)."""
    evidence: Mapping[str, JSONValue] = field(default_factory=dict)
    """Observed property values only; a defaulted value says so (``"(not set: service default X)"``).

    Kept as given, not copied (a big tenant has millions of results): build a new mapping for each
    result, or share one between results only if nothing changes it afterwards."""
    sub_id: str | None = None
    """Names a sub-object (one secret of an app) so fingerprints stay stable per sub-object."""
    severity: Severity | None = None
    """Raises the rule's severity for this result only (e.g. expiry within ``critical_days``)."""


class ResourceLike(Protocol):
    """Anything with an ARM-style identity: inventory resources and Entra models."""

    @property
    def id(self) -> str: ...


def entra_id(object_type: str, object_id: str) -> str:
    """The resource id used for an Entra object in findings: ``application/<objectId>``."""
    return f"{object_type}/{object_id}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleContext(Generic[S]):
    """What a check may use besides the inventory: its typed settings and the scan's clock."""

    rule_id: str
    settings: S
    now: datetime
    """Timezone-aware UTC; the only clock a check may read."""
    shared: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    """One dict per evaluation, common to every rule that runs in it: see ``memo``."""

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """The value ``build()`` returns, built once per evaluation and shared by every rule that asks.

        For indexes over the snapshot that several rules need (the role catalogue, who holds FHIR data
        roles, the evidence of one role assignment): built once instead of once per rule, which at a
        million role assignments is seconds per rule. Name ``key`` after your module (``"rbac.view"``) so
        packs do not collide, and never change a shared value after building it.
        """
        try:
            return cast(T, self.shared[key])
        except KeyError:
            value = self.shared[key] = build()
            return value

    def _result(
        self,
        status: Status,
        resource: ResourceLike | str,
        message: str,
        *,
        resource_type: str | None,
        evidence: Mapping[str, JSONValue] | None,
        sub_id: str | None,
        severity: Severity | None,
    ) -> Result:
        rid = resource if isinstance(resource, str) else resource.id
        rtype = resource_type or getattr(resource, "type", None) or _entra_type(rid)
        return Result(
            status=status,
            resource_id=rid,
            resource_type=rtype,
            message=message,
            evidence=evidence if evidence is not None else {},  # the engine copies it once
            sub_id=sub_id,
            severity=severity,
        )

    def passed(
        self,
        resource: ResourceLike | str,
        message: str,
        *,
        resource_type: str | None = None,
        evidence: Mapping[str, JSONValue] | None = None,
        sub_id: str | None = None,
    ) -> Result:
        """A ``pass`` result for ``resource`` (a model with ``id``/``type``, or an id string)."""
        return self._result(
            Status.PASS,
            resource,
            message,
            resource_type=resource_type,
            evidence=evidence,
            sub_id=sub_id,
            severity=None,
        )

    def failed(
        self,
        resource: ResourceLike | str,
        message: str,
        *,
        resource_type: str | None = None,
        evidence: Mapping[str, JSONValue] | None = None,
        sub_id: str | None = None,
        severity: Severity | None = None,
    ) -> Result:
        """A ``fail`` result; ``severity`` may raise the rule's severity for this one result."""
        return self._result(
            Status.FAIL,
            resource,
            message,
            resource_type=resource_type,
            evidence=evidence,
            sub_id=sub_id,
            severity=severity,
        )

    def error(
        self,
        resource: ResourceLike | str,
        message: str,
        *,
        resource_type: str | None = None,
        evidence: Mapping[str, JSONValue] | None = None,
        sub_id: str | None = None,
    ) -> Result:
        """An ``error`` result: the check could not decide, and ``message`` says why."""
        return self._result(
            Status.ERROR,
            resource,
            message,
            resource_type=resource_type,
            evidence=evidence,
            sub_id=sub_id,
            severity=None,
        )


def _entra_type(resource_id: str) -> str:
    head = resource_id.split("/", 1)[0]
    return f"Microsoft.Graph/{head}" if head and not resource_id.startswith("/") else "unknown"


CheckFn = Callable[[Snapshot, RuleContext[S]], Iterator[Result]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Rule(Generic[S]):
    """A rule: its metadata, its settings model (defaults in the class) and its check."""

    meta: RuleMeta
    settings_model: type[S]
    check: CheckFn[S]

    @property
    def id(self) -> str:
        """The rule's stable public id."""
        return self.meta.id

    def default_settings(self) -> S:
        """The settings object with every default, as the engine uses when config sets none."""
        return self.settings_model()


def rule(meta: RuleMeta, *, settings: type[S] = NoSettings) -> Callable[[CheckFn[S]], Rule[S]]:  # type: ignore[assignment]
    """Decorate a check function, returning the frozen ``Rule`` the loader gathers.

    The id's shape is checked here so a malformed id fails at import, naming the rule.
    """
    if not RULE_ID_PATTERN.match(meta.id):
        raise ValueError(f"rule id {meta.id!r} is not of the form PREFIX-AREA-NNN")

    def wrap(fn: CheckFn[S]) -> Rule[S]:
        return Rule(meta=meta, settings_model=settings, check=fn)

    return wrap
