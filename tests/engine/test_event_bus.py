"""The in-process event bus: a subscriber on the publisher's own loop gets the event at
once (the worker hears "a job is due" without a detour through the loop's wake-up pipe);
one on another thread's loop gets it through that loop; a closed loop is dropped."""

from __future__ import annotations

import asyncio
import threading

from jobdock.events.bus import EventBus, JobEvent


async def test_a_subscriber_on_the_same_loop_gets_the_event_at_once() -> None:
    bus = EventBus()
    async with bus.subscribe() as queue:
        bus.publish(JobEvent("queue"))
        assert queue.qsize() == 1  # no loop turn in between
        assert (await queue.get()).op == "queue"


async def test_events_reach_a_subscriber_on_another_threads_loop_in_order() -> None:
    bus = EventBus()
    got: list[str] = []
    subscribed, done = threading.Event(), threading.Event()

    async def listen() -> None:
        async with bus.subscribe() as queue:
            subscribed.set()
            while len(got) < 3:
                got.append((await queue.get()).op)
        done.set()

    thread = threading.Thread(target=lambda: asyncio.run(listen()))
    thread.start()
    assert await asyncio.to_thread(subscribed.wait, 10)
    for op in ("insert", "update", "delete"):
        bus.publish(JobEvent(op))  # from this loop, not the subscriber's
    assert await asyncio.to_thread(done.wait, 10)
    thread.join(10)
    assert got == ["insert", "update", "delete"]


def test_a_closed_loop_is_dropped() -> None:
    bus = EventBus()
    loop = asyncio.new_event_loop()
    queue: asyncio.Queue[JobEvent] = asyncio.Queue()
    bus._subscribers.add((loop, queue))
    loop.close()
    bus.publish(JobEvent("queue"))  # no running loop here: the thread-safe path
    assert not bus._subscribers
