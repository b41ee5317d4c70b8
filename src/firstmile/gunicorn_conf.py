"""gunicorn settings for Firstmile's web processes, from the environment.

    gunicorn -c python:firstmile.gunicorn_conf firstmile.wsgi

Sync workers with a few threads each: the work is short database-bound requests,
and long work goes to `firstmile worker`. Request logs are Firstmile's own JSON
lines (firstmile.core.request_log), so gunicorn's access log stays off.
"""

import multiprocessing
import os

bind = os.environ.get("FIRSTMILE_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("FIRSTMILE_WEB_WORKERS", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(os.environ.get("FIRSTMILE_WEB_THREADS", "2"))
worker_class = "gthread" if threads > 1 else "sync"
timeout = int(os.environ.get("FIRSTMILE_WEB_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (with jitter, so they do not all restart at once),
# as a bound on any slow leak. Each restart costs a worker about a second of CPU
# (importing Django and Firstmile, new database connections), so the default is
# a large count: at 500 requests/s a worker restarts every few minutes, not every
# few seconds. 0 turns recycling off.
max_requests = int(os.environ.get("FIRSTMILE_WEB_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
loglevel = os.environ.get("FIRSTMILE_LOG_LEVEL", "info").lower()
# Behind a proxy on the same machine or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = os.environ.get("FIRSTMILE_FORWARDED_ALLOW_IPS", "127.0.0.1")
