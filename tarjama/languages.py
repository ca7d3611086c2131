"""The languages tarjama works in: one place for each list."""

SOURCE_LANGUAGE = "ar"  # every item is Arabic
DEFAULT_TARGETS = ("fr", "en")  # what a run drafts when nobody chose
OFFERED_TARGETS = ("fr", "en", "es", "de", "it", "pt", "tr")  # the Run form's choices (the CLI takes any Babel locale)
IDENTIFIABLE = ("fr", "en", "de", "es", "it", "pt", "nl")  # targets whose text the language check can tell apart
