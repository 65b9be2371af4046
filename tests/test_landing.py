"""A link that redirects to its site's home page or a section (landing.py) is not the item's
page: the item is judged on its feed text.

Before, a Russian headline-only item about the central bank, whose article had been taken
down and answered with a redirect to the home page, was judged on that page's teasers (its
own among them, so relevance.py let it pass) and alerted for turkey_russia_syria. Real parts
as in test_articles.py; the texts are the tests' own.
"""

from __future__ import annotations

from html import escape

import pytest

from monitor.ingest import article_stage, landing
from tests.test_articles import _with_monitor, poll
from tests.test_related import OFF_TOPIC, headline_feed

TEASERS = [
    ("Российская авиация нанесла удары по протурецким боевикам в Идлибе",
     "Самолеты ВКС России нанесли серию ударов по позициям протурецких группировок на юге Идлиба."),
    ("Путин и Эрдоган обсудили по телефону обострение в Идлибе",
     "Президенты России и Турции обсудили нападения сирийской армии на турецких военных."),
    ("Турецкая артиллерия обстреляла позиции сирийской армии",
     "Турецкие военные ответили огнем на гибель сослуживцев на наблюдательном пункте в Идлибе."),
    ("Россия и Турция договорились о совместном патрулировании трассы M4",
     "Российская военная полиция и турецкие военные будут вместе патрулировать трассу в Идлибе."),
]

ARTICLE = [  # an article of its own, in sentences
    'Самолеты Воздушно-космических сил России нанесли серию ударов по позициям протурецких '
    'вооруженных группировок на юге провинции Идлиб.',
    'По данным местных источников, погибли не менее десяти боевиков.',
    'Удары пришлись на опорные пункты и склады боеприпасов в районе Джебель-Завия.',
    'Одновременно сирийская армия обстреляла из артиллерии населенные пункты вдоль линии соприкосновения.',
    'В Анкаре заявили, что удары нарушают сочинские договоренности, и потребовали от Москвы объяснений.',
    'Министерство иностранных дел Турции вызвало российского посла.',
    'Турецкие военные направили в Идлиб колонну бронетехники для усиления наблюдательных пунктов.',
    'Пограничные части на юге Турции приведены в повышенную готовность.',
    'В Кремле подчеркнули, что российские самолеты наносят удары только по террористам и Москва '
    'остается приверженной договоренностям с Турцией по Идлибу.',
]


def home_page(own: tuple[str, str]) -> str:
    """A news site's home page: teasers of the day's stories, the item's own among them."""
    cards = "".join(f'<div class="card"><h3><a href="/s/{n}">{escape(t)}</a></h3><p>{escape(lead)}</p></div>'
                    for n, (t, lead) in enumerate([*TEASERS, own]))
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>Пример Новости</title></head>'
            f"<body><header><nav><a href='/'>Главная</a></nav></header><main>{cards}</main>"
            "<footer>© 2026 Пример Новости</footer></body></html>")


def article_page(title: str, paragraphs: list[str]) -> str:
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    return (f'<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><main><article><h1>{escape(title)}</h1>{body}</article></main></body></html>")


@pytest.mark.parametrize("home", ["/", "/ru/economy/"])
def test_an_item_whose_link_redirects_to_the_home_page_is_judged_on_its_feed_text(
        feed_server, make_settings, shipped_threshold, home) -> None:
    title, paragraphs = OFF_TOPIC["ru"]
    link = "/ru/economy/2026/03/12/stavka.html"
    feed_server.set(link, "", status=301, headers={"Location": home})
    feed_server.set(home, home_page((title, paragraphs[0])), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", headline_feed(feed_server.url(link), title))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}, threshold=shipped_threshold),
                         'articles = "always"\n')
    _, alerts, rt = poll(path)
    assert feed_server.hits(home)  # the redirect was followed: the page is refused, not unread
    assert alerts == [], [a.text for a in alerts]
    assert article_stage.read_counts(rt.store)["unrelated"] == 1


def test_a_redirect_to_the_article_s_own_address_is_followed(feed_server, make_settings) -> None:
    """A canonical slug: the page is the item's, and judged on."""
    title, paragraphs = TEASERS[0][0], ARTICLE
    feed_server.set("/news/123", "", status=301, headers={"Location": "/news/123-idlib"})
    feed_server.set("/news/123-idlib", article_page(title, paragraphs), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", headline_feed(feed_server.url("/news/123"), title))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}), 'articles = "always"\n')
    _, alerts, rt = poll(path)
    assert article_stage.read_counts(rt.store)["page"] == 1
    assert [a.judged_on for a in alerts] == ["page"]


@pytest.mark.parametrize(("asked", "final", "above"), [
    ("https://ex.org/ru/politics/2026/story", "https://ex.org/", True),
    ("https://ex.org/ru/politics/2026/story", "https://ex.org/ru/politics/", True),
    ("https://ex.org/ru/politics/2026/story", "https://ex.org/ru/index.html", True),
    ("https://t.co/abc", "https://ex.org/", True),  # a short link that lands on a home page
    ("http://ex.org/news/123", "https://ex.org/news/123/", False),
    ("https://ex.org/news/123", "https://ex.org/news/123-erdogan-putin", False),
    ("https://ex.org/amp/news/123", "https://ex.org/news/123", False),
    ("https://ex.org/news/123", "https://ex.org/news/?id=123", False),  # its query names the page
    ("https://ex.org/news/123", "https://other.org/news/", False),
    ("https://ex.org/", "https://ex.org/", False),
    ("https://ex.org/news/123", None, False),
    ("http://xn--/news/123", "http://xn--/news/", True),  # the hosts' IDNA decoding raised UnicodeError
    ("https://ex.org/news/123", "http://[v1.x]@/", False),  # yarl raised IndexError
])
def test_lands_above(asked: str, final: str | None, above: bool) -> None:
    assert landing.lands_above(asked, final) is above
