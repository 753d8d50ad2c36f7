"""The garbage-collector settings of a collection or evaluation run apply only during it and never fight the host's."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from scanner._gc import YOUNG_THRESHOLD, collection_gc, evaluation_gc


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


def test_evaluation_runs_without_automatic_collection_and_restores_it() -> None:
    gc.enable()
    with evaluation_gc():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0  # what existed before is not walked meanwhile
        built = [[i] for i in range(1000)]
    assert gc.isenabled() and gc.get_freeze_count() == 0
    assert built[-1] == [999]


def test_evaluation_restores_collection_when_a_rule_raises() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), evaluation_gc():
        raise RuntimeError("boom")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_evaluation_leaves_a_host_managed_collector_alone() -> None:
    gc.disable()
    with evaluation_gc():
        assert not gc.isenabled()
    assert not gc.isenabled()
    gc.enable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with evaluation_gc():
        assert gc.isenabled()
    assert gc.get_freeze_count() == frozen


class _Node:
    link: object = None


def test_cycles_built_during_evaluation_are_still_collected_afterwards() -> None:
    gc.enable()
    with evaluation_gc():
        node = _Node()
        node.link = node
        probe = weakref.ref(node)
        del node
    gc.collect()
    assert probe() is None
