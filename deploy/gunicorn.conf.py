"""gunicorn for Cầu Nối's pages, API and FHIR (WSGI): `gunicorn -c deploy/gunicorn.conf.py`.

Websockets are served beside it by uvicorn (deploy/systemd/caunoi-ws.service), both behind
nginx (deploy/nginx/caunoi.conf). Settings come from the environment as for every `caunoi`
command (deploy/systemd/caunoi.env); the figures here are for a 2-core machine with PostgreSQL on
it: see deploy/README.md before changing them.
"""

import os

wsgi_app = "caunoi.config.wsgi:application"
# Only nginx on this machine talks to gunicorn.
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# gthread: each process serves requests on a pool of long-lived threads. A sync Django view
# runs in the thread that read the request (no hop to another thread, as under ASGI), and that
# thread keeps its database connection for the next request (DB_CONN_MAX_AGE, 60 s by default
# on PostgreSQL). Each thread holds one connection: workers × threads per app server must stay
# under PostgreSQL's max_connections with the task workers and the websocket server beside it.
worker_class = "gthread"
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# Idle keep-alive connections from nginx stay open longer than nginx keeps them (60 s), so
# nginx never sends a request down a connection gunicorn is closing.
keepalive = 75
# A worker that stops answering its arbiter for this long is killed and replaced.
timeout = 60
graceful_timeout = 30
# Workers start afresh now and then: memory a long-lived process fragments is given back.
max_requests = 5000
max_requests_jitter = 500

# Whom to believe about the client's address and scheme is Django's decision
# (TRUSTED_PROXY_COUNT, caunoi/core/client_address.py): gunicorn rewrites nothing.
forwarded_allow_ips = ""
# The control socket (gunicornc) in the service's runtime directory.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "/run/caunoi/gunicorn.ctl")

accesslog = "-"
errorlog = "-"
loglevel = "info"
