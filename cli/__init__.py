"""The ``tarjama`` command line: one module per command group, one error handler (:mod:`cli.app`). May import
operations/, flows/ and tarjama/."""
