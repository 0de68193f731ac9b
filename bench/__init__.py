"""The performance bench behind `manage.py bench`: development tooling, not part of the product.

No app of the product imports it and config.settings does not install it: only its own
settings (`bench.settings`, which manage.py picks for the `bench` command) do.

- `settings`: the project's settings plus this app, for `manage.py bench`.
- `database`: the throwaway database the bench seeds (never the configured one).
- `seed`: practices, users, second factors, login windows and a long audit log.
- `timing`: warm-up, then interleaved pairs; what a ratio is.
- `statements`: every statement a request sends to the database, transaction control included.
- `changelist`, `urls`: Django admin's changelist made to show the console list's rows and
  columns, on an admin site of its own mounted beside the project's URLs.
- `server`, `server_settings`: real gunicorn processes, an HTTP client for them, and their
  workers' memory (the two-server tests use them too).
- `measures`: the figures themselves, one module a measure.
- `management/commands/bench.py`: the command and its table.
"""
