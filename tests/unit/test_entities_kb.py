"""The gazetteer-only KB folder: read by the gazetteer, never by the tagger's features."""

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
