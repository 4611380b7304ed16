"""OutgoingQueue: order, the pending-bytes bound, and the waits of its writers."""

from __future__ import annotations

import asyncio

import pytest
from engineio import packet as eio_packet

from sioapp.outgoing import EMPTY, OutgoingQueue


def message(text: str) -> eio_packet.Packet:
    return eio_packet.Packet(eio_packet.MESSAGE, text)


class Owner:
    def __init__(self) -> None:
        self.waiting = 0
        self.overflows = 0

    def packet_waiting(self) -> None:
        self.waiting += 1

    def overflowed(self) -> None:
        self.overflows += 1


def test_a_long_burst_comes_out_in_order() -> None:
    queue = OutgoingQueue(None, {})
    taken: list[str] = []
    for round_ in range(3):  # the list is compacted while the writer lags behind
        for n in range(500):
            queue.put_nowait(message(f"{round_}-{n}"))
        for _ in range(300):
            taken.append(queue.take().data)
    while (pkt := queue.take()) is not EMPTY:
        taken.append(pkt.data)
    assert taken == [f"{r}-{n}" for r in range(3) for n in range(500)]
    assert queue.empty() and queue.qsize() == 0 and queue.pending == 0


def test_pending_counts_queued_bytes_and_the_packet_in_flight() -> None:
    queue = OutgoingQueue(None, {})
    queue.put_nowait(message("abc"))
    queue.put_nowait(message("de"))
    assert queue.pending == 4 + 3
    queue.take()
    assert queue.pending == 3 + 4  # "abc" is being sent
    queue.take()
    assert queue.pending == 3
    assert queue.take() is EMPTY
    assert queue.pending == 0  # the writer came back: everything is out


async def test_a_batch_counts_until_the_writer_comes_back() -> None:
    queue = OutgoingQueue(None, {})
    for text in ("a", "bb", "ccc"):
        queue.put_nowait(message(text))
    assert (await queue.get()).data == "a"
    assert queue.get_nowait().data == "bb"
    assert queue.get_nowait().data == "ccc"
    assert queue.pending == 2 + 3 + 4
    queue.put_nowait(message("d"))
    assert (await queue.get()).data == "d"
    assert queue.pending == 2


def test_overflow_drops_from_then_on_but_close_passes() -> None:
    queue = OutgoingQueue(10, {})
    owner = Owner()
    queue.owner = owner
    queue.put_nowait(message("x" * 50))  # an empty buffer takes anything
    queue.put_nowait(message("y"))
    queue.put_nowait(message("z"))
    queue.put_nowait(eio_packet.Packet(eio_packet.CLOSE))
    queue.put_nowait(None)
    assert owner.overflows == 1
    kinds = [queue.take() for _ in range(3)]
    assert [k.packet_type if k is not None else None for k in kinds] == [
        eio_packet.MESSAGE,
        eio_packet.CLOSE,
        None,
    ]


async def test_the_owner_hears_of_packets_nobody_waits_for() -> None:
    queue = OutgoingQueue(None, {})
    owner = Owner()
    queue.owner = owner
    queue.put_nowait(message("a"))
    assert owner.waiting == 1
    queue.take()
    waiter = asyncio.ensure_future(queue.wait())
    await asyncio.sleep(0)
    queue.put_nowait(message("b"))  # wakes the waiting writer instead
    await asyncio.wait_for(waiter, 1)
    assert owner.waiting == 1


async def test_wait_ends_on_a_packet_or_on_wake() -> None:
    queue = OutgoingQueue(None, {})
    waiter = asyncio.ensure_future(queue.wait())
    await asyncio.sleep(0.01)
    assert not waiter.done()
    queue.wake()
    await asyncio.wait_for(waiter, 1)
    queue.put_nowait(message("a"))
    await asyncio.wait_for(queue.wait(), 1)  # at once: a packet is queued


async def test_a_cancelled_wait_leaves_nothing_behind() -> None:
    queue = OutgoingQueue(None, {})
    first = asyncio.ensure_future(queue.get())
    second = asyncio.ensure_future(queue.get())
    await asyncio.sleep(0)
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    queue.put_nowait(message("a"))
    assert (await asyncio.wait_for(second, 1)).data == "a"


async def test_join_waits_until_every_packet_is_taken() -> None:
    queue = OutgoingQueue(None, {})
    queue.put_nowait(message("a"))
    queue.put_nowait(message("b"))
    joined = asyncio.ensure_future(queue.join())
    await asyncio.sleep(0.01)
    queue.take()
    await asyncio.sleep(0.01)
    assert not joined.done()
    queue.take()
    await asyncio.wait_for(joined, 1)


def test_the_open_packet_advertises_the_handshake() -> None:
    queue = OutgoingQueue(None, {"pingInterval": 25_000})
    queue.put_nowait(eio_packet.Packet(eio_packet.OPEN, {"sid": "x", "pingInterval": 25}))
    assert queue.take().data == {"sid": "x", "pingInterval": 25_000}
