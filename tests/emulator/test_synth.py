"""Synthetic tenants: deterministic for a seed, sized and shaped as asked, and served like any other tenant."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime

import httpx
import pytest

from scanner.emulator import Emulator, synthetic_tenant
from scanner.emulator.cli import add_arguments
from scanner.emulator.store import ArmStore
from scanner.emulator.synth import SyntheticShape, parse_shape, shape_summary
from tests.emulator.conftest import follow, get_token

NOW = datetime(2025, 3, 21, 12, 0, tzinfo=UTC)


def _dump(tenant: object) -> str:
    return tenant.model_dump_json()  # type: ignore[attr-defined]


def test_same_seed_same_tenant_other_seed_other_tenant() -> None:
    one = synthetic_tenant(4, seed=3, now=NOW)
    two = synthetic_tenant(4, seed=3, now=NOW)
    other = synthetic_tenant(4, seed=4, now=NOW)
    assert _dump(one) == _dump(two)
    assert _dump(one) != _dump(other)


def test_a_subscription_does_not_depend_on_how_many_there_are() -> None:
    small = synthetic_tenant(2, now=NOW)
    large = synthetic_tenant(5, now=NOW)
    assert small.subscriptions[1] == large.subscriptions[1]


def test_counts_follow_the_shape() -> None:
    shape = SyntheticShape(
        subscriptions=3,
        workspaces_per_subscription=2,
        fhir_per_workspace=3,
        vaults_per_subscription=2,
        secrets_per_vault=4,
        keys_per_vault=1,
        role_assignments_per_subscription=40,
        management_group_assignments=5,
        applications=7,
        users=11,
        groups=2,
    )
    tenant = synthetic_tenant(shape=shape, now=NOW)
    resources = [r for s in tenant.subscriptions for r in s.resources]
    workspaces = [r for r in resources if "/workspaces/" in r["id"]]
    vaults = [r for r in resources if "/vaults/" in r["id"]]
    assert len(tenant.subscriptions) == 3
    assert sum(len(w["_children"]["fhirservices"]) for w in workspaces) == 3 * 2 * 3
    assert sum(len(v["_children"]["secrets"]) + len(v["_children"]["keys"]) for v in vaults) == 3 * 2 * 5
    assert len(tenant.role_assignments) == 3 * 40 + 5
    assert len(tenant.graph.applications) == len(tenant.graph.service_principals) == 7
    assert (len(tenant.graph.users), len(tenant.graph.groups)) == (11, 2)
    summary = shape_summary(shape)
    assert summary["fhir_services"] == 18 and summary["vault_items"] == 30


def test_no_role_is_assigned_twice_to_one_principal_at_one_scope() -> None:
    """ARM refuses such a duplicate (409 RoleAssignmentExists); a dense tenant must still hold the count asked."""
    shape = SyntheticShape(subscriptions=2, role_assignments_per_subscription=4000, applications=200, users=800)
    tenant = synthetic_tenant(shape=shape, now=NOW)
    keys = {
        (a["role"], a["properties"]["scope"].lower(), a["properties"]["principalId"]) for a in tenant.role_assignments
    }
    assert len(tenant.role_assignments) == len(keys) == 2 * 4000 + shape.management_group_assignments


def test_defaults_scale_with_subscriptions_and_look_like_an_enterprise() -> None:
    tenant = synthetic_tenant(20, now=NOW)
    assert len(tenant.graph.applications) == 20 * 20
    per_subscription = len(tenant.role_assignments) / 20
    assert 50 <= per_subscription <= 200 + 1
    scopes = [a["properties"]["scope"].lower() for a in tenant.role_assignments]
    at_management_group = [s for s in scopes if "managementgroups" in s]
    broad = [s for s in scopes if s.count("/") <= 4 and s.startswith("/subscriptions/")]
    assert at_management_group
    assert 0.01 < len(broad) / len(scopes) < 0.15  # ~5% at subscription or resource-group scope
    legacy = [r for s in tenant.subscriptions for r in s.resources if "/services/" in r["id"]]
    assert len(legacy) == 2  # one per 10 subscriptions


def test_mixes_good_and_bad_settings() -> None:
    tenant = synthetic_tenant(10, now=NOW)
    users = tenant.graph.users
    assert any(u["userType"] == "Guest" for u in users) and any(u["userType"] == "Member" for u in users)
    known = {o["id"] for o in tenant.graph.service_principals + users + tenant.graph.groups}
    principals = {a["properties"]["principalId"] for a in tenant.role_assignments}
    assert principals - known, "some assignments should name deleted principals"
    ends = [
        c["endDateTime"]
        for app in tenant.graph.applications
        for c in app["passwordCredentials"] + app["keyCredentials"]
    ]
    now_text = NOW.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert any(e < now_text for e in ends) and any(e > now_text for e in ends)
    fhir = [
        f
        for s in tenant.subscriptions
        for r in s.resources
        for f in r.get("_children", {}).get("fhirservices", [])
    ]
    access = {f["properties"]["publicNetworkAccess"] for f in fhir}
    assert access == {"Enabled", "Disabled"}
    assert any("encryption" in f["properties"] for f in fhir)
    assert any("encryption" not in f["properties"] for f in fhir)


def test_parse_shape_accepts_a_count_or_key_values_and_refuses_the_rest() -> None:
    assert parse_shape("12") == SyntheticShape(subscriptions=12)
    shape = parse_shape("subscriptions=3, seed=9, role-assignments-per-subscription=1000, guest_share=0.5")
    assert (shape.subscriptions, shape.seed, shape.role_assignments_per_subscription) == (3, 9, 1000)
    assert shape.guest_share == 0.5
    for bad, words in (
        ("subscriptions=3,bogus=1", "unknown key 'bogus'"),
        ("subscriptions=2.5", "subscriptions"),
        ("subscriptions=-1", "must not be negative"),
        ("guest_share=2", "share"),
        ("seed", "not a number"),
        ("subscriptions=2,seed", "expected key=value"),
    ):
        with pytest.raises(ValueError, match=words):
            parse_shape(bad)
    with pytest.raises(ValueError, match="unknown synthetic tenant parameter"):
        synthetic_tenant(1, bogus=1)


def test_cli_option_keeps_a_bare_count_working() -> None:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    assert parser.parse_args(["--synthetic", "7"]).synthetic == SyntheticShape(subscriptions=7)
    args = parser.parse_args(["--synthetic", "subscriptions=2,seed=5"])
    assert args.synthetic == SyntheticShape(subscriptions=2, seed=5)
    with pytest.raises(SystemExit):
        parser.parse_args(["--synthetic", "subscriptions=2,nope=1"])


def test_each_subscription_lists_only_its_own_and_inherited_assignments() -> None:
    tenant = synthetic_tenant(
        3, role_assignments_per_subscription=30, management_group_assignments=6, now=NOW
    )
    store = ArmStore.build(tenant)
    for sub in tenant.subscriptions:
        listed = store.list_role_assignments(f"/subscriptions/{sub.subscription_id}", at_scope_only=False)
        own = [a for a in listed if a["properties"]["scope"].lower().startswith("/subscriptions/")]
        inherited = [a for a in listed if "managementgroups" in a["properties"]["scope"].lower()]
        assert len(own) == 30
        assert all(sub.subscription_id in a["properties"]["scope"] for a in own)
        # Subscriptions sit under one of two child groups; root-group assignments reach all of them.
        assert 0 < len(inherited) < 6
        assert len(listed) == len(own) + len(inherited)


def test_synthetic_tenant_is_served_with_paging() -> None:
    tenant = synthetic_tenant(5, fhir_per_workspace=3, now=NOW)
    workspace = next(r for r in tenant.subscriptions[0].resources if "/workspaces/" in r["id"])
    with Emulator(tenant, page_size=2) as emu, httpx.Client(verify=str(emu.ca_path)) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http, emu)}"
        subs, _ = follow(http, f"{emu.url}/subscriptions", {"api-version": "2022-12-01"})
        assert len(subs) == 5
        services, links = follow(
            http, f"{emu.url}{workspace['id']}/fhirservices", {"api-version": "2024-03-31"}
        )
        assert len(services) == 3 and len(links) == 1
