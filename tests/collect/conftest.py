"""Fixtures for the collector tests: a small emulated tenant, and a helper that runs ``collect`` against it.

The real SDK clients talk to the emulator over HTTPS with the emulator's own CA;
nothing is mocked.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from azure.identity.aio import ClientSecretCredential

from scanner.collect import collect
from scanner.emulator import Emulator, Tenant
from scanner.inventory import ScopeRequest, Snapshot
from scanner.tls import ssl_context
from tests.collect._tenant import small_tenant


@pytest.fixture(scope="module")
def small_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The small tenant, served for one test module."""
    with Emulator(Tenant.from_data(small_tenant()), workdir=tmp_path_factory.mktemp("small-emu")) as emu:
        yield emu


@pytest.fixture
def small(small_emulator: Emulator) -> Iterator[Emulator]:
    """The small tenant's emulator, with faults, page size and the request log reset around each test."""
    small_emulator.faults.clear()
    small_emulator.page_size = 100
    small_emulator.clear_requests()
    yield small_emulator
    small_emulator.faults.clear()
    small_emulator.page_size = 100


async def run_collect(emu: Emulator, **overrides: Any) -> Snapshot:
    """``collect`` against ``emu`` with a client-secret credential that trusts the emulator's CA."""
    credential = ClientSecretCredential(
        emu.tenant_id,
        emu.client_id,
        emu.client_secret,
        authority=emu.url,
        disable_instance_discovery=True,
        connection_verify=str(emu.ca_path),
    )
    options: dict[str, Any] = {
        "arm_endpoint": emu.url,
        "graph_endpoint": emu.url,
        "ssl_context": ssl_context(emu.ca_path),
        "tenant_id": emu.tenant_id,
        "cloud_name": "custom",
        "scope": ScopeRequest(),
        "timeout_s": 10,
        "max_retries": 3,
    }
    options.update(overrides)
    async with credential:
        return await collect(credential=credential, **options)
