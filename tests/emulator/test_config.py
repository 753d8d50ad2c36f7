"""The configuration file the emulator writes for the scanner."""

from __future__ import annotations

from pathlib import Path

import yaml

from scanner.emulator import SECRET_ENV, Emulator


def test_write_config_has_the_documented_keys(emulator: Emulator, tmp_path: Path) -> None:
    path = emulator.write_config(tmp_path / "cfg" / "config.yaml", output_dir=tmp_path / "out")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert data == {
        "cloud": {
            "name": "custom",
            "arm_endpoint": emulator.url,
            "graph_endpoint": emulator.url,
            "authority_host": emulator.url,
            "ca_bundle": str(emulator.ca_path),
        },
        "auth": {
            "method": "client-secret",
            "tenant_id": emulator.tenant_id,
            "client_id": emulator.client_id,
            "client_secret_env": SECRET_ENV,
        },
        "output": {"dir": str(tmp_path / "out")},
    }
    assert Path(data["cloud"]["ca_bundle"]).is_absolute()
    assert emulator.client_secret not in path.read_text(encoding="utf-8")
