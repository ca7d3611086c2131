"""The language identifier reads py3langid's model once per process and from an uncompressed copy after the first
time; the copy never changes an answer, and a copy that is broken or cannot be written is never in the way."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tarjama.mt import language_id

CANDIDATES = ("ar", "de", "en", "es", "fr")
TEXTS = ("Le gouvernement a annoncé mardi un nouveau programme pour les jeunes des régions rurales.",
         "The government announced a new programme for young people in rural areas on Tuesday.",
         "أعلنت الحكومة يوم الثلاثاء عن برنامج جديد لدعم الشباب في المناطق الريفية")


def answers() -> list[tuple[str, float]]:
    """What a fresh process would answer: the caches of this one are dropped first."""
    language_id._full_model.cache_clear()
    language_id._restricted.cache_clear()
    return [language_id.identifier(CANDIDATES).classify(text) for text in TEXTS]


def test_the_copy_gives_the_packaged_models_answers_and_a_broken_copy_is_replaced(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TARJAMA_CACHE_DIR", str(tmp_path / "cache"))
    packaged = answers()  # from the packaged model, writing the copy
    assert [lang for lang, _ in packaged] == ["fr", "en", "ar"]
    [copy] = (tmp_path / "cache").iterdir()
    assert copy.name.startswith("py3langid-") and copy.suffix == ".npys"

    arrays = language_id._read(copy)
    assert arrays is not None
    monkeypatch.setattr(language_id, "_unpack", lambda path: pytest.fail("the copy was not used"))
    assert answers() == packaged  # from the copy alone

    copy.write_bytes(copy.read_bytes()[:1000])  # a disk that filled up mid-write
    unpacked: list[Path] = []
    monkeypatch.setattr(language_id, "_unpack", lambda path: unpacked.append(path) or arrays)  # the packaged
    assert answers() == packaged  # arrays, without unpacking them a second time (half a second)
    assert unpacked, "the broken copy was used instead of the packaged model"
    assert copy.stat().st_size > 1_000_000, "the broken copy is written again whole"


def test_a_cache_that_cannot_be_written_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    packaged = answers()  # with the suite's own copy, which this makes if it is missing
    arrays = language_id._read(language_id._cache_file(language_id._packaged()))
    assert arrays is not None
    monkeypatch.setattr(language_id, "_unpack", lambda path: arrays)  # the packaged arrays, without a second unpack
    (tmp_path / "not-a-folder").write_text("")
    monkeypatch.setenv("TARJAMA_CACHE_DIR", str(tmp_path / "not-a-folder" / "cache"))
    assert answers() == packaged


def test_threads_asking_at_once_share_one_identifier() -> None:
    language_id._restricted.cache_clear()
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(lambda _: language_id.identifier(("ar", "en", "fr")), range(8)))
    assert all(one is found[0] for one in found)
    assert found[0].nb_classes == ["ar", "en", "fr"]
    with pytest.raises(ValueError):
        language_id.identifier(("xx-not-a-language",))
