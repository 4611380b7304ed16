"""OutgoingQueue: order, the pending-bytes bound, and the waits of its writers."""

from __future__ import annotations

import asyncio

import pytest

from sioapp._transport.outgoing import EMPTY, END, OutgoingQueue
from sioapp._transport.packets import CLOSE


class Owner:
    def __init__(self) -> None:
        self.waiting = 0
        self.overflows = 0

    def packet_waiting(self) -> None:
        self.waiting += 1

    def overflowed(self) -> None:
        self.overflows += 1


def queue_of(limit: int | None = None) -> tuple[OutgoingQueue, Owner]:
    owner = Owner()
    return OutgoingQueue(owner, limit), owner


def test_a_long_burst_comes_out_in_order() -> None:
    queue, _ = queue_of()
    taken: list[str] = []
    for round_ in range(3):  # the list is compacted while the writer lags behind
        for n in range(500):
            queue.put(f"4{round_}-{n}")
        for _ in range(300):
            taken.append(queue.take())
    while (frame := queue.take()) is not EMPTY:
        taken.append(frame)
    assert taken == [f"4{r}-{n}" for r in range(3) for n in range(500)]
    assert queue.empty() and queue.pending == 0


def test_pending_counts_queued_bytes_and_the_packet_in_flight() -> None:
    queue, _ = queue_of()
    queue.put("4abc")
    queue.put(b"de")
    assert queue.pending == 5 + 3
    queue.take()
    assert queue.pending == 3 + 5  # "4abc" is being sent
    queue.take()
    assert queue.pending == 3
    assert queue.take() is EMPTY
    assert queue.pending == 0  # the writer came back: everything is out


def test_a_batch_counts_until_the_writer_comes_back() -> None:
    queue, _ = queue_of()
    for frame in ("4a", "4bb", "4ccc"):
        queue.put(frame)
    assert queue.take_all() == ["4a", "4bb", "4ccc"]
    assert queue.pending == 3 + 4 + 5 and queue.empty()
    queue.put("4d")
    assert queue.pending == 12 + 3
    queue.sent()
    assert queue.pending == 3


def test_overflow_drops_from_then_on_but_close_passes() -> None:
    queue, owner = queue_of(10)
    queue.put("4" + "x" * 50)  # an empty buffer takes anything
    queue.put("4y")
    queue.put(b"z")
    queue.put(CLOSE)
    queue.put(END)
    assert owner.overflows == 1
    assert [queue.take() for _ in range(3)] == ["4" + "x" * 50, CLOSE, END]


async def test_the_owner_hears_of_packets_nobody_waits_for() -> None:
    queue, owner = queue_of()
    queue.put("4a")
    assert owner.waiting == 1
    queue.take()
    waiter = asyncio.ensure_future(queue.wait())
    await asyncio.sleep(0)  # one turn of the loop: the waiter is waiting
    queue.put("4b")  # wakes the waiting writer instead
    await asyncio.wait_for(waiter, 1)
    assert owner.waiting == 1


async def test_wait_ends_on_a_packet_or_on_wake() -> None:
    queue, _ = queue_of()
    waiter = asyncio.ensure_future(queue.wait())
    await asyncio.sleep(0.01)  # time passes, and nothing ends the wait
    assert not waiter.done()
    queue.wake()
    await asyncio.wait_for(waiter, 1)
    queue.put("4a")
    await asyncio.wait_for(queue.wait(), 1)  # at once: a packet is queued


async def test_a_cancelled_wait_leaves_nothing_behind() -> None:
    queue, _ = queue_of()
    first = asyncio.ensure_future(queue.wait())
    second = asyncio.ensure_future(queue.wait())
    await asyncio.sleep(0)  # one turn of the loop: both are waiting
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    queue.put("4a")
    await asyncio.wait_for(second, 1)
    assert queue._waiters == []
