"""The performance bench behind `manage.py bench`: seeding, timing, counting, serving.

- `database`: the throwaway database the bench seeds (never the configured one).
- `seed`: practices, users, second factors, login windows and a long audit log.
- `timing`: warm-up, then interleaved pairs; what a ratio is.
- `statements`: every statement a request sends to the database, transaction control included.
- `changelist`: Django admin's changelist made to show the console list's rows and columns.
- `server`: real gunicorn processes, an HTTP client for them, and their workers' memory.
- `measures`: the figures themselves.
"""
