"""The polls' HTTP sessions and their bound on polls in flight, made together from one
`FetchLimits`: a reload that changes the limits makes a new set.

Why a set and not settings swapped in: aiohttp cannot resize a connector's limit (its
`concurrency`) or change a session's timeouts, and an asyncio.Semaphore keeps the count it
was made with, so before this a reload left all three as the first poll had made them.
Polls that start after a reload take a place in the new set; the old one is left to the
polls under way (they finish under the old bound) and closed once the last of them has
ended, and the last poll of every older set: closed sooner, it would fail their fetches
(a poll fetches with the set in force when the fetch starts, so an older set's poll may
use a newer set, retired by a second reload with no poll of its own).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import aiohttp

from monitor.ingest import fetch


@dataclass(eq=False)
class Sessions:
    """One set: what a poll fetches feeds and pages with, and the places among the polls
    in flight it waits for."""

    limits: fetch.FetchLimits
    in_flight: asyncio.Semaphore  # polls between their fetch and their save (runtime.POLLS_PER_FETCH)
    guarded: aiohttp.ClientSession  # public addresses only
    private: aiohttp.ClientSession | None = None  # feeds with allow_private: made on first use
    polls: int = 0  # polls holding or awaiting a place in `in_flight`

    @classmethod
    def open(cls, limits: fetch.FetchLimits, polls_at_once: int) -> Sessions:
        return cls(limits, asyncio.Semaphore(polls_at_once), fetch.make_session(limits))

    def session(self, allow_private: bool) -> aiohttp.ClientSession:
        """The guarded session, or the one of feeds allowed private addresses: a connection it
        pooled to an internal host is never reused for a feed that is not allowed there."""
        if not allow_private:
            return self.guarded
        if self.private is None:
            self.private = fetch.make_session(self.limits, allow_private=True)
        return self.private

    async def close(self) -> None:
        for session in (self.guarded, self.private):
            if session is not None:
                await session.close()
