"""The Entra side: discovery, the client-credentials grant and its AADSTS errors, bearer checks."""

from __future__ import annotations

import base64
import json

import httpx
from azure.identity import ClientSecretCredential

from scanner.emulator import Emulator
from tests.emulator.conftest import API, PROD, get_token


def _jwt(payload: dict[str, object]) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(payload)}.c2lnbmF0dXJl"


def test_openid_configuration_points_at_the_emulator(emulator: Emulator, anon: httpx.Client) -> None:
    response = anon.get(f"{emulator.url}/{emulator.tenant_id}/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200
    config = response.json()
    for key in ("token_endpoint", "authorization_endpoint", "issuer", "device_authorization_endpoint"):
        assert config[key].startswith(f"{emulator.url}/{emulator.tenant_id}/"), key
    assert config["token_endpoint"] == f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token"


def test_token_is_issued_for_the_right_secret(emulator: Emulator, anon: httpx.Client) -> None:
    response = anon.post(
        f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "scope": f"{emulator.url}/.default",
            "claims": '{"access_token":{"xms_cc":{"values":["CP1"]}}}',
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["access_token"] in emulator.tokens_issued
    assert body["access_token"].count(".") == 2


def test_wrong_secret_gets_aadsts_7000215(emulator: Emulator, anon: httpx.Client) -> None:
    response = anon.post(
        f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "client_secret": "wrong",
            "scope": f"{emulator.url}/.default",
        },
    )
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_client"
    assert body["error_description"].startswith("AADSTS7000215: Invalid client secret provided.")
    assert body["error_codes"] == [7000215]
    assert "wrong" not in response.text


def test_unknown_tenant_gets_aadsts_90002(emulator: Emulator, anon: httpx.Client) -> None:
    other = "00000000-1111-2222-3333-444444444444"
    discovery = anon.get(f"{emulator.url}/{other}/v2.0/.well-known/openid-configuration")
    token = anon.post(
        f"{emulator.url}/{other}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": emulator.client_id,
            "client_secret": emulator.client_secret,
            "scope": "x/.default",
        },
    )
    for response in (discovery, token):
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_tenant"
        assert response.json()["error_codes"] == [90002]


def test_tenant_domain_is_accepted_as_authority(emulator: Emulator, anon: httpx.Client) -> None:
    response = anon.get(f"{emulator.url}/contosohealth.onmicrosoft.com/v2.0/.well-known/openid-configuration")
    assert response.status_code == 200


def test_unknown_client_gets_aadsts_700016(emulator: Emulator, anon: httpx.Client) -> None:
    response = anon.post(
        f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "11111111-0000-0000-0000-000000000000",
            "client_secret": "x",
            "scope": "x/.default",
        },
    )
    assert response.status_code == 400
    assert response.json()["error_codes"] == [700016]


def test_client_assertion_must_be_jwt_shaped(emulator: Emulator, anon: httpx.Client) -> None:
    url = f"{emulator.url}/{emulator.tenant_id}/oauth2/v2.0/token"
    form = {
        "grant_type": "client_credentials",
        "client_id": emulator.client_id,
        "scope": "x/.default",
        "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
    }
    good = anon.post(url, data={**form, "client_assertion": _jwt({"iss": emulator.client_id})})
    bad = anon.post(url, data={**form, "client_assertion": "not-a-jwt"})
    assert good.status_code == 200
    assert bad.status_code == 401
    assert bad.json()["error_codes"] == [50027]


def test_arm_and_graph_require_a_bearer_token(emulator: Emulator, anon: httpx.Client) -> None:
    missing = anon.get(f"{emulator.url}/subscriptions", params=API)
    bogus = anon.get(f"{emulator.url}/subscriptions", params=API, headers={"Authorization": "Bearer nope"})
    graph = anon.get(f"{emulator.url}/v1.0/users")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "AuthenticationFailed"
    assert "Bearer" in missing.headers["WWW-Authenticate"]
    assert bogus.status_code == 401
    assert bogus.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert graph.status_code == 401
    assert graph.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert "innerError" in graph.json()["error"]


def test_expired_tokens_are_refused(anon: httpx.Client) -> None:
    with Emulator(token_lifetime_s=3600) as emu, httpx.Client(verify=str(emu.ca_path)) as http:
        headers = {"Authorization": f"Bearer {get_token(http, emu)}"}
        assert http.get(f"{emu.url}/subscriptions/{PROD}", params=API, headers=headers).status_code == 200
        emu.expire_tokens()
        arm = http.get(f"{emu.url}/subscriptions/{PROD}", params=API, headers=headers)
        graph = http.get(f"{emu.url}/v1.0/organization", headers=headers)
    assert arm.status_code == 401
    assert arm.json()["error"]["code"] == "ExpiredAuthenticationToken"
    assert graph.status_code == 401
    assert graph.json()["error"]["code"] == "InvalidAuthenticationToken"


def test_sync_msal_credential_uses_discovery(emulator: Emulator) -> None:
    credential = ClientSecretCredential(
        emulator.tenant_id,
        emulator.client_id,
        emulator.client_secret,
        authority=emulator.url,
        disable_instance_discovery=True,
        connection_verify=str(emulator.ca_path),
    )
    token = credential.get_token(f"{emulator.url}/.default")
    assert token.token in emulator.tokens_issued
    paths = [r.path for r in emulator.requests]
    assert f"/{emulator.tenant_id}/v2.0/.well-known/openid-configuration" in paths
