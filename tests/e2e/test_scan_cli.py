"""End to end: ``main([...])`` in process against the emulator, real SDK clients, every stage real."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from scanner.cli import main
from scanner.schema import load_findings_schema

AREAS = ("CRED", "RBAC", "CMK", "NET", "TLS")
REPORT_FILES = ("findings.json", "findings.sarif", "report.html", "junit.xml", "summary.md")


def _scan(config: Path, out: Path, *extra: str) -> int:
    return main(["scan", "--config", str(config), "--output-dir", str(out), "-q", *extra])


@pytest.fixture(scope="module")
def demo_scan(emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One full scan of the demo tenant shared by the read-only assertions below."""
    tmp = tmp_path_factory.mktemp("demo-scan")
    mp = pytest.MonkeyPatch()
    mp.setenv("AHDS_AUDIT_CLIENT_SECRET", emulator.client_secret)
    emulator.faults.clear()
    emulator.clear_requests()
    try:
        config = emulator.write_config(tmp / "config.yaml", output_dir=tmp / "out")
        code = _scan(config, tmp / "out", "--save-snapshot", str(tmp / "snapshot.json"))
    finally:
        mp.undo()
    return {
        "code": code,
        "out": tmp / "out",
        "snapshot": tmp / "snapshot.json",
        "config": config,
        "requests": list(emulator.requests),
        "findings": json.loads((tmp / "out" / "findings.json").read_text(encoding="utf-8")),
    }


def test_demo_scan_fails_the_default_gate_and_writes_every_report(demo_scan: dict[str, Any]) -> None:
    assert demo_scan["code"] == 1
    for name in REPORT_FILES:
        assert (demo_scan["out"] / name).stat().st_size > 0, name


def test_findings_json_matches_the_shipped_schema(demo_scan: dict[str, Any]) -> None:
    jsonschema.validate(demo_scan["findings"], load_findings_schema())


def test_demo_tenant_has_a_fail_and_a_pass_in_every_area(demo_scan: dict[str, Any]) -> None:
    seen: dict[str, set[str]] = {area: set() for area in AREAS}
    for result in demo_scan["findings"]["results"]:
        area = result["rule_id"].split("-")[1]
        if area in seen:
            seen[area].add(result["status"])
    for area, statuses in seen.items():
        assert {"fail", "pass"} <= statuses, f"{area}: {statuses}"


def test_scan_is_complete_and_covers_both_subscriptions(demo_scan: dict[str, Any]) -> None:
    coverage = demo_scan["findings"]["scan"]["coverage"]
    assert coverage["complete"] is True
    assert coverage["subscriptions_total"] == 2 == coverage["subscriptions_complete"]
    assert demo_scan["findings"]["scan"]["errors"] == []


def test_scanner_issues_only_reads(demo_scan: dict[str, Any]) -> None:
    allowed_posts = ("/oauth2/v2.0/token", "/v1.0/directoryObjects/getByIds")
    assert demo_scan["requests"], "the emulator saw no request"
    for req in demo_scan["requests"]:
        if req.method == "POST":
            assert req.path.endswith(allowed_posts), req.path
        else:
            assert req.method == "GET", (req.method, req.path)


def test_no_secret_or_token_in_any_output(demo_scan: dict[str, Any], emulator: Any) -> None:
    texts = [(demo_scan["out"] / name).read_text(encoding="utf-8") for name in REPORT_FILES]
    texts.append(demo_scan["snapshot"].read_text(encoding="utf-8"))
    texts.append(demo_scan["config"].read_text(encoding="utf-8"))
    secrets = [emulator.client_secret, *emulator.tokens_issued]
    assert emulator.tokens_issued, "no token was issued: the scan did not authenticate"
    for text in texts:
        for secret in secrets:
            assert secret not in text


def test_offline_reevaluation_reproduces_the_live_findings(demo_scan: dict[str, Any], tmp_path: Path) -> None:
    code = main(["scan", "--snapshot", str(demo_scan["snapshot"]), "-o", str(tmp_path), "-q", "-f", "json"])
    assert code == 1
    again = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    key = lambda r: (r["fingerprint"], r["status"], r["severity"], r["message"])
    assert sorted(map(key, again["results"])) == sorted(map(key, demo_scan["findings"]["results"]))


def test_fail_on_none_passes_a_complete_scan(emulator_config: Path, tmp_path: Path) -> None:
    assert _scan(emulator_config, tmp_path / "out", "--fail-on", "none", "-f", "json") == 0


def test_unreadable_subscription_makes_the_scan_incomplete(
    emulator: Any, emulator_config: Path, tmp_path: Path
) -> None:
    sub = emulator.tenant.subscriptions[0].subscription_id
    emulator.faults.forbid_subscription(sub)
    try:
        code = _scan(emulator_config, tmp_path / "a", "--fail-on", "none", "-f", "json,md")
        allowed = _scan(
            emulator_config, tmp_path / "b", "--fail-on", "none", "--allow-incomplete", "-f", "json"
        )
    finally:
        emulator.faults.clear()
    assert code == 3
    assert allowed == 0
    doc = json.loads((tmp_path / "a" / "findings.json").read_text(encoding="utf-8"))
    assert doc["scan"]["coverage"]["complete"] is False
    scopes = {e["scope"].lower() for e in doc["scan"]["errors"]}
    assert any(sub.lower() in s for s in scopes)
    assert all(e["status"] == 403 for e in doc["scan"]["errors"] if sub.lower() in e["scope"].lower())
    # the report still says so, and the other subscription was read completely
    cov = {s["subscription_id"].lower(): s["complete"] for s in doc["scan"]["coverage"]["subscriptions"]}
    assert cov[sub.lower()] is False
    assert [ok for sid, ok in cov.items() if sid != sub.lower()] == [True]
    assert "could not be read" in (tmp_path / "a" / "summary.md").read_text(encoding="utf-8").lower()


def test_wrong_client_secret_exits_2_with_one_clear_line(
    emulator_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AHDS_AUDIT_CLIENT_SECRET", "not-the-secret")
    code = _scan(emulator_config, tmp_path / "out")
    err = capsys.readouterr().err
    assert code == 2
    assert "AADSTS7000215" in err
    assert "Traceback" not in err
    assert "not-the-secret" not in err
    assert not (tmp_path / "out" / "findings.json").exists()


def test_config_error_exits_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text("auth:\n  method: client-secret\n  client_secret: abc8Q~notreal\n", encoding="utf-8")
    assert main(["scan", "--config", str(cfg)]) == 2
    err = capsys.readouterr().err
    assert "client_secret_env" in err and "Traceback" not in err
    assert "abc8Q~notreal" not in err


def test_logs_never_carry_the_secret_or_a_token(
    emulator: Any,
    emulator_config: Path,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    main(["scan", "--config", str(emulator_config), "-o", str(tmp_path), "-vv", "-f", "json"])
    captured = capsys.readouterr()
    logged = caplog.text + captured.err + captured.out
    assert logged
    for secret in (emulator.client_secret, *emulator.tokens_issued):
        assert secret not in logged


def test_collect_then_scan_snapshot(emulator_config: Path, tmp_path: Path) -> None:
    snap = tmp_path / "snap.json"
    assert main(["collect", "--config", str(emulator_config), "--output", str(snap), "-q"]) == 0
    data = json.loads(snap.read_text(encoding="utf-8"))
    assert data["schema_version"].startswith("1.")
    assert data["fhir_services"] and data["role_assignments"] and data["applications"]
    assert main(["scan", "--snapshot", str(snap), "-o", str(tmp_path / "out"), "-q", "-f", "json"]) == 1


def test_collect_to_stdout_is_the_same_document_as_to_a_file(
    emulator_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    snap = tmp_path / "snap.json"
    assert main(["collect", "--config", str(emulator_config), "--output", str(snap), "-q"]) == 0
    capsys.readouterr()
    assert main(["collect", "--config", str(emulator_config), "--output", "-", "-q"]) == 0
    streamed = json.loads(capsys.readouterr().out)
    written = json.loads(snap.read_text(encoding="utf-8"))
    for volatile in ("started_at", "finished_at"):
        streamed.pop(volatile), written.pop(volatile)
    assert streamed == written
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_a_snapshot_path_that_cannot_be_written_exits_2(
    emulator_config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    assert main(["collect", "--config", str(emulator_config), "--output", str(blocker / "snap.json"), "-q"]) == 2
    assert "cannot write the snapshot" in capsys.readouterr().err


def test_unknown_snapshot_major_version_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    snap = tmp_path / "future.json"
    snap.write_text(json.dumps({"schema_version": "9.0"}), encoding="utf-8")
    assert main(["scan", "--snapshot", str(snap), "-o", str(tmp_path)]) == 2
    assert "schema_version" in capsys.readouterr().err


def test_graph_disabled_is_a_stated_coverage_gap(
    emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AHDS_AUDIT_CLIENT_SECRET", emulator.client_secret)
    emulator.faults.clear()
    config = emulator.write_config(tmp_path / "config.yaml", output_dir=tmp_path / "out")
    with config.open("a", encoding="utf-8") as fh:
        fh.write("collection:\n  graph: false\n")
    emulator.clear_requests()
    code = main(
        ["scan", "--config", str(config), "-o", str(tmp_path / "out"), "--fail-on", "none", "-f", "json,md"]
    )
    assert not [r for r in emulator.requests if r.path.startswith("/v1.0/")], "Graph was read anyway"
    assert code == 3
    doc = json.loads((tmp_path / "out" / "findings.json").read_text(encoding="utf-8"))
    cov = doc["scan"]["coverage"]
    assert cov["graph_collected"] is False and cov["complete"] is False
    assert "not read (collection.graph: false)" in (tmp_path / "out" / "summary.md").read_text(
        encoding="utf-8"
    )
    assert "Microsoft Graph was not read" in capsys.readouterr().out
