"""The names Prefect knows tarjama's runs by: the flow, its deployment, the state the restart automations give."""

FLOW_NAME = "translate-article"
DEPLOYMENT_NAME = "tarjama"
DEPLOYMENT = f"{FLOW_NAME}/{DEPLOYMENT_NAME}"
RESCHEDULED = "Rescheduled"  # the state name both automations give; the flow counts them (``[workers] max_restarts``)
