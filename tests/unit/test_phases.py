"""The steps after collection say what they are doing: a spinner and a duration on a terminal, log lines in CI."""

from __future__ import annotations

import io
import logging

import pytest

from scanner.progress import Phases


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_terminal_gets_each_step_and_how_long_it_took() -> None:
    stream = _Terminal()
    phases = Phases(quiet=False, stream=stream)
    with phases.phase("Evaluating 33 rules"):
        phases.update("still evaluating")
    with phases.phase("Writing 5 report(s)"):
        phases.update("Writing report.html")
    text = stream.getvalue()
    assert "Evaluating 33 rules: done in " in text and "Writing 5 report(s): done in " in text


def test_ci_gets_log_lines_and_the_terminal_stream_nothing(caplog: pytest.LogCaptureFixture) -> None:
    stream = io.StringIO()  # not a TTY: a CI job log
    phases = Phases(quiet=False, stream=stream)
    with caplog.at_level(logging.INFO, logger="scanner.progress"), phases.phase("Writing 5 report(s)"):
        phases.update("findings.json")
    messages = [r.getMessage() for r in caplog.records]
    assert messages[0] == "Writing 5 report(s) ..." and "Writing 5 report(s): findings.json" in messages
    assert messages[-1].startswith("Writing 5 report(s): done in ")
    assert stream.getvalue() == ""


def test_quiet_says_nothing_and_a_failing_step_still_raises(caplog: pytest.LogCaptureFixture) -> None:
    stream = _Terminal()
    phases = Phases(quiet=True, stream=stream)
    with caplog.at_level(logging.INFO, logger="scanner.progress"):
        with phases.phase("Evaluating"):
            phases.update("x")
        with pytest.raises(RuntimeError), phases.phase("Writing"):
            raise RuntimeError("disk full")
    assert stream.getvalue() == "" and not caplog.records
