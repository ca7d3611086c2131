"""Segmentation on real Arabic news text."""

from __future__ import annotations

import pytest

from tarjama.ingest import load_item
from tarjama.item import Item
from tarjama.segment import segment_item, split_for_limit, split_sentences


def test_sample_body_is_four_sentences_in_three_paragraphs(sample, workspace) -> None:
    segments = segment_item(load_item(sample, workspace))
    assert [s.id for s in segments] == ["p1.s1", "p1.s2", "p2.s1", "p3.s1"]
    assert segments[0].text.endswith("في مجال تدبير تدفقات الهجرة.")
    assert segments[1].text.startswith("كما شكل اللقاء فرصة")
    assert "القانون 27-14 المتعلق" in segments[1].text  # the law number is not a boundary
    assert "جنوب-جنوب،" in segments[0].text  # nor the Arabic comma
    assert segment_item(load_item(sample, workspace)) == segments  # ids and texts are stable


@pytest.mark.parametrize(
    ("paragraph", "expected"),
    [
        ("ارتفع النمو إلى 11.8 في المائة. وتراجع التضخم.", ["ارتفع النمو إلى 11.8 في المائة.", "وتراجع التضخم."]),
        ("بلغت النسبة 12٫4 في المائة يوم 30.01.2025 حسب القانون 27-14.", ["بلغت النسبة 12٫4 في المائة يوم 30.01.2025 حسب القانون 27-14."]),
        ("قال الوزير، في كلمته؛ إن العمل مستمر. ثم انصرف.", ["قال الوزير، في كلمته؛ إن العمل مستمر.", "ثم انصرف."]),
        ("وقال: «إن الأمر محسوم.» وأضاف أنه سيعود.", ["وقال: «إن الأمر محسوم.»", "وأضاف أنه سيعود."]),
        ("صرح قائلا ”سنواصل العمل!” ثم غادر القاعة.", ["صرح قائلا ”سنواصل العمل!”", "ثم غادر القاعة."]),
        ("هل انتهى الاجتماع؟ نعم (بعد الظهر.) انتهى", ["هل انتهى الاجتماع؟", "نعم (بعد الظهر.)", "انتهى"]),
        ("ألقى د. محمد العلمي محاضرة. وحضرها الطلبة.", ["ألقى د. محمد العلمي محاضرة.", "وحضرها الطلبة."]),
        ("التقى Dr. Smith والسيد J. Doe أمس. ثم عادا.", ["التقى Dr. Smith والسيد J. Doe أمس.", "ثم عادا."]),
        ("وتستمر الأشغال… إلى غاية الغد", ["وتستمر الأشغال…", "إلى غاية الغد"]),
        ("جملة بلا نقطة في النهاية", ["جملة بلا نقطة في النهاية"]),
    ],
)
def test_sentence_boundaries(paragraph: str, expected: list[str]) -> None:
    assert split_sentences(paragraph) == expected


def test_headline_and_ids() -> None:
    item = Item(slug="x", source_path="x.txt", kind="text", headline="عنوان الخبر",
                paragraphs=("جملة أولى. جملة ثانية.", "فقرة ثانية."))
    assert [(s.id, s.text) for s in segment_item(item)] == [
        ("headline", "عنوان الخبر"), ("p1.s1", "جملة أولى."), ("p1.s2", "جملة ثانية."), ("p2.s1", "فقرة ثانية.")]


def test_sentence_over_the_limit_is_cut_at_clause_boundaries_never_inside_a_word(sample, workspace) -> None:
    sentence = segment_item(load_item(sample, workspace))[0].text  # 757 characters
    pieces = split_for_limit(sentence, 499)
    assert len(pieces) >= 2 and all(len(p) <= 499 for p in pieces)
    assert " ".join(pieces) == sentence
    assert pieces[0].endswith("،")  # cut after an Arabic comma, a clause boundary
    words = set(sentence.split())
    assert all(set(p.split()) <= words for p in pieces)


def test_split_without_clause_boundary_falls_back_to_spaces() -> None:
    text = " ".join(["كلمة"] * 60)
    pieces = split_for_limit(text, 50)
    assert all(len(p) <= 50 for p in pieces) and " ".join(pieces) == text
    assert all(set(p.split()) == {"كلمة"} for p in pieces)
    assert split_for_limit("قصير", 50) == ["قصير"]
