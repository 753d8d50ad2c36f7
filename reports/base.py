"""The reporter seam: one ``Reporter`` subclass per output format, and the options every renderer reads."""

from __future__ import annotations

import io
from abc import ABC
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar, TextIO

from scanner.findings import ScanReport


@dataclass(frozen=True, slots=True, kw_only=True)
class ReportOptions:
    """What the user asked for beyond the findings themselves; every field has a safe default."""

    sarif_all: bool = False
    """SARIF: also write passes (``kind: pass``), rule errors (``kind: open``) and accepted risks (suppressed)."""
    sarif_category: str | None = None
    """SARIF ``automationDetails.id`` category; default ``ahds-audit/<tenant id>/``."""
    iac_map: Mapping[str, str] = field(default_factory=dict)
    """ARM id glob (case-insensitive, ``fnmatch`` syntax) -> repository-relative IaC file; first match wins."""
    top_n: int = 50
    """Markdown: how many failing findings the table lists before counting the rest."""
    gate_line: str | None = None
    """One line computed by the CLI saying why the gate passed or failed; the Markdown summary prints it last."""
    show_diff: bool = True
    """HTML/Markdown: include the 'new or fixed since the baseline' section when the report has a baseline."""


class Reporter(ABC):
    """Renders a ``ScanReport`` into one format.

    Implementations are pure: they read only the report and the options,
    never the clock, the network, Azure or the file system, and equal inputs
    give byte-identical output. A reporter writes its document to a text
    stream (``write``: what ``reports.write_reports`` calls, so the document
    of a scan with millions of results never exists as one string) or returns
    it whole (``render``); each has a default in terms of the other, so a
    format overrides whichever suits it (a small one just ``render``).
    """

    name: ClassVar[str]
    """The format name used with ``--format`` (and the entry-point name)."""
    filename: ClassVar[str]
    """The file written into ``--output-dir``."""

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "name" in cls.__dict__ and cls.write is Reporter.write and cls.render is Reporter.render:
            raise TypeError(f"reporter {cls.__name__} must override write() or render()")

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        """Write the document for ``report`` to ``out``; no other I/O."""
        out.write(self.render(report, options))

    def render(self, report: ScanReport, options: ReportOptions) -> str:
        """Return the document for ``report``; never performs I/O."""
        buffer = io.StringIO()
        self.write(report, options, buffer)
        return buffer.getvalue()
