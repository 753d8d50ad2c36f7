"""Tokens that expire or stop coming mid-scan, and lists of unusual size, through the CLI and the emulator."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stderr
from pathlib import Path
from typing import Any

import pytest
import yaml

from scanner.cli import main
from scanner.emulator import SECRET_ENV, Emulator, FaultRule, Tenant
from tests.collect._tenant import SUB_A, SUB_B, small_tenant
from tests.faults._checks import assert_clean, assert_complete
from tests.faults.conftest import hang_guard, scan, write_config

LARGE_PAGE = 10_000
LONG_RUN = 300
_EXPIRED_SECRET = json.dumps(
    {
        "error": "invalid_client",
        "error_description": "AADSTS7000222: The provided client secret keys for app are expired.",
        "error_codes": [7000222],
    }
)


def _emulator(tmp_path_factory: pytest.TempPathFactory, data: dict[str, Any], **options: Any) -> Emulator:
    return Emulator(Tenant.from_data(data), workdir=tmp_path_factory.mktemp("emu"), **options)


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SECRET_ENV, small_tenant()["clients"][0]["client_secret"])


def test_tokens_expiring_mid_scan_are_refreshed(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, secret: None
) -> None:
    # One-second tokens and 100 ms per request: the scan outlives many tokens.
    with _emulator(tmp_path_factory, small_tenant(), token_lifetime_s=1, latency_ms=100, page_size=1) as emu:
        outcome = scan(emu, tmp_path)
        issued = len(emu.tokens_issued)
        requests = list(emu.requests)
    assert_complete(outcome)
    assert issued > 2, "the credential asked for fresh tokens as the old ones expired"
    # A token may still expire in flight (it is judged on arrival, to the millisecond): such a request
    # is refused once, then resent with a fresh token and answered.
    for i, req in enumerate(requests):
        if req.status == 401:
            later = [
                r.status
                for r in requests[i + 1 :]
                if (r.method, r.path, r.query) == (req.method, req.path, req.query)
            ]
            assert 200 in later, f"{req.method} {req.path} was refused with an expired token and never resent"


_INVALID_TOKEN = {
    "WWW-Authenticate": 'Bearer authorization_uri="https://login.example/x", error="invalid_token", '
    'error_description="The access token expiry UTC time is earlier than current UTC time."'
}


def test_an_arm_token_refused_in_flight_is_renewed_and_the_request_resent(
    emu: Emulator, tmp_path: Path
) -> None:
    # ARM answers 401 invalid_token once (the token expired between the credential and ARM).
    rule = emu.faults.add(
        FaultRule(
            r"/providers/Microsoft\.KeyVault/vaults$", status=401, retry_after_s=None, headers=_INVALID_TOKEN
        )
    )
    outcome = scan(emu, tmp_path)
    assert rule.fired == 1
    assert_complete(outcome)


def test_a_graph_token_refused_in_flight_is_renewed_and_the_request_resent(
    emu: Emulator, tmp_path: Path
) -> None:
    rule = emu.faults.add(FaultRule(r"^/v1\.0/directoryObjects/getByIds", status=401, retry_after_s=None))
    outcome = scan(emu, tmp_path)
    assert rule.fired == 1
    assert_complete(outcome)


def test_a_token_refused_twice_is_recorded_not_retried_forever(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(
        FaultRule(
            r"/providers/Microsoft\.KeyVault/vaults$",
            status=401,
            retry_after_s=None,
            headers=_INVALID_TOKEN,
            times=None,
        )
    )
    outcome = scan(emu, tmp_path)
    assert_clean(outcome)
    assert outcome.code == 3
    assert [e["status"] for e in outcome.errors if "vaults" in e["operation"]] == [401] * len(
        [e for e in outcome.errors if "vaults" in e["operation"]]
    )
    assert any("vaults" in e["operation"] for e in outcome.errors)


def test_a_credential_failing_before_the_first_read_is_an_auth_error(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, secret: None
) -> None:
    # Tokens expire at once, and the secret is revoked right after the sign-in check: nothing can be read.
    with _emulator(tmp_path_factory, small_tenant(), token_lifetime_s=0) as emu:
        emu.faults.add(
            FaultRule(
                r"/oauth2/v2\.0/token$",
                status=401,
                retry_after_s=None,
                body=_EXPIRED_SECRET,
                skip=1,
                times=None,
            )
        )
        config = write_config(emu, tmp_path / "config.yaml", timeout_s=2, max_retries=1)
        stderr = io.StringIO()
        with hang_guard(60), redirect_stderr(stderr):
            code = main(["scan", "--config", str(config), "-o", str(tmp_path / "out"), "-q"])
    err = stderr.getvalue()
    assert code == 2
    assert "AADSTS7000222" in err and "Traceback" not in err and "internal error" not in err
    assert len(err.strip().splitlines()) <= 2, err  # the error line and at most its hint
    assert not (tmp_path / "out" / "findings.json").exists()


def test_a_credential_failing_mid_scan_is_recorded_per_scope(emu: Emulator, tmp_path: Path) -> None:
    # ARM reuses the sign-in token; Graph asks for its own (CAE) token, which the revoked secret refuses.
    emu.faults.add(
        FaultRule(
            r"/oauth2/v2\.0/token$", status=401, retry_after_s=None, body=_EXPIRED_SECRET, skip=1, times=None
        )
    )
    outcome = scan(emu, tmp_path)
    assert_clean(outcome)
    assert outcome.code == 3
    errors = outcome.errors
    assert errors and all(e["scope"].startswith("graph:") for e in errors)
    assert all("authentication failed" in e["message"] and "AADSTS7000222" in e["message"] for e in errors)
    assert outcome.findings["scan"]["coverage"]["graph_complete"] is False


# --------------------------------------------------------------------------- scale


def _big_tenant() -> dict[str, Any]:
    """The small tenant plus LARGE_PAGE role assignments in subscription A and LONG_RUN in B."""
    data = small_tenant()
    principal = data["graph"]["servicePrincipals"][0]["id"]
    for sid, count in ((SUB_A, LARGE_PAGE), (SUB_B, LONG_RUN)):
        for i in range(count):
            data["role_assignments"].append(
                {
                    "name": f"{sid[:8]}-0000-4000-8000-{i:012d}",
                    "role": "Reader",
                    "properties": {
                        "scope": f"/subscriptions/{sid}/resourceGroups/rg-bulk-{i}",
                        "principalId": principal,
                        "principalType": "ServicePrincipal",
                    },
                }
            )
    return data


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    with _emulator(tmp_path_factory, _big_tenant()) as emu:
        yield emu


def _collect(emu: Emulator, tmp_path: Path, **config: Any) -> tuple[int, dict[str, Any], str]:
    path = write_config(emu, tmp_path / "config.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data.update(config)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    snapshot = tmp_path / "snapshot.json"
    stderr = io.StringIO()
    with hang_guard(120), redirect_stderr(stderr):
        code = main(["collect", "--config", str(path), "--output", str(snapshot), "-q"])
    return code, json.loads(snapshot.read_text(encoding="utf-8")), stderr.getvalue()


def _assignments(snapshot: dict[str, Any], sid: str) -> set[str]:
    prefix = f"/subscriptions/{sid}/resourcegroups/rg-bulk-"
    return {a["id"].lower() for a in snapshot["role_assignments"] if a["id"].lower().startswith(prefix)}


def test_a_page_of_ten_thousand_items_arrives_whole(
    big: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, big.client_secret)
    big.page_size = LARGE_PAGE + 100  # every assignment of the subscription on one page
    big.clear_requests()
    code, snapshot, err = _collect(big, tmp_path, scope={"subscriptions": [SUB_A]})
    assert (code, err) == (0, "")
    assert len(_assignments(snapshot, SUB_A)) == LARGE_PAGE
    pages = [
        r
        for r in big.requests
        if r.path == f"/subscriptions/{SUB_A}/providers/Microsoft.Authorization/roleAssignments"
    ]
    assert len(pages) == 1, "one page"


def test_a_long_run_of_pages_arrives_whole(
    big: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SECRET_ENV, big.client_secret)
    big.page_size = 1
    big.clear_requests()
    try:
        code, snapshot, err = _collect(big, tmp_path, scope={"subscriptions": [SUB_B]})
    finally:
        big.page_size = 100
    assert (code, err) == (0, "")
    assert len(_assignments(snapshot, SUB_B)) == LONG_RUN
    pages = [
        r
        for r in big.requests
        if r.path == f"/subscriptions/{SUB_B}/providers/Microsoft.Authorization/roleAssignments"
    ]
    assert len(pages) >= LONG_RUN
