"""gunicorn settings for Firstmile's web processes, from the environment.

    gunicorn -c python:firstmile.gunicorn_conf firstmile.wsgi

Sync workers with a few threads each: the work is short database-bound requests,
and long work goes to `firstmile worker`. Request logs are Firstmile's own JSON
lines (firstmile.core.request_log), so gunicorn's access log stays off.
"""

import multiprocessing
import os
from pathlib import Path

from firstmile.core.env import check_no_trailing_comments, env_bool, env_int, env_str
from firstmile.core.logs import gunicorn_logconfig

_MIGRATE_REQ = Path("/proc/sys/net/ipv4/tcp_migrate_req")


def _kernel_hands_over_queued_connections() -> bool:
    try:
        return _MIGRATE_REQ.read_text().strip() == "1"
    except OSError:
        return False


check_no_trailing_comments()
bind = env_str("FIRSTMILE_BIND", "127.0.0.1:8000")
workers = env_int("FIRSTMILE_WEB_WORKERS", multiprocessing.cpu_count() * 2 + 1)
threads = env_int("FIRSTMILE_WEB_THREADS", 2)
worker_class = "gthread" if threads > 1 else "sync"
timeout = env_int("FIRSTMILE_WEB_TIMEOUT", 30)
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then (with jitter, so they do not all restart at once),
# as a bound on any slow leak. Each restart costs a worker about a second of CPU
# (importing Django and Firstmile, new database connections), so the default is
# a large count: at 500 requests/s a worker restarts every few minutes, not every
# few seconds. 0 turns recycling off.
max_requests = env_int("FIRSTMILE_WEB_MAX_REQUESTS", 100_000)
max_requests_jitter = max_requests // 10
accesslog = None
errorlog = "-"
loglevel = env_str("FIRSTMILE_LOG_LEVEL", "info").lower()
# gunicorn's own lines (booting, signals, worker exits) as JSON, like every other line.
logconfig_dict = gunicorn_logconfig(loglevel)
# A listening socket of its own for each worker (SO_REUSEPORT), so that the kernel
# spreads new connections over the workers by their addresses. On one shared
# socket the worker that wakes first takes them, and a few kept-alive clients
# (a load balancer's pool) can all land on one worker while the others idle:
# bench/api_get.py saw all 8 of wrk's connections on one of 2 workers in one run
# of 6, at half the throughput. A worker that exits (recycled, reloaded) resets
# connections still queued on its own socket unless the kernel hands them to a
# sibling, which it does with net.ipv4.tcp_migrate_req=1 (Linux 5.14+): so it is
# on by default only there. FIRSTMILE_WEB_REUSE_PORT=1 or 0 decides otherwise.
reuse_port = env_bool("FIRSTMILE_WEB_REUSE_PORT", _kernel_hands_over_queued_connections())
# The master's pid file: scripts/reload_web.py (systemd's ExecReload) reads it to swap
# the running master for one of the release `current` points at, without downtime.
pidfile = env_str("FIRSTMILE_PIDFILE", "") or None
# Behind a proxy on the same machine or network: trust its X-Forwarded-* headers.
forwarded_allow_ips = env_str("FIRSTMILE_FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Load the URLconf, then move everything loaded so far out of the garbage collector's sight.

    A worker's heap after start-up is a few hundred thousand objects (Django, the
    apps, the API's routes and schemas) that live as long as the process. Python's
    full collections, which come every few hundred requests, walked all of them:
    about 55 million instructions each, ~280k per request averaged
    (bench/api_instructions.py, with and without FIRSTMILE_BENCH_GC_FREEZE), all of
    it paid by whichever request triggered the collection. Frozen, they are never
    scanned; objects made later are collected as before.
    """
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports the API and every router now, not on the first request)
    gc.collect()
    gc.freeze()
    if worker is not None and worker.cfg.pidfile:
        with booted_marker(worker.cfg.pidfile, worker.ppid).open("a") as marker:
            marker.write(f"{os.getpid()}\n")


def booted_marker(pid_file: str, master_pid: int) -> Path:
    """One line per worker of that master that has loaded the application and is about to serve."""
    return Path(f"{pid_file}.{master_pid}.booted")


def when_ready(server):
    """A master starting afresh (or re-executed by USR2) forgets markers a dead master of its pid left."""
    if server.cfg.pidfile:
        booted_marker(server.cfg.pidfile, os.getpid()).unlink(missing_ok=True)


def on_exit(server):
    if server.cfg.pidfile:
        booted_marker(server.cfg.pidfile, os.getpid()).unlink(missing_ok=True)
