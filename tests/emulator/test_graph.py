"""Microsoft Graph routes: paging, $select, $filter, getByIds, single objects and errors."""

from __future__ import annotations

import httpx

from scanner.emulator import Emulator
from tests.emulator.conftest import follow

GUEST = "adcae384-aba2-4f31-afc8-bd8fac1fd1bc"
PORTAL_SP = "cd0c11e6-ed6c-44ae-abe3-9ab888e65d4f"
ANALYSTS = "ba76606e-0540-4d6d-a9ec-8838d6c52691"


def test_applications_page_with_absolute_next_links_and_select(
    emulator: Emulator, client: httpx.Client
) -> None:
    items, links = follow(
        client,
        f"{emulator.url}/v1.0/applications",
        {"$select": "id,displayName,passwordCredentials", "$top": "2"},
        link="@odata.nextLink",
    )
    assert [a["id"] for a in items] == [a["id"] for a in emulator.tenant.graph.applications]
    assert len(links) == (len(items) - 1) // 2
    assert all(link.startswith(f"{emulator.url}/v1.0/applications?") for link in links)
    assert all(set(a) == {"id", "displayName", "passwordCredentials"} for a in items)


def test_page_size_is_the_default_top(emulator: Emulator, client: httpx.Client) -> None:
    emulator.page_size = 1
    body = client.get(f"{emulator.url}/v1.0/users").json()
    assert len(body["value"]) == 1
    assert body["@odata.nextLink"].startswith(f"{emulator.url}/v1.0/users?")
    assert body["@odata.context"] == f"{emulator.url}/v1.0/$metadata#users"


def test_filter_by_app_id(emulator: Emulator, client: httpx.Client) -> None:
    app_id = "ea6f2216-8051-4675-9052-60082833f1cd"
    body = client.get(
        f"{emulator.url}/v1.0/servicePrincipals", params={"$filter": f"appId eq '{app_id}'"}
    ).json()
    assert [sp["id"] for sp in body["value"]] == [PORTAL_SP]
    unsupported = client.get(f"{emulator.url}/v1.0/users", params={"$filter": "foo gt 3"})
    assert unsupported.status_code == 400
    assert unsupported.json()["error"]["code"] == "Request_UnsupportedQuery"


def test_get_by_ids_returns_typed_objects_and_drops_unknown_ids(
    emulator: Emulator, client: httpx.Client
) -> None:
    orphan = "42402578-9ed3-4a58-8974-1607fa1f6a49"
    response = client.post(
        f"{emulator.url}/v1.0/directoryObjects/getByIds", json={"ids": [GUEST, PORTAL_SP, ANALYSTS, orphan]}
    )
    assert response.status_code == 200
    found = {o["id"]: o for o in response.json()["value"]}
    assert set(found) == {GUEST, PORTAL_SP, ANALYSTS}
    assert found[GUEST]["@odata.type"] == "#microsoft.graph.user"
    assert found[GUEST]["userType"] == "Guest"
    assert found[PORTAL_SP]["@odata.type"] == "#microsoft.graph.servicePrincipal"
    assert found[ANALYSTS]["@odata.type"] == "#microsoft.graph.group"
    only_users = client.post(
        f"{emulator.url}/v1.0/directoryObjects/getByIds", json={"ids": [GUEST, PORTAL_SP], "types": ["user"]}
    ).json()
    assert [o["id"] for o in only_users["value"]] == [GUEST]


def test_single_objects_and_not_found(emulator: Emulator, client: httpx.Client) -> None:
    user = client.get(f"{emulator.url}/v1.0/users/{GUEST}", params={"$select": "userType"}).json()
    assert user == {
        "@odata.context": f"{emulator.url}/v1.0/$metadata#users/$entity",
        "id": GUEST,
        "userType": "Guest",
    }
    wrong_collection = client.get(f"{emulator.url}/v1.0/users/{PORTAL_SP}")
    assert wrong_collection.status_code == 404
    assert wrong_collection.json()["error"]["code"] == "Request_ResourceNotFound"
    unknown = client.get(f"{emulator.url}/v1.0/widgets")
    assert unknown.status_code == 400
    assert "innerError" in unknown.json()["error"]


def test_organization_names_the_tenant(emulator: Emulator, client: httpx.Client) -> None:
    org = client.get(f"{emulator.url}/v1.0/organization").json()["value"][0]
    assert org["id"] == emulator.tenant_id
    assert org["displayName"] == "Contoso Health"


def test_page_size_caps_a_larger_top(emulator: Emulator, client: httpx.Client) -> None:
    emulator.page_size = 2
    items, links = follow(
        client, f"{emulator.url}/v1.0/applications", {"$top": "999"}, link="@odata.nextLink"
    )
    assert [a["id"] for a in items] == [a["id"] for a in emulator.tenant.graph.applications]
    assert len(links) == (len(items) - 1) // 2
    assert all("%24top=999" in link or "$top=999" in link for link in links)
