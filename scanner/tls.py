"""TLS trust for every client: the system store and certifi's bundle, plus an optional extra CA; never unverified.

One ``ssl.SSLContext`` built here is shared by the token, ARM and Graph
clients, so a custom CA (an emulator, a TLS-inspecting proxy) is trusted
everywhere in the same way and verification is never switched off.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import aiohttp
import certifi

from scanner.errors import ConfigError

_PEM_CERT = "-----BEGIN CERTIFICATE-----"


def _read_ca(ca_bundle: Path) -> str:
    """The PEM text of an extra CA file; ConfigError naming the path when missing, unreadable or not PEM."""
    try:
        text = ca_bundle.read_text(encoding="ascii")
    except FileNotFoundError:
        raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: is a directory, expected a PEM file") from None
    except UnicodeDecodeError:
        raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: not a PEM file (binary content; DER is not "
                          "supported, convert with `openssl x509 -inform der -outform pem`)") from None
    except OSError as exc:
        raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: cannot read: {exc.strerror or exc}") from None
    if _PEM_CERT not in text:
        raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: no PEM certificate in it "
                          f"(expected a '{_PEM_CERT}' block)")
    return text


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext:
    """A client context trusting the system store, certifi's bundle and ``ca_bundle`` (if given).

    Guarantees: certificate and host name verification on, TLS 1.2 or newer. Raises ``ConfigError``
    naming the path if the extra CA is missing, unreadable or not valid PEM.
    """
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)  # system store, CERT_REQUIRED, check_hostname
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(cafile=certifi.where())  # what azure-core and requests trust by default
    if ca_bundle is not None:
        pem = _read_ca(ca_bundle)
        try:
            ctx.load_verify_locations(cadata=pem)
        except ssl.SSLError as exc:
            raise ConfigError(f"cloud.ca_bundle: {ca_bundle}: invalid PEM certificate ({exc.reason or exc})") from None
    return ctx


def combined_ca_file(ca_bundle: Path | None, workdir: Path) -> str | None:
    """For clients that want a CA *file* (``connection_verify``, requests, MSAL): certifi + system + extra CA.

    Returns None when there is no extra CA (such clients' own defaults are then right). The file is
    written to ``workdir/ca-bundle.pem`` with mode 0600; only public certificates go in it.
    """
    if ca_bundle is None:
        return None
    parts = [Path(certifi.where()).read_text(encoding="ascii")]
    system = ssl.get_default_verify_paths().cafile
    if system and Path(system).is_file():
        try:
            parts.append(Path(system).read_text(encoding="ascii", errors="ignore"))
        except OSError:
            pass  # the system store is a bonus here; certifi plus the extra CA is the contract
    parts.append(_read_ca(ca_bundle))
    workdir.mkdir(parents=True, exist_ok=True)
    target = workdir / "ca-bundle.pem"
    target.write_text("\n".join(p.strip() + "\n" for p in parts), encoding="ascii")
    target.chmod(0o600)
    return str(target)


def make_aiohttp_session(ssl_ctx: ssl.SSLContext, *, limit: int, timeout_s: float) -> aiohttp.ClientSession:
    """An aiohttp session for azure-core's ``AioHttpTransport`` (``session=...``) that trusts ``ssl_ctx``.

    ``limit`` bounds connections in flight; ``timeout_s`` is the connect and per-read timeout. Cookies
    are off and decompression is left to azure-core, as its own transport does. Must be called while
    an event loop is running; the caller closes the session.
    """
    connector = aiohttp.TCPConnector(ssl=ssl_ctx, limit=limit, limit_per_host=limit)
    return aiohttp.ClientSession(
        connector=connector,
        timeout=aiohttp.ClientTimeout(total=None, sock_connect=timeout_s, sock_read=timeout_s),
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=True,
    )
