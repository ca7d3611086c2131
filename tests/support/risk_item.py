"""An item whose drafts carry known risks: an engine (a loopback LibreTranslate) that drops one negation in French
and translates everything else as a professional would, for the review-by-exception tests."""

from __future__ import annotations

import datetime as dt

from tarjama.context import Context
from tarjama.drafting import LanguageResult, draft_item
from tarjama.ingest import load_item
from tarjama.mt.engine import MTEngine
from tarjama.review.decisions import open_review
from tarjama.workspace import Workspace

SLUG = "accord"
HEADLINE = "الحكومة تؤجل توقيع الاتفاق مع الشركة"
S1 = "قال الوزير إن الحكومة لن توقع الاتفاق مع الشركة قبل نهاية الشهر المقبل."
S2 = "وأضاف أن المفاوضات ستستمر خلال الأسابيع القادمة بين الطرفين."
S3 = "وأوضح أن الاجتماع المقبل سيعقد في العاصمة."
ANSWERS = {
    (HEADLINE, "fr"): "Le gouvernement reporte la signature de l'accord avec l'entreprise",
    (HEADLINE, "en"): "Government postpones signing of the agreement with the company",
    # the engine drops the negation in French: the one segment a reviewer must read
    (S1, "fr"): "Le ministre a déclaré que le gouvernement signerait l'accord avec l'entreprise avant la fin du mois "
                "prochain.",
    (S1, "en"): "The minister said the government would not sign the agreement with the company before the end of "
                "next month.",
    (S2, "fr"): "Il a ajouté que les négociations se poursuivraient au cours des prochaines semaines entre les deux "
                "parties.",
    (S2, "en"): "He added that negotiations would continue in the coming weeks between the two sides.",
    (S3, "fr"): "Il a précisé que la prochaine réunion se tiendrait dans la capitale.",
    (S3, "en"): "He explained that the next meeting would be held in the capital.",
}
PASSWORD = "correct horse battery"


def write_item(ws: Workspace, review: str | None = None) -> None:
    front = f"---\nheadline: {HEADLINE}\nslug: {SLUG}\n" + (f"review: {review}\n" if review else "") + "---\n"
    (ws.inbox / f"{SLUG}.md").write_text(front + f"\n{S1}\n\n{S2}\n\n{S3}\n", encoding="utf-8")


def set_policy(ws: Workspace, text: str) -> None:
    ws.config_file.write_text(f"[review]\n{text}\n", encoding="utf-8")


def drafted(ws: Workspace, engine: MTEngine, review: str | None = None, run_id: str = "run-1") -> dict[str, LanguageResult]:
    """The item drafted by ``engine`` and waiting for review in run ``run_id``."""
    write_item(ws, review)
    results = draft_item(Context.load(ws), load_item(ws.inbox / f"{SLUG}.md", ws), ["fr", "en"], engine, run_id=run_id)
    open_review(ws, SLUG, run_id, ["fr", "en"], dt.timedelta(hours=2))
    return {r.lang: r for r in results}
