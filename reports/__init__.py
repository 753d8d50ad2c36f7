"""Report renderers (one per format) and the helpers that render several formats and write them together.

Reporters read only the findings document; nothing here touches Azure. The
CLI normally receives reporters from the plugin registry (entry-point group
``ahds_audit.reporters``); ``builtin_reporters`` is the same table for the
formats shipped here.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from reports.base import Reporter, ReportOptions
from scanner._files import write_temporary
from scanner.errors import OutputError, UsageError
from scanner.findings import ScanReport

__all__ = ["FORMATS", "ReportOptions", "Reporter", "builtin_reporters", "render_all", "write_reports"]

logger = logging.getLogger(__name__)

FORMATS: tuple[str, ...] = ("json", "sarif", "html", "junit", "md")
"""Built-in format names, in the order ``--format`` lists them (the default is all of them)."""


def builtin_reporters() -> dict[str, Reporter]:
    """One instance of each built-in reporter, keyed by format name."""
    from reports.html import HtmlReporter
    from reports.json import JsonReporter
    from reports.junit import JunitReporter
    from reports.markdown import MarkdownReporter
    from reports.sarif import SarifReporter

    classes: list[type[Reporter]] = [JsonReporter, SarifReporter, HtmlReporter, JunitReporter, MarkdownReporter]
    return {cls.name: cls() for cls in classes}


def _pick(formats: Iterable[str], reporters: Mapping[str, Reporter] | None) -> list[Reporter]:
    table = dict(reporters) if reporters is not None else builtin_reporters()
    chosen: list[Reporter] = []
    for name in dict.fromkeys(formats):
        if name not in table:
            raise UsageError(f"unknown report format {name!r}", hint="choose from " + ", ".join(sorted(table)))
        chosen.append(table[name])
    return chosen


def render_all(
    report: ScanReport,
    formats: Iterable[str],
    options: ReportOptions,
    *,
    reporters: Mapping[str, Reporter] | None = None,
) -> dict[str, str]:
    """Render every requested format as text (format name -> document), for callers that want strings.

    Raises ``UsageError`` for an unknown format name. A reporter that raises
    is a bug and propagates unchanged.
    """
    return {r.name: r.render(report, options) for r in _pick(formats, reporters)}


def write_reports(
    report: ScanReport,
    formats: Iterable[str],
    out_dir: Path,
    options: ReportOptions,
    *,
    reporters: Mapping[str, Reporter] | None = None,
    on_format: Callable[[Reporter], None] | None = None,
) -> dict[str, Path]:
    """Write every format into ``out_dir`` (created if missing); format -> path.

    ``on_format`` is called with each reporter before it starts (progress for big reports).

    Each reporter streams into a temporary file beside its target, and only
    when every format has been written are they renamed into place, so a
    reader never sees half a report and a reporter that raises leaves the
    previous reports untouched (its exception propagates; the temporary
    files are removed). Raises ``OutputError`` (exit 2) when the directory
    or a file cannot be written.
    """
    chosen = _pick(formats, reporters)
    created = not out_dir.exists()
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the output directory: {exc.strerror or exc}") from exc
    pending: list[tuple[Reporter, Path]] = []
    try:
        for reporter in chosen:
            if on_format is not None:
                on_format(reporter)
            pending.append((reporter, _write_temporary(reporter, report, options, out_dir)))
    except BaseException:
        for _, tmp in pending:
            tmp.unlink(missing_ok=True)
        if created:
            with contextlib.suppress(OSError):
                out_dir.rmdir()  # the directory this call created, now empty again
        raise
    try:
        written: dict[str, Path] = {}
        for reporter, tmp in pending:
            target = out_dir / reporter.filename
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise _output_error(reporter, target, exc) from exc
            logger.info("wrote %s report to %s", reporter.name, target)
            written[reporter.name] = target
        return written
    finally:
        for _, tmp in pending:
            tmp.unlink(missing_ok=True)  # already renamed unless something failed


def _write_temporary(reporter: Reporter, report: ScanReport, options: ReportOptions, out_dir: Path) -> Path:
    """Stream one format into a new temporary file in ``out_dir``; its path (removed again on failure)."""
    target = out_dir / reporter.filename
    try:
        # 0644: an ordinary file whatever the umask, as every report has always been written.
        return write_temporary(target, lambda fh: reporter.write(report, options, fh), mode=0o644)
    except OSError as exc:
        raise _output_error(reporter, target, exc) from exc


def _output_error(reporter: Reporter, target: Path, exc: OSError) -> OutputError:
    return OutputError(f"{target}: cannot write the {reporter.name} report: {exc.strerror or exc}")
