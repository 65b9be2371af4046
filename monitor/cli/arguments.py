"""argparse types for the command line's counts and shares: a bad value is argparse's
one-line error and exit 2 (`bench --feeds 0` was a ZeroDivisionError, `review -n -5`
showed all but the last five)."""

from __future__ import annotations

import argparse


def positive_int(text: str, least: int = 1) -> int:
    """An argparse type: a whole number of at least 1 (a count of things to show)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, not {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be at least {least}, not {value}")
    return value


def count(text: str) -> int:
    """An argparse type: a whole number of at least 0."""
    return positive_int(text, least=0)


def fraction(text: str) -> float:
    """An argparse type: a number from 0 to 1 (nan is none)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be a number from 0 to 1, not {text}")
    return value
