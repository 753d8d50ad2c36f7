"""The weekly compliance run end to end: baseline, diff, accepted risks and the evidence bundle.

Week 1 scans the demo tenant; week 2 scans it seven days later with one issue
fixed (a workspace's public access turned off) and one introduced (a storage
account's minimum TLS lowered). Everything else, relative credential dates
included, is the same tenant a week on.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.cli import main
from scanner.emulator import Emulator, Tenant, bundled_tenant_path

FIXED_WORKSPACE = "ahdsprodws"
WEAKENED_STORAGE_TLS = "TLS1_0"


def _week_two_tenant() -> Tenant:
    data = yaml.safe_load(bundled_tenant_path().read_text(encoding="utf-8"))
    fixed = weakened = 0
    for sub in data["subscriptions"]:
        for res in sub["resources"]:
            rtype = res.get("type", "").lower()
            props = res.setdefault("properties", {})
            if rtype == "microsoft.healthcareapis/workspaces" and res["id"].lower().endswith(
                "/" + FIXED_WORKSPACE
            ):
                assert props["publicNetworkAccess"] == "Enabled"
                props["publicNetworkAccess"] = "Disabled"
                fixed += 1
            elif (
                rtype == "microsoft.storage/storageaccounts"
                and props.get("minimumTlsVersion") == "TLS1_2"
                and not weakened
            ):
                props["minimumTlsVersion"] = WEAKENED_STORAGE_TLS
                weakened += 1
    assert fixed == 1 and weakened == 1
    return Tenant.from_data(data, now=datetime.now(UTC) + timedelta(days=7))


def _scan(emu: Any, tmp: Path, name: str, monkeypatch: pytest.MonkeyPatch, *extra: str) -> tuple[int, Path]:
    monkeypatch.setenv("AHDS_AUDIT_CLIENT_SECRET", emu.client_secret)
    out = tmp / name
    config = emu.write_config(tmp / f"{name}.yaml", output_dir=out)
    code = main(["scan", "--config", str(config), "-o", str(out), "-q", *extra])
    return code, out


@pytest.fixture(scope="module")
def week_one(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    mp = pytest.MonkeyPatch()
    try:
        emulator.faults.clear()
        _, out = _scan(emulator, tmp_path_factory.mktemp("week1"), "out", mp)
    finally:
        mp.undo()
    return out / "findings.json"


@pytest.fixture(scope="module")
def week_two_emulator(tmp_path_factory: pytest.TempPathFactory) -> Any:
    with Emulator(_week_two_tenant(), workdir=tmp_path_factory.mktemp("emu2")) as emu:
        yield emu


def _patch_release(findings: Path, dest: Path) -> Path:
    """The baseline as a later patch release of the tool would have written it."""
    doc = json.loads(findings.read_text(encoding="utf-8"))
    major, minor, patch = (doc["tool"]["version"].split(".") + ["0", "0"])[:3]
    doc["tool"]["version"] = f"{major}.{minor}.{int(patch.split('+')[0] or 0) + 1}"
    dest.write_text(json.dumps(doc), encoding="utf-8")
    return dest


def test_a_week_apart_one_fixed_and_one_new(
    week_one: Path, week_two_emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    baseline = _patch_release(week_one, tmp_path / "baseline.json")
    code, out = _scan(
        week_two_emulator, tmp_path, "week2", monkeypatch, "--baseline", str(baseline), "-f", "json,sarif,md"
    )
    assert code == 1
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    new = [r for r in doc["results"] if r["status"] == "fail" and r["baseline_state"] == "new"]
    assert [(r["rule_id"], r["resource_type"]) for r in new] == [
        ("AHDS-TLS-003", "Microsoft.Storage/storageAccounts")
    ]
    fixed = doc["baseline"]["fixed"]
    assert len(fixed) == 1 and fixed[0]["rule_id"] == "AHDS-NET-001"
    assert fixed[0]["resource_id"].lower().endswith("/workspaces/" + FIXED_WORKSPACE)
    assert doc["summary"]["new_failures"] == 1 and doc["summary"]["fixed"] == 1
    # every result carries a baseline state, so SARIF's baselineState is all-or-none
    assert all(r["baseline_state"] in ("new", "unchanged") for r in doc["results"])
    sarif = json.loads((out / "findings.sarif").read_text(encoding="utf-8"))
    states = {r.get("baselineState") for r in sarif["runs"][0]["results"]}
    assert None not in states and "new" in states

    # --fail-on-new gates only on the one new failure (medium): passes at high, fails at medium
    code_high, _ = _scan(
        week_two_emulator,
        tmp_path,
        "gate-high",
        monkeypatch,
        "--baseline",
        str(baseline),
        "--fail-on-new",
        "-f",
        "json",
    )
    code_medium, _ = _scan(
        week_two_emulator,
        tmp_path,
        "gate-medium",
        monkeypatch,
        "--baseline",
        str(baseline),
        "--fail-on-new",
        "--fail-on",
        "medium",
        "-f",
        "json",
    )
    assert (code_high, code_medium) == (0, 1)


def test_diff_command_reports_new_fixed_and_still_open(
    week_one: Path,
    week_two_emulator: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, out = _scan(week_two_emulator, tmp_path, "week2", monkeypatch, "-f", "json")
    capsys.readouterr()
    assert main(["diff", str(week_one), str(out / "findings.json"), "-o", str(tmp_path / "diff")]) == 0
    printed = capsys.readouterr().out
    assert "AHDS-TLS-003" in printed and "AHDS-NET-001" in printed
    diff = json.loads((tmp_path / "diff" / "diff.json").read_text(encoding="utf-8"))
    assert len(diff["new_failures"]) == 1 and len(diff["fixed"]) == 1
    assert len(diff["still_open"]) > 10
    html = (tmp_path / "diff" / "diff.html").read_text(encoding="utf-8")
    assert "AHDS-TLS-003" in html


def test_evidence_bundle_verifies_and_detects_tampering(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.faults.clear()
    bundle = tmp_path / "evidence.zip"
    code, _ = _scan(emulator, tmp_path, "out", monkeypatch, "--bundle", str(bundle))
    assert code == 1 and bundle.is_file()
    capsys.readouterr()
    assert main(["verify-bundle", str(bundle)]) == 0
    assert "reproduced" in capsys.readouterr().out.lower()

    as_dir = tmp_path / "bundle-dir"
    code, _ = _scan(emulator, tmp_path, "out2", monkeypatch, "--bundle", str(as_dir), "-f", "json")
    manifest = (as_dir / "MANIFEST.sha256").read_text(encoding="utf-8")
    assert "snapshot.json" in manifest and "findings.json" in manifest
    secret_free = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in as_dir.rglob("*") if p.is_file()
    )
    assert emulator.client_secret not in secret_free
    tampered = tmp_path / "tampered"
    shutil.copytree(as_dir, tampered)
    findings = tampered / "findings.json"
    findings.write_text(findings.read_text(encoding="utf-8").replace('"fail"', '"pass"', 1), encoding="utf-8")
    assert main(["verify-bundle", str(tampered)]) == 1


def test_accepted_risks_suppress_and_expired_entries_do_not(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.faults.clear()
    today = date.today()
    supp = tmp_path / "accepted.yaml"
    supp.write_text(
        yaml.safe_dump(
            {
                "version": 1,
                "suppressions": [
                    {
                        "rule": "AHDS-TLS-*",
                        "resource": "*",
                        "justification": "legacy gateways retire in Q1",
                        "owner": "platform-team",
                        "expires": (today + timedelta(days=30)).isoformat(),
                    },
                    {
                        "rule": "AHDS-NET-*",
                        "resource": "*",
                        "justification": "expired exception",
                        "owner": "platform-team",
                        "expires": (today - timedelta(days=1)).isoformat(),
                    },
                    {
                        "rule": "AHDS-CMK-*",
                        "resource": "*",
                        "justification": "no owner given",
                        "expires": (today + timedelta(days=30)).isoformat(),
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    code, out = _scan(
        emulator, tmp_path, "out", monkeypatch, "--suppressions", str(supp), "-f", "json,html,md"
    )
    err = capsys.readouterr().err
    assert code == 1
    doc = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    fails = [r for r in doc["results"] if r["status"] == "fail"]
    assert all(r["suppression"] is not None for r in fails if r["rule_id"].startswith("AHDS-TLS-"))
    assert all(r["suppression"] is None for r in fails if r["rule_id"].startswith(("AHDS-NET-", "AHDS-CMK-")))
    assert doc["summary"]["suppressed"] == sum(1 for r in fails if r["rule_id"].startswith("AHDS-TLS-"))
    assert "expired" in err and "owner" in err
    assert len(doc["accepted_risk_warnings"]) == 2
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "legacy gateways retire in Q1" in html and "suppress nothing" in html
