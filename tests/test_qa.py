"""QA checks on Arabic news sentences with right and wrong French and English renderings, and the gate they
put on approval (a critical finding blocks unless overridden with a reason, recorded in the log and catalog)."""

from __future__ import annotations

import polib
import pytest

from tarjama.catalog import APPROVED_BY
from tarjama.context import Context
from tarjama.drafting import draft_item
from tarjama.glossary import Glossary, Term
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.qa.checks import CHECKS, TranslatedSegment, cross_language
from tarjama.qa.run import check_catalog, overrides_of
from tarjama.review import events as review_log
from tarjama.review.decisions import ApprovalRefused, claim_item, open_review, take_pending
from tarjama.review.events import Channel, DecisionMade, Outcome
from tests.conftest import settings_for
from tests.support.review import ask, precheck

GLOSSARY = Glossary((
    Term("الأمم المتحدة", (("fr", "les Nations unies"), ("en", "the United Nations"))),
    Term("مجلس الأمن", (("fr", "le Conseil de sécurité"), ("en", "the Security Council"))),
    Term("الناتو", (("fr", ""), ("en", ""))),
    Term("OCP", (("fr", ""), ("en", ""))),
), "t")


def finds(check: str, source: str, target: str, lang: str) -> str | None:
    return CHECKS[check].run(TranslatedSegment("p1.s1", source, target, lang, GLOSSARY))


# (source, lang, right, wrong)
NUMBERS = [
    ("ارتفع معدل التضخم إلى ١٢٫٤٪ خلال سنة ٢٠٢٤.", "fr", "L'inflation a atteint 12,4 % en 2024.", "L'inflation a atteint 12,5 % en 2024."),
    ("ارتفع معدل التضخم إلى ١٢٫٤٪ خلال سنة ٢٠٢٤.", "en", "Inflation rose to 12.4% in 2024.", "Inflation rose to 124% in 2024."),
    ("بلغ عدد المستفيدين 1,250,000 شخص.", "fr", "Le nombre de bénéficiaires a atteint 1 250 000 personnes.", "Le nombre de bénéficiaires a atteint 1 205 000 personnes."),
    ("بلغ عدد المستفيدين 1,250,000 شخص.", "en", "Beneficiaries reached 1,250,000 people.", "Beneficiaries reached 125,000 people."),
    ("خصصت الحكومة 3,5 مليار درهم للبرنامج.", "fr", "Le gouvernement a alloué 3,5 milliards de dirhams au programme.", "Le gouvernement a alloué 35 milliards de dirhams au programme."),
    ("خصصت الحكومة 3,5 مليار درهم للبرنامج.", "en", "The government allocated 3.5 billion dirhams to the programme.", "The government allocated 5.3 billion dirhams to the programme."),
    ("تراوحت نسبة المشاركة بين 40 و45 في المائة.", "en", "Turnout ranged between 40 and 45 percent.", "Turnout ranged between 40 and 54 percent."),
    ("يتضمن القانون 27-14 المتعلق بمكافحة الاتجار بالبشر تدابير وقائية.", "fr", "La loi 27-14 relative à la lutte contre la traite des êtres humains prévoit des mesures préventives.", "La loi 27 à 14 relative à la lutte contre la traite prévoit des mesures."),
    ("صدر المرسوم رقم 2.19.1086 في الجريدة الرسمية.", "fr", "Le décret n° 2.19.1086 a été publié au Bulletin officiel.", "Le décret n° 2.19.186 a été publié au Bulletin officiel."),
    ("قتل ثلاثة أشخاص وأصيب 7 آخرون.", "fr", "Trois personnes ont été tuées et sept autres blessées.", "Trois personnes ont été tuées et six autres blessées."),
    ("سجلت البورصة ارتفاعا بنسبة 0,75 بالمائة.", "en", "The stock exchange rose 0.75 percent.", "The stock exchange rose 7.5 percent."),
]


@pytest.mark.parametrize(("source", "lang", "right", "wrong"), NUMBERS)
def test_numbers_in_every_arabic_form_against_french_and_english(source, lang, right, wrong) -> None:
    assert finds("numbers", source, right, lang) is None
    assert finds("numbers", source, wrong, lang)


DATES = [
    ("انعقد الاجتماع يوم الخميس 30 يناير 2025 بالرباط.", "fr", "La réunion s'est tenue le jeudi 30 janvier 2025 à Rabat.", "La réunion s'est tenue le jeudi 30 juin 2025 à Rabat."),
    ("انعقد الاجتماع يوم الخميس 30 يناير 2025 بالرباط.", "en", "The meeting was held on Thursday 30 January 2025 in Rabat.", "The meeting was held on Thursday 30 June 2025 in Rabat."),
    ("تنطلق الدورة في 5 شتنبر المقبل.", "fr", "La session débute le 5 septembre prochain.", "La session débute le 5 novembre prochain."),
    ("وصل الوفد إلى بيروت في 12 تشرين الثاني.", "en", "The delegation arrived in Beirut on 12 November.", "The delegation arrived in Beirut on 12 October."),
    ("أعلن عن الهدنة في 3 آذار.", "fr", "La trêve a été annoncée le 3 mars.", "La trêve a été annoncée le 3 mai."),
    ("يبدأ شهر رمضان يوم 1 مارس 2025.", "fr", "Le mois de ramadan commence le 1er mars 2025.", "Le mois de chaabane commence le 1er mars 2025."),
    ("يصادف يوم عرفة 9 ذو الحجة 1446.", "en", "The Day of Arafah falls on 9 Dhu al-Hijjah 1446.", "The Day of Arafah falls on 9 Muharram 1446."),
]


@pytest.mark.parametrize(("source", "lang", "right", "wrong"), DATES)
def test_gregorian_and_hijri_months_in_every_arabic_form(source, lang, right, wrong) -> None:
    assert finds("dates", source, right, lang) is None
    assert finds("dates", source, wrong, lang)


def test_the_verb_that_spells_march_is_not_a_month() -> None:
    assert finds("dates", "مارس الوزير ضغوطا على الشركات.", "The minister put pressure on companies.", "en") is None


@pytest.mark.parametrize(("source", "lang", "right", "wrong"), [
    ("وقالت الأمم المتحدة إن المساعدات وصلت.", "fr", "Selon les Nations unies, l'aide est arrivée.", "Selon l'ONU, l'aide est arrivée."),
    ("دعا للأمم المتحدة إلى التدخل.", "en", "He called on the United Nations to intervene.", "He called on the UN to intervene."),
    ("اجتمع أعضاء بمجلس الأمن.", "fr", "Les membres du Conseil de sécurité se sont réunis.", "Les membres du conseil se sont réunis."),
    ("وأعلنت مجموعة OCP عن استثمار جديد.", "en", "The OCP group announced a new investment.", "The group announced a new investment."),
])
def test_glossary_terms_with_attached_prefixes(source, lang, right, wrong) -> None:
    assert finds("glossary", source, right, lang) is None
    assert finds("glossary", source, wrong, lang)


def test_arabic_script_left_is_critical_but_a_keep_as_is_term_is_not() -> None:
    assert finds("arabic-script", "قال مسؤول في الحكومة.", "Un responsable du gouvernement a déclaré.", "fr") is None
    assert finds("arabic-script", "قال مسؤول في الحكومة.", "Un responsable de la حكومة a déclaré.", "fr") == "حكومة"
    assert finds("arabic-script", "اجتمع الناتو اليوم.", "الناتو met today.", "en") is None  # the glossary keeps it


@pytest.mark.parametrize(("check", "source", "lang", "right", "wrong"), [
    ("urls", "للمزيد زوروا https://www.maroc.ma/ar/news.", "fr", "Plus d'informations sur https://www.maroc.ma/ar/news.", "Plus d'informations sur le site officiel."),
    ("emails", "للتواصل: contact@onda.ma", "en", "Contact: contact@onda.ma", "Contact: contact@onda.com"),
    ("handles", "نشرت الوزارة على حسابها @MarocDiplo تغريدة.", "fr", "Le ministère a publié sur son compte @MarocDiplo.", "Le ministère a publié un tweet."),
    ("brackets", "أكد الوزير (في تصريح صحفي) ذلك.", "fr", "Le ministre l'a confirmé (dans une déclaration).", "Le ministre l'a confirmé (dans une déclaration."),
    ("quotes", "قال: «لن نتراجع».", "fr", "Il a déclaré\u00a0: «\u00a0Nous ne reculerons pas\u00a0».", "Il a déclaré\u00a0: «\u00a0Nous ne reculerons pas."),
    ("french-typography", "قال: لن نتراجع!", "fr", "Il a déclaré\u00a0: nous ne reculerons pas\u00a0!", "Il a déclaré: nous ne reculerons pas !"),
    ("mt-commentary", "قال الوزير.", "en", "The minister said.", "Sure, here is the translation: The minister said."),
    ("length", "أكد وزير الداخلية أن الحكومة ماضية في تنفيذ الإصلاحات.", "fr", "Le ministre de l'Intérieur a affirmé que le gouvernement poursuivait les réformes.", "Le ministre."),
])
def test_the_other_checks(check, source, lang, right, wrong) -> None:
    assert finds(check, source, right, lang) is None
    assert finds(check, source, wrong, lang)


def test_french_against_english_catches_a_number_right_in_one_only() -> None:
    source = "قتل 12 مدنيا في القصف حسب الأمم المتحدة."
    seg = TranslatedSegment("p1.s1", source, "12 civils ont été tués, selon les Nations unies.", "fr", GLOSSARY,
                  {"en": "21 civilians were killed, according to the UN."})
    names = {name for name, _ in cross_language(seg)}
    assert names == {"numbers-across", "glossary-across"}
    same = TranslatedSegment("p1.s1", source, "12 civils ont été tués, selon les Nations unies.", "fr", GLOSSARY,
                   {"en": "12 civilians were killed, according to the United Nations."})
    assert cross_language(same) == []


def test_every_check_has_a_one_line_message_and_a_severity() -> None:
    for chk in CHECKS.values():
        assert chk.message.endswith(".") and "\n" not in chk.message and chk.severity.value in ("critical", "warning")


# The approval gate -----------------------------------------------------------------------------------------------

SLUG = "000_220f3de444a27c17"


@pytest.fixture
def in_review(workspace, sample, libre):
    draft_item(Context.load(workspace), load_item(sample, workspace), ["fr", "en"], MTEngine(settings_for(libre)))
    for lang in ("fr", "en"):
        path = workspace.catalog_path(SLUG, lang)
        po = polib.pofile(str(path))
        for entry in po:
            entry.flags = []
        po.save(str(path))
    claim_item(workspace, SLUG, "run-1", "digest", ["fr", "en"], ["libre"])
    open_review(workspace, SLUG, "run-1", ["fr", "en"], __import__("datetime").timedelta(days=7))
    return workspace


def wrong_number(ws, lang: str) -> None:
    path = ws.catalog_path(SLUG, lang)
    po = polib.pofile(str(path))
    entry = next(e for e in po if "2025" in e.msgstr)
    entry.msgstr = entry.msgstr.replace("2025", "2052")
    po.save(str(path))


def test_a_wrong_number_is_refused_then_approved_with_an_override_recorded_in_log_and_catalog(in_review) -> None:
    ws = in_review
    wrong_number(ws, "fr")
    blocking = [f for f in Context.load(ws).findings(SLUG, ["fr"])["fr"] if f.blocks]
    assert [f.check for f in blocking] == ["numbers", "numbers-across"] and blocking[0].segment == "p1.s1"
    with pytest.raises(ApprovalRefused, match=r"p1\.s1:numbers"):
        precheck(ws, SLUG, "fr", "approve", "Amina")
    refused = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI)  # straight to the run
    take_pending(Context.load(ws), SLUG, "run-1")
    made = {e.request: e for e in review_log.read(ws, SLUG) if isinstance(e, DecisionMade)}
    assert made[refused.request].outcome is Outcome.REFUSED and "p1.s1:numbers" in made[refused.request].blockers[0]
    # said as the run's refusal of what the reviewer asked, never as if the reviewer refused
    assert made[refused.request].describe().startswith("approval requested by Amina (cli) refused: p1.s1:numbers")
    assert APPROVED_BY not in polib.pofile(str(ws.catalog_path(SLUG, "fr"))).metadata  # nothing written

    reasons = {"p1.s1:numbers": "the ministry's release gives 2052", "p1.s1:numbers-across": "en to be corrected"}
    precheck(ws, SLUG, "fr", "approve", "Amina", overrides=reasons)
    approved = ask(ws, SLUG, "fr", "approve", "Amina", channel=Channel.CLI, overrides=reasons)
    taken = take_pending(Context.load(ws), SLUG, "run-1")
    outcome = next(m for m in taken.decided if m.request == approved.request)
    assert outcome.outcome is Outcome.APPROVED and outcome.overrides == reasons
    logged = [e for e in review_log.read(ws, SLUG) if getattr(e, "request", None) == approved.request]
    assert all(e.overrides == reasons for e in logged if hasattr(e, "overrides"))
    po = polib.pofile(str(ws.catalog_path(SLUG, "fr")))
    entry = next(e for e in po if e.msgctxt == "p1.s1")
    assert overrides_of(entry) == {"numbers": "the ministry's release gives 2052 (Amina)",
                                   "numbers-across": "en to be corrected (Amina)"}
    assert "qa-override numbers" in (ws.catalog_path(SLUG, "fr")).read_text(encoding="utf-8")
    assert not [f for f in check_catalog(po, "fr") if f.blocks and f.check == "numbers"]


def test_an_override_no_longer_holds_once_the_translation_changes(in_review) -> None:
    from tarjama.qa.run import add_override

    entry = polib.POEntry(msgctxt="p1.s1", msgid="قتل 12 مدنيا.", msgstr="21 civils tués.")
    add_override(entry, "numbers", "as in the agency's copy", "Amina")
    assert overrides_of(entry) == {"numbers": "as in the agency's copy (Amina)"}
    entry.msgstr = "31 civils tués."
    assert overrides_of(entry) == {}


def test_overrides_are_checked_and_qa_checks_can_be_switched_off(in_review) -> None:
    from tarjama.errors import InputError
    from tarjama.settings import load_settings

    with pytest.raises(InputError, match="SEGMENT:CHECK=REASON"):
        precheck(in_review, SLUG, "fr", "approve", "Amina", overrides={"p1.s1:spelling": "x"})
    with pytest.raises(InputError, match="give the reason"):
        precheck(in_review, SLUG, "fr", "approve", "Amina", overrides={"p1.s1:numbers": "  "})
    (in_review.root / "tarjama.toml").write_text('[qa]\noff = ["numbers", "numbers-across"]\n')
    wrong_number(in_review, "fr")
    precheck(in_review, SLUG, "fr", "approve", "Amina")  # switched off: nothing blocks
    (in_review.root / "tarjama.toml").write_text('[qa]\noff = ["spelling"]\n')
    with pytest.raises(InputError, match="unknown check 'spelling'"):
        load_settings(in_review.config_file)
