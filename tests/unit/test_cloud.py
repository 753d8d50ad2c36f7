"""Cloud profiles: the named clouds' endpoints, custom endpoints, and token scopes."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from scanner.cloud import CLOUDS, CloudProfile, resolve_cloud
from scanner.config import CloudConfig


@pytest.mark.parametrize(
    ("name", "arm", "graph", "authority"),
    [
        ("AzureCloud", "https://management.azure.com", "https://graph.microsoft.com",
         "https://login.microsoftonline.com"),
        ("AzureUSGovernment", "https://management.usgovcloudapi.net", "https://graph.microsoft.us",
         "https://login.microsoftonline.us"),
        ("AzureChinaCloud", "https://management.chinacloudapi.cn", "https://microsoftgraph.chinacloudapi.cn",
         "https://login.chinacloudapi.cn"),
    ],
)
def test_named_clouds(name: str, arm: str, graph: str, authority: str) -> None:
    profile = resolve_cloud(CloudConfig(name=name))  # type: ignore[arg-type]
    assert (profile.arm_endpoint, profile.graph_endpoint, profile.authority_host) == (arm, graph, authority)
    assert profile.arm_scope == f"{arm}/.default"
    assert profile.graph_scope == f"{graph}/.default"
    assert not profile.is_custom
    assert profile.known_authority


def test_named_authorities_match_azure_identity() -> None:
    from azure.identity import AzureAuthorityHosts

    hosts = {p.authority_host.removeprefix("https://") for p in CLOUDS.values()}
    assert hosts == {AzureAuthorityHosts.AZURE_PUBLIC_CLOUD, AzureAuthorityHosts.AZURE_GOVERNMENT,
                     AzureAuthorityHosts.AZURE_CHINA}


def test_custom_cloud_takes_config_endpoints_and_ca() -> None:
    cfg = CloudConfig(name="custom", arm_endpoint="https://127.0.0.1:8443/", graph_endpoint="https://127.0.0.1:8444",
                      authority_host="https://127.0.0.1:8445", ca_bundle=Path("/tmp/ca.pem"))
    profile = resolve_cloud(cfg)
    assert profile.is_custom and not profile.known_authority
    assert profile.arm_scope == "https://127.0.0.1:8443/.default"  # no double slash from a trailing one
    assert profile.graph_scope == "https://127.0.0.1:8444/.default"
    assert profile.authority_netloc == "127.0.0.1:8445"
    assert profile.ca_bundle == Path("/tmp/ca.pem")


def test_named_cloud_override_is_used_and_warned(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="scanner.cloud"):
        profile = resolve_cloud(CloudConfig(name="AzureUSGovernment", graph_endpoint="https://dod-graph.microsoft.us"))
    assert profile.graph_endpoint == "https://dod-graph.microsoft.us"
    assert profile.arm_endpoint == "https://management.usgovcloudapi.net"
    assert "graph_endpoint overridden" in caplog.text


def test_profile_is_immutable() -> None:
    profile = CLOUDS["AzureCloud"]
    with pytest.raises(AttributeError):
        profile.arm_endpoint = "https://evil.example"  # type: ignore[misc]
    assert isinstance(profile, CloudProfile)
