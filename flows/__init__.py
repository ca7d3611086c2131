"""tarjama's orchestration layer: Prefect flows and tasks, the review gate, serving, run control, the
temporary local server, the demo stack and the command line. The work is done by the ``tarjama`` package;
importing this package changes nothing (entry points prepare Prefect's environment)."""
