"""Weblate's settings for a newsroom's local Weblate beside tarjama (``make weblate``).

Weblate's own example settings, with what this recipe changes: everything on
loopback (PostgreSQL, Redis, the web server), state under the workspace's
``.weblate/``, Celery tasks run in the request (no broker or worker process to
keep alive), the workspace's git repository readable over ``file://``, and the
secret key read from a file the recipe creates (never committed).
"""

import os
from pathlib import Path

from weblate.settings_example import *  # noqa: F403 (Weblate documents this as the way to configure it)
from weblate.settings_example import CACHES

STATE = Path(os.environ["WEBLATE_STATE"])
PORT = os.environ.get("WEBLATE_PORT", "8700")

SITE_TITLE = "tarjama Weblate"
SITE_DOMAIN = f"localhost:{PORT}"  # WebAuthn accepts plain http only on localhost (otp_webauthn.E031)
SITE_URL = f"http://{SITE_DOMAIN}"
ENABLE_HTTPS = False
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SECRET_KEY = (STATE / "secret-key").read_text().strip()

# Weblate's example computes these from its own SITE_DOMAIN at import: `migrate` refuses them until set again
OTP_WEBAUTHN_RP_NAME = SITE_TITLE
OTP_WEBAUTHN_RP_ID = "localhost"
OTP_WEBAUTHN_ALLOWED_ORIGINS = [SITE_URL]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "weblate",
        "USER": "weblate",
        "PASSWORD": os.environ["WEBLATE_DB_PASSWORD"],
        "HOST": "127.0.0.1",
        "PORT": os.environ["WEBLATE_PG_PORT"],
        "CONN_MAX_AGE": None,
        "CONN_HEALTH_CHECKS": True,
    }
}

DATA_DIR = str(STATE / "data")
CACHE_DIR = f"{DATA_DIR}/cache"
MEDIA_ROOT = f"{DATA_DIR}/media"
STATIC_ROOT = f"{CACHE_DIR}/static"

REDIS = f"redis://127.0.0.1:{os.environ['WEBLATE_REDIS_PORT']}"
CACHES["default"]["LOCATION"] = f"{REDIS}/1"
CACHES["default"]["OPTIONS"]["PASSWORD"] = os.environ["WEBLATE_REDIS_PASSWORD"]
CACHES["avatar"]["LOCATION"] = f"{CACHE_DIR}/avatar"
ENABLE_AVATARS = False  # avatars come from Gravatar, which a closed network cannot reach

CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = None
CELERY_TASK_EAGER_PROPAGATES = True

VCS_FILE_PROTOCOL = True  # the component's repository is the workspace's own, on this machine
REGISTRATION_OPEN = False
COMMIT_PENDING_HOURS = 0  # translators' edits are committed when tarjama asks (the API's commit operation)
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
