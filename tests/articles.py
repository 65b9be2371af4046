"""Articles and wall pages written for these tests (not copied from anywhere), and an RSS builder."""

from __future__ import annotations

from email.utils import formatdate
from html import escape

ON_TOPIC = [
    (
        "Turkish soldiers killed in Syrian government air strike in Idlib",
        "Ankara said 12 Turkish soldiers were killed when Syrian government forces, backed by "
        "Russian air power, struck a Turkish observation post near Saraqeb in Idlib province. "
        "President Erdogan spoke with Vladimir Putin by phone and warned that Turkey would "
        "retaliate against Assad's forces if the Russian-backed offensive did not stop. The "
        "Kremlin said Russian jets were not involved and urged Ankara to respect the Sochi deal.",
    ),
    (
        "Erdogan and Putin agree ceasefire in Syria's Idlib after Moscow talks",
        "Turkish President Recep Tayyip Erdogan and Russian President Vladimir Putin agreed a "
        "ceasefire in northwest Syria after six hours of talks in Moscow, including joint "
        "Russian-Turkish patrols along the M4 highway and a security corridor. The deal follows "
        "weeks of fighting between Turkish troops and Syrian government forces around Idlib "
        "that sent almost a million refugees toward the Turkish border.",
    ),
    (
        "Russian jets pound Turkish-backed rebels as Assad's forces advance on Aleppo countryside",
        "Russian warplanes carried out dozens of air strikes on positions of Turkish-backed "
        "opposition factions west of Aleppo, while Syrian army units pushed toward towns on the "
        "Idlib border. Turkey reinforced its observation posts with armoured convoys and "
        "accused Moscow of violating the de-escalation zone agreed in Astana. Ankara's defence "
        "ministry said artillery returned fire on regime positions.",
    ),
    (
        "Turkey shells Syrian army positions after attack on observation post",
        "Turkish artillery hit Syrian government positions in Idlib after an attack killed "
        "Turkish soldiers at an observation post, the Turkish defence ministry said. Russia, "
        "which backs Damascus, called for restraint, and foreign ministers Mevlut Cavusoglu and "
        "Sergei Lavrov discussed the escalation by phone ahead of a Putin-Erdogan summit on Syria.",
    ),
]

OFF_TOPIC = [
    (
        "Champions League: late goal sends holders through to quarter-finals",
        "A stoppage-time header settled a tense second leg on Tuesday night, sending the holders "
        "into the quarter-finals of the Champions League after a goalless first match. The coach "
        "praised his defenders and said the squad would rest key players at the weekend.",
    ),
    (
        "Central bank holds interest rates as inflation cools",
        "The central bank left its benchmark interest rate unchanged on Thursday, saying "
        "inflation had eased for a third month but that wage growth remained strong. Markets "
        "had priced in a pause, and bond yields moved little after the announcement.",
    ),
    (
        "New smartphone chip promises longer battery life",
        "A chipmaker unveiled a processor for phones that it says uses a third less power while "
        "running apps faster, with the first handsets expected before the holiday season. "
        "Analysts said the design would put pressure on rivals in the premium market.",
    ),
]


BORDER_TALKS = (
    "Talks continue after border incident",
    "Turkish and Russian officials held a second day of talks in Ankara after the border incident in "
    "Idlib, where Syrian government forces, backed by Russian air power, struck a Turkish observation "
    "post near Saraqeb and killed 12 Turkish soldiers. President Erdogan spoke with Vladimir Putin by "
    "phone and warned that Turkey would retaliate against Assad's forces if the offensive did not stop. "
    "The Kremlin said Russian jets were not involved in the incident and urged Ankara to respect the "
    "Sochi deal. The ministry said more meetings were planned.",
)
"""An on-topic article under a vague headline that names no actor (a feed's short item)."""


def _page(title: str, lang: str, *blocks: str) -> str:
    """A page of `blocks`: HTML as given, or a paragraph of text."""
    body = "".join(b if b.startswith("<") else f"<p>{escape(b)}</p>" for b in blocks)
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8"><title>{escape(title)}</title>'
            f'<meta property="og:title" content="{escape(title)}"></head><body><main>{body}</main></body></html>')


def _paywall(item: tuple[str, str], site: str, lang: str, *offer: str) -> str:
    """A paywall's page: the item's headline (`site` after it in the page title) and
    standfirst, then the offer."""
    return _page(item[0] + site, lang, f"<h1>{escape(item[0])}</h1>", item[1], *offer)


_EN = ("Syrian air strike kills 33 Turkish soldiers in Idlib; Erdogan vows to retaliate against Assad - Reuters",
       "Syrian air strike kills 33 Turkish soldiers in Idlib - Reuters")  # as Google News gives it
_EN2 = ("Erdogan and Putin agree ceasefire in Idlib after talks in Moscow",
        "The Turkish and Russian presidents agreed a ceasefire in northwest Syria after six hours of talks.")
_TR = ("İdlib'de hava saldırısı: 33 Türk askeri şehit oldu, Erdoğan Esad'a misilleme sözü verdi",
       "Suriye rejiminin İdlib'deki hava saldırısında 33 asker şehit oldu.")
_RU = ("Путин и Эрдоган договорились о прекращении огня в Идлибе после переговоров в Москве",
       "Президенты России и Турции договорились о перемирии на северо-западе Сирии.")
_AR = ("مقتل 33 جنديا تركيا في غارة جوية للنظام السوري في إدلب وأردوغان يتوعد بالرد",
       "قتل 33 جنديا تركيا في غارة جوية شنتها قوات النظام السوري على إدلب.")

WALLS = [
    ("en-consent", *_EN, _page(
        "Before you continue", "en", "<h1>Before you continue</h1>",
        "We use cookies and data to deliver and maintain our services, for example to track outages and protect "
        "against spam, fraud and abuse. We also use them to measure audience engagement and site statistics, so "
        "that we understand how our services are used and can improve their quality.",
        "If you choose to accept all, we will also use cookies and data to develop new services, to deliver and "
        "measure the effectiveness of advertising and to show personalised content depending on your settings. "
        "If you choose to reject all, we will not use cookies for these additional purposes.",
        "Non-personalised content is influenced by things like the content you are currently viewing and your "
        "general location. Select more options to see additional information, including details about managing "
        "your privacy settings.", "<button>Reject all</button><button>Accept all</button>")),
    ("en-paywall", *_EN2, _paywall(_EN2, " - The Daily Example", "en",
        "<h2>Subscribe to keep reading</h2>",
        "This article is for subscribers only. You have read all of your free articles this month. Subscribe "
        "today for unlimited access to award-winning journalism on any device, with exclusive newsletters, our "
        "puzzles and the complete archive.",
        "Get your first year for just $1 a week, then $4 a week. Cancel or pause anytime. Already a subscriber? "
        "Log in to continue reading. Your subscription supports independent reporting from more than 150 "
        "countries. Offer for new subscribers only; taxes may apply.")),
    ("en-javascript", *_EN, _page(
        "Access denied", "en", "<noscript><h1>Please enable JavaScript</h1></noscript>",
        "This website is using a security service to protect itself from online attacks. The action you just "
        "performed triggered the security solution. Please make sure that JavaScript and cookies are enabled in "
        "your browser and that you are not blocking them from loading.",
        "There are several actions that could trigger this block including submitting a certain word or phrase, "
        "a SQL command or malformed data. If you believe you reached this page in error, please contact the site "
        "owner and include the reference ID shown at the bottom of this page. Ray ID: 7f3a9c1b2d4e5f60.")),
    ("en-landing", *_EN2, _page(
        "World | Example News", "en", "<h1>World</h1>",
        f"<ul><li><a href='/w/1'>{escape(_EN2[0])}</a></li></ul>",
        "Floods displace thousands in southern Brazil as rescue teams work through the night to reach stranded "
        "families. EU leaders clash over the migration pact at a Brussels summit.",
        "Japan's economy shrinks as exports slump, raising the risk of recession. Protests spread across Kenya "
        "over tax rises as police fire tear gas at crowds in Nairobi.",
        "India launches a mission to study the Sun. Canada's wildfire season is the worst on record, officials "
        "said, with smoke drifting south. Sign up for our morning briefing to get the day's top stories.")),
    ("tr-consent", *_TR, _page(
        "Çerez Politikası", "tr", "<h2>Çerez Tercihleri</h2>",
        "Sitemizde size daha iyi hizmet sunabilmek, içerik ve reklamları kişiselleştirmek, sosyal medya "
        "özellikleri sunmak ve trafiğimizi analiz etmek amacıyla çerezler kullanıyoruz.",
        "Çerezler aracılığıyla toplanan kişisel verileriniz, 6698 sayılı Kişisel Verilerin Korunması Kanunu "
        "kapsamında işlenmektedir. Zorunlu çerezler sitenin çalışması için gereklidir ve kapatılamaz.",
        "Tümünü kabul et seçeneğini tıklayarak tüm çerezlerin kullanılmasına izin vermiş olursunuz. "
        "Tercihlerinizi dilediğiniz zaman çerez ayarları sayfasından değiştirebilirsiniz. Daha fazla bilgi için "
        "Aydınlatma Metni ve Gizlilik Politikası sayfalarımızı inceleyebilirsiniz.")),
    ("tr-paywall", *_TR, _paywall(_TR, " - Örnek Gazete", "tr",
        "Bu içerik yalnızca abonelerimize özeldir. Haberin devamını okumak için abone olun ya da giriş yapın. "
        "Dijital abonelikle tüm haberlere, köşe yazılarına ve arşivimize sınırsız erişim sağlayabilirsiniz.",
        "İlk ay yalnızca 1 TL, ardından aylık 49,90 TL. Aboneliğinizi dilediğiniz zaman iptal edebilirsiniz. "
        "Zaten abone misiniz? Hesabınıza giriş yapın. Sorularınız için müşteri hizmetlerimize haftanın yedi "
        "günü ulaşabilirsiniz.")),
    ("ru-javascript", *_RU, _page(
        "Проверка браузера", "ru", "<noscript><h1>Включите JavaScript</h1></noscript>",
        "Для доступа к сайту необходимо включить JavaScript и разрешить использование файлов cookie в "
        "настройках вашего браузера, после чего обновите страницу.",
        "Мы проверяем, что запросы к сайту отправляет человек, а не автоматическая программа. Обычно проверка "
        "занимает несколько секунд и не требует никаких действий с вашей стороны.",
        "Если эта страница появляется снова, возможно, ваш браузер устарел или расширения блокируют работу "
        "скриптов. Если вы считаете, что доступ ограничен по ошибке, свяжитесь со службой поддержки.")),
    ("ru-paywall", *_RU, _paywall(_RU, " — Пример", "ru",
        "Этот материал доступен только подписчикам. Оформите подписку, чтобы читать статью полностью. Подписка "
        "открывает неограниченный доступ ко всем материалам сайта, архиву и эксклюзивным рассылкам.",
        "Первый месяц — за 1 рубль, далее 299 рублей в месяц. Отменить подписку можно в любой момент в личном "
        "кабинете. Уже подписаны? Войдите в свой аккаунт.")),
    ("ar-consent", *_AR, _page(
        "ملفات تعريف الارتباط", "ar", "<h2>نحن نحترم خصوصيتك</h2>",
        "نستخدم ملفات تعريف الارتباط والتقنيات المماثلة لتحسين تجربتك على موقعنا وتحليل حركة الزيارات وتخصيص "
        "المحتوى والإعلانات التي تظهر لك.",
        "بالنقر على قبول الكل فإنك توافق على تخزين ملفات تعريف الارتباط على جهازك واستخدامها من قبلنا ومن قبل "
        "شركائنا لأغراض التحليل والتسويق.",
        "يمكنك تغيير تفضيلاتك أو سحب موافقتك في أي وقت من خلال صفحة الإعدادات. لمزيد من المعلومات يرجى الاطلاع "
        "على سياسة الخصوصية وشروط الاستخدام الخاصة بنا.")),
    ("ar-paywall", *_AR, _paywall(_AR, " | الصحيفة", "ar",
        "هذا المحتوى متاح للمشتركين فقط. اشترك الآن لمتابعة القراءة والوصول إلى جميع المقالات والتحليلات "
        "الحصرية. يمنحك الاشتراك الرقمي وصولا غير محدود إلى موقعنا وتطبيقاتنا على جميع الأجهزة.",
        "الشهر الأول مجانا ثم عشرة دولارات شهريا ويمكنك إلغاء اشتراكك في أي وقت. هل أنت مشترك بالفعل؟ سجل "
        "الدخول إلى حسابك.")),
]
"""Pages a short item's link may serve instead of its story, written for these tests: a
cookie-consent wall, a paywall's offer under the headline and standfirst, an "enable
JavaScript" page, a section's landing page, in English, Turkish, Russian and Arabic; each
(name, the item's headline, its feed text, the page's HTML)."""


def rss(items: list[tuple[str, str, str]], title: str = "Test feed",
        first: float = 1_700_000_000, step: float = 60) -> str:
    """RSS 2.0 with (guid, headline, text) items; the link is derived from the guid. Item n
    is published at `first + n * step` (seconds since the epoch)."""
    entries = []
    for n, (guid, headline, text) in enumerate(items):
        entries.append(
            f"<item><guid isPermaLink=\"false\">{escape(guid)}</guid>"
            f"<title>{escape(headline)}</title>"
            f"<link>https://news.example.org/{escape(guid)}?utm_source=rss</link>"
            f"<description>{escape('<p>' + text + '</p>')}</description>"
            f"<pubDate>{formatdate(first + n * step, usegmt=True)}</pubDate></item>"
        )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.org/</link>"
        f"<description>test</description>{''.join(entries)}</channel></rss>"
    )
