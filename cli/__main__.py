"""``python -m cli``: the ``tarjama`` command."""

from cli.main import main

main()
