"""The HTML reporter: one self-contained, offline, printable document for the auditor.

Jinja2 autoescapes every value (the templates use no ``|safe``); the only
markup not produced by the templates is our own stylesheet and script, whose
SHA-256 the Content-Security-Policy pins, so even a value that slipped
through could not load or run anything. The page works fully with
JavaScript disabled; the script only adds filter, search and sort.

Control titles come from ``rules._controls`` (the control catalogue is
reference data, read-only here); every other value comes from the report.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO

from markupsafe import Markup

from reports._text import clean_text, display_value
from reports.base import Reporter, ReportOptions
from rules._controls import FRAMEWORK_NAMES, FRAMEWORKS
from scanner.findings import Finding, FixedFinding, RuleDoc, ScanReport, sort_key
from scanner.rule import Severity, Status

if TYPE_CHECKING:  # Jinja2 is imported when a page is rendered, so loading the reporter stays cheap
    from jinja2 import Environment

PASS_ROWS_PER_RULE = 500
"""Passed results listed per rule; the rest are counted with a pointer to ``findings.json``, which lists every
result. Failures, errors and accepted risks are always listed. Without a cap a tenant with 100,000 role
assignments gives a page of hundreds of megabytes that no browser opens."""

SEVERITY_COLORS: dict[str, str] = {
    "critical": "#8b1a1a",
    "high": "#c2410c",
    "medium": "#a16207",
    "low": "#1d4ed8",
    "info": "#4b5563",
}


_STATES_WORST_FIRST = ("fail", "error", "accepted", "pass")


def _worst_state(counts: Mapping[str, int]) -> str:
    """The worst state with a non-zero count, or ``none`` when nothing was examined."""
    return next((s for s in _STATES_WORST_FIRST if counts.get(s)), "none")


@dataclass(frozen=True, slots=True)
class Row:
    """One finding as the evidence table shows it."""

    f: Finding
    state: str
    """``fail``, ``accepted``, ``error`` or ``pass``: what the auditor reads (an accepted risk is not a failure)."""
    label: str
    evidence: list[tuple[str, str]]
    expired: bool


@dataclass(slots=True)
class RuleGroup:
    """A rule and every result it produced, for the findings section."""

    rule: RuleDoc
    rows: list[Row] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    passes_omitted: int = 0
    """Passed results beyond ``PASS_ROWS_PER_RULE`` that the page counts but does not list."""

    @property
    def state(self) -> str:
        """The worst state among its rows (``none`` when the rule examined nothing)."""
        return _worst_state(self.counts)


@dataclass(frozen=True, slots=True)
class ControlRow:
    """One control of a framework with the rules citing it and their result counts."""

    control_id: str
    title: str
    rules: list[RuleDoc]
    counts: dict[str, int]

    @property
    def state(self) -> str:
        """The worst state of its rules' results: fail, error, accepted, pass, or ``none`` when nothing was examined."""
        return _worst_state(self.counts)


def _state(f: Finding) -> str:
    if f.status is Status.FAIL:
        return "accepted" if f.suppression is not None else "fail"
    return f.status.value


_STATE_ORDER = {"fail": 0, "error": 1, "accepted": 2, "pass": 3}


def _label(f: Finding) -> str:
    return f.resource_name or f.resource_id.rstrip("/").rsplit("/", 1)[-1] or f.resource_id


def _control_key(control_id: str) -> list[Any]:
    """Natural order: AC-2 < AC-6 < AC-17, 164.308(a)(1) < 164.312(a)(1)."""
    return [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", control_id)]


def _rule_key(r: RuleDoc) -> tuple[int, str]:
    return (-r.severity.rank, r.id)


def _catalogue(report: ScanReport) -> dict[str, RuleDoc]:
    rules = {r.id: r for r in report.rules}
    for f in report.results:
        if f.rule_id not in rules:  # a document without a catalogue entry for a rule still renders
            rules[f.rule_id] = RuleDoc(
                id=f.rule_id,
                version=f.rule_version,
                area=f.rule_id.split("-")[1] if "-" in f.rule_id else "",
                title=f.title,
                severity=f.severity,
                description=f.title,
                rationale="",
                remediation=f.remediation,
                compliance=f.compliance,
            )
    return rules


def _groups(report: ScanReport, rules: dict[str, RuleDoc]) -> list[RuleGroup]:
    """Results by rule in display order (fail, error, accepted, pass; then ``sort_key``), passes capped.

    Rows are built only for the results listed, so the page costs little for a rule with many passes.
    """
    today = report.scan.started_at.date()
    groups = {rid: RuleGroup(rule=r) for rid, r in rules.items()}
    ranked: dict[str, list[tuple[int, tuple[int, str, str, str], str, Finding]]] = {rid: [] for rid in groups}
    for f in report.results:
        state = _state(f)
        ranked[f.rule_id].append((_STATE_ORDER[state], sort_key(f), state, f))
        groups[f.rule_id].counts[state] += 1
    for rid, g in groups.items():
        entries = ranked[rid]
        entries.sort(key=lambda e: (e[0], e[1]))  # stable: ties keep report order, as before
        # Passes sort last: keep every failure, error and accepted risk, and the first passes only.
        listed = len(entries) - g.counts["pass"] + PASS_ROWS_PER_RULE
        if len(entries) > listed:
            g.passes_omitted = len(entries) - listed
            del entries[listed:]
        g.rows = [
            Row(
                f=f,
                state=state,
                label=_label(f),
                evidence=[(k, display_value(v)) for k, v in sorted(f.evidence.items())],
                expired=f.suppression is not None and f.suppression.expires < today,
            )
            for _, _, state, f in entries
        ]
    return sorted(groups.values(), key=lambda g: _rule_key(g.rule))


def _compliance(groups: list[RuleGroup]) -> list[tuple[str, str, list[ControlRow]]]:
    views = []
    for key, name in FRAMEWORK_NAMES.items():
        cited: dict[str, list[RuleGroup]] = defaultdict(list)
        for g in groups:
            for cid in getattr(g.rule.compliance, key, []):
                cited[cid].append(g)
        rows = []
        for cid in sorted(cited, key=_control_key):
            counts = {s: sum(g.counts[s] for g in cited[cid]) for s in ("pass", "fail", "accepted", "error")}
            rows.append(
                ControlRow(cid, FRAMEWORKS.get(key, {}).get(cid, ""), [g.rule for g in cited[cid]], counts)
            )
        views.append((key, name, rows))
    return views


def _bars(report: ScanReport) -> list[dict[str, Any]]:
    """Geometry of the severity bar chart (unsuppressed failures), computed here so the SVG needs no script."""
    counts = [(s.value, report.summary.failures_by_severity.get(s.value, 0)) for s in Severity]
    top = max((c for _, c in counts), default=0) or 1
    return [
        {
            "label": sev,
            "count": c,
            "width": round(300 * c / top, 1),
            "y": 8 + i * 30,
            "color": SEVERITY_COLORS[sev],
        }
        for i, (sev, c) in enumerate(counts)
    ]


def _donut(by_state: dict[str, int]) -> list[dict[str, Any]]:
    """Arc segments (stroke-dasharray on a circle of circumference 100) of the status donut."""
    colors = {"fail": "#b91c1c", "error": "#7c3aed", "accepted": "#a16207", "pass": "#15803d"}
    total = sum(by_state.values()) or 1
    offset = 0.0
    segments = []
    for state in ("fail", "error", "accepted", "pass"):
        share = round(100 * by_state.get(state, 0) / total, 3)
        if share:
            segments.append(
                {"state": state, "share": share, "offset": round(25 - offset, 3), "color": colors[state]}
            )
        offset += share
    return segments


def _fmt_dt(value: datetime | None) -> str:
    return "\u2014" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


def _finalize(value: Any) -> Any:
    """Applied to every ``{{ }}`` before escaping: control characters out, our own Markup untouched."""
    if isinstance(value, Markup):
        return value
    if isinstance(value, str):
        return clean_text(value)
    return "" if value is None else value


def _env() -> Environment:
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml", "j2"), default=True),
        undefined=StrictUndefined,
        finalize=_finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["dt"] = _fmt_dt
    env.filters["https_only"] = lambda url: (
        url if isinstance(url, str) and url.startswith("https://") else None
    )
    return env


def _asset(env: Environment, name: str) -> str:
    """A static asset's text exactly as the page embeds it (loaded through the loader: no path juggling)."""
    source, _, _ = env.loader.get_source(env, name)  # type: ignore[union-attr]
    return source.strip("\n")


def csp_for(script: str) -> str:
    """The page's Content-Security-Policy: nothing external, only the one script whose hash it names."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


class HtmlReporter(Reporter):
    """Writes ``report.html``: cover, summary, compliance, findings by rule, accepted risks, changes, appendix."""

    name = "html"
    filename = "report.html"

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        """The self-contained page (no external reference of any kind), streamed as Jinja renders it."""
        env = _env()
        script = _asset(env, "report.js")
        rules = _catalogue(report)
        groups = _groups(report, rules)
        by_state: Counter[str] = Counter()
        for g in groups:
            by_state.update(g.counts)
        rows = [r for g in groups for r in g.rows]
        accepted = [r for r in rows if r.state == "accepted"]
        new = [r for r in rows if r.state == "fail" and r.f.baseline_state == "new"]
        fixed: list[FixedFinding] = list(report.baseline.fixed) if report.baseline else []
        context = {
            "r": report,
            "scan": report.scan,
            "csp": csp_for(script),
            "script": Markup(script),  # our own static asset; its hash is in the CSP
            "css": Markup(_asset(env, "report.css")),
            "groups": groups,
            "by_state": {s: by_state.get(s, 0) for s in ("fail", "error", "accepted", "pass")},
            "severities": [s.value for s in Severity],
            "bars": _bars(report),
            "donut": _donut(dict(by_state)),
            "compliance": _compliance(groups),
            "accepted": accepted,
            "show_diff": options.show_diff and report.baseline is not None,
            "new": new,
            "fixed": fixed,
            "rules": sorted(rules.values(), key=_rule_key),
            "framework_names": FRAMEWORK_NAMES,
            "control_titles": FRAMEWORKS,
            "colors": SEVERITY_COLORS,
        }
        out.writelines(env.get_template("report.html.j2").generate(context))
