"""Imported once, by the warm worker's fork server only: the flow and what its first run would load.

Never import it elsewhere: it spends about 2 s loading what a process that
does not translate never needs (see :mod:`tarjama.mt.warm`).
"""

from flows.translate_article import translate_article
from tarjama.mt.warm import warm_up

__all__ = ["translate_article"]

warm_up()
