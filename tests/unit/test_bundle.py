"""Evidence bundle: round trip (directory, zip), tamper and traversal detection, redaction, reproduction."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scanner.bundle import (
    MANIFEST,
    BundleContents,
    verify_bundle,
    write_bundle,
)
from scanner.config import REDACTED
from scanner.errors import OutputError, SnapshotError
from tests.factories import snapshot
from tests.unit._reports import finding, report, rid, rule_doc

ENTRA_SECRET = "abc8Q~" + "x" * 34
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl"


def findings_json(message: str = "public network access is Enabled", version: str = "1") -> str:
    rep = report(
        [
            finding("AHDS-NET-001", rid("kv1"), message=message, rule_version=version),
            finding("AHDS-NET-001", rid("kv2"), status="pass"),
        ]
    )
    return rep.model_copy(update={"rules": [rule_doc("AHDS-NET-001", version=version)]}).to_json()


def make(dest: Path, tmp_path: Path, *, config: dict[str, Any] | None = None) -> Path:
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    (out / "report.html").write_text("<html>report</html>\n", encoding="utf-8")
    (out / "results.sarif").write_text('{"version": "2.1.0"}\n', encoding="utf-8")
    return write_bundle(
        dest,
        snapshot_json=snapshot().to_json(),
        findings_json=findings_json(),
        reports={"html": out / "report.html", "sarif": out / "results.sarif"},
        effective_config=config or {"auth": {"method": "client-secret", "client_secret_env": "AHDS_SECRET"}},
        tool_version="0.1.0",
        rule_catalogue=[rule_doc("AHDS-NET-001").model_dump(mode="json")],
    )


EXPECTED = [
    "config.redacted.json",
    "findings.json",
    "reports/report.html",
    "reports/results.sarif",
    "rules.json",
    "snapshot.json",
    "tool.json",
]


def zip_members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(path: Path, members: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)


@pytest.mark.parametrize("name", ["bundle", "bundle.zip"])
def test_round_trip_verifies(tmp_path: Path, name: str) -> None:
    path = make(tmp_path / name, tmp_path)
    verdict = verify_bundle(path)
    assert verdict.ok and verdict.problems == () and verdict.reproduced is None
    assert verdict.files_checked == len(EXPECTED)
    assert verdict.lines()[-1].startswith("bundle verified: 7 files, intact")


def test_manifest_is_sha256sum_format_over_every_other_file(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    lines = (path / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert [ln.split("  ", 1)[1] for ln in lines] == EXPECTED
    for ln in lines:
        digest, rel = ln.split("  ", 1)
        assert hashlib.sha256((path / rel).read_bytes()).hexdigest() == digest
    on_disk = sorted(p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file())
    assert on_disk == sorted([*EXPECTED, MANIFEST])


def test_tool_json_records_versions(tmp_path: Path) -> None:
    tool = json.loads((make(tmp_path / "b", tmp_path) / "tool.json").read_text(encoding="utf-8"))
    assert tool["version"] == "0.1.0" and tool["python"] and tool["rule_catalogue_version"]


def test_zip_is_deterministic(tmp_path: Path) -> None:
    a = make(tmp_path / "a.zip", tmp_path)
    b = make(tmp_path / "b.zip", tmp_path)
    assert a.read_bytes() == b.read_bytes()
    with zipfile.ZipFile(a) as zf:
        names = [i.filename for i in zf.infolist()]
        assert names == sorted(names)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_tampered_file_is_detected_in_directory(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    f = path / "findings.json"
    f.write_text(f.read_text(encoding="utf-8").replace('"fail"', '"pass"'), encoding="utf-8")
    verdict = verify_bundle(path)
    assert not verdict.ok
    assert verdict.problems == ("findings.json: content differs from the manifest (altered)",)


def test_tampered_file_is_detected_in_zip(tmp_path: Path) -> None:
    path = make(tmp_path / "b.zip", tmp_path)
    members = zip_members(path)
    members["reports/report.html"] = b"<html>nothing to see</html>\n"
    rezip(path, members)
    verdict = verify_bundle(path)
    assert verdict.problems == ("reports/report.html: content differs from the manifest (altered)",)


def test_extra_and_missing_files_are_detected(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    (path / "reports" / "extra.md").write_text("slipped in\n", encoding="utf-8")
    (path / "rules.json").unlink()
    problems = verify_bundle(path).problems
    assert "reports/extra.md: not listed in the manifest (added)" in problems
    assert "rules.json: listed in the manifest but missing" in problems


def test_missing_manifest_fails(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    (path / MANIFEST).unlink()
    verdict = verify_bundle(path)
    assert not verdict.ok and verdict.manifest_sha256 is None
    assert any("MANIFEST.sha256 is missing" in p for p in verdict.problems)


def test_manifest_cannot_drop_a_required_file(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    manifest = path / MANIFEST
    kept = [ln for ln in manifest.read_text(encoding="utf-8").splitlines() if not ln.endswith("  tool.json")]
    manifest.write_text("\n".join(kept) + "\n", encoding="utf-8")
    (path / "tool.json").unlink()
    assert "tool.json: required file not listed in the manifest" in verify_bundle(path).problems


def test_path_traversal_in_zip_is_rejected_and_nothing_is_extracted(tmp_path: Path) -> None:
    path = make(tmp_path / "sub" / "b.zip", tmp_path)
    members = zip_members(path)
    members["../evil.txt"] = b"owned"
    members["/etc/evil.txt"] = b"owned"
    members["reports/..\\evil.txt"] = b"owned"
    rezip(path, members)
    verdict = verify_bundle(path)
    assert not verdict.ok
    unsafe = [p for p in verdict.problems if "unsafe member" in p]
    assert len(unsafe) == 3
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path / "sub" / "evil.txt").exists()


def test_link_member_in_zip_is_rejected(tmp_path: Path) -> None:
    path = make(tmp_path / "b.zip", tmp_path)
    members = zip_members(path)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        info = zipfile.ZipInfo("reports/link")
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, "/etc/passwd")
    assert any("'reports/link': unsafe member (a link)" in p for p in verify_bundle(path).problems)


def test_manifest_line_with_traversal_is_a_problem(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    with (path / MANIFEST).open("a", encoding="utf-8") as fh:
        fh.write(f"{'0' * 64}  ../../etc/passwd\n")
    assert any("unsafe path '../../etc/passwd'" in p for p in verify_bundle(path).problems)


@pytest.mark.skipif(os.name == "nt", reason="symlinks need privileges on Windows")
def test_symlink_in_directory_is_not_followed(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    (tmp_path / "outside.txt").write_text("outside\n", encoding="utf-8")
    (path / "reports" / "link.txt").symlink_to(tmp_path / "outside.txt")
    problems = verify_bundle(path).problems
    assert any(p.startswith("reports/link.txt: not a regular file") for p in problems)


def test_no_secret_value_anywhere_in_the_bundle(tmp_path: Path) -> None:
    config = {
        "auth": {
            "method": "client-secret",
            "client_secret": ENTRA_SECRET,
            "client_secret_env": "AHDS_SECRET",
            "certificate_password": "hunter2-hunter2",
        },
        "cloud": {"name": "custom", "ca_bundle": "./ca.pem"},
        "notes": [f"Bearer {JWT}", "AccountKey=" + "A" * 40],
    }
    for dest in (tmp_path / "b", tmp_path / "b.zip"):
        path = make(dest, tmp_path, config=config)
        blobs = (
            zip_members(path).values()
            if path.suffix == ".zip"
            else [p.read_bytes() for p in path.rglob("*") if p.is_file()]
        )
        blob = b"\n".join(blobs)
        for secret in (ENTRA_SECRET, JWT, "hunter2-hunter2", "A" * 40):
            assert secret.encode() not in blob
    redacted = json.loads((tmp_path / "b" / "config.redacted.json").read_text(encoding="utf-8"))
    assert redacted["auth"]["client_secret"] == REDACTED
    assert redacted["auth"]["client_secret_env"] == "AHDS_SECRET"  # a reference, not a secret
    assert redacted["cloud"]["ca_bundle"] == "./ca.pem"


def test_non_empty_directory_is_refused(tmp_path: Path) -> None:
    dest = tmp_path / "b"
    dest.mkdir()
    (dest / "keep.txt").write_text("mine\n", encoding="utf-8")
    with pytest.raises(OutputError, match="not empty"):
        make(dest, tmp_path)
    assert sorted(p.name for p in dest.iterdir()) == ["keep.txt"]


def test_empty_existing_directory_is_used(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    assert verify_bundle(make(tmp_path / "b", tmp_path)).ok


def test_missing_report_file_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="cannot read the md report"):
        write_bundle(
            tmp_path / "b",
            snapshot_json="{}",
            findings_json="{}",
            reports={"md": tmp_path / "no.md"},
            effective_config={},
            tool_version="0",
            rule_catalogue=[],
        )
    assert not (tmp_path / "b").exists()


def test_not_a_bundle_is_a_snapshot_error(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    with pytest.raises(SnapshotError):
        verify_bundle(tmp_path / "x.zip")
    with pytest.raises(SnapshotError):
        verify_bundle(tmp_path / "absent")


# --------------------------------------------------------------------------- re-evaluation


def test_reevaluation_reproducing_findings_passes(tmp_path: Path) -> None:
    path = make(tmp_path / "b.zip", tmp_path)
    seen: list[BundleContents] = []

    def reevaluate(c: BundleContents) -> str:
        seen.append(c)
        return findings_json()

    verdict = verify_bundle(path, reevaluate=reevaluate)
    assert verdict.ok and verdict.reproduced is True and verdict.differences == ()
    (c,) = seen
    assert json.loads(c.snapshot_json)["tenant_id"] == snapshot().tenant_id
    assert c.rules[0]["id"] == "AHDS-NET-001" and c.config["auth"]["method"] == "client-secret"
    assert verdict.lines()[-1].endswith("findings reproduced exactly")


def test_reevaluation_with_other_message_or_rule_version_fails(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    verdict = verify_bundle(
        path, reevaluate=lambda c: findings_json(message="public network access is Disabled")
    )
    assert not verdict.ok and verdict.reproduced is False
    (d,) = verdict.differences
    assert "AHDS-NET-001" in d and "message differs" in d and "Disabled" in d
    newer = verify_bundle(path, reevaluate=lambda c: findings_json(version="2"))
    assert any("rule_version differs" in d for d in newer.differences)
    assert any(d == "rule AHDS-NET-001: version 1 in the bundle, 2 now" for d in newer.differences)


def test_reevaluation_detects_missing_and_extra_results(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    fewer = report(
        [
            finding("AHDS-NET-001", rid("kv1"), message="public network access is Enabled"),
            finding("AHDS-NET-001", rid("kv3"), status="pass"),
        ]
    )
    diffs = verify_bundle(path, reevaluate=lambda c: fewer.to_json()).differences
    assert any("kv2" in d and "not produced by re-evaluation" in d for d in diffs)
    assert any("kv3" in d and "not in the bundle" in d for d in diffs)


def test_reevaluation_is_skipped_when_snapshot_was_altered(tmp_path: Path) -> None:
    path = make(tmp_path / "b", tmp_path)
    (path / "snapshot.json").write_text("{}", encoding="utf-8")
    calls: list[int] = []
    verdict = verify_bundle(path, reevaluate=lambda c: calls.append(1) or findings_json())
    assert calls == [] and verdict.reproduced is False and not verdict.ok


def test_contents_accessors_report_missing_files() -> None:
    with pytest.raises(SnapshotError, match="no findings.json"):
        _ = BundleContents({}).findings_json
    with pytest.raises(SnapshotError, match="not valid JSON"):
        BundleContents({"rules.json": b"{"}).json("rules.json")


def test_zip_read_never_writes(tmp_path: Path) -> None:
    path = make(tmp_path / "b.zip", tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    verify_bundle(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    assert zipfile.is_zipfile(io.BytesIO(path.read_bytes()))
