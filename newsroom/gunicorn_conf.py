"""gunicorn settings (`NEWSROOM_SERVER=gunicorn scripts/serve`); overridable by env.

`make run` serves with granian by default (docs/operations.md).
"""

import multiprocessing
import os

bind = os.environ.get("NEWSROOM_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# gunicorn's largest request line (its default is 4094): a search typed to the
# box's 2,000 characters needs up to ~6 KB percent-encoded in Latin scripts,
# more in others, which gunicorn refuses with a 414. granian, what `make run`
# uses, takes URLs up to about 64 KB.
limit_request_line = 8190
keepalive = 5
timeout = 30
graceful_timeout = 20
max_requests = 20000
max_requests_jitter = 2000
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "warning").lower()
