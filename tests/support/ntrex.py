"""NTREX-128 news references (Arabic, French, English), read from ``../shared`` where CI and every developer
have them; the project copies none of it (CC BY-SA 4.0, see the corpus's README)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpora" / "ntrex" / "dev.jsonl"


@dataclass(frozen=True)
class Sentence:
    """One line of one document: the Arabic and its professional French and English renderings."""

    doc: str
    index: int
    ar: str
    fr: str
    en: str

    @property
    def id(self) -> str:
        return f"{self.doc}#{self.index}"


def documents(path: Path = CORPUS) -> list[list[Sentence]]:
    """Every document as its list of sentences (line 0 is the headline)."""
    docs = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        record = json.loads(line)
        docs.append([Sentence(record["doc"], n, ar, fr, en)
                     for n, (ar, fr, en) in enumerate(zip(record["ar"], record["fr"], record["en"], strict=True))])
    return docs


def sentences(path: Path = CORPUS) -> Iterator[Sentence]:
    for doc in documents(path):
        yield from doc
