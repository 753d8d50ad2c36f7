"""The collector's garbage-collector settings apply only during a run and never fight the host's."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from scanner.collect._gc import YOUNG_THRESHOLD, collection_gc


@pytest.fixture(autouse=True)
def _restore_gc() -> Iterator[None]:
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.set_threshold(*thresholds)
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_thresholds_raised_during_the_run_and_restored_after() -> None:
    gc.set_threshold(700, 10, 10)
    with collection_gc():
        assert gc.get_threshold()[0] >= YOUNG_THRESHOLD
        assert gc.get_freeze_count() > 0
    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == 0


def test_restored_even_when_the_run_fails() -> None:
    gc.set_threshold(700, 10, 10)
    with pytest.raises(RuntimeError), collection_gc():
        raise RuntimeError("boom")
    assert gc.get_threshold() == (700, 10, 10) and gc.get_freeze_count() == 0


def test_a_host_managed_collector_is_left_alone() -> None:
    gc.disable()
    gc.set_threshold(123, 4, 5)
    with collection_gc():
        assert gc.get_threshold() == (123, 4, 5)
    gc.enable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with collection_gc():
        assert gc.get_threshold() == (123, 4, 5)
    assert gc.get_freeze_count() == frozen
