"""The emulator application and the ``Emulator`` that serves it on a background thread.

One aiohttp application serves ARM, Microsoft Graph and the Entra token
endpoint on a single HTTPS origin. A middleware records each request, applies
latency (with jitter) and injected faults, refuses forbidden subscriptions,
checks bearer tokens and throttles each client per service before the routes
run. ``GET /_emulator/requests`` (never recorded, never delayed) hands the
request log to a process that runs the emulator as a child, such as the
benchmarks; the scanner never calls it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import tempfile
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml
from aiohttp import web

from scanner.emulator.arm import ArmRoutes
from scanner.emulator.ca import make_server_tls
from scanner.emulator.faults import FaultPlan, FaultRule, drop_connection, send_truncated
from scanner.emulator.graph import GraphRoutes
from scanner.emulator.responses import arm_error, graph_error, json_response
from scanner.emulator.store import ArmStore, GraphStore, subscription_of
from scanner.emulator.tenant import Tenant, load_tenant
from scanner.emulator.throttle import Bucket, Service, Throttle, client_of
from scanner.emulator.token import EntraRoutes, TokenRegistry, TokenState

logger = logging.getLogger(__name__)

SECRET_ENV = "AHDS_AUDIT_CLIENT_SECRET"
"""The environment variable the written config names for the client secret."""

_UNPROTECTED = frozenset({"entra-openid", "entra-token", "entra-keys"})
_ADMIN_PREFIX = "/_emulator/"
_ARM_CODES = {
    400: "BadRequest",
    401: "AuthenticationFailed",
    403: "AuthorizationFailed",
    404: "ResourceNotFound",
    409: "Conflict",
    429: "TooManyRequests",
    500: "InternalServerError",
    502: "BadGateway",
    503: "ServiceUnavailable",
    504: "GatewayTimeout",
}
_THROTTLED = (
    "The request is being throttled as the limit has been reached for operation type - "
    "Read_ObservationWindow_00:05:00. For more information, see - https://aka.ms/srpthrottlinglimits"
)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """One request the emulator answered. ``body`` is kept only for Graph getByIds POSTs."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    """The HTTP status sent; 0 when an injected fault dropped the connection."""
    body: str | None = None


@dataclass(slots=True)
class Settings:
    """Knobs read on every request, so tests may change them while the server runs."""

    page_size: int
    latency_ms: float
    jitter_ms: float = 0
    """Each request's delay is drawn uniformly from ``latency_ms ± jitter_ms`` (never below zero)."""

    def delay_s(self, rng: random.Random) -> float:
        """The delay to add to one request, in seconds."""
        if self.jitter_ms <= 0:
            return self.latency_ms / 1000
        return max(0.0, self.latency_ms + rng.uniform(-self.jitter_ms, self.jitter_ms)) / 1000


def _api_of(path: str) -> str:
    lowered = path.lower()
    if lowered.startswith("/v1.0/"):
        return "graph"
    if "/oauth2/" in lowered or "/.well-known/" in lowered or "/discovery/" in lowered:
        return "entra"
    return "arm"


def _fault_response(rule: FaultRule, api: str) -> web.StreamResponse:
    headers = {} if rule.retry_after_s is None else {"Retry-After": f"{rule.retry_after_s:g}"}
    headers.update(rule.headers or {})
    if rule.body is not None:
        return web.Response(
            status=rule.status, text=rule.body, headers=headers, content_type="application/json"
        )
    if api == "graph":
        code = "TooManyRequests" if rule.status == 429 else _ARM_CODES.get(rule.status, "UnknownError")
        message = "Too many requests." if rule.status == 429 else f"Injected fault {rule.status}."
        return graph_error(rule.status, code, message, headers)
    if api == "entra":
        return json_response(
            {
                "error": "temporarily_unavailable",
                "error_description": f"AADSTS50196: injected fault {rule.status}.",
                "error_codes": [50196],
            },
            rule.status,
            headers,
        )
    message = _THROTTLED if rule.status == 429 else f"Injected fault {rule.status}."
    return arm_error(rule.status, _ARM_CODES.get(rule.status, "UnknownError"), message, headers)


class EmulatorApp:
    """Builds the aiohttp application for one tenant and keeps the request log."""

    def __init__(
        self,
        tenant: Tenant,
        settings: Settings,
        faults: FaultPlan,
        token_lifetime_s: int,
        throttle: Throttle | None = None,
    ) -> None:
        self.tenant = tenant
        self.settings = settings
        self.faults = faults
        self.throttle = throttle or Throttle()
        self._rng = random.Random()
        sp_ids = {str(sp.get("appId", "")).lower(): sp["id"] for sp in tenant.graph.service_principals}
        self.tokens = TokenRegistry(tenant, token_lifetime_s, sp_ids)
        self.arm_store = ArmStore.build(tenant)
        self.graph_store = GraphStore.build(tenant)
        self._lock = threading.Lock()
        self._log: list[RecordedRequest] = []

    def requests(self) -> list[RecordedRequest]:
        """A copy of the request log."""
        with self._lock:
            return list(self._log)

    def clear_requests(self) -> None:
        """Empty the request log."""
        with self._lock:
            self._log.clear()

    def build(self) -> web.Application:
        """The application with every route and the request pipeline middleware."""
        app = web.Application(middlewares=[self._pipeline], client_max_size=4 * 1024 * 1024)
        entra = EntraRoutes(self.tenant, self.tokens)
        app.router.add_get(
            "/{tenant}/v2.0/.well-known/openid-configuration", entra.openid_configuration, name="entra-openid"
        )
        app.router.add_post("/{tenant}/oauth2/v2.0/token", entra.token, name="entra-token")
        app.router.add_get("/{tenant}/discovery/v2.0/keys", entra.keys, name="entra-keys")
        app.router.add_get(_ADMIN_PREFIX + "requests", self._admin_requests, name="admin-requests")
        GraphRoutes(self.graph_store, lambda: self.settings.page_size).add_to(app)
        arm = ArmRoutes(self.arm_store, lambda: self.settings.page_size)
        app.router.add_get("/{tail:.*}", arm.handle, name="arm")
        app.router.add_route("*", "/{tail:.*}", self._read_only, name="arm-other")
        return app

    async def _read_only(self, request: web.Request) -> web.Response:
        return arm_error(
            405,
            "MethodNotAllowed",
            f"The emulator is read-only; {request.method} is not served on '{request.path}'.",
        )

    async def _admin_requests(self, request: web.Request) -> web.Response:
        """``GET /_emulator/requests?offset=N``: the total count and the log entries from ``offset`` on."""
        try:
            offset = max(0, int(request.query.get("offset", "0")))
        except ValueError:
            return json_response({"error": {"code": "BadRequest", "message": "offset is not a number"}}, 400)
        with self._lock:
            total = len(self._log)
            entries = self._log[offset:]
        return json_response(
            {
                "count": total,
                "throttled": self.throttle.refused,
                "requests": [
                    {"method": e.method, "path": e.path, "query": e.query, "status": e.status}
                    for e in entries
                ],
            }
        )

    def _record(self, request: web.Request, status: int, body: str | None) -> None:
        entry = RecordedRequest(request.method, request.path, dict(request.query), status, body)
        with self._lock:
            self._log.append(entry)

    @web.middleware
    async def _pipeline(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(_ADMIN_PREFIX):
            return await handler(request)
        body: str | None = None
        if request.method == "POST" and request.path.lower().endswith("/directoryobjects/getbyids"):
            body = await request.text()
        status = 0
        try:
            response = await self._answer(request, handler)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            self._record(request, status, body)

    async def _answer(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        api = _api_of(request.path)
        route = request.match_info.route.name
        # The token is judged when the request arrives, as ARM and Graph do; latency and injected delays
        # happen after, so a token valid when sent is never refused for the emulator's own slowness.
        denied = None if route in _UNPROTECTED else self._check_bearer(request, api)
        delay = self.settings.delay_s(self._rng)
        if delay > 0:
            await asyncio.sleep(delay)
        rule = self.faults.take(request.method, request.path)
        if rule is not None:
            if rule.delay_s > 0:
                await asyncio.sleep(rule.delay_s)
            if rule.truncate_at is not None:
                real = rule.body is None and rule.status < 400
                full = await handler(request) if real else _fault_response(rule, api)
                if not isinstance(full, web.Response):
                    return full
                return await send_truncated(request, full, rule.truncate_at, reset=rule.close_connection)
            if rule.close_connection:
                drop_connection(request)
            if not rule.passes_through:
                return _fault_response(rule, api)
        if api == "arm":
            sid = subscription_of(request.path)
            forbidden = self.faults.forbidden_status(sid) if sid else None
            if forbidden is not None:
                oid = self.tokens.sp_object_id(self.tenant.clients[0].client_id)
                return arm_error(
                    forbidden,
                    "AuthorizationFailed",
                    f"The client '{oid}' with object id '{oid}' does not have authorization to "
                    f"perform action 'read' over scope '{request.path}' or the scope is invalid. "
                    "If access was recently granted, please refresh your credentials.",
                )
        if denied is not None:
            return denied
        if api == "entra":
            return await handler(request)
        return await self._throttled(request, handler, Service.ARM if api == "arm" else Service.GRAPH)

    async def _throttled(
        self, request: web.Request, handler: Handler, service: Service
    ) -> web.StreamResponse:
        """Spend a token of the caller's bucket; answer 429 with ``Retry-After`` when it is empty.

        ARM responses carry ``x-ms-ratelimit-remaining-subscription-reads`` (or ``-tenant-reads`` above
        subscriptions) as informative headers, as ARM sends them; clients must rely on ``Retry-After`` only.
        """
        decision = self.throttle.take(
            service, client_of(request.headers.get("Authorization"), request.remote or "unknown")
        )
        if decision is None:
            return await handler(request)
        remaining: dict[str, str] = {}
        if service is Service.ARM:
            level = "subscription" if subscription_of(request.path) else "tenant"
            remaining = {f"x-ms-ratelimit-remaining-{level}-reads": str(decision.remaining)}
        if not decision.allowed:
            headers = {"Retry-After": str(decision.retry_after_s), **remaining}
            if service is Service.GRAPH:
                return graph_error(
                    429,
                    "TooManyRequests",
                    "Too many requests. The application has exceeded its request rate; retry later.",
                    headers,
                )
            return arm_error(429, "TooManyRequests", _THROTTLED, headers)
        response = await handler(request)
        response.headers.update(remaining)
        return response

    def _check_bearer(self, request: web.Request, api: str) -> web.Response | None:
        state = self.tokens.check(request.headers.get("Authorization"))
        if state is TokenState.VALID:
            return None
        if api == "graph":
            message = {
                TokenState.MISSING: "Access token is empty.",
                TokenState.EXPIRED: "Lifetime validation failed, the token is expired.",
            }.get(state, "Access token validation failure. Invalid audience.")
            return graph_error(401, "InvalidAuthenticationToken", message)
        challenge = {
            "WWW-Authenticate": f'Bearer authorization_uri="{request.scheme}://{request.host}/'
            f'{self.tenant.tenant_id}", error="invalid_token", '
            'error_description="The access token is missing or invalid."'
        }
        if state is TokenState.MISSING:
            return arm_error(
                401,
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                challenge,
            )
        if state is TokenState.EXPIRED:
            return arm_error(
                401,
                "ExpiredAuthenticationToken",
                "The access token expiry UTC time is earlier than current UTC time.",
                challenge,
            )
        return arm_error(401, "InvalidAuthenticationToken", "The access token is invalid.", challenge)


class Emulator:
    """Runs the emulator on a background thread with its own event loop.

    Usable from synchronous and asynchronous code alike (``with`` or ``async with``);
    the server listens only on the given host (loopback by default) over HTTPS with a
    CA generated for this run.
    """

    def __init__(
        self,
        tenant: Tenant | Path | str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        page_size: int = 100,
        latency_ms: float = 0,
        jitter_ms: float = 0,
        throttle_arm: Bucket | None = None,
        throttle_graph: Bucket | None = None,
        token_lifetime_s: int = 3600,
        workdir: Path | None = None,
    ) -> None:
        self.tenant = tenant if isinstance(tenant, Tenant) else load_tenant(tenant)
        self.host = host
        self.port = port
        self.settings = Settings(page_size=page_size, latency_ms=latency_ms, jitter_ms=jitter_ms)
        self.faults = FaultPlan()
        self.throttle = Throttle(arm=throttle_arm, graph=throttle_graph)
        """Per-client token buckets for ARM and Graph; ``throttle.configure(Service.ARM, Bucket(...))``."""
        self._app = EmulatorApp(self.tenant, self.settings, self.faults, token_lifetime_s, self.throttle)
        self._workdir_arg = workdir
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self.ca_path: Path = Path()
        self.url: str = ""
        client = self.tenant.clients[0]
        self.tenant_id: str = self.tenant.tenant_id
        self.client_id: str = client.client_id
        self.client_secret: str = client.client_secret or ""

    # -- settings that may change while running -----------------------------------------------------------

    @property
    def page_size(self) -> int:
        """Items per ARM page and the Graph ``$top`` default."""
        return self.settings.page_size

    @page_size.setter
    def page_size(self, value: int) -> None:
        self.settings.page_size = value

    @property
    def latency_ms(self) -> float:
        """Delay added to every request, in milliseconds."""
        return self.settings.latency_ms

    @latency_ms.setter
    def latency_ms(self, value: float) -> None:
        self.settings.latency_ms = value

    @property
    def jitter_ms(self) -> float:
        """Each request's delay varies uniformly by up to this many milliseconds around ``latency_ms``."""
        return self.settings.jitter_ms

    @jitter_ms.setter
    def jitter_ms(self, value: float) -> None:
        self.settings.jitter_ms = value

    @property
    def requests(self) -> list[RecordedRequest]:
        """A copy of every request answered so far (never a token request body)."""
        return self._app.requests()

    @property
    def tokens_issued(self) -> list[str]:
        """Every access token handed out, oldest first."""
        return self._app.tokens.issued()

    def clear_requests(self) -> None:
        """Forget the requests recorded so far."""
        self._app.clear_requests()

    def expire_tokens(self) -> None:
        """Make every token issued so far expired, so the next call with one answers 401."""
        self._app.tokens.expire_all()

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> Self:
        """Generate the CA, bind the port and serve; returns once requests are accepted.

        Raises OSError when the port cannot be bound.
        """
        if self._thread is not None:
            return self
        if self._workdir_arg is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix="ahds-audit-emulator-")
            workdir = Path(self._tempdir.name)
        else:
            workdir = self._workdir_arg
        tls = make_server_tls(workdir)
        self.ca_path = tls.ca_path
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve(tls.context, ready))
            except BaseException as exc:  # noqa: BLE001 - re-raised in the starting thread
                failure.append(exc)
                ready.set()
            finally:
                loop.close()

        self._thread = threading.Thread(target=run, name="ahds-audit-emulator", daemon=True)
        self._thread.start()
        ready.wait(timeout=60)
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        logger.info("emulator serving %s", self.url)
        return self

    async def _serve(self, context: Any, ready: threading.Event) -> None:
        runner = web.AppRunner(self._app.build(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port, ssl_context=context, backlog=1024)
            await site.start()
            self.port = int(runner.addresses[0][1])
            host = f"[{self.host}]" if ":" in self.host else self.host
            self.url = f"https://{host}:{self.port}"
            self._stop_event = asyncio.Event()
            ready.set()
            await self._stop_event.wait()
        finally:
            await runner.cleanup()

    def stop(self) -> None:
        """Stop serving and release the port and the temporary CA directory; idempotent."""
        if self._thread is None:
            return
        if self._loop is not None and self._stop_event is not None:
            self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join(timeout=30)
        self._thread = None
        if self._tempdir is not None:
            self._tempdir.cleanup()
            self._tempdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await asyncio.to_thread(self.stop)

    # -- config -------------------------------------------------------------------------------------------

    def config_data(self, *, output_dir: Path | None = None) -> dict[str, Any]:
        """The ahds-audit configuration that points at this emulator (the secret comes from the env)."""
        if not self.url:
            raise RuntimeError("start the emulator before asking for its configuration")
        return {
            "cloud": {
                "name": "custom",
                "arm_endpoint": self.url,
                "graph_endpoint": self.url,
                "authority_host": self.url,
                "ca_bundle": str(self.ca_path),
            },
            "auth": {
                "method": "client-secret",
                "tenant_id": self.tenant_id,
                "client_id": self.client_id,
                "client_secret_env": SECRET_ENV,
            },
            "output": {"dir": str(output_dir) if output_dir is not None else "./ahds-audit-output"},
        }

    def write_config(self, path: Path, *, output_dir: Path | None = None) -> Path:
        """Write a ready-to-use ahds-audit config YAML for this emulator to ``path`` and return it."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = f"# ahds-audit configuration for the local emulator; export {SECRET_ENV} before scanning.\n"
        path.write_text(
            text + yaml.safe_dump(self.config_data(output_dir=output_dir), sort_keys=False), encoding="utf-8"
        )
        return path
