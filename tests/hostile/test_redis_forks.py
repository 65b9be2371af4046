"""The embedded Redis's background saves survive a second command's start.

A start first kills the redis-servers of data_dir that no registry names (connection.py,
`_stop_unnamed`: a server whose starter was SIGKILLed before naming it). A server forks a
child to write its files (BGSAVE, the append-only file's rewrite), named redis-server and
working in the same directory but titled "redis-rdb-bgsave ..." rather than by the socket:
taken for an unnamed server, it was killed whenever a command started during a save, and a
failed save makes Redis refuse every write until one succeeds.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from monitor import connection
from tests.processes import redis_servers

pytestmark = pytest.mark.slow


def test_a_save_under_way_when_another_command_starts_is_left_to_finish(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    client = connection.connect("", data_dir)
    try:
        # the start's own rewrite may have forked its child already: the server alone here
        [server] = redis_servers(data_dir, forks=False)
        pipe = client.pipeline(transaction=False)
        for n in range(150):  # 150 MB that do not compress: a save of a second or so
            pipe.set(f"k{n}", os.urandom(1_000_000))
        pipe.execute()
        while client.info("persistence")["aof_rewrite_in_progress"]:  # the start's own rewrite
            time.sleep(0.05)
        client.bgsave()
        deadline = time.monotonic() + 10
        while not (forks := [p for p in redis_servers(data_dir) if p != server]) and time.monotonic() < deadline:
            time.sleep(0.001)
        assert forks, "no save child seen"
        connection._stop_unnamed(data_dir, data_dir / f"{connection.EMBEDDED_DB}.settings")  # a command's start
        assert all(Path(f"/proc/{pid}").exists() for pid in forks), "the save's child was killed"
        while client.info("persistence")["rdb_bgsave_in_progress"]:
            time.sleep(0.05)
        assert client.info("persistence")["rdb_last_bgsave_status"] == "ok"
        assert client.set("after", "yes")  # no MISCONF: writes are taken
    finally:
        connection.stop_embedded()
