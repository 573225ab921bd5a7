"""Text layers: normalization contract (offset map), cleaning, case folding, language id."""

from __future__ import annotations

import logging

from hypothesis import given, settings
from hypothesis import strategies as st

from service.text.clean import clean_text
from service.text.language import identify, normalize_hint
from service.text.normalize import fold, normalize, normalize_key
from service.text.offsets import compose, map_span


def _check_contract(text: str, fold_case: bool = False) -> tuple[str, list[int]]:
    out, origin = normalize(text, fold_case=fold_case)
    assert len(origin) == len(out) + 1 and origin[-1] == len(text)
    assert all(a < b for a, b in zip(origin, origin[1:-1])) or len(out) < 2  # strictly increasing
    return out, origin


def test_arabic_normalization_and_offsets():
    text = "أعلنَ الإمامُ في مَدينة جدّة إنَّ القرارَ ـــ نهائيّ ٢٠٢٣ هـ؟"
    out, origin = _check_contract(text)
    assert "اعلن" in out and "الامام" in out and "مدينه" in out and "جده" in out
    assert "2023" in out and "?" in out and "ـ" not in out
    s = out.index("جده")
    a, b = map_span(origin, s, s + 3)
    assert text[a:b] == "جدّة"


def test_persian_normalization():
    text = "خبرگزاری\u200cها در کشور ایران ۱۴۰۲"
    out, _ = _check_contract(text)
    assert out == "خبرگزاري ها در كشور ايران 1402"


def test_bidi_marks_and_bom_are_deleted_with_offsets_kept():
    text = "\ufeff\u202bرويترز\u202c \u200fقالت"
    out, origin = _check_contract(text)
    assert out == "رويترز قالت"
    assert text[origin[0]] == "ر"


def test_fold_keeps_length_including_dotted_capital_i():
    for text in ("İstanbul Ankara", "ÆØÅ ΣΑΣ", "MIXED عربي Case"):
        assert len(fold(text)) == len(text)
    assert fold("İstanbul") == "istanbul"
    out, _ = _check_contract("İZMİR Reuters", fold_case=True)
    assert out == "izmir reuters"


def test_normalize_key_collapses_space_and_case():
    assert normalize_key("  وكالة   أنباء\u200cفارس ") == "وكاله انباء فارس"
    assert normalize_key("REUTERS") == "reuters"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("اأإآةىيیکك ًٌٍَُِّْـ\u200c\u200f\u202babcAB١٢۳ \n|")), max_size=60))
def test_normalize_contract_on_random_text(text):
    out, origin = _check_contract(text)
    for i, ch in enumerate(out):  # every kept character maps to a source character
        assert 0 <= origin[i] < len(text)
    out2, _ = normalize(text, fold_case=True)
    assert len(out2) == len(out)


def test_clean_pipes_html_and_footer():
    text = "عنوان |\nنص <b>مهم</b> &amp; آخر | عمود\nناشر | وكالة |"
    footer = (text.index("ناشر"), len(text))
    clean, origin = clean_text(text, footer=footer)
    assert "|" not in clean and "<b>" not in clean and "&" in clean and "ناشر" not in clean
    i = clean.index("مهم")
    a, b = map_span(origin, i, i + 3)
    assert text[a:b] == "مهم"


def test_compose_maps_through_two_layers():
    text = "<p>وكالةُ رويترز</p>"
    clean, c_origin = clean_text(text)
    norm, n_origin = normalize(clean)
    origin = compose(n_origin, c_origin)
    i = norm.index("رويترز")
    a, b = map_span(origin, i, i + 6)
    assert text[a:b] == "رويترز"


# --- language ----------------------------------------------------------------------------------

def test_language_arabic_persian_urdu_english():
    assert identify("أعلنت وزارة الصحة اليوم عن افتتاح مستشفى جديد في المدينة")[0] == "ar"
    assert identify("وزارت بهداشت امروز از افتتاح یک بیمارستان جدید در شهر خبر داد")[0] == "fa"
    assert identify("وزارت صحت نے آج شہر میں ایک نئے ہسپتال کا افتتاح کیا")[0] == "ur"
    assert identify("The health ministry opened a new hospital in the city today")[0] == "en"


def test_language_short_titles():
    assert identify("مقتل جندي في هجوم")[0] == "ar"
    assert identify("گزارش تازه از مذاکرات")[0] == "fa"
    assert identify("پاکستان کے وزیر اعظم")[0] == "ur"


def test_language_confidence_in_range_and_empty_text():
    code, conf = identify("Hello world, this is a news story about the economy.")
    assert code == "en" and 0.5 < conf <= 1.0
    assert identify("") == ("und", 0.0)
    assert identify("12345 ...", "ar") == ("ar", 1.0)


def test_language_hint_rule():
    # a short text does not overrule the producer
    assert identify("Iran", "fa")[0] == "fa"
    # a long text in another language with high confidence does
    assert identify("The foreign minister met his counterpart in Geneva to discuss the talks.", "ar")[0] == "en"
    # the wrong script overrules the hint even when short
    assert identify("وزير الخارجية يلتقي نظيره", "english")[0] == "ar"
    assert identify("وزير الخارجية يلتقي نظيره", "ar-SA") == identify("وزير الخارجية يلتقي نظيره")


def test_language_headline_in_capitals_is_read_in_lower_case():
    # read as written, the model takes these for Japanese and German
    assert identify("BREAKING NEWS: OIL PRICES RISE AFTER OPEC MEETING IN VIENNA")[0] == "en"
    assert identify("PRESIDENT MEETS FOREIGN MINISTER IN TEHRAN ON MONDAY")[0] == "en"


def test_normalize_hint():
    assert normalize_hint("fa_IR") == "fa" and normalize_hint("Arabic") == "ar" and normalize_hint("per") == "fa"
    assert normalize_hint("") is None and normalize_hint("not a language!") is None
    assert normalize_hint("قال") is None and normalize_hint("x1") is None
    assert identify("0", "قال") == ("und", 0.0)


# An English story whose first 80 characters are a dateline and a list of names: the model is
# unsure on those alone and sure once it reads the first sentence through.
_NAMES_FIRST = ("NEW YORK, Nov 12 (Reuters) - Goldman Sachs, JPMorgan, Morgan Stanley, Citigroup, BNP Paribas, "
                "Deutsche Bank and UBS said on Tuesday that they would report their results later than planned "
                "because the new rules need more time.")


def test_language_model_reads_past_a_dateline_and_names():
    code, confidence = identify(_NAMES_FIRST)
    assert code == "en" and confidence > 0.9
    # sure enough to overrule a wrong producer hint (an unsure reading would keep the hint)
    assert identify(_NAMES_FIRST, "de")[0] == "en"


def test_language_identification_logs_nothing_per_text(caplog):
    caplog.set_level(logging.DEBUG)
    identify(_NAMES_FIRST * 20, "en")
    identify("وزارت بهداشت امروز از افتتاح یک بیمارستان جدید در شهر خبر داد. " * 40)
    assert [r.getMessage() for r in caplog.records] == []
