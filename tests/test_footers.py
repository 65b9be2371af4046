"""A site's footer under every item of its feed is dropped (monitor/ingest/footers.py):
two stories of one feed sharing 70 words of it were one story to the near-duplicate test."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.dedup.index import similarity
from monitor.ingest.footers import drop_shared_endings
from monitor.ingest.parse import parse_feed
from monitor.items import Item
from tests.articles import rss
from tests.test_cli import monitor

# Written for this test: a footer of the kind non-profit outlets put under every item.
FOOTER = ("Example Direct is an independent, non-profit news organization. We rely on readers like you "
          "to keep our journalism free and open to everyone. Support our reporting by becoming a member "
          "today, and follow us on Twitter, Facebook and Telegram for the latest news and analysis from "
          "the region every day. Our reporters work on the ground in difficult conditions, and every "
          "gift, however small, helps us tell the stories that others leave untold.")
STORIES = [
    ("Turkish troops return fire after Syrian army shelling kills soldier in Idlib",
     "Ankara said Syrian government forces backed by Russia shelled a Turkish observation post near "
     "Saraqeb, and Turkish artillery struck back at Assad's positions."),
    ("Russian jets strike Idlib market as Erdogan warns Putin over Syria offensive",
     "Russian warplanes bombed a market in Maarat al-Numan in Idlib, and President Erdogan told "
     "Vladimir Putin that Turkey would not accept the Syrian offensive."),
    ("City council approves harbour bridge repairs",
     "The council voted to repair the harbour bridge over the summer."),
    ("Orchestra opens its spring season",
     "The orchestra played to a full hall on the first night of its season."),
]


def _items(texts: list[str]) -> list[Item]:
    return [Item(id=str(n), source="f", url=None, title=f"t{n}", text=text,
                 published=datetime(2024, 1, 1, tzinfo=UTC)) for n, text in enumerate(texts)]


def test_the_sentences_ending_most_items_of_a_feed_are_dropped() -> None:
    body = rss([(f"s{n}", title, f"{lead} {FOOTER}" if n != 3 else lead)
                for n, (title, lead) in enumerate(STORIES)])
    items = parse_feed(body.encode(), "application/rss+xml", "f", datetime.now(UTC))
    assert [item.text for item in items] == [lead for _, lead in STORIES]
    assert similarity(items[0].text, items[1].text).duplicate is False


def test_a_closing_sentence_two_items_share_or_one_that_varies_is_kept() -> None:
    two = _items(["A happened. The end.", "B happened. The end.", "C happened.", "D happened."])
    assert drop_shared_endings(two) == two
    dated = _items([f"{x} happened. Updated on day {n}. {FOOTER}" for n, x in enumerate("ABC")])
    assert [i.text for i in drop_shared_endings(dated)] == [f"{x} happened. Updated on day {n}."
                                                            for n, x in enumerate("ABC")]
    ids = [i.id for i in drop_shared_endings(dated)]
    assert ids == ["0", "1", "2"]  # the id is the item's as read


def test_two_stories_of_a_feed_with_a_long_footer_alert_twice(feed_server, json_receiver, make_settings) -> None:
    """Before: `a: ok items=4 new=4 alerts=1`: the second story joined the first's."""
    feed_server.set("/a.xml", rss([(f"s{n}", title, f"{lead} {FOOTER}") for n, (title, lead) in enumerate(STORIES)]))
    path = make_settings({"a": feed_server.url("/a.xml")}, {"hook": json_receiver.url},
)
    path.write_text(path.read_text().replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1))
    result = monitor("poll", "--once", settings=path)
    assert result.returncode == 0, result.stderr
    assert "a: ok items=4 new=4 alerts=2" in result.stdout, result.stdout
    assert sorted(m["title"].split("] ", 1)[1] for m in json_receiver.received) == sorted(t for t, _ in STORIES[:2])


def test_the_shared_ending_is_found_after_any_sentence_end_and_spacing() -> None:
    """The texts' last sentences are found from their ends before any text is split whole
    (footers._last_sentence): after "!", "?" or "…" and a run of spaces, a line break or a
    no-break space, past line breaks before them, as the split finds them."""
    items = _items(["A happened!  The end.", "Earlier.\nB happened…\nThe end.", "C happened?\u00a0The end.",
                    "D happened the end."])
    assert [i.text for i in drop_shared_endings(items)] == ["A happened!", "Earlier. B happened…",
                                                            "C happened?", "D happened the end."]
