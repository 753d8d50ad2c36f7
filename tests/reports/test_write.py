"""Rendering every format and writing them: all-or-nothing, file names as documented, errors as OutputError."""

from __future__ import annotations

import io
import os
from pathlib import Path
from typing import TextIO

import pytest

from reports import FORMATS, builtin_reporters, render_all, write_reports
from reports.base import Reporter, ReportOptions
from scanner.errors import OutputError, UsageError
from scanner.findings import ScanReport

FILES = {"json": "findings.json", "sarif": "findings.sarif", "html": "report.html", "junit": "junit.xml",
         "md": "summary.md"}


def test_writes_every_format_under_its_documented_name(demo: ScanReport, tmp_path: Path) -> None:
    out = tmp_path / "nested" / "out"
    written = write_reports(demo, FORMATS, out, ReportOptions())
    assert {k: p.name for k, p in written.items()} == FILES
    texts = render_all(demo, FORMATS, ReportOptions())
    for name, path in written.items():
        assert path.read_text(encoding="utf-8") == texts[name]
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES.values())  # no temporary files left


def test_a_subset_and_the_reporter_table(demo: ScanReport, tmp_path: Path) -> None:
    assert set(builtin_reporters()) == set(FORMATS)
    assert all(r.filename == FILES[n] for n, r in builtin_reporters().items())
    written = write_reports(demo, ["md", "md"], tmp_path, ReportOptions())
    assert list(written) == ["md"] and [p.name for p in tmp_path.iterdir()] == ["summary.md"]


def test_unknown_format_is_a_usage_error(demo: ScanReport) -> None:
    with pytest.raises(UsageError, match="unknown report format 'pdf'"):
        render_all(demo, ["json", "pdf"], ReportOptions())


class _Broken(Reporter):
    name = "broken"
    filename = "broken.txt"

    def render(self, report: ScanReport, options: ReportOptions) -> str:
        raise RuntimeError("boom")


def test_nothing_is_written_when_any_format_fails_to_render(demo: ScanReport, tmp_path: Path) -> None:
    table = {**builtin_reporters(), "broken": _Broken()}
    with pytest.raises(RuntimeError):
        write_reports(demo, ["json", "broken"], tmp_path / "out", ReportOptions(), reporters=table)
    assert not (tmp_path / "out").exists()


class _BreaksHalfway(Reporter):
    """Streams part of its document, then fails (a full disk, a bug): nothing of it may reach a reader."""

    name = "halfway"
    filename = "summary.md"

    def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
        out.write("# half a report\n")
        raise RuntimeError("boom")


def test_a_format_failing_halfway_leaves_last_weeks_reports_as_they_were(demo: ScanReport, tmp_path: Path) -> None:
    previous = write_reports(demo, ["json", "md"], tmp_path, ReportOptions())
    before = {name: path.read_bytes() for name, path in previous.items()}
    table = {**builtin_reporters(), "halfway": _BreaksHalfway()}
    changed = demo.model_copy(update={"results": demo.results[:1]})
    with pytest.raises(RuntimeError, match="boom"):
        write_reports(changed, ["json", "halfway"], tmp_path, ReportOptions(), reporters=table)
    assert {name: path.read_bytes() for name, path in previous.items()} == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["findings.json", "summary.md"]  # no temporary file


def test_a_reporter_may_write_or_render_and_must_do_one(demo: ScanReport) -> None:
    class Written(Reporter):
        name = "written"
        filename = "w.txt"

        def write(self, report: ScanReport, options: ReportOptions, out: TextIO) -> None:
            out.write(f"{len(report.results)} results\n")

    class Rendered(Reporter):
        name = "rendered"
        filename = "r.txt"

        def render(self, report: ScanReport, options: ReportOptions) -> str:
            return f"{len(report.results)} results\n"

    buffer = io.StringIO()
    Rendered().write(demo, ReportOptions(), buffer)
    assert Written().render(demo, ReportOptions()) == buffer.getvalue() == f"{len(demo.results)} results\n"
    with pytest.raises(TypeError, match="must override write\\(\\) or render\\(\\)"):

        class Neither(Reporter):  # defining it is the error
            name = "neither"
            filename = "n.txt"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere; the file-as-directory case covers it")
def test_unwritable_directory_is_an_output_error(demo: ScanReport, tmp_path: Path) -> None:
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(OutputError):
            write_reports(demo, ["md"], tmp_path / "x", ReportOptions())
    finally:
        tmp_path.chmod(0o700)


def test_output_dir_that_is_a_file_is_an_output_error(demo: ScanReport, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="cannot create the output directory"):
        write_reports(demo, ["md"], blocker, ReportOptions())
    with pytest.raises(OutputError, match="cannot create the output directory"):
        write_reports(demo, ["md"], blocker / "sub", ReportOptions())
