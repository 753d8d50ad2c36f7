"""Real SDK clients (azure-mgmt-*, azure-identity, msgraph-sdk) against the emulator: shapes deserialise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from azure.identity.aio import ClientSecretCredential
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.healthcareapis.aio import HealthcareApisManagementClient
from azure.mgmt.keyvault.aio import KeyVaultManagementClient
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient
from kiota_authentication_azure.azure_identity_authentication_provider import (
    AzureIdentityAuthenticationProvider,
)
from msgraph import GraphRequestAdapter, GraphServiceClient
from msgraph.generated.directory_objects.get_by_ids.get_by_ids_post_request_body import (
    GetByIdsPostRequestBody,
)
from msgraph.generated.models.user import User
from msgraph_core import GraphClientFactory

from scanner.emulator import Emulator, FaultRule
from tests.emulator.conftest import PROD

# Async fixtures run on the session loop (pyproject), so the tests must too.
pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
async def credential(emulator: Emulator) -> AsyncIterator[ClientSecretCredential]:
    cred = ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        emulator.client_secret,
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    async with cred:
        yield cred


def _arm_kwargs(emu: Emulator) -> dict[str, Any]:
    return {
        "base_url": emu.url,
        "credential_scopes": [f"{emu.url}/.default"],
        "connection_verify": str(emu.ca_path),
    }


async def test_healthcareapis_client_lists_workspaces_and_fhir_services(
    emulator: Emulator, credential: ClientSecretCredential
) -> None:
    emulator.page_size = 1
    async with HealthcareApisManagementClient(credential, PROD, **_arm_kwargs(emulator)) as client:
        workspaces = [w async for w in client.workspaces.list_by_subscription()]
        services = [s async for s in client.fhir_services.list_by_workspace("rg-fhir-prod", "ahdsprodws")]
    assert {w.name for w in workspaces} == {"ahdsprodws", "ahdsresearchws"}
    by_name = {s.name: s for s in services}
    cmk = by_name["fhirprod"].encryption.customer_managed_key_encryption.key_encryption_key_url
    assert cmk == "https://kv-contoso-cmk-prod.vault.azure.net/keys/fhir-cmk"
    assert by_name["fhirpartners"].cors_configuration.origins == ["*"]
    assert (
        by_name["fhirprod"].private_endpoint_connections[0].private_link_service_connection_state.status
        == "Approved"
    )


async def test_sdk_retries_a_throttled_list_and_subscriptions_deserialise(
    emulator: Emulator, credential: ClientSecretCredential
) -> None:
    emulator.faults.add(FaultRule("^/subscriptions$", retry_after_s=0.1, times=2))
    async with SubscriptionClient(credential, **_arm_kwargs(emulator)) as client:
        subs = [s async for s in client.subscriptions.list()]
    assert {s.display_name for s in subs} == {"contoso-health-prod", "contoso-health-dev"}
    statuses = [r.status for r in emulator.requests if r.path == "/subscriptions"]
    assert statuses == [429, 429, 200]


async def test_keyvault_and_authorization_clients(
    emulator: Emulator, credential: ClientSecretCredential
) -> None:
    async with KeyVaultManagementClient(credential, PROD, **_arm_kwargs(emulator)) as kv:
        vaults = {v.name: v async for v in kv.vaults.list_by_subscription()}
        keys = {k.name: k async for k in kv.keys.list("rg-security-prod", "kv-contoso-research")}
    assert vaults["kv-contoso-cmk-prod"].properties.enable_purge_protection is True
    assert vaults["kv-contoso-research"].properties.enable_purge_protection is None
    assert keys["research-cmk-old"].attributes.enabled is False
    assert isinstance(keys["research-cmk"].attributes.expires, int)
    async with AuthorizationManagementClient(credential, PROD, **_arm_kwargs(emulator)) as auth:
        emulator.page_size = 2
        assignments = [a async for a in auth.role_assignments.list_for_subscription(filter="atScope()")]
        role = await auth.role_definitions.get_by_id(assignments[0].role_definition_id)
    assert assignments and role.role_name
    pages = [r for r in emulator.requests if r.path.endswith("/roleAssignments")]
    assert len(pages) >= 2 and all("atScope" in r.query.get("$filter", "") for r in pages)


async def test_msgraph_sdk_pages_and_resolves_principals(
    emulator: Emulator, credential: ClientSecretCredential
) -> None:
    emulator.page_size = 2
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[f"{emulator.url}/.default"], allowed_hosts=["127.0.0.1"]
    )
    http = GraphClientFactory.create_with_default_middleware(
        client=httpx.AsyncClient(verify=str(emulator.ca_path))
    )
    adapter = GraphRequestAdapter(auth, client=http)
    adapter.base_url = f"{emulator.url}/v1.0"
    graph = GraphServiceClient(request_adapter=adapter)
    page = await graph.applications.get()
    apps = list(page.value)
    while page.odata_next_link:
        page = await graph.applications.with_url(page.odata_next_link).get()
        apps.extend(page.value)
    assert len(apps) == len(emulator.tenant.graph.applications)
    loader = next(a for a in apps if a.display_name == "Legacy Batch Loader")
    assert loader.password_credentials[0].end_date_time is None
    body = GetByIdsPostRequestBody(ids=["adcae384-aba2-4f31-afc8-bd8fac1fd1bc"], types=["user"])
    found = await graph.directory_objects.get_by_ids.post(body)
    assert isinstance(found.value[0], User) and found.value[0].user_type == "Guest"
    await http.aclose()
