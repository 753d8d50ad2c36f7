"""Fixtures of the reporter tests: sample reports, golden-file comparison, and the external checkers.

External checkers (Microsoft's SARIF multitool, headless Chromium) are
installed by ``.ci/run``; on a developer's machine without them the tests
that need them skip with the reason, while under CI (env ``CI`` set) they fail.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from scanner.findings import ScanReport
from tests.reports._sample import demo_report, hostile_report

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
ARTIFACTS = ROOT / "test-artifacts"
REGEN_ENV = "AHDS_AUDIT_REGEN_GOLDEN"


@pytest.fixture
def demo() -> ScanReport:
    """The demo tenant's findings document."""
    return demo_report()


@pytest.fixture(scope="session")
def live(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> ScanReport:
    """The demo tenant's real findings: scanned through the emulator with the real SDK clients."""
    from scanner.cli import main
    from scanner.findings import load_findings

    out = tmp_path_factory.mktemp("live-demo")
    mp = pytest.MonkeyPatch()
    mp.setenv("AHDS_AUDIT_CLIENT_SECRET", emulator.client_secret)
    try:
        emulator.faults.clear()
        config = emulator.write_config(out / "config.yaml", output_dir=out)
        assert main(["scan", "--config", str(config), "-o", str(out), "-q", "-f", "json"]) == 1
    finally:
        mp.undo()
    return load_findings(out / "findings.json")


@pytest.fixture
def hostile() -> ScanReport:
    """A tenant whose names, tags and messages are hostile strings."""
    return hostile_report()


def check_golden(name: str, text: str) -> None:
    """Compare ``text`` with ``golden/<name>``; ``AHDS_AUDIT_REGEN_GOLDEN=1`` rewrites the file instead."""
    path = GOLDEN / name
    if os.environ.get(REGEN_ENV) == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        return
    assert path.exists(), f"missing golden file {path}; run the tests once with {REGEN_ENV}=1 and review it"
    with path.open(encoding="utf-8", newline="") as fh:
        expected = fh.read()
    assert text == expected, f"{name} differs from its golden file; if intended, regenerate with {REGEN_ENV}=1"


def require(found: object, reason: str) -> None:
    """Skip (developer machine) or fail (CI) when an external checker is missing."""
    if found:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required in CI: .ci/run installs it)")
    pytest.skip(reason)


def sarif_multitool() -> Path | None:
    """Microsoft's ``Sarif.Multitool`` executable: env ``SARIF_MULTITOOL``, else ``.tools/node_modules``."""
    env = os.environ.get("SARIF_MULTITOOL")
    candidates = [Path(env)] if env else []
    candidates.append(ROOT / ".tools/node_modules/@microsoft/sarif-multitool-linux/Sarif.Multitool")
    for path in candidates:
        if path.is_file() and os.access(path, os.X_OK):
            return path
    return None


def sarif_schema_file() -> Path | None:
    """``sarif-2.1.0.json`` as shipped beside the multitool in its npm package."""
    tool = sarif_multitool()
    if tool is None:
        return None
    path = tool.parent / "sarif-2.1.0.json"
    return path if path.is_file() else None


def chromium() -> tuple[str, str] | None:
    """(browser, chromedriver) paths: env ``CHROME_BIN``/``CHROMEDRIVER`` or Debian's ``chromium``/``chromedriver``."""
    browser = os.environ.get("CHROME_BIN") or shutil.which("chromium") or shutil.which("chromium-browser")
    driver = os.environ.get("CHROMEDRIVER") or shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None
