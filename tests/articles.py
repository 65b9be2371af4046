"""Articles written for these tests (not copied from anywhere), and an RSS builder."""

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
