"""The fault matrix: every injected fault ends in collected data or a recorded, reported error for exactly its scope.

Each test runs the whole CLI in process (``main(["scan", ...])``) with the real
SDK clients against the emulator. An absorbed fault must leave a complete scan
(exit 0 with ``--fail-on none``); a lasting one must name exactly the scopes it
hit in findings.json ``scan.errors``, in the coverage sections of the Markdown
and HTML reports, and make the exit code 3. Never a hang (the hang guard), a
traceback on stderr, or a scope silently missing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from scanner.collect._clients import API_VERSIONS
from scanner.emulator import Emulator, FaultRule
from tests.collect._tenant import SUB_A, SUB_B, VAULT
from tests.faults._checks import assert_complete, assert_incomplete
from tests.faults.conftest import MAX_RETRIES, Outcome, scan

SCOPE_A = f"/subscriptions/{SUB_A}"
SCOPE_B = f"/subscriptions/{SUB_B}"
STORAGE_A = rf"^{SCOPE_A}/providers/Microsoft\.Storage/storageAccounts$"
STORAGE_B = rf"^{SCOPE_B}/providers/Microsoft\.Storage/storageAccounts$"
WORKSPACES_B = rf"^{SCOPE_B}/providers/Microsoft\.HealthcareApis/workspaces$"
ROLE_DEFINITIONS_A = rf"^{SCOPE_A}/providers/Microsoft\.Authorization/roleDefinitions$"
SECRETS = rf"^{re.escape(VAULT)}/secrets$"
APPLICATIONS = r"^/v1\.0/applications$"
SERVICE_PRINCIPALS = r"^/v1\.0/servicePrincipals$"


def _hits(emu: Emulator, pattern: str) -> list[int]:
    """Statuses the emulator sent for requests whose path matches ``pattern`` (0: connection dropped)."""
    regex = re.compile(pattern, re.IGNORECASE)
    return [r.status for r in emu.requests if regex.search(r.path)]


def _coverage(outcome: Outcome) -> dict[str, bool]:
    return {
        s["subscription_id"].lower(): s["complete"]
        for s in outcome.findings["scan"]["coverage"]["subscriptions"]
    }


# --------------------------------------------------------------------------- throttling


def test_arm_throttling_storm_ends_in_a_recorded_429(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(STORAGE_A, status=429, retry_after_s=1, times=None))
    outcome = scan(emu, tmp_path / "strict")
    [error] = assert_incomplete(outcome, {(SCOPE_A, "storage_accounts.list")})
    assert (error["status"], error["code"]) == (429, "TooManyRequests")
    assert _hits(emu, STORAGE_A) == [429] * (MAX_RETRIES + 1), "retried up to max_retries, then given up"
    assert _coverage(outcome) == {SUB_A: False, SUB_B: True}
    assert scan(emu, tmp_path / "allowed", "--allow-incomplete").code == 0


def test_graph_throttling_storm_ends_in_a_recorded_429(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(APPLICATIONS, status=429, retry_after_s=1, times=None))
    outcome = scan(emu, tmp_path)
    [error] = assert_incomplete(outcome, {("graph:/applications", "applications.list")})
    assert error["status"] == 429
    assert _hits(emu, APPLICATIONS) == [429] * (MAX_RETRIES + 1)
    coverage = outcome.findings["scan"]["coverage"]
    assert coverage["graph_complete"] is False
    assert all(_coverage(outcome).values()), "ARM was read completely"


@pytest.mark.parametrize(
    ("pattern", "status"),
    [(STORAGE_A, 429), (APPLICATIONS, 429), (WORKSPACES_B, 503), (SERVICE_PRINCIPALS, 503)],
    ids=["arm-429", "graph-429", "arm-503", "graph-503"],
)
def test_a_burst_within_the_retry_budget_is_absorbed(
    emu: Emulator, tmp_path: Path, pattern: str, status: int
) -> None:
    rule = emu.faults.add(FaultRule(pattern, status=status, retry_after_s=1, times=MAX_RETRIES))
    outcome = scan(emu, tmp_path, "--save-snapshot", str(tmp_path / "snapshot.json"))
    assert_complete(outcome)
    assert rule.fired == MAX_RETRIES
    assert _hits(emu, pattern) == [status] * MAX_RETRIES + [200], "Retry-After honoured, then read"
    snapshot = json.loads((tmp_path / "snapshot.json").read_text(encoding="utf-8"))
    kind = {STORAGE_A: "storage_accounts", APPLICATIONS: "applications", WORKSPACES_B: "workspaces"}
    assert snapshot[kind.get(pattern, "service_principals")], "the retried list's items arrived"


def test_retry_after_beyond_the_page_deadline_is_bounded(emu: Emulator, tmp_path: Path) -> None:
    # An hour-long Retry-After: ARM gives up at the page deadline (timeout x (retries + 2)), Graph's
    # retry handler refuses to wait that long at all; both end in a recorded error, not an hour's wait.
    emu.faults.add(FaultRule(STORAGE_A, status=429, retry_after_s=3600, times=None))
    emu.faults.add(FaultRule(APPLICATIONS, status=429, retry_after_s=3600, times=None))
    outcome = scan(emu, tmp_path, guard_s=30, timeout_s=1, max_retries=1)
    assert_incomplete(
        outcome, {(SCOPE_A, "storage_accounts.list"), ("graph:/applications", "applications.list")}
    )


# --------------------------------------------------------------------------- server errors and transport


def test_server_errors_that_last_are_recorded_with_their_status(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(WORKSPACES_B, status=500, retry_after_s=None, times=None))
    emu.faults.add(FaultRule(SERVICE_PRINCIPALS, status=503, retry_after_s=1, times=None))
    outcome = scan(emu, tmp_path)
    errors = assert_incomplete(
        outcome,
        {
            (SCOPE_B, "workspaces.list_by_subscription"),
            ("graph:/servicePrincipals", "service_principals.list"),
        },
    )
    assert {e["operation"]: e["status"] for e in errors} == {
        "workspaces.list_by_subscription": 500,
        "service_principals.list": 503,
    }
    assert _coverage(outcome) == {SUB_A: True, SUB_B: False}


@pytest.mark.parametrize(
    ("lasting", "transient", "scope"),
    [
        (STORAGE_B, APPLICATIONS, (SCOPE_B, "storage_accounts.list")),
        (APPLICATIONS, STORAGE_B, ("graph:/applications", "applications.list")),
    ],
    ids=["arm-lasting", "graph-lasting"],
)
def test_connection_resets(
    emu: Emulator, tmp_path: Path, lasting: str, transient: str, scope: tuple[str, str]
) -> None:
    """A reset that lasts is recorded for its scope; a single reset is retried away (ARM and Graph alike)."""
    emu.faults.add(FaultRule(lasting, close_connection=True, times=None))
    once = emu.faults.add(FaultRule(transient, close_connection=True, times=1))
    outcome = scan(emu, tmp_path)
    assert_incomplete(outcome, {scope})
    assert once.fired == 1
    assert _hits(emu, transient) == [0, 200]


def test_a_server_that_never_answers_is_given_up_within_the_timeouts(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(STORAGE_A, status=200, retry_after_s=None, delay_s=10, times=None))
    emu.faults.add(FaultRule(APPLICATIONS, status=200, retry_after_s=None, delay_s=10, times=None))
    outcome = scan(emu, tmp_path, guard_s=40, timeout_s=1, max_retries=1)
    assert_incomplete(
        outcome, {(SCOPE_A, "storage_accounts.list"), ("graph:/applications", "applications.list")}
    )


# --------------------------------------------------------------------------- bodies and paging


def test_malformed_json_is_recorded_for_its_scope(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(SECRETS, status=200, retry_after_s=None, body='{"value": [', times=None))
    emu.faults.add(FaultRule(SERVICE_PRINCIPALS, status=200, retry_after_s=None, body="<html>", times=None))
    outcome = scan(emu, tmp_path)
    errors = assert_incomplete(
        outcome, {(VAULT, "secrets.list"), ("graph:/servicePrincipals", "service_principals.list")}
    )
    assert all("malformed JSON" in e["message"] for e in errors)


@pytest.mark.parametrize("reset", [False, True], ids=["closed", "reset"])
def test_a_body_cut_short_of_its_content_length_is_recorded(
    emu: Emulator, tmp_path: Path, reset: bool
) -> None:
    emu.faults.add(FaultRule(STORAGE_B, status=200, truncate_at=40, close_connection=reset, times=None))
    emu.faults.add(FaultRule(APPLICATIONS, status=200, truncate_at=40, close_connection=reset, times=None))
    outcome = scan(emu, tmp_path)
    errors = assert_incomplete(
        outcome, {(SCOPE_B, "storage_accounts.list"), ("graph:/applications", "applications.list")}
    )
    arm = next(e for e in errors if e["scope"] == SCOPE_B)
    assert "cut short" in arm["message"]


def test_a_cut_short_body_once_is_retried_away(emu: Emulator, tmp_path: Path) -> None:
    emu.faults.add(FaultRule(STORAGE_B, status=200, truncate_at=40, times=1))
    emu.faults.add(FaultRule(APPLICATIONS, status=200, truncate_at=40, times=1))
    assert_complete(scan(emu, tmp_path))


def test_a_next_link_back_to_the_first_page_is_stopped_and_recorded(emu: Emulator, tmp_path: Path) -> None:
    emu.page_size = 5  # role definitions span several pages
    first = f"{emu.url}{SCOPE_A}/providers/Microsoft.Authorization/roleDefinitions?api-version={API_VERSIONS['authorization']}"
    loop = json.dumps({"value": [], "nextLink": first})
    rule = emu.faults.add(
        FaultRule(ROLE_DEFINITIONS_A, status=200, retry_after_s=None, body=loop, skip=1, times=None)
    )
    outcome = scan(emu, tmp_path)
    [error] = assert_incomplete(outcome, {(SCOPE_A, "role_definitions.list")})
    assert "repeats" in error["message"]
    assert rule.fired == 1, "page 2 linked back to page 1, which was not fetched again"
    assert _hits(emu, ROLE_DEFINITIONS_A)[:2] == [200, 200]


# --------------------------------------------------------------------------- subscriptions and vaults


def _all_operations(outcome: Outcome, scope: str) -> set[tuple[str, str]]:
    return {(scope, e["operation"]) for e in outcome.errors}


@pytest.mark.parametrize(
    ("fault", "status", "code"),
    [("forbidden", 403, "AuthorizationFailed"), ("gone", 404, "SubscriptionNotFound")],
)
def test_a_subscription_lost_between_listing_and_reading(
    emu: Emulator, tmp_path: Path, fault: str, status: int, code: str
) -> None:
    if fault == "forbidden":
        emu.faults.forbid_subscription(SUB_B)
    else:
        emu.faults.add(FaultRule.subscription_not_found(SUB_B))
    outcome = scan(emu, tmp_path)
    assert outcome.errors, "the lost subscription left no error"
    errors = assert_incomplete(outcome, _all_operations(outcome, SCOPE_B))
    assert {(e["status"], e["code"]) for e in errors} == {(status, code)}
    assert "subscriptions.list" not in {e["operation"] for e in errors}, "it was listed"
    assert _coverage(outcome) == {SUB_A: True, SUB_B: False}


def test_the_subscription_list_failing_leaves_the_whole_scan_incomplete(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.faults.add(FaultRule(r"^/subscriptions$", status=500, retry_after_s=None, times=None))
    outcome = scan(emu, tmp_path)
    assert_incomplete(outcome, {("/subscriptions", "subscriptions.list")})


def test_a_vault_whose_secrets_are_forbidden_keeps_its_properties_and_keys(
    emu: Emulator, tmp_path: Path
) -> None:
    emu.faults.add(FaultRule(SECRETS, status=403, retry_after_s=None, times=None))
    outcome = scan(emu, tmp_path, "--save-snapshot", str(tmp_path / "snapshot.json"))
    [error] = assert_incomplete(outcome, {(VAULT, "secrets.list")})
    assert (error["status"], error["code"]) == (403, "AuthorizationFailed")
    snapshot = json.loads((tmp_path / "snapshot.json").read_text(encoding="utf-8"))
    [vault] = [v for v in snapshot["key_vaults"] if v["id"].lower() == VAULT.lower()]
    assert (vault["vault_uri"], vault["network_default_action"]) == (
        "https://kv-prod.vault.azure.net/",
        "Allow",
    )
    items = [i for i in snapshot["vault_items"] if i["vault_id"].lower() == VAULT.lower()]
    assert {i["kind"] for i in items} == {"key"}, "keys read, secrets missing and said so"
    assert _coverage(outcome) == {SUB_A: False, SUB_B: True}
