"""What the service process keeps of what comes and goes: of a channel a reload removed,
nothing (the channel is replaced again and again, as reloads over months do, and what is
left is counted, not timed); of a failed send's reason, one line of REASON_CHARS."""

from __future__ import annotations

import asyncio
import gc
import os
import time
from pathlib import Path

import pytest

from monitor import codec
from monitor.delivery import channels, sender
from monitor.delivery.sender import ChannelConfig
from monitor.delivery.transport import REASON_CHARS
from monitor.keys import Keys
from tests.test_delivery import alert, make_sender

REPLACED = 6


def channel_workers() -> int:
    return sum(t.get_coro().__qualname__ == "SendLoops._channel_worker" for t in asyncio.all_tasks())  # type: ignore[union-attr]


def test_channels_a_reload_removed_leave_no_worker_pause_or_file_lock(redis_client, tmp_path: Path) -> None:
    """Fault: the send loop kept a queue and a task for every channel it had ever sent to,
    `paused` an entry each, and the console channel a lock per file: 200 channels replaced
    one by one left 200 tasks and 1.6 MB. Now only the channels configured keep any."""
    s, outbox = make_sender(redis_client, {})
    paths = [tmp_path / f"c{k}.jsonl" for k in range(REPLACED)]

    async def go() -> tuple[int, int]:
        stop = asyncio.Event()
        loop = asyncio.create_task(s.run(stop))
        for k, path in enumerate(paths):  # a reload replaces the channel, and an alert goes to the new one
            s.set_channels({f"c{k}": ChannelConfig(f"console://?jsonl={path}")}, tmp_path)
            outbox.enqueue(alert(k, channel=f"c{k}"))
            deadline = time.monotonic() + 10
            while not path.exists() and time.monotonic() < deadline:
                await asyncio.sleep(0.01)
        deadline = time.monotonic() + 2  # the removed channels' workers end as the loop goes round
        while channel_workers() > 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        workers = channel_workers()
        stop.set()
        await loop
        return workers, len(s.paused)

    workers, paused = asyncio.run(go())
    gc.collect()
    assert all(path.exists() for path in paths)  # every alert was sent
    assert (workers, paused) == (1, 1)  # the channel configured: (6, 6) before
    assert not {os.path.realpath(p) for p in paths} & set(channels._LOCKS)  # 6 before


def test_a_send_that_raises_a_megabyte_of_text_is_recorded_and_logged_in_one_line(
        redis_client, json_receiver, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """Fault: an exception's text went whole into the retry's `last_error` and every log line
    of its attempts (1 MB here, each attempt). Now cut as apprise's reasons are."""
    def notify(*args: object) -> None:
        raise RuntimeError("refused:\n" + "x" * 1_000_000)

    monkeypatch.setattr(sender, "notify", notify)
    s, outbox = make_sender(redis_client, {"hook": ChannelConfig(json_receiver.url)})
    outbox.enqueue(alert(1))
    assert asyncio.run(s.drain()) == 0
    [queued] = redis_client.zrange(Keys().retry, 0, -1)
    error = codec.decode_queued(queued).last_error
    assert error.startswith("channel 'hook': send raised RuntimeError: refused:")
    assert len(error) <= REASON_CHARS + 60  # the channel and alert around it; 1,000,000 before
    assert max(len(r.getMessage()) for r in caplog.records) <= REASON_CHARS + 100
