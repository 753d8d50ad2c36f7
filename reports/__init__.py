"""Report renderers (one per format) and the helpers that render several formats and write them together.

Reporters read only the findings document; nothing here touches Azure. The
CLI normally receives reporters from the plugin registry (entry-point group
``ahds_audit.reporters``); ``builtin_reporters`` is the same table for the
formats shipped here.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from reports.base import Reporter, ReportOptions
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
    """Render every requested format (format name -> document text) before anything is written.

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
) -> dict[str, Path]:
    """Render every format, then write each file into ``out_dir`` (created if missing); format -> path.

    Nothing is written unless every format rendered. Each file is written to a
    temporary name and renamed into place, so a reader never sees half a
    report. Raises ``OutputError`` (exit 2) when the directory or a file
    cannot be written.
    """
    chosen = _pick(formats, reporters)
    texts = {r.name: r.render(report, options) for r in chosen}
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{out_dir}: cannot create the output directory: {exc.strerror or exc}") from exc
    written: dict[str, Path] = {}
    for reporter in chosen:
        target = out_dir / reporter.filename
        # Lone surrogates (possible in JSON-decoded names) cannot be UTF-8: keep them visible as escapes.
        data = texts[reporter.name].encode("utf-8", errors="backslashreplace")
        try:
            fd, tmp = tempfile.mkstemp(prefix=f".{reporter.filename}.", dir=out_dir)
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                    os.fchmod(fh.fileno(), 0o644)  # mkstemp creates 0600; a report is an ordinary file
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise OutputError(f"{target}: cannot write the {reporter.name} report: {exc.strerror or exc}") from exc
        logger.info("wrote %s report to %s", reporter.name, target)
        written[reporter.name] = target
    return written
