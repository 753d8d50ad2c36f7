"""Synthetic tenants: deterministic, sized as asked, and served like any other tenant."""

from __future__ import annotations

import httpx

from scanner.emulator import Emulator, synthetic_tenant
from tests.emulator.conftest import follow, get_token


def test_synthetic_tenant_is_deterministic_and_sized() -> None:
    one = synthetic_tenant(3, workspaces_per_subscription=2, fhir_per_workspace=3, applications=4)
    two = synthetic_tenant(3, workspaces_per_subscription=2, fhir_per_workspace=3, applications=4)
    assert [s.subscription_id for s in one.subscriptions] == [s.subscription_id for s in two.subscriptions]
    assert len(one.subscriptions) == 3
    assert len(one.graph.applications) == 4
    assert len(one.role_assignments) == 3 * 2 * 3 * 2


def test_synthetic_tenant_is_served_with_paging() -> None:
    tenant = synthetic_tenant(5, fhir_per_workspace=3)
    with Emulator(tenant, page_size=2) as emu, httpx.Client(verify=str(emu.ca_path)) as http:
        http.headers["Authorization"] = f"Bearer {get_token(http, emu)}"
        subs, _ = follow(http, f"{emu.url}/subscriptions", {"api-version": "2022-12-01"})
        assert len(subs) == 5
        sid = subs[0]["subscriptionId"]
        services, links = follow(
            http,
            f"{emu.url}/subscriptions/{sid}/resourceGroups/rg-fhir-0/providers/Microsoft.HealthcareApis/"
            "workspaces/ws0/fhirservices",
            {"api-version": "2024-03-31"},
        )
        assert len(services) == 3 and len(links) == 1
