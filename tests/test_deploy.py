"""deploy/ checked without Docker or a running systemd: the files agree with each other,
with the settings model and with the command line, and carry the hardening they promise.

`systemd-analyze verify` runs too wherever the binary exists (Debian: package systemd).
"""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml  # installed with apprise, which reads YAML configs

from monitor import settings
from monitor.cli import main as cli

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "monitor.service"
SHARED_SECTIONS = ("dedup", "alerts", "feeds", "topics", "channels")


# -- helpers ----------------------------------------------------------------------------


def unit_directives(text: str) -> dict[str, list[str]]:
    """`Key=value` lines of a unit file; a key may repeat, so each maps to all its values."""
    found: dict[str, list[str]] = {}
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs with continuation lines joined and comments dropped."""
    joined, pending = [], ""
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    pairs = [tuple(line.strip().split(None, 1)) for line in joined if line.strip()]
    return [(p[0].upper(), p[1] if len(p) > 1 else "") for p in pairs]


def final_stage(instructions: list[tuple[str, str]]) -> list[tuple[str, str]]:
    start = max(i for i, (op, _) in enumerate(instructions) if op == "FROM")
    return instructions[start:]


def raw_toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def compose() -> dict[str, Any]:
    return yaml.safe_load((DEPLOY / "compose.yaml").read_text(encoding="utf-8"))


def parses_as_run(argv: list[str]) -> None:
    """The command line a deployment runs is one the real `monitor` parser accepts as `run`."""
    args = cli._parser().parse_args(argv)
    assert args.handler is cli.cmd_run, argv


# -- systemd ----------------------------------------------------------------------------


def test_unit_has_readiness_watchdog_restart_and_hardening() -> None:
    d = unit_directives(UNIT.read_text(encoding="utf-8"))
    required = {
        "Type": "notify", "NotifyAccess": "main", "WatchdogSec": "60", "Restart": "on-failure",
        "RestartSec": "5", "RestartPreventExitStatus": "2", "StartLimitIntervalSec": "0",
        "KillSignal": "SIGTERM", "TimeoutStopSec": "15", "User": "monitor",
        "Group": "monitor", "StateDirectory": "monitor monitor/tmp", "ProtectSystem": "strict",
        "KillMode": "mixed",
        "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
        "NoNewPrivileges": "yes", "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes",
        "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    }
    for key, value in required.items():
        assert d.get(key) == [value], f"{key}={d.get(key)}"
    assert d["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert d["EnvironmentFile"] == ["-/etc/monitor/monitor.env"]
    assert "MONITOR_SETTINGS=/etc/monitor/settings.toml" in d["Environment"]
    # the embedded Redis's socket where operator commands outside the unit's /tmp find it
    assert "TMPDIR=/var/lib/monitor/tmp" in d["Environment"]


def test_unit_command_and_state_dir_match_the_service_settings() -> None:
    d = unit_directives(UNIT.read_text(encoding="utf-8"))
    argv = shlex.split(d["ExecStart"][0])
    assert argv[0] == "/opt/monitor/venv/bin/monitor"
    parses_as_run(argv[1:])
    settings_path = argv[argv.index("--settings") + 1]
    assert settings_path == "/etc/monitor/settings.toml"
    data_dir = raw_toml(DEPLOY / "settings.service.toml")["monitor"]["data_dir"]
    # The only writable place under ProtectSystem=strict must be where the state goes.
    assert data_dir == "/var/lib/" + d["StateDirectory"][0].split()[0]
    assert data_dir in d["ReadWritePaths"][0].split()


def test_systemd_analyze_verify(tmp_path: Path) -> None:
    text = UNIT.read_text(encoding="utf-8")
    assert "/opt/monitor/venv/bin/monitor" in text
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        return  # no systemd on this machine: the directive tests above still ran
    # verify insists that ExecStart is executable; /opt/monitor is not installed here, so
    # a stand-in takes its place in a copy and every other line is verified as written.
    stand_in = tmp_path / "monitor"
    stand_in.write_text("#!/bin/sh\nexit 0\n")
    stand_in.chmod(0o755)
    copy = tmp_path / "monitor.service"
    copy.write_text(text.replace("/opt/monitor/venv/bin/monitor", str(stand_in)))
    result = subprocess.run([analyze, "verify", str(copy)], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert "Unknown key" not in result.stderr, result.stderr


# -- settings files ---------------------------------------------------------------------


def test_deploy_settings_validate_and_match_the_repository(monkeypatch: Any) -> None:
    monkeypatch.setenv("SMTP_PASSWORD", "placeholder")  # in case a channel refers to it
    repo = raw_toml(ROOT / "settings.toml")
    expected = {
        "settings.service.toml": ("/var/lib/monitor", ""),
        "settings.container.toml": ("/data", ""),
        "settings.compose.toml": ("/data", "redis://redis:6379/0"),
    }
    for name, (data_dir, redis_url) in expected.items():
        loaded = settings.load(DEPLOY / name)
        assert str(loaded.data_dir) == data_dir, name
        assert loaded.redis_url == redis_url, name
        assert loaded.settings.monitor.http, f"{name}: health endpoint must be on"
        assert loaded.model_path == Path("/opt/monitor/models/topics.skops"), name
        raw = raw_toml(DEPLOY / name)
        for section in SHARED_SECTIONS:
            assert raw.get(section) == repo.get(section), f"{name}: [{section}] drifted"


def test_env_example_names_every_secret_the_settings_mention() -> None:
    lines = (DEPLOY / "monitor.env.example").read_text(encoding="utf-8").splitlines()
    names = {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}
    assert all(name.isidentifier() and name.isupper() for name in names), names
    urls = [line for line in (ROOT / "settings.toml").read_text().splitlines() if "://" in line]
    mentioned = set(settings.ENV_RE.findall("\n".join(urls)))  # also commented-out examples
    assert "SMTP_PASSWORD" in mentioned
    assert mentioned <= names, mentioned - names


# -- container --------------------------------------------------------------------------


def test_dockerfile_runs_monitor_as_non_root_with_a_health_check() -> None:
    steps = final_stage(dockerfile_instructions((DEPLOY / "Dockerfile").read_text()))
    ops = dict(steps)  # last instruction of each kind in the final stage
    assert ops["FROM"].startswith("python:3.11-slim")
    user = ops["USER"].split(":")[0]
    assert user not in ("root", "0"), user
    assert "/healthz" in ops["HEALTHCHECK"] and "curl" not in ops["HEALTHCHECK"]
    check = json.loads(ops["HEALTHCHECK"][ops["HEALTHCHECK"].index("CMD") + 3:])
    assert check[0] == "python"
    assert json.loads(ops["ENTRYPOINT"]) == ["monitor"]
    parses_as_run(json.loads(ops["CMD"]))
    assert ops["VOLUME"] == "/data" and ops["EXPOSE"] == "9464"


def test_image_settings_match_volume_port_and_healthcheck() -> None:
    steps = final_stage(dockerfile_instructions((DEPLOY / "Dockerfile").read_text()))
    ops = dict(steps)
    baked = [args.split() for op, args in steps if op == "COPY" and "/etc/monitor/" in args]
    assert baked == [["deploy/settings.container.toml", "/etc/monitor/settings.toml"]]
    monitor = raw_toml(DEPLOY / "settings.container.toml")["monitor"]
    assert monitor["data_dir"] == ops["VOLUME"]
    host, port = monitor["http"].rsplit(":", 1)
    assert host == "0.0.0.0" and port == ops["EXPOSE"]  # reachable from outside the container
    assert f"127.0.0.1:{port}/healthz" in ops["HEALTHCHECK"]


class Health(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        code = self.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.end_headers()
        self.wfile.write(b'{"reason": "test"}')

    def log_message(self, *args: Any) -> None:
        pass


@pytest.mark.parametrize(("status", "healthy"), [(200, True), (503, False), (None, False)])
def test_healthcheck_command_follows_healthz(status: int | None, healthy: bool) -> None:
    """The image's HEALTHCHECK, run as is against a local /healthz (None: nothing listens)."""
    ops = dict(final_stage(dockerfile_instructions((DEPLOY / "Dockerfile").read_text())))
    argv = json.loads(ops["HEALTHCHECK"][ops["HEALTHCHECK"].index("CMD") + 3:])
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("H", (Health,), {"status": status}))
    port = server.server_address[1]
    if status is None:
        server.server_close()  # the port is free again: connection refused
    else:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    command = [sys.executable, *argv[1:]]
    command[-1] = command[-1].replace(":9464/", f":{port}/")
    try:
        result = subprocess.run(command, capture_output=True, timeout=30)
    finally:
        if status is not None:
            server.shutdown()
            server.server_close()
    assert (result.returncode == 0) is healthy, result.stderr


def test_every_copy_source_exists_and_passes_the_dockerignore() -> None:
    steps = dockerfile_instructions((DEPLOY / "Dockerfile").read_text())
    sources = [args.split()[:-1] for op, args in steps if op == "COPY" and "--from" not in args]
    ignore = (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = [line[1:].rstrip("/") for line in ignore if line.startswith("!")]
    assert "*" in ignore  # everything else stays out of the build context
    for source in (s for group in sources for s in group):
        source = source.rstrip("/")
        assert (ROOT / source).exists(), f"COPY {source}: not in the repository"
        assert any(source == a or source.startswith(a + "/") for a in allowed), source


# -- compose ----------------------------------------------------------------------------


def test_compose_redis_is_persistent_and_health_checked() -> None:
    doc = compose()
    redis = doc["services"]["redis"]
    assert redis["image"].startswith("redis:7")
    command = " ".join(redis["command"])
    assert "--appendonly yes" in command
    volume, target = redis["volumes"][0].split(":")[:2]
    assert target == "/data" and volume in doc["volumes"]
    assert redis["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_compose_monitor_builds_the_image_and_waits_for_redis() -> None:
    doc = compose()
    monitor = doc["services"]["monitor"]
    build = monitor["build"]
    assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    assert monitor["depends_on"]["redis"]["condition"] == "service_healthy"
    parses_as_run(monitor["command"])
    assert any(e["path"].endswith("monitor.env") for e in monitor["env_file"])
    mounts = dict(v.split(":")[:2][::-1] for v in monitor["volumes"])
    assert (DEPLOY / mounts["/etc/monitor/settings.toml"]).resolve() == (
        DEPLOY / "settings.compose.toml"
    )
    assert mounts["/data"] in doc["volumes"]


def test_compose_settings_point_at_the_compose_redis_and_port() -> None:
    doc = compose()
    monitor = raw_toml(DEPLOY / "settings.compose.toml")["monitor"]
    host = monitor["redis_url"].split("//", 1)[1].split(":", 1)[0]
    assert host in doc["services"], f"redis_url host {host!r} is not a compose service"
    port = monitor["http"].rsplit(":", 1)[1]
    published = doc["services"]["monitor"]["ports"][0]
    assert published.endswith(f":{port}") and published.startswith("127.0.0.1:")


def test_the_documented_operator_command_reads_the_secrets_file(tmp_path: Path) -> None:
    """deploy/README.md's operator command: without the secrets file a settings file with
    ${SMTP_PASSWORD} stopped `check` and `status` ("... is not set")."""
    documented = next(line for line in (DEPLOY / "README.md").read_text(encoding="utf-8").splitlines()
                      if line.startswith("sudo -u monitor sh -c") and line.rstrip().endswith("check'"))
    script = shlex.split(documented)[5]  # sudo -u monitor sh -c SCRIPT
    env_file = tmp_path / "monitor.env"
    env_file.write_text((DEPLOY / "monitor.env.example").read_text(encoding="utf-8"), encoding="utf-8")
    config = tmp_path / "settings.toml"
    config.write_text(f'[monitor]\ndata_dir = "{tmp_path / "data"}"\nmodel = "{ROOT / "models" / "topics.skops"}"\n'
                      '[channels.mail]\nurl = "mailtos://alerts:${SMTP_PASSWORD}@mail.example.org?to=d@example.org"\n',
                      encoding="utf-8")
    script = (script.replace("/etc/monitor/monitor.env", str(env_file))
              .replace("/etc/monitor/settings.toml", str(config))
              .replace("/opt/monitor/venv/bin/monitor", f"{sys.executable} -m monitor.cli"))
    run = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=120, cwd=tmp_path,
                         env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)})
    assert "is not set" not in run.stderr and "change-me" not in run.stdout + run.stderr
    assert run.returncode == 0, run.stdout + run.stderr
