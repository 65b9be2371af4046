"""The value types of settings.toml's fields: durations ("90s", "5m", "2h", "30d"), names
(`[a-z0-9_-]+`) and host:port addresses, parsed and checked where pydantic validates each
field."""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator

from monitor.errors import shown

NAME_RE = re.compile(r"[a-z0-9_-]+")  # fullmatch: "$" would let a final newline by
DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
UNIT_SECONDS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
ADDRESS_RE = re.compile(r"[\w.\-\[\]:]+:\d{1,5}")  # fullmatch, as NAME_RE


DURATION_MAX = 100 * 365 * 86_400.0  # seconds; no setting means more


def parse_duration(value: Any) -> float:
    """'90s', '5m', '2h', '30d' (or a bare number of seconds) -> seconds."""
    if isinstance(value, bool):
        raise ValueError("must be a duration such as \"90s\", \"5m\", \"2h\" or \"30d\"")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = DURATION_RE.match(str(value))
        if not match:
            raise ValueError(
                f"bad duration {shown(value)}: use a number and a unit, e.g. \"90s\", \"5m\", \"2h\", \"30d\""
            )
        seconds = float(match.group(1)) * UNIT_SECONDS[match.group(2)]
    if not math.isfinite(seconds):  # TOML's inf and nan, or digits past a float's range
        raise ValueError(f"bad duration {shown(value)}: must be a finite number of seconds "
                         "or a duration such as \"5m\"")
    if seconds > DURATION_MAX:  # past it an expiry time overflows Redis (every claim would fail)
        raise ValueError(f"bad duration {shown(value)}: at most 100 years")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def _check_name(value: str) -> str:
    if not NAME_RE.fullmatch(value):
        raise ValueError(f"name {shown(value)} must match [a-z0-9_-]+")
    return value


def _check_address(value: str) -> str:
    """`[monitor] http`: empty (off) or host:port with a port that can be bound."""
    if not value:
        return value
    if not ADDRESS_RE.fullmatch(value):
        raise ValueError("must be empty (off) or host:port, e.g. \"127.0.0.1:9464\"")
    port = int(value.rpartition(":")[2])
    if not 1 <= port <= 65535:  # else an OverflowError when the service binds it
        raise ValueError(f"port {port} is not a number from 1 to 65535")
    return value


Duration = Annotated[float, BeforeValidator(parse_duration)]
Address = Annotated[str, AfterValidator(_check_address)]
Name = Annotated[str, AfterValidator(_check_name)]
ArticlesMode = Literal["auto", "always", "never"]  # when to read the page behind a short item
