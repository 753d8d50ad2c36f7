"""Throttling and latency jitter: a token bucket per client and service, 429 with Retry-After like Azure."""

from __future__ import annotations

import random
from collections.abc import Iterator

import httpx
import pytest
from azure.identity import ClientSecretCredential
from azure.mgmt.resource.subscriptions import SubscriptionClient

from scanner.emulator import Emulator, synthetic_tenant
from scanner.emulator.server import Settings
from scanner.emulator.throttle import Bucket, Service, Throttle, client_of
from tests.emulator.conftest import get_token


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_bucket_allows_a_burst_then_refuses_until_it_refills() -> None:
    clock = FakeClock()
    throttle = Throttle(arm=Bucket(rate_per_s=2, burst=3), clock=clock)
    decisions = [throttle.take(Service.ARM, "app") for _ in range(4)]
    assert [d.allowed for d in decisions if d] == [True, True, True, False]
    assert [d.remaining for d in decisions if d] == [2, 1, 0, 0]
    refused = decisions[-1]
    assert refused is not None and refused.retry_after_s == 1
    clock.now += 0.5  # one token at 2 per second
    again = throttle.take(Service.ARM, "app")
    assert again is not None and again.allowed
    assert throttle.refused == 1


def test_buckets_are_per_client_and_per_service() -> None:
    clock = FakeClock()
    throttle = Throttle(arm=Bucket(rate_per_s=1, burst=1), graph=Bucket(rate_per_s=1, burst=1), clock=clock)
    assert throttle.take(Service.ARM, "a") == throttle.take(Service.ARM, "b")
    assert not throttle.take(Service.ARM, "a").allowed  # type: ignore[union-attr]
    assert throttle.take(Service.GRAPH, "a").allowed  # type: ignore[union-attr]


def test_retry_after_is_whole_seconds_until_a_token() -> None:
    clock = FakeClock()
    throttle = Throttle(graph=Bucket(rate_per_s=0.25, burst=1), clock=clock)
    throttle.take(Service.GRAPH, "a")
    refused = throttle.take(Service.GRAPH, "a")
    assert refused is not None and (refused.allowed, refused.retry_after_s) == (False, 4)


def test_unthrottled_service_and_reconfiguration() -> None:
    throttle = Throttle(arm=Bucket(rate_per_s=1, burst=1), clock=FakeClock())
    assert throttle.take(Service.GRAPH, "a") is None
    throttle.take(Service.ARM, "a")
    throttle.configure(Service.ARM, Bucket(rate_per_s=1, burst=5))
    decision = throttle.take(Service.ARM, "a")
    assert decision is not None and decision.allowed and decision.remaining == 4
    throttle.configure(Service.ARM, None)
    assert throttle.bucket(Service.ARM) is None and throttle.take(Service.ARM, "a") is None


def test_bucket_parse() -> None:
    assert Bucket.parse("25/250") == Bucket(rate_per_s=25, burst=250)
    assert Bucket.parse("2.5") == Bucket(rate_per_s=2.5, burst=3)
    for bad in ("", "x", "0", "5/0", "1/x"):
        with pytest.raises(ValueError):
            Bucket.parse(bad)


def test_client_is_the_tokens_appid_or_the_caller() -> None:
    # header {"alg":"none"}, payload {"appid":"ABC-123"}
    token = "eyJhbGciOiJub25lIn0.eyJhcHBpZCI6IkFCQy0xMjMifQ.c2ln"
    assert client_of(f"Bearer {token}", "127.0.0.1") == "abc-123"
    assert client_of("Bearer not-a-jwt", "127.0.0.1") == "127.0.0.1"
    assert client_of(None, "10.0.0.9") == "10.0.0.9"


def test_jitter_stays_within_bounds_and_never_goes_negative() -> None:
    rng = random.Random(1)
    settings = Settings(page_size=100, latency_ms=50, jitter_ms=20)
    delays = [settings.delay_s(rng) for _ in range(500)]
    assert all(0.030 <= d <= 0.070 for d in delays)
    assert len(set(delays)) > 100
    low = Settings(page_size=100, latency_ms=5, jitter_ms=50)
    assert min(low.delay_s(rng) for _ in range(500)) == 0
    assert Settings(page_size=100, latency_ms=50).delay_s(rng) == 0.05


@pytest.fixture(scope="module")
def throttled() -> Iterator[Emulator]:
    """A small synthetic tenant whose ARM and Graph buckets start unlimited (each test configures them)."""
    with Emulator(synthetic_tenant(2, applications=3)) as emu:
        yield emu


@pytest.fixture
def http(throttled: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(verify=str(throttled.ca_path), timeout=10) as client:
        client.headers["Authorization"] = f"Bearer {get_token(client, throttled)}"
        yield client
    throttled.throttle.configure(Service.ARM, None)
    throttled.throttle.configure(Service.GRAPH, None)


def test_arm_answers_429_with_retry_after_and_ratelimit_headers(
    throttled: Emulator, http: httpx.Client
) -> None:
    throttled.throttle.configure(Service.ARM, Bucket(rate_per_s=0.1, burst=2))
    url = f"{throttled.url}/subscriptions"
    first, second, third = (http.get(url, params={"api-version": "2022-12-01"}) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.headers["x-ms-ratelimit-remaining-tenant-reads"] == "1"
    assert int(third.headers["Retry-After"]) >= 1
    assert third.json()["error"]["code"] == "TooManyRequests"
    sid = first.json()["value"][0]["subscriptionId"]
    again = http.get(f"{url}/{sid}/resourceGroups", params={"api-version": "2022-12-01"})
    assert again.status_code == 429 and again.headers["x-ms-ratelimit-remaining-subscription-reads"] == "0"
    # Graph has its own bucket: exhausting ARM does not throttle it.
    assert http.get(f"{throttled.url}/v1.0/applications").status_code == 200


def test_graph_answers_429_with_its_error_body(throttled: Emulator, http: httpx.Client) -> None:
    throttled.throttle.configure(Service.GRAPH, Bucket(rate_per_s=0.1, burst=1))
    assert http.get(f"{throttled.url}/v1.0/users").status_code == 200
    refused = http.get(f"{throttled.url}/v1.0/users")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
    error = refused.json()["error"]
    assert error["code"] == "TooManyRequests" and "innerError" in error
    assert "x-ms-ratelimit-remaining-subscription-reads" not in refused.headers
    # The token endpoint is never throttled.
    assert get_token(http, throttled)


def test_the_sdk_waits_out_the_429_and_succeeds(throttled: Emulator) -> None:
    throttled.throttle.configure(Service.ARM, Bucket(rate_per_s=1, burst=1))
    throttled.clear_requests()
    credential = ClientSecretCredential(
        throttled.tenant_id,
        throttled.client_id,
        throttled.client_secret,
        authority=throttled.url,
        disable_instance_discovery=True,
        connection_verify=str(throttled.ca_path),
    )
    client = SubscriptionClient(
        credential,
        base_url=throttled.url,
        credential_scopes=[f"{throttled.url}/.default"],
        connection_verify=str(throttled.ca_path),
    )
    try:
        assert len(list(client.subscriptions.list())) == 2
        assert len(list(client.subscriptions.list())) == 2
    finally:
        client.close()
        credential.close()
        throttled.throttle.configure(Service.ARM, None)
    statuses = [r.status for r in throttled.requests if r.path == "/subscriptions"]
    assert statuses[0] == 200 and 429 in statuses and statuses[-1] == 200


def test_admin_endpoint_reports_the_log_without_being_logged(throttled: Emulator, http: httpx.Client) -> None:
    throttled.clear_requests()
    http.get(f"{throttled.url}/tenants", params={"api-version": "2022-12-01"})
    body = httpx.get(f"{throttled.url}/_emulator/requests", verify=str(throttled.ca_path)).json()
    assert body["count"] == 1 and [r["path"] for r in body["requests"]] == ["/tenants"]
    later = httpx.get(
        f"{throttled.url}/_emulator/requests", params={"offset": 1}, verify=str(throttled.ca_path)
    ).json()
    assert later["count"] == 1 and later["requests"] == []
