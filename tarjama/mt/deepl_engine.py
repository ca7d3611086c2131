"""DeepL through its official client: sentences in batches, their paragraphs as context, the glossary applied.

DeepL takes up to 50 ``text`` values and 128 KiB per request, and a
``context`` that is neither translated nor billed. The sentences of one item
go together (split at those limits), with the headline and each sentence's
paragraph as context, so one request drafts a whole short item.

The client retries 429 and 5xx by itself (up to five times, ignoring
Retry-After) with at least 10 s per attempt: both are turned off here, so
tarjama's engine is the only retry layer (it honours Retry-After, which a
response hook keeps for it) and its timeout holds.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Sequence
from typing import Any

from tarjama.mt.deepl_glossaries import ensure_glossary
from tarjama.mt.settings import DeepLConfig, MTSettings, ProviderConfig
from tarjama.mt.sources import BatchAnswer, Source

SOURCE_LANG = "AR"
_retry_after = threading.local()


def deepl_target(lang: str, config: ProviderConfig) -> str:
    """DeepL's code for a target: ``FR``, the configured ``EN-GB``/``EN-US``, else the code in capitals."""
    base = lang.split("_")[0].lower()
    if base == "en":
        return getattr(config, "english", "EN-GB")
    if base == "pt":
        return "PT-PT"
    return base.upper()


def request_bytes(texts: Sequence[str], context: str) -> int:
    """The JSON body's size as the client sends it (non-ASCII escaped: an Arabic letter costs 6 bytes)."""
    return len(json.dumps({"text": list(texts), "context": context}))


def deepl_context(sources: Sequence[Source]) -> str:
    """The headline and the distinct paragraphs of ``sources``, in order: what DeepL reads around them."""
    parts = [sources[0].headline] if sources and sources[0].headline else []
    parts += [s.paragraph for s in sources if s.paragraph]
    return "\n\n".join(dict.fromkeys(p for p in parts if p))


def plan_deepl(config: ProviderConfig, sources: Sequence[Source]) -> list[list[Source]]:
    """Requests for ``sources``: one item's sentences together, at most ``batch_texts`` and ``batch_bytes`` each."""
    limit_texts = getattr(config, "batch_texts", 50)
    limit_bytes = getattr(config, "batch_bytes", 100_000)
    groups: dict[tuple[str, str], list[Source]] = {}
    for source in sources:
        groups.setdefault((source.target, source.headline), []).append(source)
    batches: list[list[Source]] = []
    for members in groups.values():
        batch: list[Source] = []
        for source in members:
            candidate = [*batch, source]
            if batch and (len(candidate) > limit_texts or
                          request_bytes([s.text for s in candidate], deepl_context(candidate)) > limit_bytes):
                batches.append(batch)
                candidate = [source]
            batch = candidate
        if batch:
            batches.append(batch)
    return batches


def last_retry_after() -> float | None:
    """Retry-After of this thread's last DeepL answer (the client drops the header; a hook keeps it)."""
    return getattr(_retry_after, "seconds", None)


def _keep_retry_after(response: Any) -> Any:
    value = response.headers.get("Retry-After")
    try:
        _retry_after.seconds = float(value) if value is not None else None
    except ValueError:
        _retry_after.seconds = None
    return response


class DeepLBatch:
    """Translates batches of one target language; built once per engine thread (sessions are per thread)."""

    def __init__(self, config: ProviderConfig, source: str, target: str, mt: MTSettings) -> None:
        import deepl

        deepl.http_client.max_network_retries = 0  # the engine retries, once, honouring Retry-After
        deepl.http_client.min_connection_timeout = mt.timeout_for("deepl")
        config = config if isinstance(config, DeepLConfig) else DeepLConfig(**config.model_dump())
        self.client = deepl.DeepLClient(config.secret("api_key") or "", server_url=config.url or None,
                                        send_platform_info=False)
        session = getattr(getattr(self.client, "_client", None), "_session", None)
        if session is not None:  # private in deepl 1.32 (it sends prepared requests: session hooks never run)
            send = session.send
            session.send = lambda request, **kwargs: _keep_retry_after(send(request, **kwargs))
        self.source_lang = source.upper()
        self.target_lang = deepl_target(target, config)
        self.formality = None if self.target_lang.startswith("EN") or config.formality == "default" else config.formality
        self.target = target
        self.mt = mt
        self.key = config.secret("api_key") or ""
        self.glossary_id: str | None = None

    def __call__(self, sources: Sequence[Source]) -> BatchAnswer:
        if self.mt.glossary and self.glossary_id is None:  # here, not at build: its failures are retried like any
            self.glossary_id = ensure_glossary(self.client, self.mt.glossary, self.target, self.mt.state_dir,
                                               server_url=self.client.server_url, key=self.key)
        context = deepl_context(sources)
        results = self.client.translate_text(
            [s.text for s in sources], source_lang=self.source_lang, target_lang=self.target_lang,
            context=context or None, formality=self.formality, glossary=self.glossary_id,
        )
        results = results if isinstance(results, list) else [results]
        if len(results) != len(sources):
            raise ValueError(f"{len(results)} translations for {len(sources)} texts")
        return BatchAnswer([r.text for r in results], billed_characters=sum(r.billed_characters for r in results))
