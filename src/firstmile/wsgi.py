import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "firstmile.settings")
application = get_wsgi_application()

from firstmile.core.logs import log_start  # noqa: E402  (needs the settings loaded above)

log_start("web")
