"""Unit tests of the collector's parts: limiter order, api-version table, normalisers, progress sinks."""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import UTC, datetime

import pytest
from azure.mgmt.apimanagement.aio import ApiManagementClient
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.healthcareapis.aio import HealthcareApisManagementClient
from azure.mgmt.keyvault.operations import _operations as keyvault_ops
from azure.mgmt.network.operations import _operations as network_ops
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient
from azure.mgmt.storage.aio import StorageManagementClient

from scanner.collect._clients import API_VERSIONS
from scanner.collect._limiter import Limiter, Priority
from scanner.collect._normalize import when
from scanner.collect.graph import directory_principal
from scanner.collect.rbac import management_group_of
from scanner.progress import LogProgress, NullProgress, RichProgress, make_progress


async def test_limiter_bounds_holders_and_serves_deeper_work_first() -> None:
    limiter = Limiter(1)
    order: list[str] = []
    holding = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with limiter.slot(Priority.ROOT):
            holding.set()
            await release.wait()

    async def worker(name: str, priority: Priority) -> None:
        async with limiter.slot(priority):
            order.append(name)

    async with asyncio.TaskGroup() as tg:
        tg.create_task(first())
        await holding.wait()
        for name, priority in (
            ("root", Priority.ROOT),
            ("child", Priority.CHILD),
            ("next", Priority.NEXT_PAGE),
        ):
            tg.create_task(worker(name, priority))
        await asyncio.sleep(0)
        release.set()
    assert order == ["next", "child", "root"]


async def test_limiter_survives_a_cancelled_waiter() -> None:
    limiter = Limiter(1)
    async with limiter.slot(Priority.ROOT):
        waiter = asyncio.create_task(limiter.slot(Priority.ROOT).__aenter__())
        await asyncio.sleep(0)
        waiter.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiter
    async with asyncio.timeout(1), limiter.slot(Priority.ROOT):
        pass  # the slot came back despite the cancelled waiter


def test_api_versions_are_the_ones_the_installed_sdks_use() -> None:
    def default(client_type: type, *args: str) -> str:
        return client_type(object(), *args)._config.api_version  # type: ignore[no-any-return]

    sub = "00000000-0000-0000-0000-000000000000"
    assert API_VERSIONS["subscriptions"] == default(SubscriptionClient)
    assert API_VERSIONS["healthcare"] == default(HealthcareApisManagementClient, sub)
    assert API_VERSIONS["storage"] == default(StorageManagementClient, sub)
    assert API_VERSIONS["apimanagement"] == default(ApiManagementClient, sub)
    assert (
        API_VERSIONS["authorization"]
        == AuthorizationManagementClient.LATEST_PROFILE.get_profile_dict()[
            AuthorizationManagementClient._PROFILE_TAG
        ][None]
    )
    vaults = keyvault_ops.build_vaults_list_by_subscription_request(subscription_id=sub)
    assert vaults.url.endswith(f"api-version={API_VERSIONS['keyvault']}")
    endpoints = network_ops.build_private_endpoints_list_by_subscription_request(subscription_id=sub)
    assert endpoints.url.endswith(f"api-version={API_VERSIONS['network']}")


@pytest.mark.parametrize(
    ("raw", "want"),
    [
        (1767225600, datetime(2026, 1, 1, tzinfo=UTC)),
        ("2015-02-02T21:55:09.8806423Z", datetime(2015, 2, 2, 21, 55, 9, 880642, tzinfo=UTC)),
        ("2026-01-01T02:00:00+02:00", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T00:00:00", datetime(2026, 1, 1, tzinfo=UTC)),
        (True, None),
        ("not a date", None),
        (10**20, None),
        (None, None),
    ],
)
def test_when_reads_unix_seconds_and_iso_strings_as_aware_utc(raw: object, want: datetime | None) -> None:
    assert when(raw) == want


def test_management_group_scope_is_recognised_only_at_the_group_itself() -> None:
    mg = "/providers/Microsoft.Management/managementGroups/mg-1"
    assert management_group_of(mg + "/") == mg
    assert management_group_of("/subscriptions/x") is None
    assert management_group_of(mg + "/providers/Microsoft.Authorization/roleAssignments/y") is None


def test_directory_objects_are_typed_by_odata_type() -> None:
    sp = directory_principal(
        {"@odata.type": "#microsoft.graph.servicePrincipal", "id": "a", "displayName": "x"}
    )
    device = directory_principal({"@odata.type": "#microsoft.graph.device", "id": "b"})
    assert sp is not None and sp.object_type == "servicePrincipal"
    assert device is not None and device.object_type == "other"
    assert directory_principal({"displayName": "no id"}) is None


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_make_progress_picks_by_quiet_and_tty() -> None:
    assert isinstance(make_progress(True, _Tty()), NullProgress)
    assert isinstance(make_progress(False, _Tty()), RichProgress)
    assert isinstance(make_progress(False, io.StringIO()), LogProgress)


def test_log_progress_writes_one_line_per_subscription(caplog: pytest.LogCaptureFixture) -> None:
    sink = LogProgress()
    with caplog.at_level(logging.INFO, logger="scanner.progress"):
        sink.start(2)
        sink.subscription_done("sub-1", "prod\nforged line", True)
        sink.subscription_done("sub-2", None, False)
        sink.finish()
    lines = [r.getMessage() for r in caplog.records]
    assert "[1/2] subscription sub-1 'prod\\nforged line': complete" in lines
    assert "[2/2] subscription sub-2 '': incomplete (see errors)" in lines
    assert all("\n" not in line for line in lines)


def test_rich_progress_draws_on_its_stream_only() -> None:
    stream = _Tty()
    sink = RichProgress(stream)
    sink.start(1)
    sink.stage("listing [bold]subscriptions[/]")
    sink.subscription_done("sub-1", "prod", False)
    sink.finish()
    assert "subscriptions" in stream.getvalue()
