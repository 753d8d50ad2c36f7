"""The terminal summary after a scan: failures by area and severity, where files went, the gate line.

A rich table on a terminal, plain aligned text otherwise (CI logs). Hostile
resource names never reach the terminal here: only counts, rule areas and our
own file paths are printed.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from scanner.findings import ScanReport
from scanner.rule import Severity, Status, area_name

_SEVERITIES = [s for s in Severity]


def summary_rows(report: ScanReport) -> list[tuple[str, dict[str, int], int, int, int]]:
    """Per area: unsuppressed failures by severity, passes, errors, suppressed (sorted by area)."""
    fails: dict[str, Counter[str]] = {}
    passes: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    suppressed: Counter[str] = Counter()
    for f in report.results:
        area = area_name(f.rule_id)
        fails.setdefault(area, Counter())
        if f.status is Status.PASS:
            passes[area] += 1
        elif f.status is Status.ERROR:
            errors[area] += 1
        elif f.suppression is not None:
            suppressed[area] += 1
        else:
            fails[area][f.severity.value] += 1
    return [
        (
            area,
            {s.value: fails[area][s.value] for s in _SEVERITIES},
            passes[area],
            errors[area],
            suppressed[area],
        )
        for area in sorted(fails)
    ]


def _tenant_label(report: ScanReport) -> str:
    scan = report.scan
    name = f"{scan.tenant_name} ({scan.tenant_id})" if scan.tenant_name else scan.tenant_id
    return f"tenant {name}, cloud {scan.cloud}"


def print_scan_summary(
    report: ScanReport, written: Mapping[str, Path], gate_line: str, *, stream: TextIO | None = None
) -> None:
    """Print the summary table, the written files and, last, the gate line."""
    out = stream or sys.stdout
    rows = summary_rows(report)
    cov = report.scan.coverage
    if out.isatty():
        _print_rich(out, report, rows, written, gate_line)
        return
    header = ["area"] + [s.value for s in _SEVERITIES] + ["pass", "error", "suppressed"]
    table = [header] + [
        [area] + [str(c[s.value]) for s in _SEVERITIES] + [str(p), str(e), str(sp)]
        for area, c, p, e, sp in rows
    ]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    print(f"ahds-audit {report.tool.version}: {_tenant_label(report)}", file=out)
    print(
        f"coverage: {cov.subscriptions_complete}/{cov.subscriptions_total} subscription(s) read completely"
        + ("" if cov.complete else f"; {len(report.scan.errors)} scope(s) could not be read"),
        file=out,
    )
    for r in table:
        print(
            "  ".join(cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths))),
            file=out,
        )
    for fmt, path in written.items():
        print(f"{fmt}: {path}", file=out)
    print(gate_line, file=out)


def _print_rich(
    out: TextIO,
    report: ScanReport,
    rows: list[tuple[str, dict[str, int], int, int, int]],
    written: Mapping[str, Path],
    gate_line: str,
) -> None:
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    console = Console(file=out)
    cov = report.scan.coverage
    table = Table(
        title=f"ahds-audit {report.tool.version}: {_tenant_label(report)} — failures by area and severity"
    )
    table.add_column("area")
    styles = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}
    for s in _SEVERITIES:
        table.add_column(s.value, justify="right", style=styles[s.value])
    for col in ("pass", "error", "suppressed"):
        table.add_column(col, justify="right")
    for area, counts, p, e, sp in rows:
        table.add_row(area, *[str(counts[s.value]) for s in _SEVERITIES], str(p), str(e), str(sp))
    console.print(table)
    console.print(
        Text(
            f"coverage: {cov.subscriptions_complete}/{cov.subscriptions_total} subscription(s) read completely"
            + ("" if cov.complete else f"; {len(report.scan.errors)} scope(s) could not be read")
        )
    )
    for fmt, path in written.items():
        console.print(Text(f"{fmt}: {path}"))
    console.print(Text(gate_line, style="bold"))
