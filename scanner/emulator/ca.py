"""The emulator's own certificate authority and server certificate (trustme), written to a workdir.

Clients trust the emulator by adding ``ca.pem`` to their CA bundle: TLS is
never turned off, which also keeps azure-core willing to send bearer tokens.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme

SERVER_NAMES = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True, slots=True)
class ServerTls:
    """The CA file clients must trust and the server's TLS context."""

    ca_path: Path
    context: ssl.SSLContext


def make_server_tls(workdir: Path) -> ServerTls:
    """Generate a fresh CA and a loopback server certificate; write ``ca.pem`` to ``workdir``."""
    authority = trustme.CA(organization_name="ahds-audit emulator")
    certificate = authority.issue_cert(*SERVER_NAMES)
    workdir.mkdir(parents=True, exist_ok=True)
    ca_path = workdir / "ca.pem"
    authority.cert_pem.write_to_path(str(ca_path))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    certificate.configure_cert(context)
    return ServerTls(ca_path=ca_path.resolve(), context=context)
