"""ARM routes: generic lists with absolute paging, gets by id, error bodies, and RBAC scope rules."""

from __future__ import annotations

import httpx

from scanner.emulator import Emulator
from tests.emulator.conftest import API, DEV, PROD, follow

WS = f"/subscriptions/{PROD}/resourceGroups/rg-fhir-prod/providers/Microsoft.HealthcareApis/workspaces"
RA = "/providers/Microsoft.Authorization/roleAssignments"
MG_SCOPE = "/providers/Microsoft.Management/managementGroups/mg-contoso-health"


def _expected(emu: Emulator, subscription: str, resource_type: str) -> set[str]:
    """Ids of top-level resources of a type in a subscription, read from the tenant file itself."""
    sub = next(s for s in emu.tenant.subscriptions if s.subscription_id == subscription)
    return {r["id"] for r in sub.resources if r["type"].lower() == resource_type.lower()}


def test_subscriptions_list_and_get(emulator: Emulator, client: httpx.Client) -> None:
    items, _ = follow(client, f"{emulator.url}/subscriptions", API)
    assert {s["subscriptionId"] for s in items} == {PROD, DEV}
    one = client.get(f"{emulator.url}/subscriptions/{DEV}", params=API).json()
    assert one["displayName"] == "contoso-health-dev"
    assert one["tenantId"] == emulator.tenant_id


def test_paging_with_page_size_one_follows_absolute_next_links_to_the_end(
    emulator: Emulator, client: httpx.Client
) -> None:
    emulator.page_size = 1
    url = f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.Storage/storageAccounts"
    items, links = follow(client, url, {"api-version": "2023-05-01"})
    expected = _expected(emulator, PROD, "Microsoft.Storage/storageAccounts")
    assert len(expected) >= 2
    assert [i["id"] for i in items] and {i["id"] for i in items} == expected
    assert len(items) == len(expected)
    assert len(links) == len(expected) - 1
    for link in links:
        assert link.startswith(
            f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.Storage/storageAccounts?"
        )
        assert "api-version=2023-05-01" in link and "skiptoken" in link


def test_children_of_a_parent_are_listed_and_emulator_keys_stripped(
    emulator: Emulator, client: httpx.Client
) -> None:
    services, _ = follow(client, f"{emulator.url}{WS}/ahdsprodws/fhirservices", API)
    assert {s["name"] for s in services} == {"fhirprod", "fhirpartners"}
    assert all(s["type"] == "Microsoft.HealthcareApis/workspaces/fhirservices" for s in services)
    workspace = client.get(f"{emulator.url}{WS}/ahdsprodws", params=API).json()
    assert "_children" not in workspace
    assert workspace["properties"]["publicNetworkAccess"] == "Enabled"


def test_key_vault_items_carry_attributes_and_never_a_value(emulator: Emulator, client: httpx.Client) -> None:
    vault = (
        f"/subscriptions/{PROD}/resourceGroups/rg-security-prod/providers/Microsoft.KeyVault/vaults/"
        "kv-contoso-cmk-prod"
    )
    keys, _ = follow(client, f"{emulator.url}{vault}/keys", {"api-version": "2023-07-01"})
    secrets, _ = follow(client, f"{emulator.url}{vault}/secrets", {"api-version": "2023-07-01"})
    cmk = next(k for k in keys if k["name"] == "fhir-cmk")
    assert isinstance(cmk["properties"]["attributes"]["exp"], int)
    assert cmk["properties"]["keyUri"] == "https://kv-contoso-cmk-prod.vault.azure.net/keys/fhir-cmk"
    assert secrets and all("value" not in s["properties"] for s in secrets)
    assert all(
        s["properties"]["secretUri"].startswith("https://kv-contoso-cmk-prod.vault.azure.net/secrets/")
        for s in secrets
    )


def test_paths_are_case_insensitive(emulator: Emulator, client: httpx.Client) -> None:
    lower = client.get(f"{emulator.url}{WS.lower()}/AHDSPRODWS/FhirServices/fhirprod", params=API)
    assert lower.status_code == 200
    assert lower.json()["name"] == "fhirprod"


def test_missing_things_get_arm_error_bodies(emulator: Emulator, client: httpx.Client) -> None:
    cases = {
        f"{WS}/nope": (404, "ResourceNotFound"),
        f"/subscriptions/{PROD}/resourceGroups/rg-missing/providers/Microsoft.KeyVault/vaults": (
            404,
            "ResourceGroupNotFound",
        ),
        "/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.HealthcareApis/workspaces": (
            404,
            "SubscriptionNotFound",
        ),
        f"/subscriptions/{PROD}/providers/Microsoft.Nope/widgets": (404, "InvalidResourceType"),
    }
    for path, (status, code) in cases.items():
        response = client.get(f"{emulator.url}{path}", params=API)
        assert response.status_code == status, path
        assert response.json()["error"]["code"] == code, path
        assert response.json()["error"]["message"]
    no_version = client.get(f"{emulator.url}/subscriptions")
    assert no_version.status_code == 400
    assert no_version.json()["error"]["code"] == "MissingApiVersionParameter"


def test_known_type_without_resources_is_an_empty_list(emulator: Emulator, client: httpx.Client) -> None:
    response = client.get(
        f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.HealthcareApis/services", params=API
    )
    assert response.status_code == 200
    assert response.json() == {"value": []}


def test_role_assignments_at_scope_include_management_group_ones(
    emulator: Emulator, client: httpx.Client
) -> None:
    url = f"{emulator.url}/subscriptions/{PROD}{RA}"
    version = {"api-version": "2022-04-01"}
    at_scope, _ = follow(client, url, {**version, "$filter": "atScope()"})
    everything, _ = follow(client, url, version)
    scopes = {a["properties"]["scope"].lower() for a in at_scope}
    assert MG_SCOPE.lower() in scopes
    assert f"/subscriptions/{PROD}" in scopes
    assert all(s in (MG_SCOPE.lower(), f"/subscriptions/{PROD}") for s in scopes)
    below = [a for a in everything if a["properties"]["scope"].lower().startswith(f"/subscriptions/{PROD}/")]
    assert below, "assignments below the subscription are listed without atScope()"
    assert {a["id"] for a in at_scope} < {a["id"] for a in everything}
    assert not any(a["properties"]["scope"].lower().startswith(f"/subscriptions/{DEV}") for a in everything)


def test_role_assignment_paging_keeps_the_filter(emulator: Emulator, client: httpx.Client) -> None:
    emulator.page_size = 1
    url = f"{emulator.url}/subscriptions/{PROD}{RA}"
    paged, links = follow(client, url, {"api-version": "2022-04-01", "$filter": "atScope()"})
    emulator.page_size = 100
    whole, _ = follow(client, url, {"api-version": "2022-04-01", "$filter": "atScope()"})
    assert links and all("atScope" in httpx.URL(link).params["$filter"] for link in links)
    assert [a["id"] for a in paged] == [a["id"] for a in whole]


def test_role_definitions_builtin_custom_and_by_id(emulator: Emulator, client: httpx.Client) -> None:
    base = f"{emulator.url}/subscriptions/{PROD}/providers/Microsoft.Authorization/roleDefinitions"
    version = {"api-version": "2022-04-01"}
    custom, _ = follow(client, base, {**version, "$filter": "type eq 'CustomRole'"})
    assert {r["properties"]["roleName"] for r in custom} == {
        "Contoso FHIR Power Operator",
        "Contoso FHIR Restricted Reader",
    }
    assert all(r["properties"]["type"] == "CustomRole" for r in custom)
    reader = client.get(f"{base}/4c8d0bbc-75d3-4935-991f-5f3c56d81508", params=version).json()
    assert reader["properties"]["roleName"] == "FHIR Data Reader"
    assert (
        "Microsoft.HealthcareApis/workspaces/fhirservices/resources/read"
        in reader["properties"]["permissions"][0]["dataActions"]
    )
    assert (
        reader["id"] == f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleDefinitions/"
        "4c8d0bbc-75d3-4935-991f-5f3c56d81508"
    )
    missing = client.get(f"{base}/00000000-0000-0000-0000-0000000000ff", params=version)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "RoleDefinitionDoesNotExist"


def test_every_assignment_role_resolves(emulator: Emulator, client: httpx.Client) -> None:
    version = {"api-version": "2022-04-01"}
    for sub in (PROD, DEV):
        assignments, _ = follow(client, f"{emulator.url}/subscriptions/{sub}{RA}", version)
        for assignment in assignments:
            role_id = assignment["properties"]["roleDefinitionId"]
            response = client.get(f"{emulator.url}{role_id}", params=version)
            assert response.status_code == 200, role_id


def test_generic_resources_listing_has_no_properties(emulator: Emulator, client: httpx.Client) -> None:
    vaults, _ = follow(
        client,
        f"{emulator.url}/subscriptions/{PROD}/resources",
        {"api-version": "2021-04-01", "$filter": "resourceType eq 'Microsoft.KeyVault/vaults'"},
    )
    assert {v["id"] for v in vaults} == _expected(emulator, PROD, "Microsoft.KeyVault/vaults")
    assert all("properties" not in v for v in vaults)


def test_writes_are_refused(emulator: Emulator, client: httpx.Client) -> None:
    response = client.put(f"{emulator.url}{WS}/ahdsprodws", params=API, json={})
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "MethodNotAllowed"
