"""TLS trust: the extra CA is trusted on top of the defaults, verification is never off, bad CA files are named."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import certifi
import pytest
import trustme

from scanner.errors import ConfigError
from scanner.tls import combined_ca_file, make_aiohttp_session, ssl_context

# Async fixtures run on the session loop (pyproject), so the tests must too, or the server never answers.
on_session_loop = pytest.mark.asyncio(loop_scope="session")

HTTP_OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\nok"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "extra-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


async def _serve(ca: trustme.CA, hostname: str) -> tuple[asyncio.Server, int]:
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(hostname).configure_cert(server_ctx)

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(HTTP_OK)
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError, ssl.SSLError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0, ssl=server_ctx)
    return server, server.sockets[0].getsockname()[1]


@pytest.fixture
async def server_port(ca: trustme.CA) -> AsyncIterator[int]:
    server, port = await _serve(ca, "127.0.0.1")
    async with server:
        yield port


async def _get(port: int, ctx: ssl.SSLContext) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=ctx, ssl_handshake_timeout=10)
    writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    data = await reader.read()
    writer.close()
    return data


@on_session_loop
async def test_extra_ca_is_trusted(server_port: int, ca_file: Path) -> None:
    assert (await _get(server_port, ssl_context(ca_file))).endswith(b"ok")


@on_session_loop
async def test_without_the_extra_ca_the_server_is_refused(server_port: int) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        await _get(server_port, ssl_context(None))


@on_session_loop
async def test_host_name_is_still_verified(ca: trustme.CA, ca_file: Path) -> None:
    server, port = await _serve(ca, "not-this-host.example")
    async with server:
        with pytest.raises(ssl.SSLCertVerificationError, match="IP address mismatch|doesn't match"):
            await _get(port, ssl_context(ca_file))


def test_context_keeps_verification_and_modern_tls(ca_file: Path) -> None:
    for ctx in (ssl_context(None), ssl_context(ca_file)):
        assert ctx.verify_mode == ssl.CERT_REQUIRED
        assert ctx.check_hostname
        assert ctx.minimum_version >= ssl.TLSVersion.TLSv1_2
    # the defaults are kept: certifi's public CAs are in the store next to the extra one
    assert ssl_context(ca_file).cert_store_stats()["x509_ca"] > ssl_context(None).cert_store_stats()["x509_ca"] > 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "no such file"),
        (b"hello\n", "no PEM certificate"),
        (b"-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n", "invalid PEM certificate"),
        (b"\x30\x82\x01\xff\xfe", "not a PEM file"),
    ],
)
def test_bad_ca_bundle_is_a_config_error_naming_the_path(tmp_path: Path, content: bytes | None,
                                                         expected: str) -> None:
    path = tmp_path / "ca.pem"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        ssl_context(path)
    assert str(path) in info.value.message and expected in info.value.message


@on_session_loop
async def test_combined_ca_file_trusts_certifi_and_the_extra_ca(server_port: int, ca_file: Path,
                                                                tmp_path: Path) -> None:
    assert combined_ca_file(None, tmp_path) is None
    combined = combined_ca_file(ca_file, tmp_path / "work")
    assert combined is not None
    text = Path(combined).read_text(encoding="ascii")
    assert ca_file.read_text(encoding="ascii").strip() in text
    assert Path(certifi.where()).read_text(encoding="ascii").strip()[-200:] in text
    assert Path(combined).stat().st_mode & 0o077 == 0
    only_file = ssl.create_default_context(cafile=combined)  # how connection_verify=<path> uses it
    assert (await _get(server_port, only_file)).endswith(b"ok")


@on_session_loop
async def test_aiohttp_session_trusts_the_context(server_port: int, ca_file: Path) -> None:
    async with (make_aiohttp_session(ssl_context(ca_file), limit=2, timeout_s=5) as session,
                session.get(f"https://127.0.0.1:{server_port}/") as response):
        assert response.status == 200
        assert await response.read() == b"ok"
