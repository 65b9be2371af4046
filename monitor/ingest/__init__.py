"""Ingest: fetch a feed (aiohttp, conditional GET, caps, backoff), parse it into Items, clean text."""
