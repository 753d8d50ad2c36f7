"""The config loader: every error is one ConfigError line naming file, line:column and key path; no secret leaks."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from pydantic import ValidationError

from scanner.config import Config, default_config, load_config
from scanner.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
ENTRA_SHAPED = "xY38Q~" + "abcdefghijklmnopqrstuvwxyzABCDEFGH"  # the shape of an Entra client secret, not a real one
TENANT = "72f988bf-0000-0000-0000-000000000000"
CLIENT = "11111111-2222-3333-4444-555555555555"


def write(tmp_path: Path, text: str, name: str = "config.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path, environ=environ or {})
    assert info.value.exit_code == 2
    return info.value.message


def test_sample_config_loads_cleanly() -> None:
    config = load_config(REPO / "sample-config.yaml", environ={})
    assert config.auth.method == "client-secret"
    assert config.auth.client_secret_env == "AHDS_AUDIT_CLIENT_SECRET"
    assert config.output.dir == REPO / "ahds-audit-output"
    assert config.source == REPO / "sample-config.yaml"


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = write(tmp_path, "cloud:\n  name: custom\nauth: {method: default\nscope:\n")
    message = error_of(path)
    assert message.startswith(f"{path}:4:")
    assert "YAML syntax error" in message
    assert "\n" not in message


def test_unknown_key_suggests_the_close_one(tmp_path: Path) -> None:
    path = write(tmp_path, f"cloud:\n  name: AzureCloud\nauth:\n  method: client-secret\n  clent_id: {CLIENT}\n")
    assert error_of(path) == f"{path}:5:3: auth.clent_id: unknown key; did you mean 'client_id'?"


def test_unknown_top_level_key_without_close_match_lists_sections(tmp_path: Path) -> None:
    message = error_of(write(tmp_path, "zzz: 1\n"))
    assert ":1:1: zzz: unknown key; expected one of: cloud, auth, scope" in message


def test_bad_enum_value_names_key_path_and_value_position(tmp_path: Path) -> None:
    path = write(tmp_path, "gate:\n  fail_on: hihg\n")
    message = error_of(path)
    assert message.startswith(f"{path}:2:12: gate.fail_on: expected one of 'critical', 'high'")
    assert message.endswith("did you mean 'high'?")


def test_bad_value_in_a_list_points_at_the_item(tmp_path: Path) -> None:
    path = write(tmp_path, "scope:\n  subscriptions:\n    - 00000000-0000-0000-0000-000000000001\n    - nope\n")
    assert error_of(path).startswith(f"{path}:4:7: scope.subscriptions[1]: must be a GUID")


def test_out_of_range_number(tmp_path: Path) -> None:
    path = write(tmp_path, "collection:\n  concurrency: 1000\n")
    assert error_of(path).startswith(f"{path}:2:16: collection.concurrency: input should be less than or equal")


@pytest.mark.parametrize(
    ("yaml_text", "line_col", "key"),
    [
        ((f"auth:\n  method: client-secret\n  tenant_id: {TENANT}\n  client_id: {CLIENT}\n"
          "  client_secret: hunter2-but-longer\n"), "5:3", "auth.client_secret"),
        ("storage:\n  connection_string: DefaultEndpointsProtocol=https;AccountName=x\n", "2:3",
         "storage.connection_string"),
        ("auth:\n  certificate_password: 123456\n", "2:3", "auth.certificate_password"),
        ("rules:\n  settings:\n    X-Y-001:\n      token: abcdef\n", "4:7", "rules.settings.X-Y-001.token"),
        (f"sarif:\n  category: {ENTRA_SHAPED}\n", "2:13", "sarif.category"),
    ],
)
def test_literal_secret_is_refused_and_never_echoed(tmp_path: Path, yaml_text: str, line_col: str,
                                                    key: str) -> None:
    path = write(tmp_path, yaml_text)
    message = error_of(path)
    assert message.startswith(f"{path}:{line_col}: {key}: ")
    assert "client_secret_env" in message and "client_secret_keyvault_uri" in message
    for secret in ("hunter2-but-longer", "DefaultEndpointsProtocol", "123456", "abcdef", ENTRA_SHAPED):
        assert secret not in message


def test_literal_secret_is_refused_before_other_validation(tmp_path: Path) -> None:
    # The unknown key would be reported first if secrets were checked after the schema.
    path = write(tmp_path, "bogus: 1\nauth:\n  password: pa55word\n")
    assert "auth.password: a literal secret is not allowed" in error_of(path)


def test_reference_keys_are_not_secrets(tmp_path: Path) -> None:
    path = write(tmp_path, f"auth:\n  method: certificate\n  tenant_id: {TENANT}\n  client_id: {CLIENT}\n"
                           "  certificate_path: ./cert.pem\n  certificate_password_env: CERT_PW\n")
    config = load_config(path, environ={})
    assert config.auth.certificate_password_env == "CERT_PW"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"# only a comment\n", "the file is empty"),
        (b"- a\n- b\n", ":1:1: the top level must be a mapping"),
        (b"cloud: \xff\xfe\n", "not UTF-8 text"),
    ],
)
def test_unusable_files(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_bytes(content)
    assert expected in error_of(path)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert error_of(tmp_path / "absent.yaml") == f"{tmp_path / 'absent.yaml'}: no such file"
    assert "is a directory" in error_of(tmp_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "cloud: {}\n")
    path.chmod(0)
    assert error_of(path) == f"{path}: permission denied"


def test_custom_cloud_needs_its_endpoints(tmp_path: Path) -> None:
    path = write(tmp_path, "cloud:\n  name: custom\n  graph_endpoint: https://127.0.0.1:8443\n"
                           "  authority_host: https://127.0.0.1:8443\n")
    assert error_of(path) == (f"{path}:1:1: cloud.arm_endpoint: required when cloud.name is 'custom' "
                              "(missing: arm_endpoint)")


def test_endpoints_must_be_https(tmp_path: Path) -> None:
    path = write(tmp_path, "cloud:\n  name: custom\n  arm_endpoint: http://127.0.0.1:8443\n"
                           "  graph_endpoint: https://g\n  authority_host: https://a\n")
    assert error_of(path).startswith(f"{path}:3:17: cloud.arm_endpoint: must be an https:// URL")


def test_subscriptions_and_exclusions_cannot_be_combined(tmp_path: Path) -> None:
    path = write(tmp_path, "scope:\n  subscriptions: [00000000-0000-0000-0000-000000000001]\n"
                           "  exclude_subscriptions: [00000000-0000-0000-0000-000000000002]\n")
    assert error_of(path).startswith(f"{path}:3:3: scope.exclude_subscriptions: cannot be combined")


def test_client_secret_method_needs_one_secret_reference(tmp_path: Path) -> None:
    path = write(tmp_path, f"auth:\n  method: client-secret\n  tenant_id: {TENANT}\n  client_id: {CLIENT}\n")
    assert "needs exactly one of client_secret_env" in error_of(path)


def test_key_of_another_method_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "auth:\n  method: azure-cli\n  client_secret_env: X\n")
    assert error_of(path) == (f"{path}:3:3: auth.client_secret_env: not used by method 'azure-cli'; "
                              "remove it or change auth.method")


def test_tenant_and_client_fall_back_to_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "auth:\n  method: client-secret\n  client_secret_env: AHDS_AUDIT_CLIENT_SECRET\n")
    assert "auth.tenant_id: required for method 'client-secret' (or set AZURE_TENANT_ID)" in error_of(path)
    config = load_config(path, environ={"AZURE_TENANT_ID": TENANT.upper(), "AZURE_CLIENT_ID": CLIENT})
    assert (config.auth.tenant_id, config.auth.client_id) == (TENANT, CLIENT)


def test_duplicate_and_non_string_keys_are_refused(tmp_path: Path) -> None:
    assert error_of(write(tmp_path, "gate:\n  fail_on: low\n  fail_on: high\n")).endswith(
        ":3:3: gate.fail_on: duplicate key")
    assert "keys must be plain names" in error_of(write(tmp_path, "gate:\n  on: low\n", "b.yaml"))


def test_relative_paths_resolve_against_the_config_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                              ) -> None:
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    monkeypatch.chdir(tmp_path)
    write(conf_dir, "cloud:\n  ca_bundle: ./ca.pem\noutput:\n  dir: out\nrules:\n  folder: ../rules\n"
                    "suppressions: risks.yaml\nbaseline: /abs/findings.json\n")
    config = load_config(Path("conf/config.yaml"), environ={})
    assert config.cloud.ca_bundle == conf_dir.resolve() / "ca.pem"
    assert config.output.dir == conf_dir.resolve() / "out"
    assert config.rules.folder == conf_dir.resolve() / ".." / "rules"
    assert config.suppressions == conf_dir.resolve() / "risks.yaml"
    assert config.baseline == Path("/abs/findings.json")


def test_redacted_holds_references_and_no_secret(tmp_path: Path) -> None:
    path = write(tmp_path, f"auth:\n  method: client-secret\n  tenant_id: {TENANT}\n  client_id: {CLIENT}\n"
                           "  client_secret_keyvault_uri: https://kv.vault.azure.net/secrets/ahds/0123abcd\n")
    data = load_config(path, environ={}).redacted()
    json.dumps(data)  # plain JSON data
    assert data["auth"]["client_secret_keyvault_uri"] == "https://kv.vault.azure.net/secrets/ahds/0123abcd"
    # A Config built in code can carry anything; redacted() still never returns a secret.
    built = Config.model_validate({"rules": {"settings": {"X-Y-001": {"password": "pa55", "note": ENTRA_SHAPED,
                                                                      "warn_days": 30}}}})
    text = json.dumps(built.redacted())
    assert "pa55" not in text and ENTRA_SHAPED not in text
    assert built.redacted()["rules"]["settings"]["X-Y-001"]["warn_days"] == 30


def test_default_config_is_valid_and_overridable() -> None:
    assert default_config().auth.method == "default"
    assert default_config(collection={"concurrency": 4}).collection.concurrency == 4


def test_config_is_frozen() -> None:
    config = default_config()
    with pytest.raises(ValidationError, match="frozen"):
        config.gate = config.gate  # type: ignore[misc]
