"""The gazetteer-only KB folder: read by the gazetteer, never by the tagger's features."""
import pytest

from service.entities import extract_entities
from service.entities.features import gazetteer_words
from service.entities.kb import GAZETTEER_ONLY, KB_DIR, default_kb, match_key
from service.decode import article_from_mapping
from service.document import build_doc


def test_gazetteer_only_names_are_in_the_kb_but_not_tagger_features():
    kb = default_kb()
    files = sorted((KB_DIR / GAZETTEER_ONLY).glob("*.jsonl"))
    assert files, "service/data/kb/gazetteer_only/*.jsonl missing"
    words = gazetteer_words()
    key = match_key("فولكسفاغن")
    assert key in kb.keys and kb.entries[kb.keys[key].entries[0][0]].type == "ORG"
    # the tagger was trained without this file: its features must not see it
    assert "فولكسفاغن" not in words


def test_gazetteer_only_org_found_in_text():
    raw = article_from_mapping({"body": "أعلنت فولكسفاغن أمس زيادة مبيعاتها في الصين.", "language": "ar"})
    doc = build_doc(raw)
    doc.language = "ar"
    ents = extract_entities(doc)
    vw = [e for e in ents if e["name"] == "Volkswagen"]
    assert vw and vw[0]["type"] == "ORG"
    assert vw[0]["mentions"][0]["text"] == "فولكسفاغن"


def _entities(body: str):
    raw = article_from_mapping({"body": body, "language": "ar"})
    doc = build_doc(raw)
    doc.language = "ar"
    return extract_entities(doc)


def test_outlet_name_alone_in_quotes_is_the_outlet():
    # `الشرق الأوسط` is the Middle East, but alone in quotes after a dateline it is the newspaper
    quoted = _entities("بيروت : « الشرق الأوسط » قال مسؤول لبناني إن المحادثات ستستأنف.")
    ent = [e for e in quoted if e["mentions"] and e["mentions"][0]["text"] == "الشرق الأوسط"]
    assert ent and ent[0]["type"] == "ORG"
    plain = _entities("تشهد منطقة الشرق الأوسط توترا متزايدا منذ أسابيع.")
    ent = [e for e in plain if e["mentions"] and e["mentions"][0]["text"] == "الشرق الأوسط"]
    assert ent and ent[0]["type"] == "LOC"


def test_curated_company_keeps_its_type():
    ents = _entities("وزادت تويوتا إنتاجها في مصانعها الأوروبية العام الماضي.")
    toy = [e for e in ents if e["name"] == "Toyota"]
    assert toy and toy[0]["type"] == "ORG"


def test_title_with_a_proclitic_is_not_part_of_the_name():
    from service.entities import _title_form

    assert _title_form("للحارس") == "الحارس"
    assert _title_form("والرئيس") == "الرئيس"
    assert _title_form("بالمدرب") == "المدرب"
    assert _title_form("لبنان") == "لبنان"  # no article after ل: left alone


def test_stadium_named_after_a_person_is_no_person():
    for ent in _entities('وتقام المباراة على ملعب " خوسيه ألفالادي " مساء السبت.'):
        assert ent["type"] != "PERSON" or "ألفالادي" not in ent["mentions"][0]["text"]


def test_club_nationality_adjective_is_outside_the_name():
    ents = _entities("وتعادل ميلان الإيطالي مع ضيفه في دوري الأبطال.")
    milan = [e for e in ents if e["name"] == "AC Milan"]
    assert milan and [m["text"] for m in milan[0]["mentions"]] == ["ميلان"]


def test_gazetteer_only_given_names_reach_the_patterns_not_the_features():
    from service.entities.features import kb_word_list
    from service.entities.patterns import default_triggers

    assert match_key("نادين") in default_triggers().given
    assert "نادين" not in kb_word_list("given_names.txt")


def _entities_in(body: str, language: str):
    raw = article_from_mapping({"body": body, "language": language})
    doc = build_doc(raw)
    doc.language = language
    return extract_entities(doc)


def test_persian_spelling_that_is_an_arabic_word_names_nothing_in_arabic():
    # کریمه (Crimea) and یمن (Yemen) fold onto كريمة "the daughter of" and يمن "bestows"
    arabic = _entities_in("تزوج الشاب من كريمة رجل الأعمال، ونسأل الله أن يمن على المصابين بالشفاء.", "ar")
    assert not any(e["name"] in ("Crimea", "Yemen") for e in arabic)
    assert not any(e["type"] == "LOC" for e in arabic)  # nor a tagger span in their place
    persian = _entities_in("روسیه شبه جزیره کریمه را ضمیمه کرد و درباره یمن سخن گفت.", "fa")
    names = {e["name"] for e in persian}
    assert {"Crimea", "Yemen", "Russia"} <= names


def test_arabic_demonym_wins_over_a_persian_country_spelling():
    # ترکیه (Türkiye) folds onto تركية "Turkish (f.)": in Arabic it is the adjective
    ents = _entities_in("شنت مقاتلات تركية غارات على مواقع التنظيم.", "ar")
    turkey = [e for e in ents if e["name"] == "Türkiye"]
    assert turkey and not turkey[0]["mentions"] and turkey[0]["demonym_mentions"][0]["text"] == "تركية"


def test_gazetteer_only_common_word_is_no_place():
    # الشهداء "the martyrs" is also a town in Egypt; naming Egypt is no cue for it
    ents = _entities_in("قدمت مصر التعازي لأسر الشهداء في الحادث.", "ar")
    assert not any(e["name"] == "Ash Shuhadā’" for e in ents)
    assert any(e["name"] == "Egypt" for e in ents)


def test_wrong_derived_alias_is_dropped():
    # pycountry's Arabic name of Moldova is the Maldives': المالديف names the Maldives only
    ents = _entities_in("قضى الزوجان شهر العسل في المالديف.", "ar")
    assert [e["name"] for e in ents if e["type"] == "LOC"] == ["Maldives"]


def test_short_names_after_ka_and_plural_demonyms_after_a_proclitic_are_other_words():
    # كاسيا "like Asia" is a player's name here; كروس is Kroos, not ك + روس (Russians)
    ents = _entities_in("سدد كروس الكرة وتصدى لها كاسيا ببراعة.", "ar")
    assert not any(e["name"] in ("Asia", "Russia") for e in ents)
    # with the article the demonym is read: بالروس
    ents = _entities_in("اجتمع الوفد بالروس في جنيف.", "ar")
    assert any(e["name"] == "Russia" and e["demonym_mentions"] for e in ents)


@pytest.mark.parametrize("text, expected", [
    ("افتتحت مصر قناة السويس الجديدة.", ("LOC", "Suez Canal", "قناة السويس")),
    ("أعلنت موبايلي أرباحها.", ("ORG", "Mobily", "موبايلي")),
    ("وقع الحادث في محافظة صامطة.", ("LOC", "Samtah", "صامطة")),
])
def test_gazetteer_only_places_and_companies_of_saudi_news(text, expected):
    # قناة السويس was an ORG (قناة is a TV-channel cue), موبايلي a PERSON; صامطة was missed
    found = [(e["type"], e["name"], [m["text"] for m in e["mentions"]]) for e in _entities_in(text, "ar")]
    assert (expected[0], expected[1], [expected[2]]) in found
