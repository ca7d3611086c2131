"""tarjama's flow on Prefect: the translate-article flow, its tasks, the review gate and its Resume form, what a
run asks Prefect about runs, quotas, milestones. The work is done by the ``tarjama`` package; operations/ and cli/
run it. Importing this package changes nothing (entry points prepare Prefect's environment)."""
