"""tarjama's settings: one model for the CLI, the flow, the inbox watcher and the review desk.

Precedence, lowest to highest: defaults < the workspace's ``tarjama.toml`` <
environment variables < explicit choices (command-line options, run
parameters). Environment names are ``TARJAMA_`` plus the setting's path in
capitals: ``[mt] timeout`` is ``TARJAMA_MT_TIMEOUT``, ``[libre] api_key`` is
``TARJAMA_LIBRE_API_KEY``, the provider chain ``providers`` is
``TARJAMA_PROVIDERS`` (comma-separated). Secrets are ``SecretStr``: they never
show in a repr, a log line or a Prefect parameter.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
import zoneinfo
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict, TomlConfigSettingsSource

from tarjama.errors import InputError
from tarjama.fsio import ParsedFiles
from tarjama.glossary import load_glossary
from tarjama.mt.providers import all_providers
from tarjama.mt.settings import DEFAULT_CHAIN, DeepLConfig, Limits, LLMConfig, MTSettings, ProviderConfig
from tarjama.qa.checks import check_names
from tarjama.urgency import Urgency
from tarjama.workspace import Workspace

DEFAULT_SITE_URL = "http://localhost:8000/"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MTLimits(Limits):
    """How patiently a run translates (``[mt]``), and which engines suggest alternatives."""

    suggest_from: Annotated[tuple[str, ...], NoDecode] = Field(
        (), description="engines whose outputs are kept as alternatives for reviewers (costs their requests)")

    @field_validator("suggest_from", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("suggest_from")
    @classmethod
    def _known_suggesters(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(names, allow_empty=True)


class QASettings(_Section):
    """The QA checks (``[qa]``): `tarjama check`, the desk, and the approval gate."""

    off: Annotated[tuple[str, ...], NoDecode] = Field((), description="checks switched off, e.g. [\"length\"]")

    @field_validator("off", mode="before")
    @classmethod
    def _split_off(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("off")
    @classmethod
    def _known_checks(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [n for n in names if n not in check_names()]
        if unknown:
            raise ValueError(f"unknown check {unknown[0]!r}; checks are {', '.join(check_names())}")
        return names


class MemorySettings(_Section):
    """The translation memory (``[memory]``)."""

    use: bool = Field(True, description="draft sentences the memory holds exactly from it, with no MT request")
    exact_reviewed: bool = Field(False, description="mark those drafts reviewed (else fuzzy, like MT drafts)")


class UrgencyPolicy(_Section):
    """What the review gate does with items of one urgency (``[review.flash]``, ``[review.urgent]``,
    ``[review.normal]``)."""

    publish: Literal["after-review", "before-review"] = Field(
        "after-review", description="after-review: a language is published once a reviewer approves it; "
                                    "before-review: its machine draft is published at once, labelled as unreviewed, "
                                    "and the reviewed version replaces it (never with a critical QA finding, an "
                                    "untranslated segment, a four-eyes item or a section of review_first_sections)")
    deadline_minutes: float | None = Field(
        None, gt=0, description="how long a run of such an item waits for review (default: [review] timeout_hours)")
    remind_before_minutes: float | None = Field(
        None, ge=0, description="remind the reviewers this long before that deadline (default: [review] "
                                "remind_before_minutes)")


class ReviewSettings(_Section):
    """The review gate (``[review]``)."""

    timeout_hours: float = Field(24 * 7, gt=0, description="how long a run waits for review before it fails")
    watch_seconds: float = Field(5.0, gt=0, description="how often `tarjama serve` looks for overdue reviews")
    require_authenticated: bool = Field(
        False, description="accept approvals only from reviewers logged in to the review desk (not a name typed "
                           "into the CLI or the Prefect UI)")
    policy: Literal["every-segment", "by-exception"] = Field(
        "every-segment", description="every-segment: each segment reviewed one by one; by-exception: a reviewer "
                                     "may accept the low-risk segments of a language together, in one action")
    four_eyes_sections: list[str] = Field(
        [], description="sections whose items need two different reviewers' approvals (an item's front matter "
                        "`review: four-eyes` asks the same)")
    remind_before_minutes: float = Field(
        60, ge=0, description="a review still waiting this long before its deadline notifies the reviewers, once "
                              "(0: no reminder)")
    flash: UrgencyPolicy = Field(
        UrgencyPolicy(publish="before-review", deadline_minutes=120, remind_before_minutes=60),
        description="items marked flash (front matter urgency: flash, ninjs urgency 1, --urgency flash)")
    urgent: UrgencyPolicy = Field(UrgencyPolicy(deadline_minutes=30, remind_before_minutes=15),
                                  description="items marked urgent (ninjs urgency 2 or 3)")
    normal: UrgencyPolicy = Field(UrgencyPolicy(), description="every other item")
    review_first_sections: list[str] = Field(
        [], description="sections whose items are never published before review, whatever their urgency")

    def for_urgency(self, urgency: Urgency) -> UrgencyPolicy:
        return {Urgency.FLASH: self.flash, Urgency.URGENT: self.urgent}.get(urgency, self.normal)

    def deadline(self, urgency: Urgency) -> dt.timedelta:
        """How long a run of an item of this urgency waits for review."""
        minutes = self.for_urgency(urgency).deadline_minutes
        return dt.timedelta(minutes=minutes) if minutes is not None else dt.timedelta(hours=self.timeout_hours)

    def remind_before(self, urgency: Urgency) -> float:
        """Minutes before the deadline at which the reviewers are reminded (0: never)."""
        minutes = self.for_urgency(urgency).remind_before_minutes
        return self.remind_before_minutes if minutes is None else minutes


class InboxSettings(_Section):
    """The inbox watcher of `tarjama serve` (``[inbox]``)."""

    watch_seconds: float = Field(3.0, gt=0, description="how often the inbox is looked at besides file events")


class ServeSettings(_Section):
    """``tarjama serve`` (``[serve]``)."""

    limit: int = Field(4, ge=1, description="flow runs drafting at once (runs waiting for review hold no process)")


class WorkersSettings(_Section):
    """Prefect workers on a work pool (``[workers]``, applied by ``tarjama deploy``)."""

    pool: str = Field("tarjama", min_length=1, description="the work pool the deployment runs on")
    execution: Literal["warm", "process"] = Field(
        "warm", description="warm: each run a process forked from a warm one (pool type tarjama); "
                            "process: Prefect's process worker, a new interpreter per run and per resumption")
    drafting: int = Field(4, ge=1, description="runs drafting at once across all workers (the pool's limit)")
    heartbeat_seconds: int = Field(30, ge=30, description="how often a drafting run tells the server it is alive")
    restart_after_seconds: int = Field(
        90, ge=90, description="a run silent this long (its worker died) is rescheduled for another worker; "
                               "at least three heartbeats (Prefect's guidance: one late heartbeat is no death)")
    max_restarts: int = Field(3, ge=0, description="a run rescheduled more often than this fails (it may be the cause)")

    @field_validator("restart_after_seconds")
    @classmethod
    def _three_heartbeats(cls, seconds: int, info: ValidationInfo) -> int:
        heartbeat = info.data.get("heartbeat_seconds")
        if heartbeat and seconds < 3 * heartbeat:
            raise ValueError(f"must be at least three heartbeats ({3 * heartbeat} s with heartbeat_seconds = "
                             f"{heartbeat}): one late heartbeat is not a dead worker")
        return seconds


class NotifySettings(_Section):
    """Notifications through Prefect automations (``[notify]``, applied by ``tarjama notify``)."""

    webhook: SecretStr | None = Field(None, description="incoming-webhook URL (TARJAMA_NOTIFY_WEBHOOK)")
    desk_url: str = Field("http://127.0.0.1:8800/", description="the review desk as reviewers reach it, for links")
    ui_url: str | None = Field(None, description="the Prefect UI as operators reach it (default: from the API URL)")


class WeblateSettings(_Section):
    """Weblate as the translators' editor (``[weblate]``; off until ``url`` is set), synced by ``tarjama watch``."""

    url: str | None = Field(None, description="Weblate's address, e.g. http://127.0.0.1:8700 (TARJAMA_WEBLATE_URL)")
    token: SecretStr | None = Field(None, description="API token of the Weblate account tarjama acts as "
                                                      "(TARJAMA_WEBLATE_TOKEN; the shared secret)")
    project: str = Field("tarjama", description="the Weblate project holding one component per item")
    push_branch: str = Field("weblate", description="the workspace's branch Weblate pushes translators' work to")
    sync_seconds: float = Field(30.0, gt=0, description="seconds between two syncs in `tarjama watch`")


class SiteSettings(_Section):
    """Published pages (``[site]``)."""

    url: str = Field(DEFAULT_SITE_URL, description="base of absolute links in feeds, alternates and ninjs URIs")
    publisher: str = Field("", description="who holds editorial responsibility for what is published (named in every "
                                           "published version: credit line, JSON-LD, ninjs, front matter); empty: unnamed")


class Settings(BaseSettings):
    """Every setting of a workspace; build it with :func:`load_settings`."""

    model_config = SettingsConfigDict(env_prefix="TARJAMA_", env_nested_delimiter="_", env_nested_max_split=1,
                                      extra="ignore", frozen=True)

    providers: Annotated[tuple[str, ...], NoDecode] = Field(DEFAULT_CHAIN, description="MT providers in fallback order")
    timezone: str = Field("UTC", description="the newsroom's timezone: times written without one are read in it")
    mt: MTLimits = MTLimits()
    review: ReviewSettings = ReviewSettings()
    qa: QASettings = QASettings()
    memory: MemorySettings = MemorySettings()
    inbox: InboxSettings = InboxSettings()
    serve: ServeSettings = ServeSettings()
    workers: WorkersSettings = WorkersSettings()
    notify: NotifySettings = NotifySettings()
    site: SiteSettings = SiteSettings()
    weblate: WeblateSettings = WeblateSettings()
    google: ProviderConfig = ProviderConfig()
    mymemory: ProviderConfig = ProviderConfig()
    libre: ProviderConfig = ProviderConfig()
    microsoft: ProviderConfig = ProviderConfig()
    yandex: ProviderConfig = ProviderConfig()
    baidu: ProviderConfig = ProviderConfig()
    qcri: ProviderConfig = ProviderConfig()
    deepl: DeepLConfig = DeepLConfig()
    llm: LLMConfig = LLMConfig()

    @field_validator("providers", mode="before")
    @classmethod
    def _split_chain(cls, value: Any) -> Any:
        return _split_list(value)

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, chain: tuple[str, ...]) -> tuple[str, ...]:
        return _check_names(chain, allow_empty=False)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, name: str) -> str:
        try:
            zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown timezone {name!r}; use an IANA name such as Africa/Casablanca or UTC") from None
        return name

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings):
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def provider(self, name: str) -> ProviderConfig:
        return getattr(self, name, None) or ProviderConfig()

    def mt_settings(self, chain: tuple[str, ...] | list[str] | None = None, concurrency: int | None = None,
                    suggest_from: tuple[str, ...] | list[str] | str | None = None,
                    workspace_root: Path | None = None) -> MTSettings:
        """What the MT engine needs; an explicit chain, concurrency or suggesters (a run's parameters) win.
        With ``workspace_root``, its glossary.csv (checked: a malformed one stops here) goes to the engines."""
        chosen = self._check_list("providers", chain, allow_empty=False) if chain else self.providers
        suggest = (self._check_list("--suggest-from", suggest_from, allow_empty=True)
                   if suggest_from is not None else self.mt.suggest_from)
        glossary = None
        if workspace_root is not None:
            glossary = load_glossary(workspace_root)
        limits = self.mt
        return MTSettings(
            chain=chosen, **{**limits.values(), "concurrency": concurrency or limits.concurrency},
            providers={name: self.provider(name) for name in all_providers()},
            suggest_from=suggest, glossary=glossary,
            state_dir=Workspace(workspace_root).state_dir if workspace_root is not None else None,
        )

    @staticmethod
    def _check_list(what: str, names: tuple[str, ...] | list[str] | str, allow_empty: bool) -> tuple[str, ...]:
        try:
            return _check_names(tuple(_split_list(names)), allow_empty=allow_empty)
        except ValueError as exc:
            raise InputError(f"{what}: {exc}") from None


def _split_list(value: Any) -> Any:
    """``"deepl, llm"`` (an environment variable, a CLI option) or a list, as a tuple of names."""
    if isinstance(value, str):
        value = [name.strip() for name in value.split(",") if name.strip()]
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _check_names(names: tuple[str, ...], allow_empty: bool) -> tuple[str, ...]:
    known = all_providers()
    if not names and not allow_empty:
        raise ValueError("the provider chain is empty; name at least one provider")
    for name in names:
        if name not in known:
            raise ValueError(f"unknown provider {name!r}; choose from {', '.join(sorted(known))}")
    return tuple(dict.fromkeys(names))


@lru_cache(maxsize=16)
def _settings_class(toml_file: str) -> type[Settings]:
    """The settings model reading one workspace's tarjama.toml (pydantic-settings takes the file from the config)."""
    return type("WorkspaceSettings", (Settings,), {"model_config": {**Settings.model_config, "toml_file": toml_file}})


def load_settings(config_file: Path | None, **explicit: Any) -> Settings:
    """Settings of a workspace: ``config_file`` (its tarjama.toml, may be absent), the environment, then
    ``explicit`` values; a bad value is one InputError line naming the setting and where to set it."""
    explicit = {key: value for key, value in explicit.items() if value is not None}
    path = str(config_file) if config_file else "/nonexistent/tarjama.toml"
    if config_file and config_file.exists():
        _check_toml(config_file)
    try:
        return _settings_class(path)(**explicit)
    except ValidationError as exc:
        raise InputError(_describe(exc, config_file)) from None


_parsed: ParsedFiles[Settings] = ParsedFiles(load_settings, maxsize=32)


def current_settings(config_file: Path) -> Settings:
    """:func:`load_settings` for code that asks often (the desk, per page and per save): read again only when
    tarjama.toml or a TARJAMA_ environment variable changed."""
    environment = tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("TARJAMA_")))
    return _parsed.get(config_file, extra=environment)


def _check_toml(path: Path) -> None:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: malformed TOML ({exc}); fix the file or remove it") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read it ({exc.strerror})") from None


def _describe(exc: ValidationError, config_file: Path | None) -> str:
    """One line naming the setting, where it is set and what is wrong; never the value given (a misspelt key's
    value is often a secret: ``TARJAMA_DEEPL_KEY`` for ``TARJAMA_DEEPL_API_KEY``)."""
    error = exc.errors()[0]
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    env = "TARJAMA_" + "_".join(loc[:2]).upper() + (" (a JSON object)" if len(loc) > 2 else "")
    where = f"[{loc[0]}] {'.'.join(loc[1:])}" if len(loc) > 1 else loc[0] if loc else "?"
    source = f"{config_file.name if config_file else 'tarjama.toml'} or {env}"
    if error["type"] == "extra_forbidden":
        known = _known_names(loc[:-1])
        typo = loc[-1] if loc else ""
        close = [k for k in known if typo and typo in k.split("_")] or difflib.get_close_matches(typo, known, n=2, cutoff=0.6)
        if close:
            names = " or ".join(f"{k} (TARJAMA_{'_'.join([*loc[:-1], k]).upper()})" for k in close[:2])
            hint = f"; did you mean {names}?"
        else:
            hint = f"; known here: {', '.join(known)}" if known else ""
        return f"setting {where} ({source}): there is no such setting{hint} (its value was not read)"
    # pydantic's own messages never hold the input, and tarjama's validators name what they check, not secrets
    return f"setting {where} ({source}): {error['msg'].removeprefix('Value error, ')}"


def _known_names(path: list[str]) -> list[str]:
    """The setting names under ``path`` (``["deepl"]`` -> api_key, url, ...), for a suggestion."""
    model: Any = Settings
    for part in path:
        field = getattr(model, "model_fields", {}).get(part)
        if field is None:
            return []
        model = field.annotation
    return sorted(getattr(model, "model_fields", {}))
