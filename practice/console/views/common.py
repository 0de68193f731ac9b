"""What the console's views share: a service's refusal on a form, the words for the
administrator's own password typed wrong, and links that keep the query."""

from django.core.exceptions import ValidationError
from django.http import QueryDict


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# The console's words for a wrong password typed again (accounts.reauth.password_again_checked).
REAUTH_WRONG_MESSAGE = "The password is not correct."


def query_string(params: QueryDict, **changes) -> str:
    """The current query string with some parameters replaced (None drops one)."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
