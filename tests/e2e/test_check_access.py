"""``check-access`` through the emulator: every read kind tried; a refused subscription named with its permission."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.cli import main


def test_all_reads_succeed_on_the_demo_tenant(
    emulator_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check-access", "--config", str(emulator_config)]) == 0
    out = capsys.readouterr().out
    for check in ("subscriptions", "role assignments", "key vaults", "applications", "getByIds"):
        assert check in out
    assert "NO " not in out


def test_forbidden_subscription_names_the_missing_permission(
    emulator: Any, emulator_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sub = emulator.tenant.subscriptions[1].subscription_id
    emulator.faults.forbid_subscription(sub)
    try:
        code = main(["check-access", "--config", str(emulator_config)])
    finally:
        emulator.faults.clear()
    out = capsys.readouterr().out
    assert code == 3
    refused = [line for line in out.splitlines() if line.startswith("NO ")]
    assert refused and all(sub in line and "Reader" in line for line in refused)


def test_graph_permission_missing_is_named(
    emulator: Any, emulator_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.emulator import FaultRule

    emulator.faults.add(
        FaultRule(path_pattern=r"^/v1\.0/applications", status=403, retry_after_s=None, times=None)
    )
    try:
        code = main(["check-access", "--config", str(emulator_config)])
    finally:
        emulator.faults.clear()
    out = capsys.readouterr().out
    assert code == 3
    assert any("applications" in line and "Application.Read.All" in line for line in out.splitlines())


def test_forbidden_vault_secret_list_is_named_while_vaults_are_readable(
    emulator: Any, emulator_config: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scanner.emulator import FaultRule

    emulator.faults.add(
        FaultRule(path_pattern=r"/vaults/[^/]+/secrets$", status=403, retry_after_s=None, times=None)
    )
    try:
        code = main(["check-access", "--config", str(emulator_config)])
    finally:
        emulator.faults.clear()
    lines = capsys.readouterr().out.splitlines()
    assert code == 3
    refused = [line for line in lines if line.startswith("NO ")]
    assert refused and all("key vault secrets" in line and "secrets/read" in line for line in refused)
    assert any(line.startswith("ok ") and "key vault keys" in line for line in lines)
    assert any(line.startswith("ok ") and "key vaults " in line for line in lines)
