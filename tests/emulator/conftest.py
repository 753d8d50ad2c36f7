"""Fixtures for the emulator's own tests: one shared emulator, fresh clients, and a token helper."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from scanner.emulator import Emulator

PROD = "8146cf1c-5bcf-43c4-82a5-63202d03b686"
DEV = "d3d86318-5207-466d-9817-fec227ddbb91"
API = {"api-version": "2024-03-31"}


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    """The bundled demo tenant on a free port; faults, log and settings are reset per test."""
    with Emulator() as emu:
        yield emu


@pytest.fixture(autouse=True)
def _reset(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "emulator" in request.fixturenames:
        emu: Emulator = request.getfixturevalue("emulator")
        emu.faults.clear()
        emu.clear_requests()
        emu.page_size = 100
        emu.latency_ms = 0


def get_token(client: httpx.Client, emu: Emulator, scope: str | None = None) -> str:
    """An access token from the emulator's token endpoint for its demo client."""
    response = client.post(
        f"{emu.url}/{emu.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emu.client_id,
            "client_secret": emu.client_secret,
            "scope": scope or f"{emu.url}/.default",
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture
def anon(emulator: Emulator) -> Iterator[httpx.Client]:
    """An HTTPS client trusting the emulator's CA, without credentials."""
    with httpx.Client(verify=str(emulator.ca_path), timeout=10) as client:
        yield client


@pytest.fixture
def client(emulator: Emulator, anon: httpx.Client) -> httpx.Client:
    """An HTTPS client trusting the emulator's CA and carrying a valid bearer token."""
    anon.headers["Authorization"] = f"Bearer {get_token(anon, emulator)}"
    return anon


def follow(
    client: httpx.Client, url: str, params: dict[str, str] | None = None, link: str = "nextLink"
) -> tuple[list[dict], list[str]]:
    """Every item of a paged list and the next links followed."""
    items: list[dict] = []
    links: list[str] = []
    response = client.get(url, params=params)
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["value"])
        nxt = body.get(link)
        if not nxt:
            return items, links
        links.append(nxt)
        response = client.get(nxt)
