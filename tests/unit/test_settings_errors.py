"""Settings errors as the operator reads them (issue 18, item 5): all of them, a "did you
mean" for a misspelt key, plain words for a quoted number."""

from __future__ import annotations

import tomllib

import pytest

from monitor import settings
from monitor.errors import SettingsError


def errors_of(text: str) -> list[str]:
    with pytest.raises(SettingsError) as caught:
        settings.validate(tomllib.loads(text), "s.toml")
    return str(caught.value).splitlines()


def test_misspelt_required_key_is_one_line_with_did_you_mean() -> None:
    lines = errors_of('[topics.t]\ntitle = "T"\nthreshhold = 0.6\n')
    assert lines == ["s.toml: topics.t.threshhold: unknown key; did you mean 'threshold'? (it is required)"]


def test_every_error_is_shown_one_line_each() -> None:
    lines = errors_of('[topics.t]\ntitle = "T"\nthreshold = 2\n[topics.u]\ntitle = "U"\nthreshold = "0.6"\n'
                      '[channel.console]\nurl = "console://"\n')
    assert lines == [
        "s.toml: topics.t.threshold: must be between 0 and 1 (got 2.0)",
        "s.toml: topics.u.threshold: must be a number, not the string '0.6' (write it without quotes)",
        "s.toml: channel: unknown key; did you mean 'channels'?",
    ]


def test_an_unknown_key_unlike_any_is_just_unknown() -> None:
    assert errors_of("[monitor]\ncolour = 'red'\n") == ["s.toml: monitor.colour: unknown key"]
    assert errors_of("[[feeds]]\nname = 'a'\nurl = 'https://example.org/'\nintervall = '5m'\n") == [
        "s.toml: feeds[0].intervall: unknown key; did you mean 'interval'?"]
