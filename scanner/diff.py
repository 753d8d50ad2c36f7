"""``ahds-audit diff OLD NEW``: new, fixed and still-open failures between two findings documents.

``compute_diff`` is pure and returns a ``DiffResult`` (a pydantic document, so
the JSON output and the HTML reporter read the same fields); the renderers turn
it into JSON, Markdown (every tenant value through ``reports._text.md_cell``)
and an HTML section (Jinja2 with autoescape). Identity is the fingerprint, and
"fixed" needs the new scan to have re-examined the failure (see
``scanner.baseline``); the rest is listed as not re-checked.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from reports._text import md_cell
from scanner.baseline import check_comparable, failing, fixed_findings
from scanner.findings import Finding, ScanReport, sort_key
from scanner.rule import Severity, area_code

DIFF_SCHEMA_VERSION = "1.0"

Category = Literal["new", "fixed", "still_open", "unverified"]
CATEGORIES: tuple[Category, ...] = ("new", "fixed", "still_open", "unverified")
_HEADINGS = {
    "new": "New failures",
    "fixed": "Fixed",
    "still_open": "Still open",
    "unverified": "Not re-checked (rule not run, errored, or scope unreadable in the new scan)",
}


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class DiffItem(_Doc):
    """One failure in one category."""

    rule_id: str
    title: str
    severity: Severity
    area: str
    resource_id: str
    resource_name: str | None = None
    sub_id: str | None = None
    fingerprint: str
    message: str
    suppressed: bool = False
    """An accepted risk in the scan the item was taken from (the new scan, or the old one for fixed)."""


class ScanRef(_Doc):
    """Which scan one side of the diff is."""

    started_at: datetime
    finished_at: datetime
    tool_version: str
    report_id: str | None = None
    path: str | None = None


class CountRow(_Doc):
    """How many failures of one area and severity fall in each category."""

    area: str
    severity: Severity
    new: int = 0
    fixed: int = 0
    still_open: int = 0
    unverified: int = 0


class DiffResult(_Doc):
    """The whole diff document (``diff.json``)."""

    schema_version: str = DIFF_SCHEMA_VERSION
    kind: Literal["ahds-audit-diff"] = "ahds-audit-diff"
    tenant_id: str
    old: ScanRef
    new: ScanRef
    new_failures: list[DiffItem] = Field(default_factory=list)
    fixed: list[DiffItem] = Field(default_factory=list)
    still_open: list[DiffItem] = Field(default_factory=list)
    unverified: list[DiffItem] = Field(default_factory=list)
    """Old failures the new scan could not re-examine: neither fixed nor confirmed open."""
    counts: list[CountRow] = Field(default_factory=list)
    """By area then severity (most severe first); only rows with a non-zero count."""
    totals: dict[str, int] = Field(default_factory=dict)
    """Per category: ``new``, ``fixed``, ``still_open``, ``unverified``."""

    def items(self, category: Category) -> list[DiffItem]:
        """The list for one category (``new`` is ``new_failures``)."""
        return self.new_failures if category == "new" else getattr(self, category)


def _item(f: Finding) -> DiffItem:
    return DiffItem(
        rule_id=f.rule_id,
        title=f.title,
        severity=f.severity,
        area=area_code(f.rule_id),
        resource_id=f.resource_id,
        resource_name=f.resource_name,
        sub_id=f.sub_id,
        fingerprint=f.fingerprint,
        message=f.message,
        suppressed=f.suppression is not None,
    )


def _ref(r: ScanReport, path: str | None) -> ScanRef:
    return ScanRef(
        started_at=r.scan.started_at,
        finished_at=r.scan.finished_at,
        tool_version=r.tool.version,
        report_id=r.report_id,
        path=path,
    )


def compute_diff(
    old: ScanReport, new: ScanReport, *, old_path: str | None = None, new_path: str | None = None
) -> DiffResult:
    """Compare two scans of one tenant by fingerprint.

    new: failing now, not failing in ``old``; still open: failing in both;
    fixed: failing in ``old``, re-examined by ``new`` and not failing;
    unverified: failing in ``old``, not re-examined by ``new``. Suppressed
    failures are included (flagged). Raises ``UsageError`` for two tenants.
    """
    check_comparable(old, new, old_name=old_path or "OLD")
    before, now = failing(old), failing(new)
    fixed, unverified = fixed_findings(old, new)
    lists: dict[Category, list[DiffItem]] = {
        "new": [_item(f) for f in sorted(now.values(), key=sort_key) if f.fingerprint not in before],
        "still_open": [_item(f) for f in sorted(now.values(), key=sort_key) if f.fingerprint in before],
        "fixed": [_item(f) for f in fixed],
        "unverified": [_item(f) for f in unverified],
    }
    tally: dict[tuple[str, Severity], Counter[str]] = {}
    for cat, items in lists.items():
        for it in items:
            tally.setdefault((it.area, it.severity), Counter())[cat] += 1
    rows = [
        CountRow(area=area, severity=sev, **{c: tally[(area, sev)][c] for c in CATEGORIES})
        for area, sev in sorted(tally, key=lambda k: (k[0], -k[1].rank))
    ]
    return DiffResult(
        tenant_id=new.scan.tenant_id,
        old=_ref(old, old_path),
        new=_ref(new, new_path),
        new_failures=lists["new"],
        fixed=lists["fixed"],
        still_open=lists["still_open"],
        unverified=lists["unverified"],
        counts=rows,
        totals={c: len(lists[c]) for c in CATEGORIES},
    )


def diff_summary_line(d: DiffResult) -> str:
    """One console line: ``diff: 1 new, 1 fixed, 3 still open (0 not re-checked); <old> -> <new>``."""
    t = d.totals
    return (
        f"diff: {t['new']} new, {t['fixed']} fixed, {t['still_open']} still open "
        f"({t['unverified']} not re-checked); {_day(d.old.started_at)} -> {_day(d.new.started_at)}"
    )


def _day(at: datetime) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at.utcoffset() is not None else at.isoformat()


# --------------------------------------------------------------------------- renderers


def diff_to_json(d: DiffResult) -> str:
    """The diff as deterministic JSON (sorted keys, ISO datetimes, final newline)."""
    return json.dumps(d.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _md_row(*cells: object) -> str:
    return "| " + " | ".join(md_cell(c) for c in cells) + " |"


def _resource_label(it: DiffItem) -> str:
    label = it.resource_name or it.resource_id.rstrip("/").rsplit("/", 1)[-1]
    return f"{label} [{it.sub_id}]" if it.sub_id else label


def diff_to_markdown(d: DiffResult) -> str:
    """The diff as GitHub-flavoured Markdown; every value from the tenant is escaped by ``md_cell``."""
    t = d.totals
    lines = [
        "## ahds-audit: changes between two scans",
        "",
        (
            f"Tenant {md_cell(d.tenant_id)}: old scan {_day(d.old.started_at)} (ahds-audit "
            f"{md_cell(d.old.tool_version)}), new scan {_day(d.new.started_at)} (ahds-audit "
            f"{md_cell(d.new.tool_version)})."
        ),
        "",
        (
            f"**{t['new']}** new, **{t['fixed']}** fixed, **{t['still_open']}** still open, "
            f"**{t['unverified']}** not re-checked."
        ),
        "",
    ]
    if d.counts:
        lines += [
            "| Area | Severity | New | Fixed | Still open | Not re-checked |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        lines += [
            _md_row(r.area, r.severity.value, r.new, r.fixed, r.still_open, r.unverified) for r in d.counts
        ]
        lines.append("")
    for cat in CATEGORIES:
        items = d.items(cat)
        if not items and cat == "unverified":
            continue
        lines += [f"### {_HEADINGS[cat]} ({len(items)})", ""]
        if not items:
            lines += ["None.", ""]
            continue
        lines += ["| Severity | Rule | Resource | Message |", "| --- | --- | --- | --- |"]
        for it in items:
            sev = it.severity.value + (" (accepted risk)" if it.suppressed else "")
            lines.append(_md_row(sev, it.rule_id, _resource_label(it), it.message))
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


_HTML_SECTION = """\
<section class="ahds-diff" id="diff">
  <h2>Changes between two scans</h2>
  <p>Tenant {{ d.tenant_id }}:
  old scan <time datetime="{{ d.old.started_at.isoformat() }}">{{ day(d.old.started_at) }}</time>
  (ahds-audit {{ d.old.tool_version }}),
  new scan <time datetime="{{ d.new.started_at.isoformat() }}">{{ day(d.new.started_at) }}</time>
  (ahds-audit {{ d.new.tool_version }}).</p>
  <p><strong>{{ d.totals.new }}</strong> new, <strong>{{ d.totals.fixed }}</strong> fixed,
  <strong>{{ d.totals.still_open }}</strong> still open,
  <strong>{{ d.totals.unverified }}</strong> not re-checked.</p>
{%- if d.counts %}
  <table class="diff-counts">
    <thead><tr><th>Area</th><th>Severity</th><th>New</th><th>Fixed</th><th>Still open</th>
      <th>Not re-checked</th></tr></thead>
    <tbody>
{%- for r in d.counts %}
      <tr><td>{{ r.area }}</td><td class="sev-{{ r.severity.value }}">{{ r.severity.value }}</td>
        <td>{{ r.new }}</td><td>{{ r.fixed }}</td><td>{{ r.still_open }}</td><td>{{ r.unverified }}</td></tr>
{%- endfor %}
    </tbody>
  </table>
{%- endif %}
{%- for cat in categories %}
{%- set items = d.items(cat) %}
{%- if items or cat != "unverified" %}
  <h3>{{ headings[cat] }} ({{ items | length }})</h3>
{%- if items %}
  <table class="diff-{{ cat }}">
    <thead><tr><th>Severity</th><th>Rule</th><th>Resource</th><th>Message</th></tr></thead>
    <tbody>
{%- for it in items %}
      <tr><td class="sev-{{ it.severity.value }}">{{ it.severity.value }}
        {%- if it.suppressed %} (accepted risk){% endif %}</td>
        <td>{{ it.rule_id }}</td><td title="{{ it.resource_id }}">{{ label(it) }}</td>
        <td>{{ it.message }}</td></tr>
{%- endfor %}
    </tbody>
  </table>
{%- else %}
  <p>None.</p>
{%- endif %}
{%- endif %}
{%- endfor %}
</section>
"""

_HTML_PAGE = """\
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ahds-audit diff</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;color:#1b1b1b}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}
.sev-critical{color:#a00}.sev-high{color:#c45000}.sev-medium{color:#8a6d00}
</style>
</head>
<body>
{{ section }}
</body>
</html>
"""


def diff_to_html_section(d: DiffResult) -> str:
    """The diff as one ``<section>`` for the HTML report; Jinja2 autoescape, no ``|safe`` on data."""
    from jinja2 import Environment, StrictUndefined

    env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=True)
    template = env.from_string(_HTML_SECTION)
    return template.render(d=d, categories=CATEGORIES, headings=_HEADINGS, day=_day, label=_resource_label)


def diff_to_html(d: DiffResult) -> str:
    """A standalone ``diff.html`` page around ``diff_to_html_section`` (no script, no external resource)."""
    from jinja2 import Environment
    from markupsafe import Markup

    env = Environment(autoescape=True)
    # The section was escaped when it was rendered; Markup stops a second escape of its tags.
    return env.from_string(_HTML_PAGE).render(section=Markup(diff_to_html_section(d)))
