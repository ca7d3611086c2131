"""Review by exception: each risk signal on the errors MT makes in news, and the bands' rates on real news."""

from __future__ import annotations

import pytest

from benchmarks.bench_risk import CLEAN_TARGET, DAMAGED_TARGET, measure
from tarjama.qa.checks import Severity
from tarjama.qa.risk import Band, Evidence, assess
from tarjama.qa.run import Finding
from tests.support.ntrex import documents

SOURCE = "قال وزير الخارجية إن الحكومة لن توقع الاتفاق مع الشركة قبل نهاية الشهر المقبل."
FR = "Le ministre des Affaires étrangères a déclaré que le gouvernement ne signerait pas l'accord avec l'entreprise avant la fin du mois prochain."
EN = "The foreign minister said the government would not sign the agreement with the company before the end of next month."


def risk(target: str = FR, lang: str = "fr", source: str = SOURCE, **evidence):
    evidence.setdefault("others", {"en": EN} if lang == "fr" else {"fr": FR})
    return assess(Evidence("p1.s1", source, target, lang, **evidence))


def test_a_faithful_translation_is_low_and_says_why_when_asked() -> None:
    found = risk()
    assert found.band is Band.LOW and found.summary() == "low"
    assert risk(EN, "en").band is Band.LOW


def test_a_dropped_negation_is_high_whether_the_source_or_the_other_language_says_so() -> None:
    dropped = FR.replace("ne signerait pas", "signerait")
    found = risk(dropped)
    assert found.band is Band.HIGH and found.summary() == "high (negation)"
    # a source that negates with غير (not a particle) is caught through the other language's translation
    weak = "قال الوزير إن القرار غير قانوني."
    found = risk("Le ministre a dit que la décision est légale.", source=weak,
                 others={"en": "The minister said the decision was not legal."})
    assert found.band is Band.HIGH and "negation in en" in found.summary()
    # idioms negate nothing: لا يزال is "still"
    still = "قال الوزير إن الحوار لا يزال ممكنا بين الطرفين."
    assert risk("Le ministre a dit que le dialogue reste possible entre les deux parties.", source=still,
                others={"en": "The minister said dialogue was still possible between the two sides."}).band is Band.LOW


def test_an_omission_is_high_against_the_source_and_against_the_other_language() -> None:
    half = "Le ministre des Affaires étrangères a déclaré que le gouvernement."
    found = risk(half)
    assert found.band is Band.HIGH
    assert {r.text for r in found.reasons} >= {"shorter than usual", "shorter than the en"}


def test_names_a_wrong_or_swapped_name_and_a_lost_latin_name_are_medium() -> None:
    source = "التقى جونسون بترامب في واشنطن يوم الخميس."
    fr, en = "Johnson a rencontré Trump à Washington jeudi.", "Johnson met Trump in Washington on Thursday."
    assert risk(fr, source=source, others={"en": en}).band is Band.LOW
    wrong = risk(fr.replace("Trump", "Macron"), source=source, others={"en": en})
    assert wrong.band is Band.MEDIUM and "Macron: neither in the source nor in the other translation" in wrong.summary()
    swapped = risk("Jeudi, Trump a rencontré Johnson à Washington.", source=source,
                   others={"en": "On Thursday, Johnson met Trump in Washington."})
    assert swapped.band is Band.MEDIUM and "names in another order" in swapped.summary()
    latin = risk("La chaîne a publié l'information.", source="نشرت قناة BBC الخبر.", others={})
    assert latin.band is Band.MEDIUM and "BBC missing" in latin.summary()


def test_findings_engines_length_and_memory() -> None:
    critical = Finding("fr", "p1.s1", "numbers", Severity.CRITICAL, "A number is missing", "30")
    assert risk(findings=(critical,)).band is Band.HIGH
    overridden = Finding("fr", "p1.s1", "numbers", Severity.CRITICAL, "", "30", overridden="as in the source")
    assert risk(findings=(overridden,)).summary() == "medium (numbers overridden)"
    form = Finding("fr", "p1.s1", "quotes", Severity.WARNING, "", "")
    assert risk(findings=(form,)).band is Band.LOW  # form, not meaning
    assert risk(alternatives=(("llm", "Tout autre chose, sans rapport aucun."),)).band is Band.HIGH
    assert "engines agree" in risk(alternatives=(("llm", FR),)).summary()
    long_source = " ".join(["كلمة"] * 50)
    assert risk("mot " * 60, source=long_source, others={}).summary() == "medium (long sentence (50 words))"
    # a reviewed translation from the memory is low, unless a critical finding holds
    dropped = FR.replace("ne signerait pas", "signerait")
    assert risk(dropped, reviewed_memory=True).summary() == "low (memory: reviewed translation)"
    assert risk(dropped, reviewed_memory=True, findings=(critical,)).band is Band.HIGH


@pytest.mark.corpus
def test_on_real_news_low_is_mostly_clean_and_damage_is_mostly_flagged() -> None:
    """The README's figures, held on a third of NTREX-128 (the benchmark measures the whole)."""
    third = [s for doc in documents()[::3] for s in doc]
    result = measure(third, alternatives=False)
    assert result["clean"].share("low") >= CLEAN_TARGET, result["clean"].counted
    assert result["damaged_flagged"] >= DAMAGED_TARGET - 0.02, {k: v.counted for k, v in result["damaged"].items()}
    assert result["damaged"]["negation dropped"].share("high") >= 0.95
    assert result["damaged"]["number changed"].share("high") == 1.0
