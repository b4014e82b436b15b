"""WSGI entry point, for servers without websockets (pages and the API only)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "caunoi.config.settings")

application = get_wsgi_application()
