"""How the log reads: for a log system in production, for a person in the demo.

Production (DEBUG off) writes each record's message as it is, one a line: the audit events
(practice.audit) are one JSON object a line, which the deployment ships to a log system of its
own.

The demo (`make demo`, DEBUG on) is read by a person in a terminal, who looks there for the
text and voice codes and the emails it prints (phonecodes' console backend,
config.console_mail). So every record is one line: an audit event in words
("audit: signin.succeeded practice=demo user=nurse from=127.0.0.1 zone=office"), and a refused
request (a 403, a bad CSRF token) without its traceback, which would only show where the refusal
was raised. Django's own console handler, which DEBUG turns on beside ours, is taken off, so that
nothing is printed twice. A server error (5xx) keeps its traceback.
"""

import json
import logging
import re

AUDIT_LOGGER = "practice.audit"

# An audit line's fields, in the order and under the names the demo shows them; the rest (its id,
# time, user agent and the ids beside the usernames) would only make the line longer.
AUDIT_FIELDS = (
    ("practice", "practice"),
    ("target", "user"),
    ("actor", "by"),
    ("client_address", "from"),
)
_PLAIN_VALUE = re.compile(r"[\w.@:/+\-]+")
# SECURITY: a line break (or a terminal's control sequence) in a username or a request's path
# must not start a line of its own: it could pass for another record.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def logging_config(*, debug: bool, level: str) -> dict:
    """settings.LOGGING: production's as it always was; the demo's, one plain line a record."""
    if not debug:
        return {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {"console": {"class": "logging.StreamHandler"}},
            "root": {"handlers": ["console"], "level": level},
            "loggers": {"django.db.backends": {"level": "WARNING"}},
        }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"demo": {"()": "config.logs.DemoFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "demo"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # Without handlers of its own: Django's (console, with DEBUG) printed each of its
            # records a second time, beside the root's. Its children lose theirs too, as
            # dictConfig does to the children of a logger it configures: runserver's request
            # lines (django.server) come through the root's, in the same form as the rest.
            "django": {"handlers": [], "level": "INFO"},
            "django.db.backends": {"level": "WARNING"},
        },
    }


class DemoFormatter(logging.Formatter):
    """One line a record: "08:00:49 WARNING django.request: Forbidden (Permission denied): /x"."""

    def __init__(self):
        super().__init__(datefmt="%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        name = record.name
        if name == AUDIT_LOGGER:
            name, message = "audit", audit_line_words(message)
        when = self.formatTime(record, self.datefmt)
        line = _one_line(f"{when} {record.levelname} {name}: {message}")
        if record.exc_info and not _refused_request(record):
            line += "\n" + self.formatException(record.exc_info)
        if record.stack_info:
            line += "\n" + self.formatStack(record.stack_info)
        return line


def audit_line_words(line: str) -> str:
    """An audit event's JSON line (practice.audit.audit_line) as "action key=value ...";
    a line that is not one, as it is."""
    try:
        event = json.loads(line)
    except ValueError:
        return line
    if not isinstance(event, dict) or "action" not in event:
        return line
    pairs = [(label, event.get(field)) for field, label in AUDIT_FIELDS]
    if event.get("actor") == event.get("target"):
        pairs = [(label, value) for label, value in pairs if label != "by"]
    details = event.get("details")
    if isinstance(details, dict):
        pairs += sorted(details.items())
    words = [str(event["action"])]
    words += [f"{key}={_value(value)}" for key, value in pairs if value is not None]
    return " ".join(words)


def _value(value) -> str:
    if isinstance(value, str) and _PLAIN_VALUE.fullmatch(value):
        return value
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _one_line(text: str) -> str:
    return _CONTROL.sub(lambda match: match.group().encode("unicode_escape").decode(), text)


def _refused_request(record: logging.LogRecord) -> bool:
    """A request Django answered with a 4xx (django.request, django.security.*): the refusal
    working as it should, not an error of the code."""
    status = getattr(record, "status_code", None)
    return isinstance(status, int) and status < 500
