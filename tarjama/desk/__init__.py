"""The review desk: a small FastAPI + Jinja2 web app where translators review, correct and approve drafts."""
