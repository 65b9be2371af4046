"""Search feeds of news aggregators, written for these tests from the formats' documented
shapes (not fetched): Google Alerts' Atom, Google News's RSS (search and topic), Bing News's
RSS and Yahoo News's RSS, each over stories in English, Turkish, Russian and Arabic, on the
Turkey–Russia–Syria topic and off it. Each story also has its outlet's own RSS item and an
article page, served from `base` (a local server) as the aggregators' links point to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.utils import formatdate
from html import escape
from urllib.parse import quote

from tests.test_articles import page_html


@dataclass(frozen=True)
class Story:
    key: str  # the article's path on the local site: /<key>
    lang: str
    outlet: str
    title: str
    lead: str  # the outlet's description, the aggregator's snippet's source
    body: str  # the article page's text
    on_topic: bool


STORIES = [
    Story("reuters/idlib-strike", "en", "Reuters",
          "Syrian air strike kills Turkish soldiers in Idlib, Ankara vows response",
          "At least 12 Turkish soldiers were killed in an air strike by Syrian government forces in Idlib.",
          "At least 12 Turkish soldiers were killed in an air strike by Syrian government forces in Idlib, "
          "Turkish officials said. President Tayyip Erdogan spoke with Russian President Vladimir Putin by phone "
          "and warned that Ankara would respond to any attack on its observation posts. Russian jets have backed "
          "the Syrian army's offensive on the last rebel-held province since December. The Kremlin said Russian "
          "aircraft had not operated in the area and urged Turkey to respect the Sochi agreement. Turkish "
          "artillery later shelled Syrian government positions south of Saraqeb, the defence ministry said.", True),
    Story("aa/idlib-saldiri", "tr", "Anadolu Ajansı",
          "İdlib'de rejim saldırısı: Türk askerleri şehit oldu",
          "Suriye rejim güçlerinin İdlib'deki gözlem noktasına saldırısında Türk askerleri şehit oldu.",
          "Suriye rejim güçlerinin İdlib'deki gözlem noktasına düzenlediği hava saldırısında Türk askerleri "
          "şehit oldu. Cumhurbaşkanı Erdoğan, Rusya Devlet Başkanı Putin ile telefonda görüştü ve saldırının "
          "karşılıksız kalmayacağını söyledi. Milli Savunma Bakanlığı, Türk topçusunun rejim mevzilerini "
          "vurduğunu açıkladı. Rusya, bölgedeki uçaklarının saldırıya katılmadığını belirterek Ankara'yı Soçi "
          "mutabakatına uymaya çağırdı. Serakib çevresinde çatışmalar sürüyor.", True),
    Story("ria/idlib-peregovory", "ru", "РИА Новости",
          "Путин и Эрдоган обсудили обострение в Идлибе",
          "Президенты России и Турции обсудили по телефону ситуацию в сирийской провинции Идлиб.",
          "Президенты России и Турции Владимир Путин и Реджеп Тайип Эрдоган обсудили по телефону обострение "
          "в сирийской провинции Идлиб после гибели турецких военных. Кремль заявил, что российская авиация "
          "не действовала в районе удара, и призвал Анкару соблюдать сочинские договорённости. Турецкая "
          "артиллерия нанесла удары по позициям сирийской армии у Серакиба. Министры обороны двух стран "
          "договорились о новых консультациях в Москве.", True),
    Story("aljazeera/idlib", "ar", "الجزيرة نت",
          "مقتل جنود أتراك بغارة للنظام السوري في إدلب وأنقرة تتوعد بالرد",
          "قتل جنود أتراك في غارة جوية لقوات النظام السوري على نقطة مراقبة تركية في إدلب.",
          "قتل جنود أتراك في غارة جوية لقوات النظام السوري على نقطة مراقبة تركية في إدلب، وفق وزارة الدفاع "
          "التركية. وأجرى الرئيس التركي رجب طيب أردوغان اتصالا هاتفيا بالرئيس الروسي فلاديمير بوتين، وحذر من أن "
          "أنقرة سترد على أي هجوم. وقال الكرملين إن الطائرات الروسية لم تشارك في الغارة، ودعا تركيا إلى احترام "
          "اتفاق سوتشي. وقصفت المدفعية التركية مواقع لقوات النظام قرب سراقب.", True),
    Story("reuters/lira", "en", "Reuters",
          "Turkish lira weakens as central bank holds rates",
          "The Turkish lira fell to a record low after the central bank left its policy rate unchanged.",
          "The Turkish lira fell to a record low against the dollar on Thursday after the central bank left its "
          "policy rate unchanged, saying inflation was easing more slowly than expected. Bankers said state "
          "lenders sold dollars to support the currency. Analysts expect the bank to resume cuts in the second "
          "half of the year if price growth cools. Exporters welcomed the weaker lira.", False),
    Story("hurriyet/turizm", "tr", "Hürriyet",
          "Rus turist sayısında rekor: Antalya'ya bir milyon ziyaretçi",
          "Antalya'ya yılın ilk beş ayında gelen Rus turist sayısı bir milyonu aştı.",
          "Antalya'ya yılın ilk beş ayında gelen Rus turist sayısı bir milyonu aşarak rekor kırdı. Otelciler, "
          "yaz sezonunda doluluk oranlarının yüzde doksanı geçmesini bekliyor. Havalimanına günde yüzlerce sefer "
          "düzenleniyor. Turizm yetkilileri, Almanya ve İngiltere'den gelen ziyaretçilerin de arttığını "
          "belirtti. Sezonun ekim sonuna kadar sürmesi bekleniyor.", False),
    Story("tass/futbol", "ru", "ТАСС",
          "«Зенит» обыграл «Спартак» и вышел в лидеры чемпионата",
          "Петербургский «Зенит» победил московский «Спартак» со счётом 2:1.",
          "Петербургский «Зенит» победил московский «Спартак» со счётом 2:1 в матче чемпионата России и вышел "
          "на первое место в таблице. Победный мяч забил полузащитник на 88-й минуте. Главный тренер отметил "
          "игру обороны. Следующий матч команда проведёт в субботу дома. Болельщики заполнили стадион.", False),
    Story("aawsat/oil", "ar", "الشرق الأوسط",
          "أسعار النفط ترتفع مع تراجع المخزونات الأمريكية",
          "ارتفعت أسعار النفط اليوم بعد بيانات أظهرت تراجع المخزونات الأمريكية من الخام.",
          "ارتفعت أسعار النفط اليوم بعد بيانات أظهرت تراجع المخزونات الأمريكية من الخام أكثر من المتوقع. وصعد "
          "خام برنت إلى أعلى مستوى في أسبوعين. وقال محللون إن الطلب على الوقود في الصيف قد يدعم الأسعار. "
          "وتترقب الأسواق اجتماع تحالف أوبك بلس الشهر المقبل لتحديد مستويات الإنتاج.", False),
]
BY_KEY = {s.key: s for s in STORIES}

# Other outlets' headlines of one Google News cluster: the same events, told with more
# actors named than the item's own headline (a cluster's list is scored as the item's text)
CLUSTER = {
    "reuters/lira": [("Erdogan says Turkey will not bow to pressure from Moscow over Syria", "Daily Sabah"),
                     ("Lira slides as investors weigh Turkey's Idlib offensive risks", "Bloomberg"),
                     ("Turkish markets shaken by clashes with Russian-backed Syrian forces", "Al-Monitor")],
    "reuters/idlib-strike": [("Turkey vows retaliation after soldiers killed in Idlib", "AP News"),
                             ("Erdogan warns Russia after deadly strike on Turkish troops", "BBC")],
}

_T0 = 1_741_770_000  # 2025-03-12 09:00 UTC


def article_page(story: Story) -> str:
    return page_html(story.title, story.body)


def outlet_rss(base: str, stories: list[Story]) -> str:
    """An outlet's own RSS: its GUID and link the article's address."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{base}/{s.key}</link><guid>{base}/{s.key}</guid>"
        f"<description>{escape(s.lead)}</description><pubDate>{formatdate(_T0 + n * 60, usegmt=True)}</pubDate></item>"
        for n, s in enumerate(stories))
    return f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>o</title>{items}</channel></rss>'


def _bold(text: str, terms: tuple[str, ...]) -> str:
    for term in terms:
        text = text.replace(term, f"<b>{term}</b>")
    return text


def google_alert(base: str, alert: str, stories: list[Story], terms: tuple[str, ...] = ()) -> str:
    """A Google Alerts feed (https://www.google.com/alerts/feeds/<user>/<alert>): each entry's
    link a google.com/url redirect to the article, with the alert's own cd and usg (`alert`:
    its id's first two characters, then what may change between responses); title and
    content HTML with the query's terms in <b>, the content cut with "..."."""
    entries = []
    for n, s in enumerate(stories):
        real = f"{base}/{s.key}"
        link = (f"https://www.google.com/url?rct=j&sa=t&url={real}&ct=ga&cd=CAIyHDk{alert}{n}YjQ6Y29tOnRyOlRS"
                f"&usg=AOvVaw{alert}{n:02d}x7Kq")
        snippet = _bold(escape(s.lead[:-1]), terms) + " <b>...</b>"
        entries.append(
            f"<entry><id>tag:google.com,2013:googlealerts/feed:1035348714341{alert[:2]}{n}</id>"
            f"<title type=\"html\">{escape(_bold(escape(s.title), terms))}</title>"
            f"<link href=\"{escape(link)}\"/><published>2025-03-12T09:{n:02d}:00Z</published>"
            f"<updated>2025-03-12T09:{n:02d}:00Z</updated>"
            f"<content type=\"html\">{escape(snippet)}</content><author><name/></author></entry>")
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" '
            'xmlns:idx="urn:atom-extension:indexing">'
            f"<id>tag:google.com,2005:reader/user/06848239483/state/com.google/alerts/{alert}</id>"
            f"<title>Google Alert - {escape(' '.join(terms) or 'Idlib')}</title>"
            f'<link href="https://www.google.com/alerts/feeds/06848239483/{alert}" rel="self"/>'
            f"<updated>2025-03-12T10:00:00Z</updated>{''.join(entries)}</feed>")


def _home(story: Story) -> str:
    return f"https://www.{story.key.partition('/')[0]}.com"


def google_news_id(story: Story) -> str:
    """The article's id in Google News links and GUIDs (opaque; one per article)."""
    return "CBMi" + "".join(f"{ord(c):x}" for c in story.key)[:60] + "0gEA"


def _gn_entry(story: Story) -> str:
    link = f"https://news.google.com/rss/articles/{google_news_id(story)}?oc=5"
    return (f'<a href="{link}" target="_blank">{escape(story.title)}</a>&nbsp;&nbsp;'
            f'<font color="#6f6f6f">{escape(story.outlet)}</font>')


def google_news(stories: list[Story], clusters: bool = True, lang: str = "en") -> str:
    """A Google News search or topic feed: "<headline> - <outlet>", a news.google.com link
    (a page that sends a browser on with script), a bare GUID, <source>, and a description
    of the item's headline and outlet, or of its cluster: an <ol> of several outlets' headlines."""
    items = []
    for n, s in enumerate(stories):
        others = CLUSTER.get(s.key, []) if clusters else []
        desc = _gn_entry(s)
        if others:
            more = "".join(f"<li>{_gn_entry(Story(f'x/{n}/{k}', s.lang, o, t, '', '', False))}</li>"
                           for k, (t, o) in enumerate(others))
            desc = f"<ol><li>{desc}</li>{more}</ol>"
        gid = google_news_id(s)
        items.append(
            f"<item><title>{escape(s.title)} - {escape(s.outlet)}</title>"
            f"<link>https://news.google.com/rss/articles/{gid}?oc=5</link>"
            f'<guid isPermaLink="false">{gid}</guid><pubDate>{formatdate(_T0 + n * 60, usegmt=True)}</pubDate>'
            f"<description>{escape(desc)}</description>"
            f'<source url="{_home(s)}">{escape(s.outlet)}</source></item>')
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><rss xmlns:media="http://search.yahoo.com/mrss/" '
            f'version="2.0"><channel><generator>NFE/5.0</generator><title>"Idlib" - Google News</title>'
            f"<link>https://news.google.com/search?q=Idlib&amp;hl={lang}</link><language>{lang}</language>"
            f"<description>Google News</description>{''.join(items)}</channel></rss>")


def _encoded(url: str) -> str:
    return quote(url, safe="")


def bing_link(url: str, tid: str, n: int = 0) -> str:
    """Bing's click link to `url` (encoded in lowercase hex, as Bing writes it)."""
    encoded = re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), _encoded(url))
    return f"http://www.bing.com/news/apiclick.aspx?ref=FexRss&aid=&tid={tid}&url={encoded}&c=90{n}12345678&mkt=en-us"


def bing_news(base: str, stories: list[Story], tid: str = "67D1A2B3C4D5E6F7A8B9C0D1E2F3A4B5") -> str:
    """Bing News RSS (https://www.bing.com/news/search?q=...&format=rss): each link an
    apiclick.aspx redirect with the article's address encoded in `url` and a click id `tid`
    that changes from one response to the next; no GUID; News:Source, News:Image."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title>"
        f"<link>{escape(bing_link(f'{base}/{s.key}', tid, n))}</link>"
        f"<description>{escape(s.lead)}</description><pubDate>{formatdate(_T0 + n * 60, usegmt=True)}</pubDate>"
        f"<News:Source>{escape(s.outlet)}</News:Source>"
        f"<News:Image>http://www.bing.com/th?id=OVFT.{n}abc&amp;pid=News</News:Image>"
        "<News:ImageSize>Small</News:ImageSize><News:ImageMaxWidth>700</News:ImageMaxWidth></item>"
        for n, s in enumerate(stories))
    return ('<?xml version="1.0" encoding="utf-8" ?><rss version="2.0" '
            'xmlns:News="https://www.bing.com:443/news/search?q=Idlib&amp;format=rss"><channel>'
            "<title>Idlib - BingNews</title><link>https://www.bing.com:443/news/search?q=Idlib&amp;format=rss</link>"
            f"<description>Search results</description>{items}</channel></rss>")


def yahoo_news(base: str, stories: list[Story]) -> str:
    """Yahoo News search RSS (https://news.search.yahoo.com/rss?p=...): each link an
    r.search.yahoo.com redirect with the article's address encoded in the RU= path segment."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title>"
        f"<link>https://r.search.yahoo.com/_ylt=AwrFd{n}Xk;_ylu=Y29sbwNiZjEEcG9zAzEEdnRpZAMEc2VjA3Ny/RV=2/RE=17418{n}0000"
        f"/RO=10/RU={_encoded(f'{base}/{s.key}')}/RK=2/RS=kQ{n}aZ-</link>"
        f"<description>{escape(s.lead)}</description><source url=\"{_home(s)}/\">"
        f"{escape(s.outlet)}</source><pubDate>{formatdate(_T0 + n * 60, usegmt=True)}</pubDate></item>"
        for n, s in enumerate(stories))
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Yahoo News Search Results for '
            f"Idlib</title><link>https://news.search.yahoo.com/search?p=Idlib</link>{items}</channel></rss>")
