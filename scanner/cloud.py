"""Cloud profiles: the ARM, Graph and Entra endpoints of each Azure cloud, and the token scopes that follow.

The named clouds are a data table; ``custom`` (an emulator, Azure Stack, a
sovereign cloud not listed here) takes its endpoints from the config.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scanner.config import CloudConfig

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class CloudProfile:
    """Where one cloud's services live. Endpoints are https URLs without a trailing slash."""

    name: str
    arm_endpoint: str
    graph_endpoint: str
    authority_host: str
    ca_bundle: Path | None = None

    @property
    def arm_scope(self) -> str:
        """The token scope for Azure Resource Manager, ``<arm_endpoint>/.default``."""
        return _scope(self.arm_endpoint)

    @property
    def graph_scope(self) -> str:
        """The token scope for Microsoft Graph, ``<graph_endpoint>/.default``."""
        return _scope(self.graph_endpoint)

    @property
    def is_custom(self) -> bool:
        """True for the ``custom`` cloud, whose endpoints come from the config."""
        return self.name not in CLOUDS

    @property
    def known_authority(self) -> bool:
        """True when the authority host is a Microsoft one; otherwise MSAL instance discovery must be off."""
        return any(self.authority_host == p.authority_host for p in CLOUDS.values())

    @property
    def authority_netloc(self) -> str:
        """The authority's host[:port], for messages ("no answer from login.microsoftonline.us")."""
        return urlsplit(self.authority_host).netloc


def _scope(endpoint: str) -> str:
    return endpoint.rstrip("/") + "/.default"


# Authority hosts as azure.identity.AzureAuthorityHosts; Graph roots as msgraph_core's NationalClouds and
# https://learn.microsoft.com/graph/deployments ; ARM as `az cloud show` for each cloud.
CLOUDS: dict[str, CloudProfile] = {
    p.name: p
    for p in (
        CloudProfile(
            name="AzureCloud",
            arm_endpoint="https://management.azure.com",
            graph_endpoint="https://graph.microsoft.com",
            authority_host="https://login.microsoftonline.com",
        ),
        CloudProfile(
            name="AzureUSGovernment",
            arm_endpoint="https://management.usgovcloudapi.net",
            graph_endpoint="https://graph.microsoft.us",
            authority_host="https://login.microsoftonline.us",
        ),
        CloudProfile(
            name="AzureChinaCloud",
            arm_endpoint="https://management.chinacloudapi.cn",
            graph_endpoint="https://microsoftgraph.chinacloudapi.cn",
            authority_host="https://login.chinacloudapi.cn",
        ),
    )
}


def resolve_cloud(cfg: CloudConfig) -> CloudProfile:
    """The profile for a validated cloud section.

    A named cloud may override single endpoints (e.g. Graph for US DoD, ``dod-graph.microsoft.us``);
    that is logged as a warning because it is rarely meant. ``custom`` uses the config's endpoints
    (the config model guarantees all three are present).
    """
    if cfg.name == "custom":
        assert cfg.arm_endpoint and cfg.graph_endpoint and cfg.authority_host  # enforced by CloudConfig
        return CloudProfile(
            name="custom",
            arm_endpoint=cfg.arm_endpoint,
            graph_endpoint=cfg.graph_endpoint,
            authority_host=cfg.authority_host,
            ca_bundle=cfg.ca_bundle,
        )
    base = CLOUDS[cfg.name]
    overrides = {
        key: value
        for key in ("arm_endpoint", "graph_endpoint", "authority_host")
        if (value := getattr(cfg, key)) is not None and value != getattr(base, key)
    }
    for key, value in overrides.items():
        logger.warning("cloud %s: %s overridden by the config: %r", cfg.name, key, value)
    return CloudProfile(
        name=base.name,
        arm_endpoint=overrides.get("arm_endpoint", base.arm_endpoint),
        graph_endpoint=overrides.get("graph_endpoint", base.graph_endpoint),
        authority_host=overrides.get("authority_host", base.authority_host),
        ca_bundle=cfg.ca_bundle,
    )
