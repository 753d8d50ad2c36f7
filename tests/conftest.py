"""Shared fixtures: a loopback-only network guard, and one emulator for the end-to-end tests."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

_real_connect = socket.socket.connect
_real_connect_ex = socket.socket.connect_ex


def _is_loopback(address: Any) -> bool:
    if not isinstance(address, tuple):  # AF_UNIX paths
        return True
    host = address[0]
    if host in ("localhost",):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _guarded_connect(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test guard: refusing non-loopback connection to {address!r}")
    return _real_connect(self, address)


def _guarded_connect_ex(self: socket.socket, address: Any) -> Any:
    if not _is_loopback(address):
        raise ConnectionRefusedError(f"test guard: refusing non-loopback connection to {address!r}")
    return _real_connect_ex(self, address)


@pytest.fixture(autouse=True, scope="session")
def _loopback_only() -> Iterator[None]:
    """Tests talk to this machine only: any other address is refused before a packet leaves."""
    socket.socket.connect = _guarded_connect  # type: ignore[method-assign]
    socket.socket.connect_ex = _guarded_connect_ex  # type: ignore[method-assign]
    try:
        yield
    finally:
        socket.socket.connect = _real_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = _real_connect_ex  # type: ignore[method-assign]


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The bundled demo tenant served once for the whole session (127.0.0.1:0, own CA)."""
    from scanner.emulator import Emulator

    with Emulator(workdir=tmp_path_factory.mktemp("emulator")) as emu:
        yield emu


@pytest.fixture()
def emulator_config(emulator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ready config for the session emulator, its secret in the environment as a user would set it."""
    monkeypatch.setenv("AHDS_AUDIT_CLIENT_SECRET", emulator.client_secret)
    emulator.faults.clear()
    return emulator.write_config(tmp_path / "config.yaml", output_dir=tmp_path / "out")
