"""The boilerplate feeds append to an item's text (monitor/ingest/trailers.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitor.ingest.parse import parse_feed
from monitor.ingest.trailers import (
    drop_credit_before,
    drop_forwarded,
    drop_media_tags,
    drop_related_lines,
    drop_trailers,
)
from monitor.model.classify import Classifier
from monitor.model.evaluate import scores_of

ROOT = Path(__file__).resolve().parents[2]
TOPIC = "turkey_russia_syria"
LEAD = "Turkish troops returned fire after Syrian army shelling killed a soldier near Saraqeb."


@pytest.mark.parametrize("trailer", [
    "Read more", "Read More »", "Continue reading Turkey returns fire →", "[…]", "[...]",
    "The post Turkey returns fire after shelling in Idlib appeared first on Enab Baladi.",
    "Read also: Gaza ceasefire talks resume in Cairo", "Related: Gaza talks resume",
    "Devamı için tıklayın...", "İlgili haber: Gazze'de ateşkes görüşmeleri yeniden başladı",
    "Türkiye karşılık verdi yazısı ilk önce Haber Sitesi üzerinde ortaya çıktı.",
    "Читать далее", "Подробнее", "Читайте также: Переговоры о перемирии в Газе",
    "Сообщение Турция ответила на обстрел появились сначала на Время.",
    "اقرأ المزيد", "اقرأ أيضا: استئناف مفاوضات وقف إطلاق النار في غزة",
    "اقرأ أيضًا: استئناف مفاوضات وقف إطلاق النار في غزة", "إقرأ ايضاً: استئناف المفاوضات",
    "ظهرت المقالة تركيا ترد على القصف.. وأنقرة تحذر أولاً على عنب بلدي.",
    "Photo: AFP", "Photo credit: Reuters/Khalil Ashawi", "(Reuters)", "Fotoğraf: AA",
    "Фото: РИА Новости", "الصورة: رويترز", "Photo: Omar Haj Kadour / AFP", "Фото: Сергей Бобылев / ТАСС",
    # the other ways outlets write the link (test_every_way_of_writing_the_link_to_the_page_is_dropped)
    "Haberin devamı için tıklayın", "HABERİN DEVAMI İÇİN TIKLAYIN", "Devamını okumak için tıklayın",
    "Devamı için tıklayınız", "Detaylar için tıklayın", "Tümünü oku", "Читать дальше", "Подробнее на сайте",
    "Подробности", "للمزيد اضغط هنا", "اقرأ التفاصيل", "تابع القراءة", "Read Full Article", "Lire l'article complet",
    "Lire l’article complet", "Lire la suite", "Haberin tamamı", "Полный текст", "اقرأ الخبر كاملا", "التفاصيل كاملة",
])
def test_a_trailer_at_the_end_is_dropped(trailer: str) -> None:
    assert drop_trailers(f"{LEAD} {trailer}") == LEAD


def test_trailers_after_trailers_and_without_a_full_stop_before_them() -> None:
    assert drop_trailers(f"{LEAD} Read more […] The post X appeared first on Y.") == LEAD
    assert drop_trailers("Ankara responded Read also: Russia strikes Idlib") == "Ankara responded"


@pytest.mark.parametrize("prose", [
    "Об этом рассказали подробнее",  # a word that ends prose too: only as a sentence of its own
    "В МИД пообещали сообщить подробности", "Bakan, raporun tümünü okuduğunu söyledi.",
    "Анкара ответила. Далее президент отметил, что ситуация стабильна.",
    "Кремль опубликовал полный текст", "Bakan haberin tamamı", "نشرت الوزارة التفاصيل كاملة",
    "The issues related: none", "Read more about it in our guide", "This is the post office",
    "Officials said the talks would continue reading the draft line by line.",
    "The Syrian Democratic Forces (SDF)", "Erdogan met Putin (in Sochi)",
    # a credit the HTML joined to the story, and captions: the story is not a credit's name
    "Fotoğraf: AA Turkish artillery hit Syrian army positions near Saraqib.",
    "Photo: Turkish troops fire on Syrian army positions near Saraqib",
    f"{LEAD} Image: the Kremlin says talks with Ankara on Idlib will go on.",
])
def test_prose_that_looks_like_a_trailer_is_kept(prose: str) -> None:
    assert drop_trailers(prose) == prose


@given(st.lists(st.sampled_from(list("ab .!?\n[]…»→:") + ["read more", "the post ", " appeared first on ",
                                                           "далее", "read also:"])).map("".join))
def test_only_an_end_is_ever_dropped(text: str) -> None:
    assert text.startswith(drop_trailers(text))


@pytest.mark.parametrize("credit", [
    "Photo: AFP. ", "Photo: AFP ", "(Photo: Reuters) ", "Photo: Omar Haj Kadour / AFP ",
    "Photo credit: Getty Images/AFP - ", "Fotoğraf: AA\n", "Fotoğraf: İHA ", "Фото: EPA ",
    "Фото: Сергей Бобылев/ТАСС. ", "الصورة: رويترز ", "Image: Russian jets over Idlib. ",
])
def test_a_photo_credit_before_the_text_is_dropped(credit: str) -> None:
    assert drop_credit_before(credit + LEAD) == LEAD


@pytest.mark.parametrize("prose", [
    "Photo: Turkish troops fire on Syrian army positions near Saraqib",  # a caption, no credit
    "Image: the Kremlin says talks with Ankara on Idlib will go on.",
    "Photography exhibition opens in Ankara.", "Photo: AFP", LEAD, "Apple unveils a phone. Photo: AFP",
])
def test_a_text_that_starts_like_a_credit_is_kept(prose: str) -> None:
    assert drop_credit_before(prose) == prose


@given(st.lists(st.sampled_from(list("ab .!?\n/():") + ["photo", "Фото", "AFP", " reuters ", "Photo: "])).map("".join))
def test_only_a_start_is_ever_dropped(text: str) -> None:
    assert text.endswith(drop_credit_before(text))


def test_a_feed_items_text_loses_its_trailer_and_keeps_its_score(shipped_threshold: float) -> None:
    """An on-topic item from a feed whose descriptions end with a link to another story:
    that story's words made a passage of their own and took the score from 0.95 to 0.47
    (model fbb4e1376338; 0.97 to 0.60 with a50d3fd48e46, 0.96 to 0.55 with a041d724fcfe and
    02efbb21ea03, 0.96 to 0.50 with 4e565ff97881)."""
    body = (b"<rss version='2.0'><channel><title>t</title><item><title>Turkey sends reinforcements "
            b"to Idlib</title><link>https://news.example.org/1</link><description>&lt;p&gt;Convoys "
            b"crossed the border overnight as Syrian troops advanced.&lt;/p&gt;&lt;p&gt;&lt;a "
            b"href='https://news.example.org/2'&gt;Read also: Gaza ceasefire talks resume in Cairo "
            b"as mediators press both sides&lt;/a&gt;&lt;/p&gt;</description></item></channel></rss>")
    (item,) = parse_feed(body, "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert item.text == "Convoys crossed the border overnight as Syrian troops advanced."
    clf = Classifier.load(ROOT / "models" / "topics.skops")
    topic = list(clf.topics).index("turkey_russia_syria")
    texts = [item.document, item.document + " Read also: Gaza ceasefire talks resume in Cairo "
             "as mediators press both sides"]
    as_parsed, with_link = scores_of(clf, texts)[:, topic]
    assert as_parsed >= shipped_threshold
    assert as_parsed - with_link > 0.2


# Written for this test: a headline and a lead in each language that the shipped model
# scores between 0.45 and 0.85 (0.80 in English), where a trailer's weak passage moves the score most.
MIDDLING = {
    "tr": ("Dışişleri Bakanı Fidan Moskova’ya gidiyor", "Fidan'ın ziyarette Rus mevkidaşı ile bölgesel "
           "konuları ve ikili ticareti ele alması bekleniyor."),
    "ru": ("Лавров проведёт переговоры с турецким коллегой в Анкаре", "Стороны обсудят региональную "
           "повестку и торговлю, сообщили в МИД."),
    "ar": ("وزير الخارجية التركي يزور موسكو الأسبوع المقبل", "ومن المتوقع أن يبحث الوزير مع نظيره الروسي "
           "القضايا الإقليمية والتجارة الثنائية."),
    "en": ("Turkish foreign minister to visit Moscow next week", "Fidan is expected to discuss regional issues "
           "and bilateral trade with his Russian counterpart."),
}


@pytest.mark.parametrize(("language", "link"), [
    ("tr", "Haberin devamı için tıklayın"), ("tr", "HABERİN DEVAMI İÇİN TIKLAYIN"), ("tr", "Tümünü oku"),
    ("tr", "Devamını okumak için tıklayın"), ("tr", "Devamı için tıklayınız"), ("tr", "Detaylar için tıklayın"),
    ("ru", "Читать дальше"), ("ru", "Подробнее на сайте"), ("ru", "Подробности"),
    ("ar", "للمزيد اضغط هنا"), ("ar", "اقرأ التفاصيل"), ("ar", "تابع القراءة"), ("en", "Read Full Article"),
    ("tr", "Haberin tamamı"), ("ru", "Полный текст"), ("ar", "اقرأ الخبر كاملا"), ("ar", "التفاصيل كاملة"),
])
def test_every_way_of_writing_the_link_to_the_page_is_dropped(language: str, link: str) -> None:
    """Fault: these links were left in the text (or "Haberin" of "Haberin devamı için
    tıklayın"), and their weak passage took the item's score 0.13-0.36 below its
    headline and lead's (Подробнее на сайте: 0.479 -> 0.117; the shipped model)."""
    title, lead = MIDDLING[language]
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>{title}</title>"
            f"<link>https://news.example.org/1</link><description><![CDATA[<p>{lead}</p>"
            f"<a href='https://news.example.org/1'>{link}</a>]]></description></item></channel></rss>").encode()
    (item,) = parse_feed(body, "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert (item.title, item.text) == (title, lead)


# Source and byline lines as outlets end an item with them, written for these tests
BYLINES = {
    "tr": ["Kaynak: AA", "Kaynak: Anadolu Ajansı", "Haber: Ahmet Yılmaz", "Editör: Mehmet Demir", "Muhabir: Ayşe Kaya",
           "HABER MERKEZİ", "Haber Merkezi", "İHA", "DHA", "Kaynak: İHA", "Haber: Ahmet Yılmaz\nEditör: Mehmet Demir",
           "Kaynak: AA | Editör: Mehmet Demir"],
    "ar": ["المصدر: وكالات", "المصدر: الجزيرة + وكالات", "المصدر : الأناضول", "المصدر: مواقع التواصل",
           "تحرير: محمد أحمد", "إعداد: سارة علي"],
    "ru": ["Источник: ТАСС", "Автор: Иван Петров", "Текст: Иван Петров\nФото: ТАСС", "Читайте нас в Дзен",
           "Читайте нас в Telegram"],
    "en": ["Source: Reuters", "Reporting by Selin Arslan; Editing by Tom Hale", "Additional reporting by Ece "
           "Kaplan", "(Reporting by Selin Arslan in Ankara and Olga Smirnova in Moscow; Writing by Dan Weller; "
           "editing by Alex Brook)", "Compiled by Daily Sabah staff", "Source: Agencies"],
}


@pytest.mark.parametrize(("language", "byline"), [(lang, line) for lang, lines in BYLINES.items() for line in lines])
def test_a_source_or_byline_at_the_end_is_dropped(language: str, byline: str) -> None:
    """Fault: they were kept, and as the last sentence or line of mid-range headlines and
    leads each took 0.10-0.35 off the score on average (ingest/bylines.py)."""
    lead = MIDDLING[language][1]
    assert drop_trailers(f"{lead} {byline}") == lead
    assert drop_trailers(f"{lead}\n{byline}") == lead


@pytest.mark.parametrize("language", ["tr", "ar", "ru", "en"])
def test_a_feed_items_byline_is_dropped_and_its_score_kept(language: str) -> None:
    title, lead = MIDDLING[language]
    byline = BYLINES[language][0]
    body = (f"<rss version='2.0'><channel><title>t</title><item><title>{title}</title><link>https://news.example.org/1"
            f"</link><description><![CDATA[<p>{lead}</p><p>{byline}</p>]]></description></item></channel></rss>")
    (item,) = parse_feed(body.encode(), "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert item.text == lead
    clf = Classifier.load(ROOT / "models" / "topics.skops")
    parsed, kept = scores_of(clf, [item.document, f"{item.document}\n{byline}"])[:, list(clf.topics).index(TOPIC)]
    assert parsed - kept > 0.1


@pytest.mark.parametrize("prose", [
    "Kaynak sıkıntısı nedeniyle proje ertelendi.", "Bakan, haberin doğru olmadığını söyledi.",
    "Ordu bölgeye yeni bir İHA gönderdi.",
    "Source: officials in Ankara said the convoy crossed into Idlib before dawn.",
    "Reporting by Reuters found the shelling hit a school.", "Writing by hand is slower.",
    "Автор законопроекта отозвал его.", "Текст соглашения опубликован на сайте МИД.",
    "Читайте нас внимательно, сказал министр.", "وقال المصدر إن المفاوضات مستمرة.",
])
def test_prose_with_a_byline_word_is_kept(prose: str) -> None:
    assert drop_trailers(f"{LEAD} {prose}") == f"{LEAD} {prose}"


def test_a_feed_items_caption_credit_is_dropped_from_its_text() -> None:
    body = ("<rss version='2.0'><channel><title>t</title><item><title>Turkey returns fire in Idlib"
            "</title><link>https://news.example.org/3</link><description>&lt;figure&gt;&lt;img "
            "src='a.jpg'/&gt;&lt;figcaption&gt;Photo: Omar Haj Kadour / AFP&lt;/figcaption&gt;"
            f"&lt;/figure&gt;&lt;p&gt;{LEAD}&lt;/p&gt;</description></item></channel></rss>").encode()
    (item,) = parse_feed(body, "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert item.text == LEAD


def test_a_link_to_another_story_between_paragraphs_is_dropped_and_the_story_after_it_kept() -> None:
    """WordPress puts "Read also: <headline>" between an article's paragraphs; a feed that
    carries the article (content:encoded) carries it too. Joined into one line, the link could
    not be told from the paragraph after it: all of it went, or none."""
    items = [
        ("<p>Turkish artillery hit Syrian army positions near Saraqib.</p><p><strong>Read also: "
         "<a href='x'>Gaza ceasefire talks resume in Cairo</a></strong></p><p>Ankara said two "
         "soldiers were killed.</p>",
         "Turkish artillery hit Syrian army positions near Saraqib. Ankara said two soldiers were killed."),
        ("<p>قصفت المدفعية التركية مواقع للجيش السوري.</p><p>اقرأ أيضًا: <a>استئناف مفاوضات غزة</a></p>"
         "<p>وقالت أنقرة إن جنديين قتلا.</p>",
         "قصفت المدفعية التركية مواقع للجيش السوري. وقالت أنقرة إن جنديين قتلا."),
        ("<p>Türk topçusu rejim mevzilerini vurdu.</p><p>İlgili Haber: Gazze'de ateşkes</p>"
         "<p>İki asker şehit oldu.</p>", "Türk topçusu rejim mevzilerini vurdu. İki asker şehit oldu."),
        ("<p>Турецкая артиллерия нанесла удар по позициям сирийской армии</p><p>Подробнее</p>",
         "Турецкая артиллерия нанесла удар по позициям сирийской армии"),  # a paragraph is a sentence
    ]
    entries = "".join(f"<item><title>t{n}</title><link>https://news.example.org/{n}</link><content:encoded>"
                      f"<![CDATA[{html}]]></content:encoded></item>" for n, (html, _) in enumerate(items))
    body = ("<rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'><channel>"
            f"<title>t</title>{entries}</channel></rss>").encode()
    parsed = parse_feed(body, "application/rss+xml", "wire", datetime(2026, 11, 29, tzinfo=UTC))
    assert [item.text for item in parsed] == [text for _, text in items]


@given(st.lists(st.sampled_from(["a", " ", "\n", "Read also:", "related :", "b.", "اقرأ أيضًا:"])).map("".join))
def test_only_whole_lines_are_dropped_between_paragraphs(text: str) -> None:
    out = drop_related_lines(text)
    lines = iter(text.split("\n"))  # what is kept is the text's lines, in order, or nothing
    assert out == "" or all(line in lines for line in out.split("\n"))


# A Telegram channel's ending of a post, as its own lines: hashtags, its @name, a call to
# subscribe (after the channel's name, or alone), its views; written for these tests.
TELEGRAM_ENDINGS = [
    "#Сирия #Турция", "#عاجل #سوريا", "#SonDakika #İdlib", "#Syria, #Turkey", "@rian_ru", "👁 15.2K",
    "РИА Новости. Подписаться", "Подписаться на канал: @mid_watch", "👉 Подписывайтесь на @tass_agency",
    "Сирийские заметки — забирай в свой Telegram", "Подпишись на наш канал", "تابعونا على تلغرام",
    "للاشتراك في قناتنا: @sham_news", "انضموا إلى قناتنا على تيليجرام", "Bizi Telegram'dan takip edin",
    "👉 Kanalımıza abone olun: @haber_hatti", "Subscribe: @mideast_wire", "👉 Follow us on Telegram",
    "Join our channel: @levant_desk", "#Сирия #Турция\n\nРИА Новости. Подписаться\n👁 3K",
    "#Сирия\n@rian_ru\n👉 Подписывайтесь на @tass_agency\n👁 3K",
]


@pytest.mark.parametrize("ending", TELEGRAM_ENDINGS)
def test_a_telegram_posts_tags_and_call_to_subscribe_are_dropped(ending: str) -> None:
    assert drop_trailers(f"{LEAD}\n{ending}") == LEAD
    lines = ending.replace("\n\n", "\n")  # as a description's lines come (blank ones dropped)
    assert drop_related_lines(f"{LEAD}\n{lines}\nA link's preview") == f"{LEAD}\nA link's preview"


@pytest.mark.parametrize("prose", [
    "Abone olan kullanıcı sayısı iki milyonu aştı.", "اشترك في العملية عشرات الجنود.",
    "Подписка на газеты подорожала.", "Лидеры готовы подписаться под соглашением.",
    "Subscribers rose by a tenth.", "Officials said #Turkey was not consulted.",
    "Турецкие военные ответили огнём. Подписаться под заявлением отказались.",
])
def test_prose_with_a_telegram_word_is_kept(prose: str) -> None:
    assert drop_trailers(f"{LEAD}\n{prose}") == f"{LEAD}\n{prose}"
    assert drop_related_lines(f"{LEAD}\n{prose}") == f"{LEAD}\n{prose}"


@pytest.mark.parametrize("header", ["Forwarded From Военный обозреватель\n", "Forwarded from وكالة الأنباء\n",
                                    "via @news_bot\n"])
def test_a_telegram_forwards_header_is_dropped(header: str) -> None:
    assert drop_forwarded(header + LEAD) == LEAD


@pytest.mark.parametrize("prose", ["Forwarded from Ankara, the letter reached Moscow.", "Via Reuters\nX", LEAD])
def test_a_text_that_starts_like_a_forward_is_kept(prose: str) -> None:
    assert drop_forwarded(prose) == prose


@pytest.mark.parametrize(("title", "bare"), [
    ("🖼 Турецкие военные ответили огнём", "Турецкие военные ответили огнём"),
    ("🔁🎬 ⚡️Колонна вошла в Сирию", "⚡️Колонна вошла в Сирию"), ("[Photo] Convoy enters Idlib", "Convoy enters Idlib"),
    ("[Forwarded][Video] Convoy enters Idlib", "Convoy enters Idlib"), ("🖼", ""), ("[Photo]", ""),
    ("@syria_now posted a video", ""), ("@rian_ru posted a photo", ""),
    ("⚡️Турецкие военные ответили огнём", "⚡️Турецкие военные ответили огнём"),
    ("[Opinion] Ankara's choice", "[Opinion] Ankara's choice"), ("@rian_ru posted a photo of Erdogan", ""),
])
def test_a_telegram_bridges_media_tags_are_no_title(title: str, bare: str) -> None:
    assert drop_media_tags(title) == (bare if "of Erdogan" not in title else title)
