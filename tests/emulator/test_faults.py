"""Fault injection, latency, and the request log."""

from __future__ import annotations

import httpx
import pytest

from scanner.emulator import Emulator, FaultRule
from tests.emulator.conftest import API, DEV, PROD, get_token


def test_429_with_retry_after_then_success(emulator: Emulator, client: httpx.Client) -> None:
    rule = emulator.faults.add(FaultRule(r"/providers/Microsoft\.KeyVault/vaults$", retry_after_s=2, times=1))
    url = f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.KeyVault/vaults"
    first = client.get(url, params=API)
    second = client.get(url, params=API)
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "2"
    assert first.json()["error"]["code"] == "TooManyRequests"
    assert second.status_code == 200
    assert rule.fired == 1


def test_graph_throttling_uses_the_graph_error_shape(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.add(FaultRule("^/v1.0/users", times=None, retry_after_s=5))
    response = client.get(f"{emulator.url}/v1.0/users")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "5"
    assert set(response.json()["error"]) == {"code", "message", "innerError"}


def test_method_filter_and_raw_malformed_body(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.add(
        FaultRule(
            "/subscriptions$", method="GET", status=200, retry_after_s=None, body='{"value": [', times=1
        )
    )
    response = client.get(f"{emulator.url}/subscriptions", params=API)
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert client.get(f"{emulator.url}/subscriptions", params=API).json()["value"]


def test_forbidden_subscription_answers_authorization_failed(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.faults.forbid_subscription(DEV)
    blocked = client.get(
        f"{emulator.url}/subscriptions/{DEV}/providers/Microsoft.HealthcareApis/services", params=API
    )
    allowed = client.get(
        f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.HealthcareApis/workspaces", params=API
    )
    assert blocked.status_code == 403
    assert blocked.json()["error"]["code"] == "AuthorizationFailed"
    assert allowed.status_code == 200


def test_dropped_connection(emulator: Emulator, client: httpx.Client) -> None:
    emulator.faults.add(FaultRule("/subscriptions$", close_connection=True))
    with pytest.raises(httpx.TransportError):
        client.get(f"{emulator.url}/subscriptions", params=API)
    assert client.get(f"{emulator.url}/subscriptions", params=API).status_code == 200
    assert [r.status for r in emulator.requests if r.path == "/subscriptions"] == [0, 200]


def test_latency_applies_to_every_request() -> None:
    # A separate emulator: the delayed handlers outlive the client's timeout.
    with Emulator(latency_ms=1500) as emu, httpx.Client(verify=str(emu.ca_path)) as http:
        for path in ("/subscriptions", f"/{emu.tenant_id}/v2.0/.well-known/openid-configuration"):
            with pytest.raises(httpx.ReadTimeout):
                http.get(f"{emu.url}{path}", params=API, timeout=0.2)
        emu.latency_ms = 0
        assert http.get(f"{emu.url}/{emu.tenant_id}/v2.0/.well-known/openid-configuration").status_code == 200


def test_delay_only_rule_passes_through() -> None:
    with Emulator() as emu, httpx.Client(verify=str(emu.ca_path)) as http:
        token = get_token(http, emu)
        emu.faults.add(FaultRule("/subscriptions$", status=200, delay_s=1.5, retry_after_s=None, times=2))
        with pytest.raises(httpx.ReadTimeout):
            http.get(f"{emu.url}/subscriptions", params=API, timeout=0.2)
        delayed = http.get(
            f"{emu.url}/subscriptions", params=API, headers={"Authorization": f"Bearer {token}"}
        )
        assert delayed.status_code == 200
        assert delayed.json()["value"]


def test_request_log_records_method_path_and_never_the_secret(
    emulator: Emulator, client: httpx.Client
) -> None:
    client.get(f"{emulator.url}/subscriptions/{PROD}", params=API)
    client.post(f"{emulator.url}/v1.0/directoryObjects/getByIds", json={"ids": [emulator.tenant_id]})
    log = emulator.requests
    assert ("POST", f"/{emulator.tenant_id}/oauth2/v2.0/token") in [(r.method, r.path) for r in log]
    assert ("GET", f"/subscriptions/{PROD}") in [(r.method, r.path) for r in log]
    by_ids = next(r for r in log if r.path.endswith("getByIds"))
    assert by_ids.body is not None and emulator.tenant_id in by_ids.body
    dump = repr(log)
    assert emulator.client_secret not in dump
    assert not any(token in dump for token in emulator.tokens_issued)
    assert all(r.body is None for r in log if "oauth2" in r.path)
