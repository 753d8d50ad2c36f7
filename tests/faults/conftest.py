"""Fixtures for the fault matrix: a small tenant served by the emulator, and a hang-guarded in-process CLI scan.

Every scan runs ``scanner.cli.main`` with the real SDK clients against the
emulator, configured through the config file with short timeouts and few
retries (``collection.timeout_s``, ``collection.max_retries``), so a server that
never answers is given up on within seconds. A hang guard (SIGALRM) turns a
scan that does not return into a test failure instead of a stuck suite; it is
a guard, not a timing assertion.
"""

from __future__ import annotations

import contextlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.cli import main
from scanner.emulator import SECRET_ENV, Emulator, Tenant
from tests.collect._tenant import small_tenant
from tests.faults._guard import hang_guard

TIMEOUT_S = 2
"""``collection.timeout_s`` of every fault scan: one request's read timeout."""
MAX_RETRIES = 2
"""``collection.max_retries`` of every fault scan."""
HANG_GUARD_S = 60
"""A scan still running after this long is a hang: the guard fails the test."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a user sees after one ``ahds-audit scan``: exit code, reports and stderr."""

    code: int
    out: Path
    stderr: str

    @property
    def findings(self) -> dict[str, Any]:
        """findings.json, parsed."""
        data: dict[str, Any] = json.loads((self.out / "findings.json").read_text(encoding="utf-8"))
        return data

    @property
    def errors(self) -> list[dict[str, Any]]:
        """``scan.errors`` of findings.json."""
        errors: list[dict[str, Any]] = self.findings["scan"]["errors"]
        return errors

    @property
    def markdown(self) -> str:
        """summary.md."""
        return (self.out / "summary.md").read_text(encoding="utf-8")

    @property
    def html(self) -> str:
        """report.html."""
        return (self.out / "report.html").read_text(encoding="utf-8")


def write_config(emu: Emulator, path: Path, **collection: Any) -> Path:
    """A config for ``emu`` with the fault suite's short timeouts (``collection`` overrides them)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = emu.config_data(output_dir=path.parent / "out")
    data["collection"] = {"timeout_s": TIMEOUT_S, "max_retries": MAX_RETRIES, **collection}
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def scan(
    emu: Emulator,
    tmp_path: Path,
    *extra: str,
    formats: str = "json,md,html",
    guard_s: float = HANG_GUARD_S,
    **collection: Any,
) -> Outcome:
    """Run ``ahds-audit scan`` in process against ``emu`` and return what the user sees.

    The gate ignores findings (``--fail-on none``), so the exit code speaks only
    of coverage: 0 complete, 3 incomplete.
    """
    config = write_config(emu, tmp_path / "config.yaml", **collection)
    out = tmp_path / "out"
    argv = ["scan", "--config", str(config), "-o", str(out), "-q", "--fail-on", "none", "-f", formats, *extra]
    stderr = io.StringIO()
    with hang_guard(guard_s), contextlib.redirect_stderr(stderr):
        code = main(argv)
    return Outcome(code=code, out=out, stderr=stderr.getvalue())


@pytest.fixture(scope="package")
def fault_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The small two-subscription tenant, served once for the fault suite."""
    with Emulator(Tenant.from_data(small_tenant()), workdir=tmp_path_factory.mktemp("fault-emu")) as emu:
        yield emu


@pytest.fixture
def emu(fault_emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[Emulator]:
    """The fault emulator with faults, paging, latency and the request log reset; its secret in the env."""
    monkeypatch.setenv(SECRET_ENV, fault_emulator.client_secret)
    fault_emulator.faults.clear()
    fault_emulator.page_size = 100
    fault_emulator.latency_ms = 0
    fault_emulator.clear_requests()
    yield fault_emulator
    fault_emulator.faults.clear()
    fault_emulator.page_size = 100
    fault_emulator.latency_ms = 0
