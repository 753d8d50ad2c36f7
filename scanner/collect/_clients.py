"""The SDK clients of one collection run: ARM management clients and the Graph request adapter.

Every client is built once per run, for the configured cloud (endpoint, token
scope, CA via the caller's ``ssl.SSLContext``), with bounded retries and
timeouts, and shares one HTTP connection pool. The ARM pipelines leave out
azure-mgmt-core's automatic resource-provider registration (a POST on a 409
``MissingSubscriptionRegistration``), and a guard policy in each refuses
anything but GET, so nothing inside an SDK can write to the tenant.
"""

from __future__ import annotations

import re
import ssl
import urllib.request
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import httpx
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    AsyncRedirectPolicy,
    AsyncRetryPolicy,
    ContentDecodePolicy,
    RequestIdPolicy,
    SansIOHTTPPolicy,
    SensitiveHeaderCleanupPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import AioHttpTransport
from azure.mgmt.apimanagement.aio import ApiManagementClient
from azure.mgmt.authorization.aio import AuthorizationManagementClient
from azure.mgmt.core.policies import ARMHttpLoggingPolicy, AsyncARMChallengeAuthenticationPolicy
from azure.mgmt.healthcareapis.aio import HealthcareApisManagementClient
from azure.mgmt.keyvault.aio import KeyVaultManagementClient
from azure.mgmt.network.aio import NetworkManagementClient
from azure.mgmt.resource.subscriptions.aio import SubscriptionClient
from azure.mgmt.storage.aio import StorageManagementClient
from kiota_http.middleware.options import RetryHandlerOption
from msgraph.graph_request_adapter import GraphRequestAdapter
from msgraph.graph_service_client import GraphServiceClient
from msgraph_core import GraphClientFactory
from msgraph_core.authentication import AzureIdentityAuthenticationProvider

from scanner import __version__
from scanner.collect._errors import WriteRefused

# The api-version each list is sent with: the one the installed SDK's own operation uses, so the
# raw pages we read are exactly what the SDK would deserialise. Source of each value:
#   subscriptions  azure.mgmt.resource.subscriptions.aio._configuration (api_version default)
#   healthcare     azure.mgmt.healthcareapis._configuration (api_version default)
#   authorization  azure.mgmt.authorization.aio._authorization_management_client
#                  (LATEST_PROFILE: role_assignments / role_definitions -> DEFAULT_API_VERSION)
#   keyvault       azure.mgmt.keyvault.operations._operations (build_vaults_list_by_subscription_request,
#                  build_secrets_list_request, build_keys_list_request)
#   network        azure.mgmt.network.operations._operations
#                  (build_private_endpoints_list_by_subscription_request,
#                  build_application_gateways_list_all_request)
#   storage        azure.mgmt.storage._configuration (api_version default)
#   apimanagement  azure.mgmt.apimanagement._configuration (api_version default)
# tests/collect/test_api_versions.py fails when an SDK upgrade moves one of them.
API_VERSIONS: dict[str, str] = {
    "subscriptions": "2022-12-01",
    "healthcare": "2024-03-31",
    "authorization": "2022-04-01",
    "keyvault": "2026-05-15",
    "network": "2026-03-01",
    "storage": "2026-09-01",
    "apimanagement": "2024-05-01",
}

_PLACEHOLDER_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
"""The management clients insist on a subscription id; we build every URL ourselves, so it is never used."""

_BACKOFF_MAX_S = 30.0
"""Cap on one azure-core backoff sleep; ``Retry-After`` is honoured as sent (the page deadline bounds it)."""


class _ReadOnlyGuard(SansIOHTTPPolicy[Any, Any]):
    """Sits after the retry policy, so it sees every attempt, including requests a policy makes itself."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        method = request.http_request.method.upper()
        if method != "GET":
            path = urlsplit(request.http_request.url).path
            raise WriteRefused(f"refused to send {method} {path}: ahds-audit is read-only")


_INVALID_TOKEN = re.compile(r'\berror\s*=\s*"?invalid_token"?', re.IGNORECASE)


class _RefreshOnInvalidToken(AsyncARMChallengeAuthenticationPolicy):
    """ARM's challenge handling, plus one fresh token and one resend on ``error="invalid_token"``.

    A token can expire between the credential handing it out and ARM reading
    it (azure-core renews early, but a run can outlive a short-lived token, and
    clocks drift). azure-core resends a 401 only for a claims challenge, so such
    a request would be recorded as unreadable. ARM's 401 carries
    ``WWW-Authenticate: Bearer ... error="invalid_token"``; the policy has just
    dropped its cached token, so authorising again asks the credential, which
    returns a new token once the old one has expired. At most once per request.
    """

    _FLAG = "ahds_audit_token_refreshed"

    async def on_challenge(self, request: PipelineRequest[Any], response: PipelineResponse[Any, Any]) -> bool:
        if await super().on_challenge(request, response):
            return True
        challenge = response.http_response.headers.get("WWW-Authenticate", "")
        if not _INVALID_TOKEN.search(challenge) or request.context.get(self._FLAG):
            return False
        request.context[self._FLAG] = True
        await self.authorize_request(request, *self._scopes)
        return True


def _arm_policies(credential: AsyncTokenCredential, scopes: list[str], max_retries: int) -> list[Any]:
    """The policies of one ARM client's pipeline (each client needs its own: policies link to the next).

    The generated clients' default pipeline minus what cannot help a read-only scanner yet costs CPU on
    every request (15-60 us of the pipeline's 140-240 us, measured): automatic resource-provider
    registration (it could only send a POST, which the guard refuses anyway; a 409
    ``MissingSubscriptionRegistration`` is now recorded as the service's own answer), distributed tracing
    (never configured here), the custom-hook, proxy and custom-headers policies (given nothing to do),
    and body tracing (``logging_enable`` is never set). Kept: client request ids (Azure support traces a
    request by them), a user agent naming the tool, JSON decoding, redirects with the clean-up that drops
    the token when a redirect leaves the host, retries (``Retry-After`` honoured, backoff capped), the
    read-only guard on every attempt, bearer authentication with ARM's claims challenges, and
    azure-core's header-redacting HTTP log (silent unless the ``azure`` logger is at INFO).
    """
    return [
        RequestIdPolicy(),
        UserAgentPolicy(sdk_moniker=f"ahds-audit/{__version__}"),
        ContentDecodePolicy(),
        AsyncRedirectPolicy(),
        AsyncRetryPolicy(retry_total=max_retries, retry_backoff_factor=0.8, retry_backoff_max=_BACKOFF_MAX_S),
        _ReadOnlyGuard(),
        _RefreshOnInvalidToken(credential, *scopes),
        SensitiveHeaderCleanupPolicy(),
        ARMHttpLoggingPolicy(),
    ]


@dataclass(frozen=True, slots=True)
class ArmClients:
    """The management clients of one run; collectors send raw list requests through their pipelines."""

    subscriptions: SubscriptionClient
    healthcare: HealthcareApisManagementClient
    authorization: AuthorizationManagementClient
    keyvault: KeyVaultManagementClient
    network: NetworkManagementClient
    storage: StorageManagementClient
    apimanagement: ApiManagementClient
    endpoint: str
    """The ARM endpoint without a trailing slash: the only origin a ``nextLink`` may point to."""


@dataclass(frozen=True, slots=True)
class GraphClients:
    """The Graph service client and its adapter (the adapter sends raw requests the builders prepare)."""

    client: GraphServiceClient
    adapter: GraphRequestAdapter
    endpoint: str
    """``<graph_endpoint>/v1.0``: the only prefix an ``@odata.nextLink`` may carry."""
    transport_retries: int = 0
    """How often a read is resent after a transport failure (reset, cut-short body, read timeout).

    msgraph-core's retry handler retries only on 429/503/504 responses, never on a dropped connection,
    while azure-core retries both; this keeps the two sides of a run equally resilient.
    """


@asynccontextmanager
async def open_arm_clients(
    *,
    credential: AsyncTokenCredential,
    arm_endpoint: str,
    ssl_context: ssl.SSLContext,
    concurrency: int,
    timeout_s: float,
    max_retries: int,
) -> AsyncIterator[ArmClients]:
    """Build the seven management clients over one aiohttp session; close them all on exit.

    The session's connector uses ``ssl_context`` (TLS is never turned off) and
    holds at most ``concurrency`` connections. Retries: ``max_retries`` with
    exponential backoff capped at 30 s; read and connect timeouts ``timeout_s``.
    ``HTTPS_PROXY`` / ``NO_PROXY`` are honoured when set.
    """
    endpoint = arm_endpoint.rstrip("/")
    connector = aiohttp.TCPConnector(ssl=ssl_context, limit=concurrency)
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        auto_decompress=False,
        trust_env=_proxy_configured(),
    )
    async with AsyncExitStack() as stack:
        stack.push_async_callback(session.close)

        scopes = [f"{endpoint}/.default"]

        def options() -> dict[str, Any]:
            return {
                "base_url": endpoint,
                "credential_scopes": scopes,
                "transport": AioHttpTransport(
                    session=session, session_owner=False, read_timeout=timeout_s, connection_timeout=timeout_s
                ),
                "policies": _arm_policies(credential, scopes, max_retries),
            }

        sub = _PLACEHOLDER_SUBSCRIPTION
        clients = ArmClients(
            subscriptions=SubscriptionClient(credential, **options()),
            healthcare=HealthcareApisManagementClient(credential, sub, **options()),
            authorization=AuthorizationManagementClient(credential, sub, **options()),
            keyvault=KeyVaultManagementClient(credential, sub, **options()),
            network=NetworkManagementClient(credential, sub, **options()),
            storage=StorageManagementClient(credential, sub, **options()),
            apimanagement=ApiManagementClient(credential, sub, **options()),
            endpoint=endpoint,
        )
        for client in (
            clients.subscriptions,
            clients.healthcare,
            clients.authorization,
            clients.keyvault,
            clients.network,
            clients.storage,
            clients.apimanagement,
        ):
            await stack.enter_async_context(client)
        yield clients


@asynccontextmanager
async def open_graph_client(
    *,
    credential: AsyncTokenCredential,
    graph_endpoint: str,
    ssl_context: ssl.SSLContext,
    concurrency: int,
    timeout_s: float,
    max_retries: int,
) -> AsyncIterator[GraphClients]:
    """Build a ``GraphServiceClient`` for ``graph_endpoint``; close its HTTP client on exit.

    msgraph-core's default middleware stays in place (its retry handler honours
    ``Retry-After`` on 429/503/504, POST included), bounded to ``max_retries``.
    The token is requested for ``<graph_endpoint>/.default`` and attached only
    to requests for the Graph host (kiota's allowed-hosts check: the default
    list names Microsoft's clouds only, so a sovereign or custom endpoint must
    be listed explicitly).
    """
    endpoint = graph_endpoint.rstrip("/")
    host = urlsplit(endpoint).hostname
    if not host:
        raise ValueError(f"graph endpoint {graph_endpoint!r} has no host")
    base_url = f"{endpoint}/v1.0"
    http = httpx.AsyncClient(
        base_url=base_url,
        verify=ssl_context,
        timeout=httpx.Timeout(timeout_s),
        limits=httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency),
        trust_env=True,
    )
    retry = RetryHandlerOption(delay=0.0, max_retries=min(max_retries, RetryHandlerOption.MAX_MAX_RETRIES))
    http = GraphClientFactory.create_with_default_middleware(
        client=http, options={RetryHandlerOption.get_key(): retry}
    )
    auth = AzureIdentityAuthenticationProvider(
        credential, scopes=[f"{endpoint}/.default"], allowed_hosts=[host]
    )
    adapter = GraphRequestAdapter(auth, client=http)
    # httpx normalises its base_url with a trailing slash; kiota's templates start with "/", so the adapter
    # gets the exact prefix (otherwise every path would read "/v1.0//applications").
    adapter.base_url = base_url
    try:
        yield GraphClients(
            client=GraphServiceClient(request_adapter=adapter),
            adapter=adapter,
            endpoint=base_url,
            transport_retries=max_retries,
        )
    finally:
        await http.aclose()


def _proxy_configured() -> bool:
    """True when the environment names an HTTP(S) proxy, read once per run.

    aiohttp's ``trust_env`` looks the proxy (and ~/.netrc) up again on every request, through two worker-
    thread hops each; at thousands of requests that costs a quarter of the run's CPU and stalls the event
    loop. Without a proxy in the environment it would find nothing, so it is turned on only when there is one
    (netrc credentials are of no use here: every request carries a bearer token).
    """
    return any(scheme in ("http", "https") for scheme in urllib.request.getproxies())


def api_version(family: str) -> str:
    """The api-version for an ARM list of ``family`` (a key of ``API_VERSIONS``)."""
    return API_VERSIONS[family]
