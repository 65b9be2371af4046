"""CI: the parse stage's fuzz property (tests/hostile/test_fuzz.py) for a time budget, not a
number of examples: fresh random inputs, batch after batch, until `--seconds` have passed.

    .venv/bin/python .ci/fuzz_parse.py [--seconds 60]

Prints the count of inputs parsed; the first input that breaks the property fails the run
(hypothesis shrinks it and prints it first).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the tests package

from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.hostile.test_fuzz import check, mutated  # noqa: E402

BATCH = 200  # examples per hypothesis run: one run takes a few seconds, so the budget is kept


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    budget = parser.parse_args().seconds
    tried = 0

    @settings(max_examples=BATCH, database=None, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(mutated())
    def parse_one(document: tuple[bytes, str | None]) -> None:
        nonlocal tried
        tried += 1
        check(*document)

    started = time.monotonic()
    while time.monotonic() - started < budget:
        parse_one()
    elapsed = time.monotonic() - started
    print(f"fuzz: {tried} mutated feeds parsed in {elapsed:.0f} s ({tried / elapsed:.0f}/s): "
          "each gave clean items or a one-line ParseError")
    return 0


if __name__ == "__main__":
    sys.exit(main())
