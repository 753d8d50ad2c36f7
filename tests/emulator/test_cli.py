"""``python -m scanner.emulator``: prints its endpoints and config, serves, and exits 0 on SIGTERM."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import yaml


def test_cli_serves_until_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "scanner.emulator", "--port", "0", "--workdir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if line.startswith("serving"):
                break
        output = "".join(lines)
        url = re.search(r"https://127\.0\.0\.1:\d+", output).group(0)  # type: ignore[union-attr]
        config = yaml.safe_load((tmp_path / "emulator-config.yaml").read_text(encoding="utf-8"))
        assert config["cloud"]["arm_endpoint"] == url
        assert str(tmp_path / "ca.pem") in output
        assert "export AHDS_AUDIT_CLIENT_SECRET=" in output
        tenant = config["auth"]["tenant_id"]
        response = httpx.get(
            f"{url}/{tenant}/v2.0/.well-known/openid-configuration", verify=config["cloud"]["ca_bundle"]
        )
        assert response.status_code == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
