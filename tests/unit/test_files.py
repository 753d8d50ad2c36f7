"""Files written through a temporary one: nothing half-written is ever seen, and the mode is the expected one."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TextIO

import pytest

from scanner._files import write_atomically, write_temporary


def test_written_in_place_with_the_umask_unless_a_mode_is_given(tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        write_atomically(tmp_path / "private.json", lambda fh: fh.write("{}\n"))
        write_atomically(tmp_path / "report.html", lambda fh: fh.write("<p>\n"), mode=0o644)
    finally:
        os.umask(old)
    assert (tmp_path / "private.json").read_text(encoding="utf-8") == "{}\n"
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["private.json", "report.html"]


def test_a_failing_writer_leaves_the_old_file_and_no_temporary_one(tmp_path: Path) -> None:
    target = tmp_path / "snapshot.json"
    target.write_text("last week\n", encoding="utf-8")

    def half(fh: TextIO) -> None:
        fh.write("{ half")
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        write_atomically(target, half)
    assert target.read_text(encoding="utf-8") == "last week\n"
    assert [p.name for p in tmp_path.iterdir()] == ["snapshot.json"]


def test_a_temporary_file_sits_beside_its_target_until_renamed(tmp_path: Path) -> None:
    first = write_temporary(tmp_path / "a.txt", lambda fh: fh.write("x"))
    second = write_temporary(tmp_path / "a.txt", lambda fh: fh.write("y"))
    assert first != second and first.parent == tmp_path and first.name.startswith(".a.txt.")
    assert not (tmp_path / "a.txt").exists()
