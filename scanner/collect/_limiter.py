"""A priority semaphore: one bound on requests in flight across ARM and Graph, deepest work first.

Why priorities: wall time is bounded below by the longest chain of dependent
requests (page after page of one long list, or parent page then child list).
Handing a freed slot to the next page of a list already under way, before the
first page of yet another list, keeps those chains moving while breadth fills
the remaining slots. Ties are served first come, first served.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from enum import IntEnum


class Priority(IntEnum):
    """Lower runs first."""

    NEXT_PAGE = 0
    """A continuation page (``nextLink``) of a list already being read."""
    CHILD = 1
    """The first page of a list under a collected parent (fhirservices, vault secrets/keys, Graph batches)."""
    ROOT = 2
    """The first page of a subscription- or tenant-level list."""


class Limiter:
    """At most ``capacity`` holders at a time; waiters are admitted by (priority, arrival).

    Cancellation-safe: a waiter cancelled before admission gives up its place,
    and one cancelled just after being handed a slot passes it on.
    """

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._free = capacity
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrival = itertools.count()

    @asynccontextmanager
    async def slot(self, priority: Priority) -> AsyncIterator[None]:
        """Hold one slot for the duration of the ``async with`` body."""
        await self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    async def _acquire(self, priority: Priority) -> None:
        if self._free > 0 and not self._waiters:
            self._free -= 1
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (int(priority), next(self._arrival), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self._release()  # the slot was handed over just as we were cancelled
            raise

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # hand the slot straight to the next waiter
                return
        self._free += 1
