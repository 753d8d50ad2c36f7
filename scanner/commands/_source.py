"""Where a command's configuration comes from: a config file, or the bundled demo emulator.

``--demo`` starts the emulator in-process, writes a ready config for it and
puts the demo client's secret into the environment variable that config
names, exactly as a user would for a real tenant.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import ssl
import tempfile
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import ConfigError

if TYPE_CHECKING:
    from scanner.auth import ScannerCredential
    from scanner.cloud import CloudProfile
    from scanner.config import Config

DEMO_OUTPUT_DIR = Path("ahds-audit-demo")


@contextlib.contextmanager
def open_config(args: argparse.Namespace, *, required: bool = True) -> Iterator[Config | None]:
    """Yield the Config for ``args`` (``--config``, ``$AHDS_AUDIT_CONFIG`` or ``--demo``).

    With ``--demo`` the emulator runs for the duration of the ``with`` block.
    Raises ConfigError when a config is required and none was given.
    """
    from scanner.cli import config_path

    if getattr(args, "demo", False):
        from scanner.config import load_config
        from scanner.emulator import Emulator

        with (
            tempfile.TemporaryDirectory(prefix="ahds-audit-demo-") as tmp,
            Emulator(workdir=Path(tmp)) as emu,
        ):
            cfg_file = emu.write_config(Path(tmp) / "demo-config.yaml", output_dir=DEMO_OUTPUT_DIR.resolve())
            cfg = load_config(cfg_file)
            env_name = cfg.auth.client_secret_env or "AHDS_AUDIT_CLIENT_SECRET"
            previous = os.environ.get(env_name)
            os.environ[env_name] = emu.client_secret
            try:
                yield cfg
            finally:
                if previous is None:
                    os.environ.pop(env_name, None)
                else:
                    os.environ[env_name] = previous
        return
    path = config_path(args)
    if path is None:
        if required:
            raise ConfigError(
                "no configuration: pass --config FILE (or set AHDS_AUDIT_CONFIG), or --demo",
                hint="start from sample-config.yaml in the project root",
            )
        yield None
        return
    from scanner.config import load_config  # pydantic models and YAML: only when a config is read

    yield load_config(path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Session:
    """A verified credential and the cloud and TLS trust it was built for."""

    credential: ScannerCredential
    cloud: CloudProfile
    ssl_context: ssl.SSLContext


@contextlib.asynccontextmanager
async def authenticated(cfg: Config) -> AsyncIterator[Session]:
    """Build the credential for ``cfg``, prove it gets a token (bounded), and yield the session.

    Every command that reads Azure goes through here, so sign-in failures, and a
    token failure inside the block before anything could be read, end the same
    way: one-line ``AuthError``, exit 2.
    """
    from scanner.auth import authentication_failures, build_credential, verify_credential
    from scanner.cloud import resolve_cloud
    from scanner.tls import ssl_context

    cloud = resolve_cloud(cfg.cloud)
    ctx = ssl_context(cloud.ca_bundle)
    credential = await build_credential(cfg.auth, cloud, ctx)
    async with credential:
        await verify_credential(credential, cloud, timeout_s=cfg.auth.timeout_s)
        async with authentication_failures(credential, cloud):
            yield Session(credential=credential, cloud=cloud, ssl_context=ctx)
