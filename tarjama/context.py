"""One operation's view of the newsroom: its workspace and its settings, read once.

A CLI command, a desk request or a flow run builds one :class:`Context` at its
start and hands it down, so a ``tarjama.toml`` edited while the operation runs
cannot change its rules half-way (the approval gate and the publication of one
decision see the same settings). Everything below takes what it needs from it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property

import polib

from tarjama.catalog_store import read_item_catalogs
from tarjama.glossary import Glossary, load_glossary
from tarjama.machine_drafts import read_machine_drafts
from tarjama.qa.item_risk import item_risks
from tarjama.qa.risk import Risk
from tarjama.qa.run import Finding, check_item
from tarjama.settings import Settings, load_settings
from tarjama.workspace import Workspace


@dataclass(frozen=True)
class Context:
    workspace: Workspace
    settings: Settings

    @classmethod
    def load(cls, workspace: Workspace) -> Context:
        """The workspace's settings as they are now (a bad value is one InputError line)."""
        return cls(workspace, load_settings(workspace.config_file))

    @cached_property
    def glossary(self) -> Glossary:
        return load_glossary(self.workspace.root)

    def findings(self, slug: str, langs: Iterable[str] | None = None, *,
                 replace: Mapping[str, polib.POFile] | None = None) -> dict[str, list[Finding]]:
        """QA findings per language of an item; ``replace`` stands in for catalogs a caller is changing (read under
        their lock)."""
        catalogs = read_item_catalogs(self.workspace.item_dir(slug), instead=replace)
        return check_item(catalogs, langs, glossary=self.glossary, off=self.settings.qa.off)

    def risks(self, slug: str, langs: Iterable[str] | None = None, *,
              replace: Mapping[str, polib.POFile] | None = None, unreviewed_only: bool = False
              ) -> dict[str, dict[str, Risk]]:
        """Each translated (or each still unreviewed) segment's risk band and reasons, per language of an item (see
        :mod:`tarjama.qa.risk`)."""
        catalogs = read_item_catalogs(self.workspace.item_dir(slug), instead=replace)
        wanted = [lang for lang in (langs if langs is not None else catalogs) if lang in catalogs]
        findings = check_item(catalogs, wanted, glossary=self.glossary, off=self.settings.qa.off)
        machine = {lang: read_machine_drafts(self.workspace.catalog_path(slug, lang)) for lang in wanted}
        return item_risks(catalogs, findings, machine, wanted, unreviewed_only=unreviewed_only)
