"""The values of settings.toml that come from the environment (`${NAME}`), and the URLs
among them, checked once expanded as they will be used.

`${NAME}` may stand in a feed URL, a channel URL or `redis_url`: secrets stay out of the
file. An unset variable, or a value that makes the URL malformed, is one SettingsError
line naming the key (and the feed) but never the value.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable

from monitor import urls
from monitor.errors import SettingsError

ENV_RE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def resolve_env(value: str, label: str, path: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise SettingsError(f"{label}: {path}: environment variable {name} is not set")
        return os.environ[name]

    return ENV_RE.sub(replace, value)


def feed_urls(feeds: Iterable[tuple[str, str]], label: str) -> dict[str, str]:
    """Each feed's URL (name, URL as written) expanded, and checked again if that changed it."""
    resolved = {}
    for index, (name, written) in enumerate(feeds):
        path = f'feeds[{index}].url: feed "{name}"'
        url = resolve_env(written, label, path)
        problem = urls.problem(url) if url != written else None
        if problem:
            raise SettingsError(f"{label}: {path}: once its ${{…}} are expanded, {problem}")
        resolved[name] = url
    return resolved


def channel_urls(channels: Iterable[tuple[str, str]], label: str, check: bool = True) -> dict[str, str]:
    """Each channel's apprise URL expanded, and (with `check`) parsed by apprise."""
    resolved = {name: resolve_env(url, label, f"channels.{name}.url") for name, url in channels}
    for name, url in resolved.items() if check else ():
        _check_apprise_url(url, label, f"channels.{name}.url")
    return resolved


def redis_url(written: str, label: str) -> str:
    """`redis_url` expanded and parsed as redis-py will, so a malformed one is a settings
    error, not a traceback at the first connection. It may hold a password: not quoted."""
    url = resolve_env(written, label, "monitor.redis_url")
    if not url and written.strip():  # "${REDIS_URL}" set empty: not the embedded Redis unasked
        raise SettingsError(f"{label}: monitor.redis_url: {written.strip()!r} is empty once expanded "
                            "(leave redis_url out for the embedded Redis)")
    if not url:
        return url
    from redis.connection import ConnectionPool, parse_url
    from redis.exceptions import RedisError

    try:
        parse_url(url)
    except ValueError as exc:
        reason = "the port is not a number from 1 to 65535" if "ort" in str(exc) else "malformed URL"
        if "IPv6" in str(exc):
            reason = "unbalanced [ ] around the host"
        raise SettingsError(f"{label}: monitor.redis_url: {reason}") from None
    try:  # a connection's options, as the first connection will take them (no I/O yet)
        ConnectionPool.from_url(url).make_connection()
    except TypeError as exc:  # "... got an unexpected keyword argument 'foo'"
        name = re.search(r"argument '(\w+)'", str(exc))
        scheme = url.split(":", 1)[0]
        raise SettingsError(f"{label}: monitor.redis_url: unknown option {name[1] if name else ''!r} in its "
                            f"query for a {scheme}:// URL (ssl_* options are rediss:// ones)") from None
    except (ValueError, RedisError) as exc:  # a known option with a value it does not take; no URL in it
        raise SettingsError(f"{label}: monitor.redis_url: {' '.join(str(exc).split())[:120]}") from None
    return url


def _check_apprise_url(url: str, label: str, path: str) -> None:
    # Imported here, not at the top: apprise alone is ~0.2 s, and commands that send
    # nothing skip this check. Channels is imported for its side effect: it registers the
    # console:// channel with apprise.
    import apprise

    from monitor.delivery import channels  # noqa: F401

    # apprise logs a URL it cannot parse, at ERROR, as written after ${...} was expanded: a
    # token or password would reach the log. Its logger is off for the check (a send under
    # way in another thread meanwhile loses its log lines for that instant, not its result).
    quiet = logging.getLogger("apprise")
    was, quiet.disabled = quiet.disabled, True
    try:
        service = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    finally:
        quiet.disabled = was
    if service is None:
        raise SettingsError(f"{label}: {path}: apprise cannot parse this URL (check its scheme and form)")
    try:
        channels.check(url)
    except ValueError as exc:
        raise SettingsError(f"{label}: {path}: {exc}") from None
