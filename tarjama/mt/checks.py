"""Is a provider's answer a translation? Reject what only looks like one.

Providers answer 200 with things that are not translations: nothing, the source echoed back, Arabic text,
a quota warning (MyMemory puts "MYMEMORY WARNING: YOU USED ALL AVAILABLE FREE TRANSLATIONS FOR TODAY" where
the translation should be), a chat model's commentary ("Sure! Here is the translation:"), text in another
language, or, when the Arabic carried instructions the model obeyed, its system prompt or a message to the
reader ("enter your password"). Each of those is a failure, so the next provider gets its turn and nothing
of it ends up in a catalog; the QA check ``mt-commentary`` holds catalogs to the same rules, for what came
another way. Numbers are read by :mod:`tarjama.numbers`, the reading the QA ``numbers`` check uses.
"""

from __future__ import annotations

import re
from typing import Any

from tarjama.languages import IDENTIFIABLE, SOURCE_LANGUAGE
from tarjama.mt.language_id import identifier
from tarjama.numbers import missing
from tarjama.textutil import arabic_ratio

_WARNINGS = re.compile(
    r"MYMEMORY WARNING|YOU USED ALL AVAILABLE FREE TRANSLATIONS|QUERY LENGTH LIMIT EXCEED"
    r"|INVALID LANGUAGE PAIR|PLEASE SELECT TWO DISTINCT LANGUAGES|NO QUERY SPECIFIED"
    r"|INVALID EMAIL PROVIDED|AUTHENTICATION FAILURE|TOO MANY REQUESTS|QUOTA EXCEEDED|RATE LIMIT EXCEEDED",
    re.IGNORECASE,
)
# A chat model talking about its answer rather than giving it. "Of course, unlike anything else on TV..." is
# news; "Of course! Here is the translation" is not: courtesy words count only when a "here is" follows.
CHATTER = re.compile(
    r"^\W*(?:(?:sure|certainly|of course|absolutely|bien sûr|bien entendu|certainement|volontiers)\W{0,3}\s*"
    r"(?:here|voici|voilà|the translation|la traduction|below|ci-dessous)"
    r"|here(?:'s| is| are) (?:the|your|a|my) (?:\w+ )?translation|(?:the )?translation\s*:|traduction\s*:"
    r"|as an ai\b|i'?m sorry|i am sorry|i can(?:no|')t (?:translate|help|assist|comply)|i am unable|i'?m unable"
    r"|je ne peux pas (?:traduire|vous aider|répondre)|désolé,? (?:je|mais)|voici (?:la|une|votre) traduction)",
    re.IGNORECASE,
)
# What a model that obeyed instructions hidden in the source writes: its own instructions, or a message to the
# reader asking for credentials. Real news does not speak to its reader this way (measured on NTREX-128).
_INJECTED = re.compile(
    r"system prompt|invite système|prompt système|(?:previous|above|prior) instructions|instructions (?:précédentes|ci-dessus)"
    r"|ignore (?:all |the |any )?(?:previous|above|prior)|ignorez (?:les |toutes les )?(?:instructions|consignes)"
    r"|you translate arabic news|answer with one json object"
    r"|\byour (?:password|passcode|pin code|credentials|login details|card number)"
    r"|\bvotre (?:mot de passe|code pin|numéro de carte)"
    r"|\b(?:enter|type|send|give|share|provide|confirm|reply with|tell us)\b.{0,40}"
    r"\b(?:password|passcode|pin code|credentials|login details|card number)"
    r"|\b(?:entrez|saisissez|tapez|envoyez|donnez|communiquez|confirmez|indiquez|entrer|saisir|taper|envoyer|donner"
    r"|communiquer|confirmer|indiquer)\b.{0,40}"
    r"(?:mot de passe|identifiants|code pin|numéro de carte)",
    re.IGNORECASE,
)
MOSTLY_ARABIC = 0.5
# Language identification (py3langid, its model in the package): only a long enough text, only a confident
# answer, and only among languages a newsroom's copy is plausibly in.
LANGUAGE_MIN_LETTERS = 16
LANGUAGE_CONFIDENCE = 0.95
_CANDIDATES = (SOURCE_LANGUAGE, *IDENTIFIABLE)


def rejection_reason(source: str, answer: Any, lang: str | None = None) -> str | None:
    """Why ``answer`` is not an acceptable translation of ``source`` (into ``lang``, when given); None if it is."""
    if not isinstance(answer, str) or not answer.strip():
        return "empty answer"
    if _squash(answer) == _squash(source):
        return "answer identical to the source"
    if arabic_ratio(answer) > MOSTLY_ARABIC:
        return "answer still mostly Arabic"
    return provider_warning(answer) or not_a_translation(answer) or (wrong_language(answer, lang) if lang else None)


def provider_warning(text: str) -> str | None:
    """A provider's quota or error message standing where a translation should be, if there is one."""
    match = _WARNINGS.search(text)
    return f"provider warning instead of a translation ({match.group(0).upper()})" if match else None


def not_a_translation(text: str) -> str | None:
    """Commentary, a refusal, the prompt echoed or a message to the reader standing where a translation should be."""
    if CHATTER.search(text):
        return f"commentary or refusal instead of a translation ({short(text)})"
    match = _INJECTED.search(text)
    if match:
        return f"instructions or a message to the reader instead of a translation ({short(match.group(0))})"
    return None


def language_of(text: str, expected: str) -> tuple[str, float]:
    """The language ``text`` is most likely in, among the usual ones and ``expected``, with its probability."""
    lang, probability = identifier(tuple(sorted({*_CANDIDATES, expected.split("_")[0]}))).classify(text)
    return lang, float(probability)


def wrong_language(text: str, lang: str) -> str | None:
    """Whether ``text`` is confidently in a language other than ``lang`` (names and numbers alone never are)."""
    if sum(ch.isalpha() for ch in text) < LANGUAGE_MIN_LETTERS:
        return None
    found, probability = language_of(text, lang)
    if found != lang.split("_")[0] and probability >= LANGUAGE_CONFIDENCE:
        return f"answer in {found}, not {lang.split('_')[0]}"
    return None


def missing_number(source: str, answer: str, lang: str) -> str | None:
    """The first number of ``source`` that ``answer`` does not carry in any form (digits, words, the month of a
    numeric date, a time); None if all are. A unit conversion counts as carried: QA shows it to the reviewer."""
    lost = missing(source, answer, lang)
    if lost.references:
        return lost.references[0]
    return lost.values[0].text if lost.values else None


def _squash(text: str) -> str:
    return " ".join(text.split()).casefold()


def short(text: str, limit: int = 60) -> str:
    """One line of at most ``limit`` characters, for reasons."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "..."
