"""Feeds in and out by OPML (issue 18): names derived and made unique, feeds already there
kept, comments kept, OPML 2.0 out that reads back in."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.cli import opml
from tests.test_cli import ROOT, monitor

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="Middle East">
      <outline type="rss" text="BBC News – Middle East" title="BBC News – Middle East"
               xmlUrl="https://feeds.bbci.co.uk/news/world/middle_east/rss.xml"/>
      <outline type="rss" text="Daily Sabah" xmlUrl="https://www.dailysabah.com/rss/politics"/>
      <outline type="rss" text="Daily Sabah" xmlUrl="https://www.dailysabah.com/rss/world"/>
    </outline>
    <outline type="rss" text="" xmlUrl="https://news.example.org/feeds/world.xml"/>
    <outline type="rss" text="Broken" xmlUrl="ftp://example.org/feed"/>
  </body>
</opml>
"""


def test_names_are_derived_and_unique() -> None:
    assert opml.derive_name("BBC News – Middle East", "") == "bbc-news-middle-east"
    assert opml.derive_name("Türkiye Bugün", "") == "turkiye-bugun"
    assert opml.derive_name("", "https://news.example.org/feeds/world.xml") == "news-example-org-feeds-world-xml"
    assert opml.unique("a", {"a", "a-2"}) == "a-3"


def test_import_adds_new_feeds_keeps_existing_and_comments(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text((ROOT / "settings.toml").read_text(encoding="utf-8"), encoding="utf-8")
    source = tmp_path / "reader.opml"
    source.write_text(OPML, encoding="utf-8")
    result = monitor("feeds", "import", str(source), settings=path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == f"{source}: 3 feed(s) added, 1 already present, 1 skipped"
    assert "skipped ftp://example.org/feed:" in result.stdout
    listed = monitor("feeds", "list", settings=path).stdout
    assert "daily-sabah " in listed and "daily-sabah-2 " in listed and "news-example-org-feeds-world-xml" in listed
    text = path.read_text(encoding="utf-8")
    assert "# Secrets never go in this file" in text and text.count("middle_east/rss.xml") == 1
    again = monitor("feeds", "import", str(source), settings=path)
    assert again.stdout.splitlines()[-1] == f"{source}: 0 feed(s) added, 4 already present, 1 skipped"


def test_export_is_opml_2_that_reads_back(tmp_path: Path) -> None:
    out = monitor("feeds", "export", settings=ROOT / "settings.toml")
    assert out.returncode == 0 and out.stdout.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<opml version="2.0">')
    exported = tmp_path / "out.opml"
    exported.write_text(out.stdout, encoding="utf-8")
    read = opml.read(exported)
    from monitor.cli import editor

    assert [(url) for _, url in read] == [url for _, url in editor.written_feeds(ROOT / "settings.toml")]
    assert [name for name, _ in read][0] == editor.written_feeds(ROOT / "settings.toml")[0][0]


def test_a_file_that_is_no_opml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "x.opml"
    bad.write_text("<html><body>no</body>", encoding="utf-8")
    result = monitor("feeds", "import", str(bad), settings=ROOT / "settings.toml")
    assert result.returncode == 2 and result.stderr.startswith(f"{bad}: not an OPML file")


def test_an_outline_list_that_is_no_regular_file_is_one_line() -> None:
    # /dev/zero was read without end: MemoryError (an OOM kill without a ulimit)
    from monitor.cli.opml import read
    from monitor.errors import InputError

    with pytest.raises(InputError, match="^/dev/zero: cannot read: not a regular file"):
        read(Path("/dev/zero"))


def test_a_dead_letters_error_is_shown_with_its_urls_masked() -> None:
    # feed errors were masked in `status`, a dead letter's send error was not
    from monitor.cli.ops import _dead_letter
    from monitor.items import Queued
    from tests.test_delivery import alert

    error = "send raised ConnectionError: https://user:s3cret@hooks.example.org/x?token=abc refused"
    shown = _dead_letter(Queued(alert(1), 10, error))
    assert "s3cret" not in shown["last_error"] and "abc" not in shown["last_error"]
    assert shown["last_error"].startswith("send raised ConnectionError: https://")
