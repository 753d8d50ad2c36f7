"""Credentials from the config: one azure.identity.aio credential per auth method, trusting our TLS context.

Every credential talks to the cloud's authority through an aiohttp transport
built on the shared ``ssl.SSLContext`` (extra CA included, verification on).
``verify_credential`` gets the first token within a bound and turns every
failure into one ``AuthError`` line that names the cause, never the secret.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from typing import Any, Self

import aiohttp
from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
)
from azure.core.pipeline.transport import AioHttpTransport
from azure.identity import CredentialUnavailableError
from azure.identity.aio import (
    AzureCliCredential,
    CertificateCredential,
    ClientSecretCredential,
    DefaultAzureCredential,
    ManagedIdentityCredential,
    WorkloadIdentityCredential,
)

from scanner.cloud import CloudProfile
from scanner.config import AuthConfig
from scanner.errors import AuthError
from scanner.tls import make_aiohttp_session

logger = logging.getLogger(__name__)

# Token requests: a couple of quick retries for a blip, so an unreachable authority fails in about a second.
_RETRY = {"retry_total": 3, "retry_connect": 2, "retry_backoff_factor": 0.4, "retry_backoff_max": 8}


class _TrustingTransport(AioHttpTransport):  # type: ignore[misc]  # azure-core exports it lazily (Any to mypy)
    """azure-core's aiohttp transport whose session (made lazily, inside the loop) trusts our SSL context."""

    def __init__(self, ssl_ctx: ssl.SSLContext, *, limit: int, timeout_s: float) -> None:
        super().__init__(connection_timeout=timeout_s, read_timeout=timeout_s)
        self._ssl_ctx = ssl_ctx
        self._limit = limit
        self._timeout_s = timeout_s

    async def open(self) -> None:
        """Create the session on first use (and again after a close), then let azure-core open it."""
        if self.session is None:  # type: ignore[has-type]
            self.session = make_aiohttp_session(self._ssl_ctx, limit=self._limit, timeout_s=self._timeout_s)
        await super().open()


def make_transport(ssl_ctx: ssl.SSLContext, *, limit: int = 16, timeout_s: float = 60.0) -> AioHttpTransport:
    """An azure-core async transport trusting ``ssl_ctx``; safe to build outside an event loop.

    It owns its aiohttp session: closing the client (or credential) that uses it closes the session.
    """
    return _TrustingTransport(ssl_ctx, limit=limit, timeout_s=timeout_s)


class ScannerCredential(AsyncTokenCredential):
    """The credential the scanner hands to every client: the configured identity plus what errors need.

    Wraps an azure.identity.aio credential (made on first use for a Key Vault held secret, so the
    Key Vault read falls inside ``verify_credential``'s time bound).
    """

    def __init__(
        self,
        *,
        method: str,
        tenant_id: str | None,
        client_id: str | None,
        factory: Any,
        pin_tenant: bool = False,
    ) -> None:
        self.method = method
        self.tenant_id = tenant_id
        self.client_id = client_id
        self._factory = factory  # () -> credential, or async () -> credential
        self._inner: Any = None
        self._lock = asyncio.Lock()
        self._pin_tenant = pin_tenant and tenant_id is not None

    async def _credential(self) -> Any:
        if self._inner is None:
            async with self._lock:
                if self._inner is None:
                    made = self._factory()
                    self._inner = await made if asyncio.iscoroutine(made) else made
        return self._inner

    async def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        """A token for ``scopes`` from the configured identity (azure-core's AsyncTokenCredential protocol)."""
        inner = await self._credential()
        if self._pin_tenant and tenant_id is None:
            tenant_id = self.tenant_id
        token: AccessToken = await inner.get_token(
            *scopes, claims=claims, tenant_id=tenant_id, enable_cae=enable_cae, **kwargs
        )
        return token

    async def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        """Like ``get_token`` with token properties (azure-core's AsyncSupportsTokenInfo protocol)."""
        inner = await self._credential()
        opts: TokenRequestOptions = dict(options or {})  # type: ignore[assignment]
        if self._pin_tenant and not opts.get("tenant_id"):
            opts["tenant_id"] = self.tenant_id  # type: ignore[typeddict-item]
        info: AccessTokenInfo = await inner.get_token_info(*scopes, options=opts)
        return info

    async def close(self) -> None:
        """Close the wrapped credential's transport sessions."""
        if self._inner is not None:
            await self._inner.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *args: object) -> None:
        await self.close()


def _env_value(config_key: str, variable: str) -> str:
    value = os.environ.get(variable)
    if not value:
        raise AuthError(
            f"authentication failed: environment variable {variable} (named by {config_key}) "
            "is not set or empty"
        )
    return value


async def build_credential(
    auth: AuthConfig, cloud: CloudProfile, ssl_ctx: ssl.SSLContext
) -> ScannerCredential:
    """The async credential for ``auth`` on ``cloud``; nothing is contacted yet (``verify_credential`` does).

    Raises ``AuthError`` for what can be known now: a secret's environment variable not set, an
    unreadable certificate. Secrets live in memory only and are never logged.
    """
    common: dict[str, Any] = {
        "authority": cloud.authority_host,
        "transport": make_transport(ssl_ctx, limit=4, timeout_s=auth.timeout_s),
        **_RETRY,
    }
    if not cloud.known_authority:
        common["disable_instance_discovery"] = True  # MSAL would ask Microsoft about a host it cannot know
    method, tenant, client = auth.method, auth.tenant_id, auth.client_id

    def wrap(factory: Any, *, pin_tenant: bool = False) -> ScannerCredential:
        return ScannerCredential(
            method=method, tenant_id=tenant, client_id=client, factory=factory, pin_tenant=pin_tenant
        )

    logger.debug(
        "credential: method %s, tenant %s, client %s, authority %s",
        method,
        tenant,
        client,
        cloud.authority_host,
    )
    if method == "client-secret":
        assert tenant and client  # AuthConfig guarantees these for the method
        if auth.client_secret_env:
            secret = _env_value("auth.client_secret_env", auth.client_secret_env)
            return wrap(lambda: ClientSecretCredential(tenant, client, secret, **common))
        uri = auth.client_secret_keyvault_uri
        assert uri

        async def from_key_vault() -> ClientSecretCredential:
            value = await read_keyvault_secret(uri, cloud, ssl_ctx, timeout_s=auth.timeout_s)
            return ClientSecretCredential(tenant, client, value, **common)

        return wrap(from_key_vault)
    if method == "certificate":
        assert tenant and client and auth.certificate_path
        password = (
            _env_value("auth.certificate_password_env", auth.certificate_password_env)
            if auth.certificate_password_env
            else None
        )
        try:
            cred = CertificateCredential(
                tenant, client, str(auth.certificate_path), password=password, **common
            )
        except (OSError, ValueError) as exc:
            reason = (
                f"cannot read the file ({exc.strerror or exc})"
                if isinstance(exc, OSError)
                else f"not a usable PEM/PFX certificate with its private key ({_first_line(exc)})"
            )
            raise AuthError(
                f"authentication failed: auth.certificate_path {auth.certificate_path}: {reason}"
            ) from None
        return wrap(lambda: cred)
    if method == "workload-identity":
        assert tenant and client and auth.federated_token_file
        token_file = str(auth.federated_token_file)
        return wrap(
            lambda: WorkloadIdentityCredential(
                tenant_id=tenant, client_id=client, token_file_path=token_file, **common
            )
        )
    if method == "managed-identity":
        mi_client = auth.managed_identity_client_id or client
        return wrap(lambda: ManagedIdentityCredential(client_id=mi_client, **common))
    if method == "azure-cli":
        return wrap(lambda: AzureCliCredential(tenant_id=tenant or "", process_timeout=int(auth.timeout_s)))
    # default: whatever the environment offers (env vars, workload identity, managed identity, az, ...)
    extra: dict[str, Any] = {}
    if auth.managed_identity_client_id:
        extra["managed_identity_client_id"] = auth.managed_identity_client_id
    if tenant:
        extra["additionally_allowed_tenants"] = [tenant]
    return wrap(
        lambda: DefaultAzureCredential(process_timeout=int(auth.timeout_s), **common, **extra),
        pin_tenant=True,
    )


async def read_keyvault_secret(
    uri: str, cloud: CloudProfile, ssl_ctx: ssl.SSLContext, *, timeout_s: float
) -> str:
    """The value of a Key Vault secret, read with the ambient identity (DefaultAzureCredential).

    The value stays in memory; it is never logged or written. Raises ``AuthError`` when the secret
    is missing, forbidden, or no ambient identity is available.
    """
    from azure.keyvault.secrets import KeyVaultSecretIdentifier
    from azure.keyvault.secrets.aio import SecretClient

    ident = KeyVaultSecretIdentifier(uri)
    kwargs: dict[str, Any] = {
        "authority": cloud.authority_host,
        **_RETRY,
        "transport": make_transport(ssl_ctx, limit=2, timeout_s=timeout_s),
    }
    if not cloud.known_authority:
        kwargs["disable_instance_discovery"] = True
    ambient = DefaultAzureCredential(process_timeout=int(timeout_s), **kwargs)
    try:
        async with SecretClient(
            ident.vault_url,
            ambient,
            **_RETRY,
            transport=make_transport(ssl_ctx, limit=2, timeout_s=timeout_s),
        ) as client:
            secret = await client.get_secret(ident.name, ident.version)
    except ResourceNotFoundError:
        raise AuthError(f"authentication failed: Key Vault secret {uri} not found") from None
    except ClientAuthenticationError as exc:
        raise AuthError(
            f"authentication failed: no ambient identity could read Key Vault secret {uri} "
            f"({_first_line(exc)})"
        ) from None
    except HttpResponseError as exc:
        hint = " (the identity needs the 'Key Vault Secrets User' role)" if exc.status_code == 403 else ""
        raise AuthError(
            f"authentication failed: reading Key Vault secret {uri}: HTTP {exc.status_code}{hint}"
        ) from None
    except AzureError as exc:
        raise AuthError(
            f"authentication failed: reading Key Vault secret {uri}: "
            f"{_transport_cause(exc, ident.vault_url) or _first_line(exc)}"
        ) from None
    finally:
        await ambient.close()
    if not secret.value:
        raise AuthError(f"authentication failed: Key Vault secret {uri} is empty")
    return secret.value


async def verify_credential(
    credential: AsyncTokenCredential, cloud: CloudProfile, *, timeout_s: float
) -> None:
    """Get an ARM-scope token within ``timeout_s`` seconds, or raise ``AuthError`` with one line naming the cause.

    Causes told apart: wrong or expired secret, unknown tenant, unknown application, TLS certificate
    not trusted, connection refused, host not found, no answer in time, no usable identity.
    """
    try:
        await asyncio.wait_for(credential.get_token(cloud.arm_scope), timeout_s)
    except AuthError:
        raise
    except TimeoutError:
        raise AuthError(
            f"authentication failed: {_silent_party(credential, cloud)} within {timeout_s:g}s"
        ) from None
    except (AzureError, aiohttp.ClientError, OSError, ValueError) as exc:
        raise AuthError(explain_auth_failure(exc, credential, cloud)) from None
    logger.info("authenticated to %s (scope %s)", cloud.authority_netloc, cloud.arm_scope)


def _silent_party(credential: AsyncTokenCredential, cloud: CloudProfile) -> str:
    method = getattr(credential, "method", None)
    if method == "azure-cli":
        return "no answer from the Azure CLI"
    if method == "managed-identity":
        return "no answer from the managed identity endpoint"
    return f"no answer from {cloud.authority_netloc}"


_AADSTS = re.compile(r"AADSTS(\d+)")


@contextlib.asynccontextmanager
async def authentication_failures(
    credential: AsyncTokenCredential, cloud: CloudProfile
) -> AsyncIterator[None]:
    """Turn a token failure inside the block into one-line ``AuthError`` (exit 2): nothing could be read."""
    try:
        yield
    except ClientAuthenticationError as exc:
        raise AuthError(explain_auth_failure(exc, credential, cloud)) from None


def explain_auth_failure(exc: BaseException, credential: AsyncTokenCredential, cloud: CloudProfile) -> str:
    """One line saying why a token request failed (also usable by collectors on a later token failure)."""
    tenant = getattr(credential, "tenant_id", None) or "(from the environment)"
    client = getattr(credential, "client_id", None) or "(from the environment)"
    transport = _transport_cause(exc, cloud.authority_netloc)
    if transport:
        return f"authentication failed: {transport}"
    text = str(exc)
    match = _AADSTS.search(text)
    if match:
        code = match.group(1)
        known = {
            "7000215": f"invalid client secret for client {client} in tenant {tenant}",
            "7000222": f"the client secret of client {client} in tenant {tenant} has expired",
            "90002": f"tenant {tenant} not found at {cloud.authority_netloc}",
            "900023": f"tenant {tenant} is not a valid tenant id or domain",
            "700016": f"application {client} not found in tenant {tenant}",
            "700027": f"the certificate of client {client} is not registered on the application",
            "70021": f"no federated identity credential of client {client} matches the presented token",
            "700213": f"no federated identity credential of client {client} matches the presented token",
            "700024": "the federated token has expired or is not yet valid",
        }
        cause = known.get(code) or _aad_description(text, code)
        return f"authentication failed: {cause} (AADSTS{code})"
    if isinstance(exc, CredentialUnavailableError):
        return f"authentication failed: no usable identity: {_first_line(exc)}"
    if isinstance(exc, HttpResponseError) and exc.status_code:
        return f"authentication failed: HTTP {exc.status_code} from {cloud.authority_netloc}"
    return f"authentication failed: {_first_line(exc)}"


def _aad_description(text: str, code: str) -> str:
    """The sentence Entra wrote after ``AADSTS<code>:``, trimmed (it never contains the secret)."""
    after = text.split(f"AADSTS{code}", 1)[1].lstrip(": ")
    sentence = re.split(r"(?<=\.)\s|\\r|\\n|\r|\n|'", after, maxsplit=1)[0]
    return sentence[:200] or "Microsoft Entra ID refused the request"


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException | None] = [exc]
    while todo:
        cur = todo.pop()
        if cur is None or id(cur) in seen:
            continue
        seen.add(id(cur))
        yield cur
        inner = getattr(cur, "inner_exception", None)
        todo.extend([cur.__cause__, cur.__context__, inner if isinstance(inner, BaseException) else None])
        if isinstance(cur, aiohttp.ClientConnectorError):
            todo.append(cur.os_error)


def _transport_cause(exc: BaseException, default_host: str) -> str | None:
    """'connection refused by host:port' and friends, when a network problem is at the root of ``exc``."""
    for cur in _chain(exc):
        host = default_host
        if isinstance(cur, aiohttp.ClientConnectorError):
            host = f"{cur.host}:{cur.port}"
        if isinstance(cur, (aiohttp.ClientConnectorCertificateError, ssl.SSLCertVerificationError)):
            detail = getattr(cur, "verify_message", None) or getattr(
                getattr(cur, "certificate_error", None), "verify_message", None
            )
            why = f" ({detail})" if detail else ""
            return (
                f"TLS certificate of {host} is not trusted{why}; "
                "if it is signed by a private CA, set cloud.ca_bundle"
            )
        if isinstance(cur, (aiohttp.ClientSSLError, ssl.SSLError)):
            return f"TLS handshake with {host} failed"
        os_error = cur.os_error if isinstance(cur, aiohttp.ClientConnectorError) else cur
        if isinstance(os_error, socket.gaierror) or type(cur).__name__ == "ClientConnectorDNSError":
            return f"cannot resolve host {host.rsplit(':', 1)[0]}"
        if isinstance(os_error, ConnectionRefusedError):
            return f"connection refused by {host}"
        if isinstance(cur, aiohttp.ClientConnectorError):
            reason = cur.os_error.strerror or type(cur.os_error).__name__
            return f"cannot connect to {host}: {reason}"
    return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:300]
