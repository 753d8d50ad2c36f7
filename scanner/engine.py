"""The rule engine: selects and configures rules, runs them over a snapshot, and assembles the findings.

``select_rules`` checks every config override once at start-up (a typo is exit
2, never a silently ignored key). ``evaluate`` runs each selected rule over the
snapshot and turns every result into a ``Finding``; a rule that raises becomes
an ``error`` finding and the scan goes on. ``build_report`` wraps the findings
into the ``findings.json`` document. Evaluation is linear in the number of
results: per-rule documents are built once and resource names come from one
index built once per run.
"""

from __future__ import annotations

import difflib
import fnmatch
import hashlib
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from pydantic import ValidationError

from scanner._gc import evaluation_gc
from scanner.errors import ConfigError
from scanner.findings import (
    ComplianceDoc,
    Coverage,
    Finding,
    RemediationDoc,
    RuleDoc,
    ScanInfo,
    ScanReport,
    SubscriptionCoverage,
    ToolDoc,
    fingerprint,
    fingerprint_prefix,
    fingerprint_with_prefix,
    sort_key,
    summarize,
)
from scanner.inventory import Snapshot, normalize_id, subscription_of, subscription_of_key
from scanner.plugins import Registry
from scanner.rule import Result, Rule, RuleContext, RuleMeta, RuleSettings, Severity, Status

logger = logging.getLogger(__name__)

RULE_RESOURCE_PREFIX = "ahds-audit/rule/"
"""Resource id of the ``error`` finding recorded when a rule itself crashes."""
RULE_RESOURCE_TYPE = "ahds-audit/rule"


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleSelection:
    """The rules that will run (sorted by id), each with its validated settings and effective severity."""

    rules: tuple[Rule[Any], ...]
    settings: Mapping[str, RuleSettings]
    """Rule id -> settings object (defaults plus config overrides), for every selected rule."""
    severities: Mapping[str, Severity]
    """Rule id -> effective severity (the rule's own, or the config's override), for every selected rule."""


def select_rules(
    registry: Registry,
    *,
    enable: Sequence[str] = ("*",),
    disable: Sequence[str] = (),
    severity: Mapping[str, str] = {},
    settings: Mapping[str, Mapping[str, Any]] = {},
) -> RuleSelection:
    """Choose and configure the rules to run.

    A rule runs when its id matches a glob in ``enable`` and none in
    ``disable`` (``fnmatch``, case-insensitive, e.g. ``AHDS-TLS-*``). Raises
    ConfigError (exit 2) naming the config key path for: a glob that matches
    no loaded rule (``*`` excepted), a severity or settings key naming no
    loaded rule (with a did-you-mean), an unknown severity, a settings value
    the rule's settings model refuses, or a selection with no rule at all.
    Overrides for loaded but disabled rules are validated too.
    """
    by_id = {r.id.upper(): r for r in registry.rules}
    enabled = _match_globs(by_id, enable, "rules.enable")
    disabled = _match_globs(by_id, disable, "rules.disable")

    severities: dict[str, Severity] = {}
    for key, value in severity.items():
        rule_obj = _known_rule(by_id, key, "rules.severity")
        try:
            severities[rule_obj.id] = Severity(str(value).strip().lower())
        except ValueError:
            allowed = ", ".join(s.value for s in Severity)
            raise ConfigError(f"rules.severity.{key}: {value!r} is not one of {allowed}") from None

    configured: dict[str, RuleSettings] = {}
    for key, values in settings.items():
        rule_obj = _known_rule(by_id, key, "rules.settings")
        configured[rule_obj.id] = _validate_settings(rule_obj, key, values)

    chosen = tuple(r for r in registry.rules if r.id.upper() in enabled and r.id.upper() not in disabled)
    if not chosen:
        raise ConfigError(
            f"no rule is enabled: rules.enable and rules.disable select none of the {len(registry.rules)} loaded rule(s)",
            hint="list the catalogue with `ahds-audit rules list`",
        )
    return RuleSelection(
        rules=chosen,
        settings={r.id: configured.get(r.id) or r.default_settings() for r in chosen},
        severities={r.id: severities.get(r.id, r.meta.severity) for r in chosen},
    )


def _match_globs(by_id: Mapping[str, Rule[Any]], globs: Sequence[str], key: str) -> set[str]:
    """Upper-cased ids matching any glob; a glob other than ``*`` matching nothing is a ConfigError."""
    if isinstance(globs, str):  # a bare string would be iterated letter by letter
        globs = (globs,)
    matched: set[str] = set()
    for index, glob in enumerate(globs):
        pattern = str(glob).strip().upper()
        hits = {rid for rid in by_id if fnmatch.fnmatchcase(rid, pattern)}
        if not hits and pattern != "*":
            raise ConfigError(
                f"{key}[{index}]: {glob!r} matches no loaded rule",
                hint=did_you_mean(
                    pattern, [*by_id, *sorted({rid.rsplit("-", 1)[0] + "-*" for rid in by_id})]
                ),
            )
        matched |= hits
    return matched


def _known_rule(by_id: Mapping[str, Rule[Any]], key: str, where: str) -> Rule[Any]:
    rule_obj = by_id.get(str(key).strip().upper())
    if rule_obj is None:
        raise ConfigError(f"{where}.{key}: no loaded rule has this id", hint=did_you_mean(str(key), by_id))
    return rule_obj


def did_you_mean(key: str, ids: Iterable[str]) -> str:
    """A hint naming up to three ids close to ``key``, or pointing at ``rules list``."""
    wanted = key.strip().upper()
    scored = sorted(
        ((difflib.SequenceMatcher(None, wanted, candidate).ratio(), candidate) for candidate in ids),
        key=lambda pair: (-pair[0], pair[1]),
    )
    # Ids share their shape, so many score alike: offer only the ones as close as the closest.
    close = [c for score, c in scored[:3] if score >= 0.6 and score >= scored[0][0] - 0.03]
    if close:
        return "did you mean " + " or ".join(close) + "?"
    return "list the loaded rules with `ahds-audit rules list`"


def _validate_settings(rule_obj: Rule[Any], key: str, values: Mapping[str, Any]) -> RuleSettings:
    where = f"rules.settings.{key}"
    if not isinstance(values, Mapping):
        raise ConfigError(
            f"{where}: expected a mapping of setting names to values, found {type(values).__name__}"
        )
    try:
        settings: RuleSettings = rule_obj.settings_model.model_validate(dict(values))
    except ValidationError as exc:
        first = exc.errors()[0]
        path = ".".join(str(p) for p in first["loc"])
        known = ", ".join(rule_obj.settings_model.model_fields) or "(this rule takes no settings)"
        raise ConfigError(
            f"{where}.{path}: {first['msg']}" if path else f"{where}: {first['msg']}",
            hint=f"settings of {rule_obj.id}: {known}",
        ) from exc
    return settings


def remediation_doc(meta: RuleMeta) -> RemediationDoc:
    """The findings-document form of a rule's remediation."""
    r = meta.remediation
    return RemediationDoc(portal=r.portal, cli=r.cli, bicep=r.bicep)


def compliance_doc(meta: RuleMeta) -> ComplianceDoc:
    """The findings-document form of a rule's control mappings."""
    c = meta.compliance
    return ComplianceDoc(
        hipaa=list(c.hipaa), nist=list(c.nist), mcsb=list(c.mcsb), azure_policy=list(c.azure_policy)
    )


def rule_doc(
    rule_obj: Rule[Any], *, severity: Severity | None = None, settings: RuleSettings | None = None
) -> RuleDoc:
    """A rule's catalogue entry as it runs: effective severity and settings (defaults when not given)."""
    meta = rule_obj.meta
    effective = settings if settings is not None else rule_obj.default_settings()
    return RuleDoc(
        id=meta.id,
        version=meta.version,
        area=meta.area,
        title=meta.title,
        severity=severity or meta.severity,
        description=meta.description,
        rationale=meta.rationale,
        remediation=remediation_doc(meta),
        references=list(meta.references),
        compliance=compliance_doc(meta),
        resource_types=list(meta.resource_types),
        settings=effective.model_dump(mode="json"),
    )


def evaluate(snapshot: Snapshot, selection: RuleSelection, *, now: datetime) -> list[Finding]:
    """Run every selected rule over ``snapshot``; one finding per result, sorted by ``findings.sort_key``.

    Never raises for a rule's fault: a rule that raises, or yields something
    that is not a well-formed ``Result``, adds one ``error`` finding (resource
    ``ahds-audit/rule/<ID>``) naming the exception; the results it yielded
    before that are kept, and the other rules still run. The traceback goes to
    the DEBUG log. Output depends only on the snapshot, the selection and
    ``now`` (timezone-aware; a naive datetime is a ValueError).
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("evaluate() needs a timezone-aware 'now'")
    with evaluation_gc():
        names = _NameIndex(snapshot)
        shared: dict[str, Any] = {}  # RuleContext.memo: indexes the rules of this evaluation share
        by_rule: dict[str, list[_Keyed]] = {}
        for rule_obj in selection.rules:
            by_rule.setdefault(rule_obj.id, []).extend(_run_rule(rule_obj, snapshot, selection, now, names, shared))
        return _in_report_order(by_rule)


_Keyed = tuple[tuple[int, str, str, str], Finding]
"""A finding with its ``sort_key`` (each result's id is normalised once: fingerprint, name, sort key)."""


def _in_report_order(by_rule: dict[str, list[_Keyed]]) -> list[Finding]:
    """All findings in ``sort_key`` order: each rule's sorted on its own (its results come mostly in order,
    which the sort exploits), then laid out severity by severity and rule by rule, which is that order
    because the key is (severity, rule id, ...). Cheaper than sorting millions of findings as one list."""
    for pairs in by_rule.values():
        pairs.sort(key=itemgetter(0))
    ordered: list[Finding] = []
    rule_ids = sorted(by_rule)
    start = dict.fromkeys(rule_ids, 0)
    for rank in sorted({-s.rank for s in Severity}):
        for rule_id in rule_ids:
            pairs, i = by_rule[rule_id], start[rule_id]
            end = i
            while end < len(pairs) and pairs[end][0][0] == rank:
                end += 1
            ordered.extend(f for _, f in pairs[i:end])
            start[rule_id] = end
    return ordered


def _run_rule(
    rule_obj: Rule[Any],
    snapshot: Snapshot,
    selection: RuleSelection,
    now: datetime,
    names: _NameIndex,
    shared: dict[str, Any],
) -> list[_Keyed]:
    """The rule's findings, each with its ``sort_key``; the per-result work here runs millions of times."""
    meta = rule_obj.meta
    rule_id, rule_version, title = meta.id, meta.version, meta.title
    severity = selection.severities.get(rule_id, meta.severity)
    ctx = RuleContext(
        rule_id=rule_id,
        settings=selection.settings.get(rule_id) or rule_obj.default_settings(),
        now=now,
        shared=shared,
    )
    remediation, compliance = remediation_doc(meta), compliance_doc(meta)
    out: list[_Keyed] = []
    seen: set[str] = set()
    repeated = 0
    base_rank = -severity.rank
    fp_prefix = fingerprint_prefix(rule_id)
    try:
        for result in rule_obj.check(snapshot, ctx):
            if type(result) is not Result:
                _check_result(result)  # raises unless it is a Result subclass
            rid, sub_id, raised = result.resource_id, result.sub_id, result.severity
            if (
                type(rid) is not str
                or not rid.strip()
                or type(result.status) is not Status
                or type(result.message) is not str
                or type(result.resource_type) is not str
                or (raised is not None and type(raised) is not Severity)
            ):
                _check_result(result)  # raises, naming what is wrong
            key = normalize_id(rid)
            fp = fingerprint_with_prefix(fp_prefix, key, sub_id)
            if fp in seen:
                repeated += 1  # a rule bug: the results would share one suppression/baseline identity
                logger.debug("rule %s: second result for %r (sub_id %r)", rule_id, rid, sub_id)
            seen.add(fp)
            if raised is None or raised.rank <= -base_rank:
                sev, rank = severity, base_rank
            else:
                sev, rank = raised, -raised.rank
            finding = Finding(
                rule_id=rule_id,
                rule_version=rule_version,
                title=title,
                severity=sev,
                status=result.status,
                resource_id=rid,
                resource_type=result.resource_type,
                resource_name=names.name_of_key(key, rid),
                subscription_id=result.subscription_id or subscription_of_key(key),
                sub_id=sub_id,
                message=result.message,
                evidence=ev if type(ev := result.evidence) is dict else dict(ev),
                remediation=remediation,
                compliance=compliance,
                fingerprint=fp,
            )
            out.append(((rank, rule_id, key, sub_id or ""), finding))
    except Exception as exc:  # the engine's boundary: one broken rule must not end the scan
        logger.debug("rule %s raised after %d result(s)", rule_id, len(out), exc_info=True)
        logger.warning("rule %s failed: %s: %r", rule_id, type(exc).__name__, str(exc))
        resource_id = RULE_RESOURCE_PREFIX + rule_id
        error = Finding(
            **_rule_fields(meta, remediation, compliance),
            severity=severity,
            status=Status.ERROR,
            resource_id=resource_id,
            resource_type=RULE_RESOURCE_TYPE,
            resource_name=rule_id,
            subscription_id=None,
            sub_id=None,
            message=(
                f"Rule {rule_id} stopped with {type(exc).__name__}: {exc}; "
                f"resources it had not examined yet have no result ({len(out)} result(s) recorded)."
            ),
            evidence={"exception": type(exc).__name__, "results_before_error": len(out)},
            fingerprint=fingerprint(rule_id, resource_id),
        )
        out.append((sort_key(error), error))
    if repeated:
        logger.warning("rule %s yielded %d result(s) repeating a resource and sub_id", rule_id, repeated)
    return out


def _rule_fields(meta: RuleMeta, remediation: RemediationDoc, compliance: ComplianceDoc) -> dict[str, Any]:
    """The fields every finding of one rule shares (the hot loop above spells them out: it runs millions
    of times and keyword expansion costs)."""
    return {
        "rule_id": meta.id,
        "rule_version": meta.version,
        "title": meta.title,
        "remediation": remediation,
        "compliance": compliance,
    }


class MalformedResultError(TypeError):
    """A rule yielded something the engine cannot turn into a finding (a bug in the rule)."""


def _check_result(result: object) -> None:
    """Refuse a result no finding can be built from: a non-Result, an empty id, a status that is not a
    ``Status``, a message or type that is not text, an escalation that is not a ``Severity``."""
    if not isinstance(result, Result):
        raise MalformedResultError(f"yielded a {type(result).__name__}, not a Result")
    if not isinstance(result.resource_id, str) or not result.resource_id.strip():
        raise MalformedResultError(f"result resource_id {result.resource_id!r} is empty or not a string")
    if not isinstance(result.status, Status):
        raise MalformedResultError(f"result status {result.status!r} is not a Status")
    for name in ("message", "resource_type"):
        if not isinstance(getattr(result, name), str):
            raise MalformedResultError(f"result {name} {getattr(result, name)!r} is not a string")
    if result.severity is not None and not isinstance(result.severity, Severity):
        raise MalformedResultError(f"result severity {result.severity!r} is not a Severity")


class _NameIndex:
    """Display names of snapshot objects by normalised id, built once per run."""

    _ARM_LISTS = (
        "workspaces",
        "fhir_services",
        "legacy_fhir_services",
        "key_vaults",
        "vault_items",
        "private_endpoints",
        "application_gateways",
        "apim_services",
        "storage_accounts",
    )

    def __init__(self, snapshot: Snapshot) -> None:
        names: dict[str, str] = {}
        for list_name in self._ARM_LISTS:
            for item in getattr(snapshot, list_name):
                names[normalize_id(item.id)] = item.name
        for definition in snapshot.role_definitions:
            names[normalize_id(definition.id)] = definition.role_name
        for app in snapshot.applications:
            if app.display_name:
                names[f"application/{app.id.lower()}"] = app.display_name
        for sp in snapshot.service_principals:
            if sp.display_name:
                names[f"serviceprincipal/{sp.id.lower()}"] = sp.display_name
        for principal in snapshot.principals:
            label = principal.display_name or principal.user_principal_name
            if label:
                names[f"{principal.object_type.lower()}/{principal.id.lower()}"] = label
        self._names = names

    def name_of(self, resource_id: str) -> str:
        """The snapshot's name for this id, else the id's last segment."""
        return self.name_of_key(normalize_id(resource_id), resource_id)

    def name_of_key(self, key: str, resource_id: str) -> str:
        """``name_of`` for an id already normalised to ``key``."""
        return self._names.get(key) or resource_id.strip().rstrip("/").rsplit("/", 1)[-1]


def build_report(
    snapshot: Snapshot, selection: RuleSelection, findings: list[Finding], *, tool_version: str
) -> ScanReport:
    """The ``findings.json`` document for one evaluation (``baseline`` None; a later step fills it).

    Coverage is complete only when the snapshot recorded no collection error
    and every subscription was read completely; Graph is incomplete when any
    error's scope starts with ``graph:``. ``report_id`` is a digest of the
    results' fingerprints and statuses, so equal content gives an equal id.
    """
    return ScanReport(
        tool=ToolDoc(version=tool_version),
        scan=ScanInfo(
            started_at=snapshot.started_at,
            finished_at=snapshot.finished_at,
            tenant_id=snapshot.tenant_id,
            tenant_name=snapshot.tenant_name,
            cloud=snapshot.cloud,
            identity=snapshot.identity,
            scope=snapshot.scope,
            coverage=coverage_of(snapshot),
            errors=list(snapshot.errors),
            snapshot_schema_version=snapshot.schema_version,
            rule_catalogue_version=catalogue_version(selection.rules),
        ),
        summary=summarize(findings),
        results=list(findings),
        rules=[
            rule_doc(r, severity=selection.severities.get(r.id), settings=selection.settings.get(r.id))
            for r in selection.rules
        ],
        baseline=None,
        report_id=report_id(findings),
    )


def coverage_of(snapshot: Snapshot) -> Coverage:
    """What the snapshot read: per subscription, Graph, and overall."""
    failed_subs = {sub for e in snapshot.errors if (sub := subscription_of(e.scope)) is not None}
    subs = [
        SubscriptionCoverage(
            subscription_id=s.subscription_id,
            display_name=s.display_name,
            complete=s.complete and s.subscription_id.lower() not in failed_subs,
        )
        for s in snapshot.subscriptions
    ]
    # Graph skipped by configuration is not "read completely": the Entra-based rules saw nothing.
    graph_complete = snapshot.graph_collected and not any(
        e.scope.startswith("graph:") for e in snapshot.errors
    )
    complete_count = sum(1 for s in subs if s.complete)
    return Coverage(
        complete=not snapshot.errors and complete_count == len(subs) and snapshot.graph_collected,
        subscriptions_total=len(subs),
        subscriptions_complete=complete_count,
        subscriptions=subs,
        graph_complete=graph_complete,
        graph_collected=snapshot.graph_collected,
    )


def catalogue_version(rules: Iterable[Rule[Any]]) -> str:
    """Short digest of the sorted (id, version) pairs: equal values mean the same rules ran."""
    pairs = sorted(f"{r.id}@{r.meta.version}" for r in rules)
    return hashlib.sha256("\n".join(pairs).encode("utf-8")).hexdigest()[:12]


def report_id(findings: Iterable[Finding]) -> str:
    """Content digest over the results' fingerprints and statuses (order-independent)."""
    lines = sorted(f"{f.fingerprint}:{f.status.value}" for f in findings)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:16]
