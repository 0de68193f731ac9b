"""gunicorn's settings for PracticeGate, read by `gunicorn config.wsgi` started in this directory.

Threaded workers (gthread), not gunicorn's default sync ones: a sync worker cannot tell its
master it is alive while it streams a response, so an audit export that takes longer than the
timeout (a million rows is 13 s, three million about 40 s) was killed part-way and the
administrator got a file cut short with no error. A gthread worker answers its master from its
own loop whatever its threads are doing, so an export of any size completes; the timeout still
restarts a worker that hangs as a whole.

A sign-in spends most of its time in the Argon2 hash, which releases the GIL: four threads let
a worker hash on one core while it serves pages on another. Each thread has its own database
connection: plan for workers x threads connections per server.

No access log (gunicorn's default; the proxy in front keeps one). Turned on
(`--access-logfile -`), gunicorn's default format writes the request line, the Referer and the
user agent: no secret of ours is ever in them, because emailed links carry theirs after `#`,
which browsers never send (accounts/emailed_links.py), and codes and passwords come in POST
bodies. Never add a request header atom such as `%({cookie}i)s` to the format: the session cookie
is a secret. tests/security/test_hostile_tokens.py runs gunicorn with this log on.

Every value can be changed without editing this file: gunicorn's own command-line options
(`--workers 5`) and GUNICORN_CMD_ARGS override it, and WEB_CONCURRENCY sets the workers.
"""

import os

wsgi_app = "config.wsgi"
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
timeout = 30
graceful_timeout = 30
