"""``rules list`` and ``rules show``: the rule catalogue as rich tables on a terminal, plain text or JSON.

Everything shown comes from the rules' ``RuleMeta`` records (the rule's
documentation). Rendering returns a string; the CLI prints it. Pack metadata
is third-party text, so control characters are dropped and rich markup is
never interpreted in it.
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
from scanner.rule import AREA_NAMES, Rule, Severity

if TYPE_CHECKING:  # rich is imported only for terminal output, so piped `rules list` starts fast
    from rich.console import RenderableType
    from rich.table import Table

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_FRAMEWORK_LABELS = {"hipaa": "HIPAA", "nist": "NIST", "mcsb": "MCSB"}


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
