"""gunicorn settings for Red Vest: ``gunicorn -c deploy/gunicorn.conf.py 'server:create_app()'``.

- Refuses to start (one line on stderr, exit 1) when production settings are unsafe, in the
  master, before any worker is forked: a worker that failed the same check would only be
  respawned over and over.
- Each worker freezes the objects of the loaded app out of the garbage collector's sight,
  and collects its youngest objects less often (server/worker_gc.py).
- Prometheus counters of all workers are added up through files in PROMETHEUS_MULTIPROC_DIR
  (emptied at start, a dead worker's live gauges dropped).
Everything here can be overridden on the command line (``-w``, ``-b``).
"""
import os
import shutil
import tempfile

bind = os.environ.get("REDVEST_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("REDVEST_WORKERS", "4"))
worker_class = "sync"
timeout = 60
graceful_timeout = 30
# The proxy (nginx) sets X-Forwarded-*; trust it only from this host.
forwarded_allow_ips = "127.0.0.1"
accesslog = None  # the app writes one JSON line per request itself (server/request_log.py)
errorlog = "-"

os.environ.setdefault("PROMETHEUS_MULTIPROC_DIR",
                      os.path.join(tempfile.gettempdir(), f"redvest-metrics-{bind.replace(':', '-')}"))


def on_starting(server):
    from server import config

    config.check_production(config.from_environment())  # raises ConfigError: message, exit 1
    folder = os.environ["PROMETHEUS_MULTIPROC_DIR"]
    shutil.rmtree(folder, ignore_errors=True)  # counts from a previous run would be added in
    os.makedirs(folder, exist_ok=True)


def post_worker_init(worker):
    from server.worker_gc import freeze_loaded_app

    freeze_loaded_app()  # the loaded app out of the collector's sight (server/worker_gc.py)


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
