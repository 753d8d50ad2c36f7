"""``rules list`` and ``rules show``: the rule catalogue as rich tables on a terminal, plain text, JSON or Markdown.

Everything shown comes from the rules' ``RuleMeta`` records (the rule's
documentation); ``render_markdown`` generates ``docs/rules.md`` from them.
Rendering returns a string; the CLI prints it. Pack metadata is third-party
text, so control characters are dropped and neither rich markup nor Markdown
is ever interpreted in it.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
import textwrap
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from rules._controls import FRAMEWORK_NAMES, FRAMEWORKS
from scanner.engine import did_you_mean, rule_doc
from scanner.errors import UsageError
from scanner.plugins import Registry, rule_source
from scanner.rule import AREA_NAMES, Compliance, Rule, Severity

if TYPE_CHECKING:  # rich is imported only for terminal output, so piped `rules list` starts fast
    from rich.console import RenderableType
    from rich.table import Table

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FRAMEWORK_LABELS = {"hipaa": "HIPAA", "nist": "NIST", "mcsb": "MCSB"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&$])")
"""Punctuation Markdown could read as emphasis, code, links, HTML, entities or a table cell's end."""
_MD_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)](?:\s|$)))")
"""A paragraph starting like this would become a heading, list item or setext underline."""


def find_rule(registry: Registry, rule_id: str) -> Rule[Any]:
    """The rule with this id (case-insensitive); UsageError (exit 2) with a did-you-mean otherwise."""
    found = registry.get(rule_id)
    if found is None:
        raise UsageError(f"unknown rule id {_clean(rule_id)!r}", hint=did_you_mean(rule_id, registry.ids))
    return found


def render_list(
    registry: Registry,
    *,
    as_json: bool = False,
    tty: bool | None = None,
    severities: Mapping[str, Severity] | None = None,
    width: int | None = None,
) -> str:
    """Id, severity, title, area and compliance of every rule, sorted by id.

    ``as_json`` gives a JSON array for machines; otherwise a rich table when
    ``tty`` (default: stdout is a terminal), else aligned plain text.
    ``severities`` shows config overrides instead of the rules' own severities.
    """
    rows = [_list_row(r, (severities or {}).get(r.id, r.meta.severity)) for r in registry.rules]
    if as_json:
        return json.dumps(rows, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    if _is_tty(tty):
        return _rich(_list_table(rows), width)
    return _plain_list(rows)


def render_show(
    registry: Registry,
    rule_id: str,
    *,
    as_json: bool = False,
    tty: bool | None = None,
    severity: Severity | None = None,
    width: int | None = None,
) -> str:
    """Everything about one rule: metadata, remediation, compliance with control titles, settings, source.

    Raises UsageError (exit 2) with a did-you-mean for an unknown id.
    """
    rule_obj = find_rule(registry, rule_id)
    doc = rule_doc(rule_obj, severity=severity).model_dump(mode="json")
    doc["source"] = rule_source(rule_obj)
    doc["settings_schema"] = rule_obj.settings_model.model_json_schema()
    if as_json:
        return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    sections = _show_sections(rule_obj, doc)
    if _is_tty(tty):
        return _rich(_show_renderable(doc, sections), width)
    return _plain_show(doc, sections)


def render_markdown(registry: Registry, *, severities: Mapping[str, Severity] | None = None) -> str:
    """The rule reference (``docs/rules.md``): every rule, grouped by area, from its ``RuleMeta``.

    Areas come in the built-in order (credentials, rbac, encryption, network,
    tls, lifecycle), then any pack's areas by code; rules within an area are
    sorted by id. Each rule gets its title, severity, resource types,
    description, rationale, settings (defaults and descriptions from the
    settings model), remediation (portal steps, ``az`` CLI and Bicep in fenced
    blocks), references and compliance (control titles from
    ``rules/_controls.py``, Azure Policy ids). Metadata is escaped, so pack text
    renders as the literal text. Deterministic: the same registry gives the
    same bytes. ``severities`` shows config overrides instead of the rules' own.
    """
    by_area: dict[str, list[Rule[Any]]] = {}
    for rule_obj in sorted(registry.rules, key=lambda r: r.id):
        by_area.setdefault(rule_obj.meta.area, []).append(rule_obj)
    order = [code for code in AREA_NAMES if code in by_area] + sorted(set(by_area) - set(AREA_NAMES))
    effective = {r.id: (severities or {}).get(r.id, r.meta.severity) for r in registry.rules}
    severity_note = (
        "Severities include the configuration's overrides" if severities else "Severity is the rule's own"
    )
    lines = [
        "# Rule reference",
        "",
        "<!-- Generated from the rules' metadata (RuleMeta): do not edit by hand. Regenerate with",
        "     ahds-audit rules list --markdown > docs/rules.md",
        "     or AHDS_AUDIT_REGEN_DOCS=1 .venv/bin/pytest tests/contract/test_rules_doc.py -->",
        "",
        (
            f"{len(registry.rules)} rules. Each rule records a result for every resource it examines: "
            "`pass`, `fail`, or `error` (it could not decide, and says why). "
            f"{severity_note}. Override severities under `rules.severity` and settings under "
            "`rules.settings.<ID>` in the "
            "configuration ([configuration.md](configuration.md)). `ahds-audit rules show ID` prints the "
            "same entry on a terminal."
        ),
    ]
    lines.append("")
    for code in order:
        links = ", ".join(f"[{_md(r.id)}](#{r.id.lower()})" for r in by_area[code])
        lines.append(f"- [{_md(_area_title(code))}](#{_anchor(_area_heading(code))}): {links}")
    for code in order:
        lines += ["", f"## {_area_heading(code)}", "", "| id | severity | title |", "| --- | --- | --- |"]
        lines += [
            f"| [{_md(r.id)}](#{r.id.lower()}) | {effective[r.id].value} | {_md(r.meta.title)} |"
            for r in by_area[code]
        ]
        for rule_obj in by_area[code]:
            lines += ["", *_markdown_rule(rule_obj, effective[rule_obj.id])]
    return "\n".join(lines) + "\n"


def _area_title(code: str) -> str:
    """``credentials`` -> ``Credentials``; a name that is just its code (rbac, tls, a pack's) in capitals."""
    name = AREA_NAMES.get(code, code.lower())
    return name.upper() if name == code.lower() else name.capitalize()


def _area_heading(code: str) -> str:
    """``Credentials (CRED)``; just ``RBAC`` when the title already is the code."""
    title = _area_title(code)
    return title if title == code else f"{title} ({_md(code)})"


def _anchor(heading: str) -> str:
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.replace("\\", "")).strip().lower().replace(" ", "-")


def _markdown_rule(rule_obj: Rule[Any], severity: Severity) -> list[str]:
    """One rule's section: heading (its id, so the anchor is the lower-case id), facts, then the long parts."""
    meta = rule_obj.meta
    types = ", ".join(f"`{_code(t)}`" for t in meta.resource_types) or "(any)"
    lines = [
        f"### {_md(meta.id)}",
        "",
        f"**{_md(meta.title)}**",
        "",
        f"- severity: **{severity.value}**",
        f"- resource types: {types}",
        f"- rule version: {_md(meta.version)}",
        "",
        *_md_paragraphs(meta.description),
        "",
        "#### Rationale",
        "",
        *_md_paragraphs(meta.rationale),
    ]
    lines += ["", "#### Settings", "", *_markdown_settings(rule_obj)]
    lines += ["", "#### Remediation", "", *_markdown_steps(meta.remediation.portal)]
    for label, lang, snippet in (
        ("Azure CLI", "sh", meta.remediation.cli),
        ("Bicep", "bicep", meta.remediation.bicep),
    ):
        if snippet:
            lines += ["", f"{label}:", "", *_fenced(snippet, lang)]
    lines += ["", "#### References", ""]
    lines += [f"- <{_code(ref)}>" for ref in meta.references] or ["(none)"]
    lines += ["", "#### Compliance", "", *_markdown_compliance(meta.compliance)]
    return lines


def _markdown_settings(rule_obj: Rule[Any]) -> list[str]:
    fields = rule_obj.settings_model.model_fields
    if not fields:
        return ["None."]
    defaults = rule_obj.default_settings().model_dump(mode="json")
    schema = rule_obj.settings_model.model_json_schema().get("properties", {})
    rows = [
        f"Override under `rules.settings.{_code(rule_obj.id)}`.",
        "",
        "| setting | type | default | meaning |",
        "| --- | --- | --- | --- |",
    ]
    for name, info in fields.items():
        default = json.dumps(defaults.get(name), ensure_ascii=False, sort_keys=True)
        rows.append(
            f"| `{_code(name)}` | {_md(_schema_type(schema.get(name, {})))} | `{_code(default)}` "
            f"| {_md(info.description or '')} |"
        )
    return rows


def _schema_type(prop: Mapping[str, Any]) -> str:
    """A setting's type in words, from its JSON Schema (``"fhir" or "all"``, ``integer``, ``list of string``)."""
    if "enum" in prop:
        return " or ".join(json.dumps(v, ensure_ascii=False) for v in prop["enum"])
    if "const" in prop:
        return json.dumps(prop["const"], ensure_ascii=False)
    if "anyOf" in prop:
        return " or ".join(_schema_type(p) for p in prop["anyOf"])
    kind = prop.get("type", "any")
    if kind == "array":
        return f"list of {_schema_type(prop.get('items', {}))}"
    if kind == "string" and prop.get("format") == "date":
        return "date (YYYY-MM-DD)"
    return str(prop.get("format", kind))


def _markdown_compliance(compliance: Compliance) -> list[str]:
    rows = ["| framework | control | title |", "| --- | --- | --- |"]
    for key, controls in FRAMEWORKS.items():
        for cid in getattr(compliance, key):
            title = controls.get(cid, "(not in the control catalogue)")
            rows.append(f"| {_md(FRAMEWORK_NAMES[key])} | {_md(cid)} | {_md(title)} |")
    if len(rows) == 2:
        rows = ["(no control mapped)"]
    if compliance.azure_policy:
        rows += [
            "",
            "Azure Policy built-in definitions: "
            + ", ".join(f"`{_code(p)}`" for p in compliance.azure_policy),
        ]
    return rows


def _markdown_steps(portal: str) -> list[str]:
    """Portal steps written ``1. ... 2. ...`` in one string become an ordered list; text before step 1 stays prose."""
    text = _CONTROL.sub(" ", portal).strip()
    start = re.search(r"(?:^|\s)1\.\s", text)
    if start is None:
        return _md_paragraphs(portal)
    preamble, rest = text[: start.start()].strip(), text[start.end() :]
    steps: list[str] = []
    number = 2
    while (nxt := re.search(rf"\s{number}\.\s", rest)) is not None:
        steps.append(rest[: nxt.start()])
        rest = rest[nxt.end() :]
        number += 1
    steps.append(rest)
    lines = [*_md_paragraphs(preamble), ""] if preamble else []
    return lines + [f"{i}. {_md_block(step)}" for i, step in enumerate(steps, start=1)]


def _md_paragraphs(prose: str) -> list[str]:
    """Prose as Markdown paragraphs (one per non-empty line), escaped so it renders as the literal text."""
    paragraphs = [_md_block(line) for line in prose.splitlines() if line.strip()]
    out: list[str] = []
    for paragraph in paragraphs:
        out += [paragraph, ""]
    return out[:-1] or ["(none)"]


def _md_block(value: str) -> str:
    """``_md`` for text that starts a block (paragraph, list item): a leading marker is escaped too."""
    return _MD_BLOCK_START.sub(_escape_block_start, _md(value))


def _escape_block_start(match: re.Match[str]) -> str:
    """``#``/``-`` -> ``\\#``/``\\-``; ``1.`` -> ``1\\.``: the backslash goes before the punctuation."""
    found = match.group(1)
    return found + "\\" if found.isdigit() else "\\" + found


def _md(value: str) -> str:
    """One line of metadata as literal inline Markdown text: controls dropped, markup characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", _clean(value).strip())


def _code(value: str) -> str:
    """Text for an inline code span: controls dropped and no backtick, so the span cannot end early."""
    return _clean(value).replace("`", "'")


def _fenced(snippet: str, lang: str) -> list[str]:
    """A fenced code block longer than any backtick run in ``snippet``, so the snippet cannot close it."""
    body = [_CONTROL.sub("", line.replace("\t", "    ")) for line in snippet.strip("\n").splitlines()]
    longest = max((len(run) for run in re.findall(r"`+", snippet)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *body, fence]


def _list_row(rule_obj: Rule[Any], severity: Severity) -> dict[str, Any]:
    meta = rule_obj.meta
    return {
        "id": meta.id,
        "version": meta.version,
        "severity": severity.value,
        "title": meta.title,
        "area": meta.area,
        "resource_types": list(meta.resource_types),
        "compliance": {
            "hipaa": list(meta.compliance.hipaa),
            "nist": list(meta.compliance.nist),
            "mcsb": list(meta.compliance.mcsb),
        },
    }


def _compliance_line(compliance: Mapping[str, list[str]]) -> str:
    parts = [
        f"{label} {', '.join(compliance[key])}"
        for key, label in _FRAMEWORK_LABELS.items()
        if compliance.get(key)
    ]
    return "; ".join(parts)


_LIST_COLUMNS = ("ID", "SEVERITY", "AREA", "TITLE", "COMPLIANCE")


def _list_cells(row: Mapping[str, Any]) -> tuple[str, ...]:
    return (
        _clean(row["id"]),
        row["severity"],
        _clean(row["area"]),
        _clean(row["title"]),
        _clean(_compliance_line(row["compliance"])),
    )


def _plain_list(rows: list[dict[str, Any]]) -> str:
    table = [_LIST_COLUMNS, *(_list_cells(r) for r in rows)]
    widths = [max(len(line[i]) for line in table) for i in range(len(_LIST_COLUMNS) - 1)]
    lines = [
        "  ".join([*(c.ljust(w) for c, w in zip(line, widths, strict=False)), line[-1]]) for line in table
    ]
    lines.append(f"{len(rows)} rule(s)")
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _list_table(rows: list[dict[str, Any]]) -> Table:
    from rich.table import Table
    from rich.text import Text

    table = Table(title=f"ahds-audit rules ({len(rows)})", title_justify="left", header_style="bold")
    table.add_column("ID", no_wrap=True, style="cyan")
    table.add_column("Severity", no_wrap=True)
    table.add_column("Area", no_wrap=True)
    table.add_column("Title", overflow="fold")
    table.add_column("Compliance", overflow="fold")
    for row in rows:
        cells = _list_cells(row)
        table.add_row(
            Text(cells[0]),
            Text(cells[1], style=_severity_style(row["severity"])),
            *(Text(c) for c in cells[2:]),
        )
    return table


def _show_sections(rule_obj: Rule[Any], doc: Mapping[str, Any]) -> list[tuple[str, list[str]]]:
    """The long-form sections of ``rules show`` as (heading, lines); shared by plain and rich output."""
    remediation = doc["remediation"]
    fix = ["Portal:", *_indent("\n".join(_wrap(remediation["portal"])))]
    if remediation.get("cli"):
        fix += ["Azure CLI:", *_indent(remediation["cli"])]
    if remediation.get("bicep"):
        fix += ["Bicep:", *_indent(remediation["bicep"])]
    compliance: list[str] = []
    for key, controls in FRAMEWORKS.items():
        ids = doc["compliance"].get(key) or []
        if ids:
            compliance.append(f"{FRAMEWORK_NAMES[key]}:")
            compliance += [f"  {cid}  {controls.get(cid, '(not in the control catalogue)')}" for cid in ids]
    if doc["compliance"].get("azure_policy"):
        compliance += ["Azure Policy definitions:", *(f"  {p}" for p in doc["compliance"]["azure_policy"])]
    settings: list[str] = []
    for name, info in rule_obj.settings_model.model_fields.items():
        value = json.dumps(doc["settings"].get(name), ensure_ascii=False)
        described = f"  {info.description}" if info.description else ""
        settings.append(f"{name} = {value}{described}")
    return [
        ("Description", _wrap(doc["description"])),
        ("Rationale", _wrap(doc["rationale"])),
        ("Remediation", fix),
        ("Compliance", compliance or ["(none)"]),
        ("References", list(doc["references"]) or ["(none)"]),
        ("Settings (defaults; override under rules.settings." + doc["id"] + ")", settings or ["(none)"]),
    ]


def _header_fields(doc: Mapping[str, Any]) -> list[tuple[str, str]]:
    area = doc["area"]
    return [
        ("severity", doc["severity"]),
        ("area", f"{area} ({AREA_NAMES.get(area, area.lower())})"),
        ("version", doc["version"]),
        ("resource types", ", ".join(doc["resource_types"]) or "(any)"),
        ("source", doc["source"]),
    ]


def _plain_show(doc: Mapping[str, Any], sections: list[tuple[str, list[str]]]) -> str:
    lines = [f"{_clean(doc['id'])}  {_clean(doc['title'])}"]
    lines += [f"  {label + ':':<16}{_clean(value)}" for label, value in _header_fields(doc)]
    for heading, body in sections:
        lines += ["", heading, *(f"  {_clean(line)}" for line in body)]
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _show_renderable(doc: Mapping[str, Any], sections: list[tuple[str, list[str]]]) -> RenderableType:
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    for label, value in _header_fields(doc):
        style = _severity_style(value) if label == "severity" else ""
        head.add_row(Text(label), Text(_clean(value), style=style))
    parts: list[RenderableType] = [
        Text(f"{_clean(doc['id'])}  {_clean(doc['title'])}", style="bold cyan"),
        head,
    ]
    for heading, body in sections:
        parts += [Text(""), Text(heading, style="bold underline")]
        parts += [Text("  " + _clean(line)) for line in body]
    return Group(*parts)


def _wrap(prose: str, width: int = 96) -> list[str]:
    """Prose wrapped for reading; commands (CLI, Bicep) are never wrapped, so they copy and paste intact."""
    return [
        part
        for line in prose.splitlines()
        for part in (textwrap.wrap(line, width, break_on_hyphens=False, break_long_words=False) or [""])
    ] or [""]


def _indent(text: str) -> list[str]:
    return ["  " + line for line in text.splitlines()] or ["  "]


def _severity_style(severity: str) -> str:
    return {"critical": "bold red", "high": "red", "medium": "yellow", "low": "blue"}.get(severity, "dim")


def _clean(value: str) -> str:
    """One line of third-party metadata with control characters (escapes, NULs, newlines) dropped."""
    return _CONTROL.sub("", value.replace("\t", "    "))


def _is_tty(tty: bool | None) -> bool:
    return sys.stdout.isatty() if tty is None else tty


def _rich(renderable: RenderableType, width: int | None) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    console = Console(
        file=buffer,
        force_terminal=True,
        width=width or shutil.get_terminal_size((120, 40)).columns,
        highlight=False,
        soft_wrap=False,
    )
    console.print(renderable)
    return buffer.getvalue()
