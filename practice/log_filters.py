"""Logging filters that keep secrets out of the log whatever level a deployment turns on."""

import logging


class NoTemplateContext(logging.Filter):
    """Drops Django's DEBUG record of a template variable it could not resolve.

    SECURITY: that record carries the page's whole context, and some pages' context holds a
    secret shown once (a generated temporary password, new recovery codes, an authenticator's
    key). It says nothing an operator needs.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.levelno <= logging.DEBUG
            and str(record.msg).startswith("Exception while resolving variable")
        )
