"""Counterparties and their names: how people and banks spell the same company differently.

Names are XML-, CSV- and JSON-safe by construction (no '&', quotes, commas or '<'), so writers
never need to escape them; MT940 gets an ASCII, upper-case transliteration (SWIFT charset).
"""

from __future__ import annotations

from random import Random

from rapidfuzz import fuzz
from rapidfuzz.utils import default_process

_SURNAMES = {
    "DE": "Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Schäfer Koch "
          "Bauer Richter Klein Wolf Schröder Neumann Schwarz Zimmermann Braun Krüger Hartmann "
          "Lange Werner Krause Lehmann Köhler Weiß Jäger",
    "US": "Anderson Baker Carter Davis Evans Foster Garcia Harris Jackson Johnson Miller Mitchell "
          "Parker Roberts Taylor Thompson Walker Wilson Young Brooks Hughes Morgan Reed Sullivan",
    "GB": "Ashworth Barrett Clarke Dawson Ellis Fletcher Graham Hamilton Holloway Kingsley Lawson "
          "Marshall Norris Pemberton Radcliffe Sheldon Thornton Whitaker Wright Yardley",
    "JP": "Tanaka Suzuki Takahashi Watanabe Ito Yamamoto Nakamura Kobayashi Kato Yoshida Yamada "
          "Sasaki Matsumoto Inoue Kimura Hayashi Shimizu Yamazaki Mori Ikeda",
}
_TRADES = {
    "DE": "Maschinenbau Logistik Elektrotechnik Handelsgesellschaft Metallbau Softwarehaus "
          "Druckerei Bauunternehmung Feinmechanik Verpackungen Medizintechnik Spedition "
          "Kunststofftechnik Anlagenbau",
    "US": "Industries Logistics Technologies Supply Manufacturing Systems Analytics Solutions "
          "Holdings Components Software Partners",
    "GB": "Engineering Trading Consulting Services Distribution Instruments Packaging Foods",
    "JP": "Shoji Seisakusho Denki Kogyo Sangyo Tsusho Butsuryu Seiki",
}
_FORMS = {"DE": ["GmbH", "AG", "KG", "SE"], "US": ["Inc.", "LLC", "Corp.", "Co."],
          "GB": ["Ltd", "PLC", "LLP"], "JP": ["K.K.", "Co. Ltd."]}
_PLACES = "Nord Sued West Ost Rhein Main Elbe Alpen Bay Coast Valley Harbour Kanto Kansai".split()
_ASCII = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "AE", "Ö": "OE", "Ü": "UE", "ß": "ss",
                        "é": "e", "è": "e"})
GENERIC_REMITTANCE = [
    "Payment", "Zahlung", "Rechnungsausgleich", "Monthly settlement", "Services rendered",
    "Consulting fees", "Wartungsvertrag", "Thank you for your business", "Lieferung und Leistung",
    "Subscription renewal", "Quarterly fee", "Material supply",
]
_PREFIXES = ["", "", "RE: ", "RE ", "Invoice ", "Rechnung ", "Inv. ", "Payment ", "Ref "]
_SUFFIXES = ["", "", " thank you", " Zahlung", " BEST REGARDS", " final", " Kd 4711 2201"]


def company_names(rng: Random, country: str, n: int) -> list[str]:
    """n distinct company names in the style of one country."""
    surnames, trades = _SURNAMES[country].split(), _TRADES[country].split()
    forms, seen, out = _FORMS[country], set(), []
    while len(out) < n:
        first = rng.choice(surnames)
        if rng.random() < 0.3:
            first = f"{first}-{rng.choice(surnames)}"
        name = f"{first} {rng.choice(trades)} {rng.choice(forms)}"
        if name in seen:
            name = f"{first} {rng.choice(_PLACES)} {rng.choice(trades)} {rng.choice(forms)}"
        if name not in seen:
            seen.add(name)
            out.append(name)
    return out


def ascii_text(text: str) -> str:
    return text.translate(_ASCII)


def ascii_upper(text: str) -> str:
    """SWIFT MT940 spelling: transliterated, upper case."""
    return text.translate(_ASCII).upper()


def _typo(rng: Random, name: str) -> str:
    words = name.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    w = words[i]
    pos = rng.randrange(1, len(w) - 2)
    if rng.random() < 0.5:
        w = w[:pos] + w[pos + 1] + w[pos] + w[pos + 2:]   # swap two letters
    else:
        w = w[:pos] + w[pos + 1:]                         # drop one letter
    words[i] = w
    return " ".join(words)


def _abbreviated(rng: Random, name: str) -> str:
    words = name.split(" ")
    i = max(range(len(words)), key=lambda k: len(words[k]))
    if len(words[i]) >= 9:
        words[i] = words[i][: len(words[i]) - rng.choice((2, 3))] + "."
    return " ".join(words)


def similarity(a: str, b: str) -> float:
    return fuzz.ratio(default_process(a.translate(_ASCII)), default_process(b.translate(_ASCII)))


def fuzzy_variant(rng: Random, name: str, min_score: float = 88.0) -> str:
    """How a bank spells a payer: a typo, an abbreviation, a dropped legal form, upper case.

    Never identical to ``name`` after case folding, and always at least ``min_score`` similar
    by rapidfuzz's plain ratio, the strictest of its scorers.
    """
    for _ in range(20):
        kind = rng.randrange(4)
        if kind == 0:
            v = _typo(rng, name)
        elif kind == 1:
            v = _abbreviated(rng, name).upper()
        elif kind == 2:
            v = _typo(rng, name.rsplit(" ", 1)[0]).upper()
        else:
            v = _typo(rng, ascii_upper(name))
        if v.lower() != name.lower() and similarity(v, name) >= min_score:
            return v
    return _typo(rng, name)


def noisy_reference(rng: Random, ref: str, slash: bool = True) -> str:
    """A reference as a payer types it into remittance text: other separators, other case,
    words around it. Always delimited by non-alphanumerics, so tokenising recovers it."""
    parts = ref.split("-")
    seps = [" ", "", ".", "-"] + (["/"] if slash else [])
    core = rng.choice(seps).join(parts)
    case = rng.randrange(3)
    core = core.lower() if case == 0 else core.upper() if case == 1 else core.capitalize()
    return f"{rng.choice(_PREFIXES)}{core}{rng.choice(_SUFFIXES)}"


def iban(country: str, bban: str) -> str:
    """An IBAN with valid ISO 13616 check digits."""
    digits = "".join(str(int(c, 36)) for c in bban + country) + "00"
    return f"{country}{98 - int(digits) % 97:02d}{bban}"


def account_id(rng: Random, country: str) -> str:
    """A counterparty account as that country's banks write it."""
    if country == "DE":
        return iban("DE", f"{rng.randrange(10**7, 10**8)}{rng.randrange(10**9, 10**10)}")
    if country == "GB":
        bank = rng.choice(["NWBK", "BARC", "LOYD", "HBUK", "MIDL"])
        return iban("GB", f"{bank}{rng.randrange(10**5, 10**6)}{rng.randrange(10**7, 10**8)}")
    if country == "US":
        return f"{rng.randrange(10**11, 10**12)}"
    return f"{rng.randrange(1, 999):04d}-{rng.randrange(1, 999):03d}-{rng.randrange(10**6, 10**7)}"
