"""Credentials against the local emulator: tokens for each app method, and one-line AuthErrors for each failure."""

from __future__ import annotations

import asyncio
import base64
import json
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trustme

from scanner.auth import build_credential, verify_credential
from scanner.cloud import CloudProfile, resolve_cloud
from scanner.config import AuthConfig, CloudConfig
from scanner.emulator import Emulator, Tenant
from scanner.errors import AuthError
from scanner.tls import ssl_context

SECRET_ENV = "AHDS_AUDIT_TEST_CLIENT_SECRET"
TENANT = {
    "tenant_id": "aaaaaaaa-0000-4000-8000-000000000001",
    "display_name": "Auth test tenant",
    "clients": [
        {"client_id": "bbbbbbbb-0000-4000-8000-000000000002", "client_secret": "emulator-only-secret-Zq81"},
        {"client_id": "cccccccc-0000-4000-8000-000000000003"},  # assertions only (certificate, federated)
    ],
}
APP, ASSERTION_APP = (c["client_id"] for c in TENANT["clients"])


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(Tenant.from_data(TENANT)) as running:
        yield running


@pytest.fixture(scope="module")
def cloud(emu: Emulator) -> CloudProfile:
    return resolve_cloud(CloudConfig(name="custom", arm_endpoint=emu.url, graph_endpoint=emu.url,
                                     authority_host=emu.url, ca_bundle=emu.ca_path))


def _custom(url: str) -> CloudProfile:
    return resolve_cloud(CloudConfig(name="custom", arm_endpoint=url, graph_endpoint=url, authority_host=url))


def secret_auth(tenant: str = TENANT["tenant_id"], client: str = APP, timeout_s: float = 10) -> AuthConfig:
    return AuthConfig(method="client-secret", tenant_id=tenant, client_id=client, client_secret_env=SECRET_ENV,
                      timeout_s=timeout_s)


async def _verify(auth: AuthConfig, cloud: CloudProfile, ca: Path | None) -> None:
    async with await build_credential(auth, cloud, ssl_context(ca)) as credential:
        await verify_credential(credential, cloud, timeout_s=auth.timeout_s)


async def _auth_error(auth: AuthConfig, cloud: CloudProfile, ca: Path | None) -> str:
    with pytest.raises(AuthError) as info:
        await _verify(auth, cloud, ca)
    assert info.value.exit_code == 2
    assert "\n" not in info.value.message
    return info.value.message


@pytest.fixture
def good_secret(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> str:
    monkeypatch.setenv(SECRET_ENV, emu.client_secret)
    return emu.client_secret


async def test_right_secret_gets_an_arm_token_from_the_custom_authority(good_secret: str, emu: Emulator,
                                                                        cloud: CloudProfile) -> None:
    async with await build_credential(secret_auth(), cloud, ssl_context(emu.ca_path)) as credential:
        await verify_credential(credential, cloud, timeout_s=10)
        token = await credential.get_token(cloud.graph_scope)
    assert token.token in emu.tokens_issued


async def test_wrong_secret_is_one_line_naming_client_and_tenant(monkeypatch: pytest.MonkeyPatch, emu: Emulator,
                                                                 cloud: CloudProfile) -> None:
    monkeypatch.setenv(SECRET_ENV, "not-the-secret-8f2k")
    message = await _auth_error(secret_auth(), cloud, emu.ca_path)
    assert message == (f"authentication failed: invalid client secret for client {APP} in tenant "
                       f"{TENANT['tenant_id']} (AADSTS7000215)")
    assert "not-the-secret-8f2k" not in message


async def test_unknown_tenant(good_secret: str, emu: Emulator, cloud: CloudProfile) -> None:
    tenant = "dddddddd-0000-4000-8000-00000000dead"
    message = await _auth_error(secret_auth(tenant=tenant), cloud, emu.ca_path)
    assert message == f"authentication failed: tenant {tenant} not found at {cloud.authority_netloc} (AADSTS90002)"


async def test_unknown_application(good_secret: str, emu: Emulator, cloud: CloudProfile) -> None:
    client = "eeeeeeee-0000-4000-8000-000000000009"
    message = await _auth_error(secret_auth(client=client), cloud, emu.ca_path)
    assert message.endswith(f"application {client} not found in tenant {TENANT['tenant_id']} (AADSTS700016)")


async def test_untrusted_certificate_names_the_host_and_the_fix(good_secret: str, cloud: CloudProfile) -> None:
    message = await _auth_error(secret_auth(), cloud, None)  # the emulator's CA is not trusted
    assert message.startswith(f"authentication failed: TLS certificate of {cloud.authority_netloc} is not trusted")
    assert "cloud.ca_bundle" in message


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_unreachable_authority_fails_fast(good_secret: str) -> None:
    port = _closed_port()
    message = await asyncio.wait_for(_auth_error(secret_auth(), _custom(f"https://127.0.0.1:{port}"), None), 20)
    assert message == f"authentication failed: connection refused by 127.0.0.1:{port}"


@pytest.fixture
async def silent_port() -> AsyncIterator[int]:
    """A server that accepts connections and never says a word."""
    held: list[asyncio.StreamWriter] = []

    async def hold(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    async with server:
        yield int(server.sockets[0].getsockname()[1])
        for writer in held:
            writer.close()


@pytest.mark.asyncio(loop_scope="session")  # the same loop as the silent server fixture
async def test_silent_authority_is_bounded_by_the_timeout(good_secret: str, silent_port: int) -> None:
    cloud = _custom(f"https://127.0.0.1:{silent_port}")
    message = await asyncio.wait_for(_auth_error(secret_auth(timeout_s=0.5), cloud, None), 20)
    assert message == f"authentication failed: no answer from 127.0.0.1:{silent_port} within 0.5s"


async def test_missing_secret_variable_is_named(monkeypatch: pytest.MonkeyPatch, cloud: CloudProfile) -> None:
    monkeypatch.delenv(SECRET_ENV, raising=False)
    with pytest.raises(AuthError, match=f"environment variable {SECRET_ENV} \\(named by auth.client_secret_env\\) "
                                        "is not set"):
        await build_credential(secret_auth(), cloud, ssl_context(None))


async def test_certificate_credential(emu: Emulator, cloud: CloudProfile, tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    trustme.CA().issue_cert("ahds-audit-app", key_type=trustme.KeyType.RSA).private_key_and_cert_chain_pem.write_to_path(str(pem))
    auth = AuthConfig(method="certificate", tenant_id=TENANT["tenant_id"], client_id=ASSERTION_APP,
                      certificate_path=pem)
    await _verify(auth, cloud, emu.ca_path)
    assert emu.tokens_issued


async def test_unusable_certificate_file_is_an_auth_error(cloud: CloudProfile, tmp_path: Path) -> None:
    pem = tmp_path / "app.pem"
    pem.write_text("not a certificate\n", encoding="ascii")
    auth = AuthConfig(method="certificate", tenant_id=TENANT["tenant_id"], client_id=ASSERTION_APP,
                      certificate_path=pem)
    with pytest.raises(AuthError, match=f"auth.certificate_path {pem}: not a usable PEM/PFX certificate"):
        await build_credential(auth, cloud, ssl_context(None))


def _fake_federated_token() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'sub': 'repo:org/app:ref:refs/heads/main'})}.c2ln"


async def test_workload_identity_reads_the_federated_token_file(emu: Emulator, cloud: CloudProfile,
                                                                tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(_fake_federated_token(), encoding="ascii")
    auth = AuthConfig(method="workload-identity", tenant_id=TENANT["tenant_id"], client_id=ASSERTION_APP,
                      federated_token_file=token_file)
    await _verify(auth, cloud, emu.ca_path)


async def test_unreachable_key_vault_is_reported_within_the_bound(monkeypatch: pytest.MonkeyPatch,
                                                                  emu: Emulator, cloud: CloudProfile) -> None:
    port = _closed_port()
    uri = f"https://127.0.0.1:{port}/secrets/ahds-audit"
    auth = AuthConfig(method="client-secret", tenant_id=TENANT["tenant_id"], client_id=APP,
                      client_secret_keyvault_uri=uri, timeout_s=10)
    message = await asyncio.wait_for(_auth_error(auth, cloud, emu.ca_path), 20)
    assert message == f"authentication failed: reading Key Vault secret {uri}: connection refused by 127.0.0.1:{port}"
