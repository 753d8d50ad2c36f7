"""The Entra ID side: OpenID discovery, the client-credentials token endpoint, and bearer checks.

MSAL (under azure-identity) with ``disable_instance_discovery=True`` and an
authority host of this server asks ``GET /{tenant}/v2.0/.well-known/openid-configuration``
and then posts to the ``token_endpoint`` it names (msal/authority.py,
``_initialize_entra_authority`` and ``tenant_discovery``). Error bodies follow
Entra's AADSTS format.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from aiohttp import web

from scanner.emulator.responses import json_response
from scanner.emulator.tenant import Tenant

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class TokenState(StrEnum):
    """What the bearer check found."""

    VALID = "valid"
    MISSING = "missing"
    INVALID = "invalid"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """An access token handed out, and when it stops being accepted (epoch seconds)."""

    client_id: str
    expires_at: float


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _is_jwt(value: str) -> bool:
    """True when ``value`` has a JSON header and payload (the signature is not verified)."""
    parts = value.split(".")
    if len(parts) != 3:
        return False
    try:
        for part in parts[:2]:
            decoded = json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))
            if not isinstance(decoded, dict):
                return False
    except ValueError:
        return False
    return True


class TokenRegistry:
    """Issues JWT-shaped opaque access tokens and checks bearer headers; thread-safe."""

    def __init__(self, tenant: Tenant, lifetime_s: int, sp_object_ids: dict[str, str]) -> None:
        self._tenant = tenant
        self.lifetime_s = lifetime_s
        self._sp_object_ids = sp_object_ids
        self._lock = threading.Lock()
        self._tokens: dict[str, IssuedToken] = {}
        self._order: list[str] = []

    def issue(self, client_id: str, scope: str, origin: str) -> str:
        """A new access token for ``client_id`` valid for ``lifetime_s`` seconds."""
        now = int(time.time())
        audience = scope.split()[0].removesuffix("/.default") if scope else origin
        claims = {
            "aud": audience,
            "iss": f"{origin}/{self._tenant.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + self.lifetime_s,
            "appid": client_id,
            "idtyp": "app",
            "oid": self._sp_object_ids.get(client_id.lower(), client_id),
            "tid": self._tenant.tenant_id,
            "sub": self._sp_object_ids.get(client_id.lower(), client_id),
            "ver": "1.0",
            "uti": secrets.token_urlsafe(16),
        }
        header = {"typ": "JWT", "alg": "RS256", "kid": "ahds-audit-emulator"}
        token = ".".join(
            (
                _b64(json.dumps(header).encode()),
                _b64(json.dumps(claims).encode()),
                _b64(secrets.token_bytes(32)),
            )
        )
        with self._lock:
            self._tokens[token] = IssuedToken(client_id, now + self.lifetime_s)
            self._order.append(token)
        return token

    def check(self, authorization: str | None) -> TokenState:
        """Classify an ``Authorization`` header value."""
        if not authorization:
            return TokenState.MISSING
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return TokenState.INVALID
        with self._lock:
            issued = self._tokens.get(token.strip())
        if issued is None:
            return TokenState.INVALID
        if issued.expires_at <= time.time():
            return TokenState.EXPIRED
        return TokenState.VALID

    def expire_all(self) -> None:
        """Make every token issued so far expired (for tests of token refresh)."""
        with self._lock:
            self._tokens = {t: IssuedToken(i.client_id, 0) for t, i in self._tokens.items()}

    def issued(self) -> list[str]:
        """Every token handed out, oldest first."""
        with self._lock:
            return list(self._order)

    def sp_object_id(self, client_id: str) -> str:
        """The service principal object id of a client (for AuthorizationFailed messages)."""
        return self._sp_object_ids.get(client_id.lower(), client_id)


def _aadsts(status: int, error: str, code: int, description: str) -> web.Response:
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    body = {
        "error": error,
        "error_description": f"AADSTS{code}: {description} Trace ID: {trace} Correlation ID: {correlation} "
        f"Timestamp: {stamp}",
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return json_response(body, status)


class EntraRoutes:
    """aiohttp handlers for discovery and the token endpoint."""

    def __init__(self, tenant: Tenant, registry: TokenRegistry) -> None:
        self._tenant = tenant
        self._registry = registry
        self._tenant_names = {tenant.tenant_id.lower()}
        if tenant.default_domain:
            self._tenant_names.add(tenant.default_domain.lower())
        self._clients = {c.client_id.lower(): c for c in tenant.clients}

    def _unknown_tenant(self, name: str) -> web.Response:
        return _aadsts(
            400,
            "invalid_tenant",
            90002,
            f"Tenant '{name}' not found. Check to make sure you have the correct tenant ID and are "
            "signing into the correct cloud. Check with your subscription administrator, this may "
            "happen if there are no active subscriptions for the tenant.",
        )

    async def openid_configuration(self, request: web.Request) -> web.Response:
        """OpenID Provider metadata with every endpoint on this server's origin."""
        name = request.match_info["tenant"]
        if name.lower() not in self._tenant_names:
            return self._unknown_tenant(name)
        origin = f"{request.scheme}://{request.host}"
        tid = self._tenant.tenant_id
        base = f"{origin}/{tid}"
        return json_response(
            {
                "token_endpoint": f"{base}/oauth2/v2.0/token",
                "token_endpoint_auth_methods_supported": [
                    "client_secret_post",
                    "private_key_jwt",
                    "client_secret_basic",
                ],
                "jwks_uri": f"{origin}/{tid}/discovery/v2.0/keys",
                "response_modes_supported": ["query", "fragment", "form_post"],
                "subject_types_supported": ["pairwise"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
                "scopes_supported": ["openid", "profile", "email", "offline_access"],
                "issuer": f"{base}/v2.0",
                "request_uri_parameter_supported": False,
                "userinfo_endpoint": f"{origin}/oidc/userinfo",
                "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                "http_logout_supported": True,
                "frontchannel_logout_supported": True,
                "end_session_endpoint": f"{base}/oauth2/v2.0/logout",
                "claims_supported": [
                    "sub",
                    "iss",
                    "cloud_instance_name",
                    "cloud_instance_host_name",
                    "cloud_graph_host_name",
                    "msgraph_host",
                    "aud",
                    "exp",
                    "iat",
                    "auth_time",
                    "acr",
                    "nonce",
                    "preferred_username",
                    "name",
                    "tid",
                    "ver",
                    "at_hash",
                    "c_hash",
                    "email",
                ],
                "kerberos_endpoint": f"{base}/kerberos",
                "tenant_region_scope": "NA",
                "cloud_instance_name": request.host,
                "cloud_graph_host_name": request.host,
                "msgraph_host": request.host,
                "rbac_url": origin,
            }
        )

    async def keys(self, request: web.Request) -> web.Response:
        """An empty JWKS: the emulator signs nothing a client could verify."""
        return json_response({"keys": []})

    async def token(self, request: web.Request) -> web.Response:
        """The client-credentials grant (secret or JWT client assertion); CAE ``claims`` are accepted."""
        name = request.match_info["tenant"]
        if name.lower() not in self._tenant_names:
            return self._unknown_tenant(name)
        form = await request.post()
        grant = str(form.get("grant_type", ""))
        client_id = str(form.get("client_id", ""))
        if grant != "client_credentials":
            return _aadsts(
                400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type."
            )
        client = self._clients.get(client_id.lower())
        if client is None:
            return _aadsts(
                400,
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory "
                f"'{self._tenant.display_name}'. This can happen if the application has not been "
                "installed by the administrator of the tenant or consented to by any user in the "
                "tenant. You may have sent your authentication request to the wrong tenant.",
            )
        secret = form.get("client_secret")
        assertion = form.get("client_assertion")
        if assertion is not None:
            if str(form.get("client_assertion_type", "")) != ASSERTION_TYPE or not _is_jwt(str(assertion)):
                return _aadsts(401, "invalid_client", 50027, "JWT token is invalid or malformed.")
        elif secret is None:
            return _aadsts(
                401,
                "invalid_client",
                7000218,
                "The request body must contain the following parameter: 'client_assertion' "
                "or 'client_secret'.",
            )
        elif client.client_secret is None or not secrets.compare_digest(str(secret), client.client_secret):
            return _aadsts(
                401,
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is "
                f"the client secret value, not the client secret ID, for a secret added to app "
                f"'{client.client_id}'.",
            )
        scope = str(form.get("scope", ""))
        origin = f"{request.scheme}://{request.host}"
        token = self._registry.issue(client.client_id, scope, origin)
        lifetime = self._registry.lifetime_s
        return json_response(
            {
                "token_type": "Bearer",
                "expires_in": lifetime,
                "ext_expires_in": lifetime,
                "access_token": token,
            }
        )
