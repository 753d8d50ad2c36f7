"""Paging, throttling, failures and the read-only guarantee, through the emulator with real SDK clients."""

from __future__ import annotations

import json
import re

from scanner.emulator import Emulator, FaultRule
from scanner.inventory import ScopeRequest, Snapshot
from tests.collect._tenant import CLIENT_SECRET, SUB_A, SUB_B, USER_GUEST
from tests.collect.conftest import run_collect

_VOLATILE = ("started_at", "finished_at")


def _content(snapshot: Snapshot) -> dict[str, object]:
    data = snapshot.model_dump(mode="json")
    return {k: v for k, v in data.items() if k not in _VOLATILE}


def _errors_for(snapshot: Snapshot, operation: str) -> list[object]:
    return [e for e in snapshot.errors if e.operation == operation]


def _complete(snapshot: Snapshot) -> dict[str, bool]:
    return {s.subscription_id: s.complete for s in snapshot.subscriptions}


async def test_page_size_one_collects_the_same_inventory(small: Emulator) -> None:
    whole = await run_collect(small)
    small.clear_requests()
    small.page_size = 1
    paged = await run_collect(small)
    assert _content(paged) == _content(whole)
    followed = [
        r
        for r in small.requests
        if r.method == "GET"
        and not r.path.startswith("/v1.0")
        and any(k.lower() not in ("api-version",) for k in r.query)
    ]
    assert followed, "page size 1 must make the collector follow nextLink"


async def test_throttled_arm_and_graph_requests_are_retried(small: Emulator) -> None:
    vaults = small.faults.add(
        FaultRule(
            path_pattern=r"/providers/Microsoft\.KeyVault/vaults$", status=429, retry_after_s=1, times=1
        )
    )
    apps = small.faults.add(
        FaultRule(path_pattern=r"^/v1\.0/applications$", status=429, retry_after_s=1, times=1)
    )
    by_ids = small.faults.add(FaultRule(path_pattern=r"/getByIds$", status=429, retry_after_s=1, times=1))
    snapshot = await run_collect(small)
    assert (vaults.fired, apps.fired, by_ids.fired) == (1, 1, 1)
    assert snapshot.errors == []
    assert snapshot.key_vaults and snapshot.applications and snapshot.principals_resolved
    statuses = [r.status for r in small.requests if r.path.endswith("/directoryObjects/getByIds")]
    assert statuses == [429, 200]


async def test_forbidden_subscription_is_recorded_and_the_other_is_complete(small: Emulator) -> None:
    small.faults.forbid_subscription(SUB_B)
    snapshot = await run_collect(small)
    assert _complete(snapshot) == {SUB_A: True, SUB_B: False}
    assert snapshot.errors, "the forbidden subscription must leave errors"
    for error in snapshot.errors:
        assert error.scope.lower().startswith(f"/subscriptions/{SUB_B}")
        assert (error.status, error.code) == (403, "AuthorizationFailed")
        assert "\n" not in error.message
    assert any(s.subscription_id == SUB_A for s in snapshot.storage_accounts)
    assert not any(s.subscription_id == SUB_B for s in snapshot.storage_accounts)


async def test_only_reads_are_sent(small: Emulator) -> None:
    await run_collect(small)
    assert small.requests
    for request in small.requests:
        allowed = (
            request.method == "GET"
            or (request.method == "POST" and request.path.endswith("/oauth2/v2.0/token"))
            or (request.method == "POST" and request.path == "/v1.0/directoryObjects/getByIds")
        )
        assert allowed, f"{request.method} {request.path}"


async def test_resource_provider_registration_is_refused_not_sent(small: Emulator) -> None:
    body = json.dumps(
        {
            "error": {
                "code": "MissingSubscriptionRegistration",
                "message": "The subscription is not registered to use namespace 'Microsoft.ApiManagement'.",
            }
        }
    )
    small.faults.add(
        FaultRule(
            path_pattern=r"/providers/Microsoft\.ApiManagement/service$",
            status=409,
            body=body,
            retry_after_s=None,
            times=None,
        )
    )
    snapshot = await run_collect(small)
    assert not [r for r in small.requests if r.method not in ("GET", "POST") or "/register" in r.path]
    assert {e.scope for e in _errors_for(snapshot, "api_management_service.list")} == {
        f"/subscriptions/{SUB_A}",
        f"/subscriptions/{SUB_B}",
    }
    assert _complete(snapshot) == {SUB_A: False, SUB_B: False}
    assert snapshot.storage_accounts, "other lists carry on"


async def test_no_secret_or_token_in_the_snapshot(small: Emulator) -> None:
    text = (await run_collect(small)).to_json()
    assert small.tokens_issued
    assert CLIENT_SECRET not in text
    for token in small.tokens_issued:
        assert token not in text
    assert '"value"' not in text and "secretText" not in text


async def test_next_link_loop_is_stopped_and_recorded(small: Emulator) -> None:
    route = f"/subscriptions/{SUB_A}/providers/Microsoft.Storage/storageAccounts"
    loop = f"{small.url}{route}?api-version=2026-09-01&$skiptoken=again"
    page = json.dumps({"value": [], "nextLink": loop})
    rule = small.faults.add(FaultRule(path_pattern=re.escape(route) + "$", status=200, body=page, times=None))
    snapshot = await run_collect(small)
    assert rule.fired == 2, "the repeated link is detected instead of being fetched again"
    [error] = _errors_for(snapshot, "storage_accounts.list")
    assert error.scope == f"/subscriptions/{SUB_A}"
    assert "repeats" in error.message
    assert _complete(snapshot) == {SUB_A: False, SUB_B: True}


async def test_next_link_to_another_host_is_not_followed(small: Emulator) -> None:
    route = f"/subscriptions/{SUB_A}/providers/Microsoft.Network/privateEndpoints"
    page = json.dumps({"value": [], "nextLink": "https://attacker.invalid/steal?api-version=1"})
    small.faults.add(FaultRule(path_pattern=re.escape(route) + "$", status=200, body=page, times=None))
    snapshot = await run_collect(small)
    [error] = _errors_for(snapshot, "private_endpoints.list_by_subscription")
    assert "another host" in error.message


async def test_malformed_json_is_an_error_for_that_scope(small: Emulator) -> None:
    small.faults.add(
        FaultRule(path_pattern=r"/vaults/kv-prod/secrets$", status=200, body='{"value": [', times=None)
    )
    snapshot = await run_collect(small)
    [error] = _errors_for(snapshot, "secrets.list")
    assert error.scope.endswith("/vaults/kv-prod") and "malformed JSON" in error.message
    assert [i.kind for i in snapshot.vault_items] == ["key"], "the vault's keys are still read"


async def test_a_server_that_never_answers_times_out(small: Emulator) -> None:
    small.faults.add(
        FaultRule(
            path_pattern=r"/providers/Microsoft\.Network/applicationGateways$",
            status=200,
            delay_s=5,
            times=None,
        )
    )
    snapshot = await run_collect(small, timeout_s=0.5, max_retries=0)
    errors = _errors_for(snapshot, "application_gateways.list_all")
    assert {e.scope for e in errors} == {f"/subscriptions/{SUB_A}", f"/subscriptions/{SUB_B}"}
    assert snapshot.storage_accounts and snapshot.key_vaults


async def test_include_scope_collects_only_those_and_records_invisible_ones(small: Emulator) -> None:
    missing = "99999999-0000-4000-8000-000000000099"
    snapshot = await run_collect(
        small, scope=ScopeRequest(mode="include", subscriptions=[SUB_B.upper(), missing])
    )
    assert _complete(snapshot) == {SUB_B: True, missing: False}
    assert [e.scope for e in snapshot.errors] == [f"/subscriptions/{missing}"]
    assert not [r for r in small.requests if SUB_A in r.path]


async def test_users_returned_without_user_type_are_looked_up(small: Emulator) -> None:
    # Real v1.0 getByIds returns only a subset of user properties; userType is not among them.
    thin = {"value": [{"@odata.type": "#microsoft.graph.user", "id": USER_GUEST, "displayName": "Ext Guest"}]}
    small.faults.add(FaultRule(path_pattern=r"/getByIds$", status=200, body=json.dumps(thin), times=1))
    snapshot = await run_collect(small)
    [guest] = [p for p in snapshot.principals if p.id == USER_GUEST]
    assert guest.user_type == "Guest"
    assert guest.user_principal_name and "#EXT#" in guest.user_principal_name
    assert any(r.path == "/v1.0/users" and "$filter" in r.query for r in small.requests)


async def test_graph_failure_is_recorded_and_arm_completes(small: Emulator) -> None:
    small.faults.add(FaultRule(path_pattern=r"/getByIds$", status=403, retry_after_s=None, times=None))
    snapshot = await run_collect(small)
    assert [e.scope for e in snapshot.errors] == ["graph:/directoryObjects/getByIds"]
    assert snapshot.errors[0].status == 403
    assert snapshot.principals_resolved is False
    assert snapshot.unresolved_principal_ids == [], "a failed lookup proves no principal deleted"
    assert all(s.complete for s in snapshot.subscriptions)


async def test_without_graph_nothing_is_asked_of_graph(small: Emulator) -> None:
    snapshot = await run_collect(small, include_graph=False)
    assert not [r for r in small.requests if r.path.startswith("/v1.0")]
    assert snapshot.principals_resolved is False and snapshot.role_assignments
