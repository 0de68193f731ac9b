"""What the console's views share: a service's refusal on a form, the administrator's own
password typed again, and links that keep the query."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect

from accounts.reauth import reauth_with_password
from accounts.sessions import session_end_current
from practice.vocabulary import SessionEndReason


def add_errors(form, exc: ValidationError) -> None:
    """Put a service's refusal on the form: on its field when the form has one."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def own_password_confirmed(request, form, field: str = "password") -> bool | HttpResponse:
    """The administrator's own password, typed again before a dangerous change: True when it is
    right; False with the error on the form; or, when that wrong password locked their account,
    the response that signs them out to their practice's sign-in page."""
    if reauth_with_password(request, form.cleaned_data[field]):
        return True
    if request.user.is_locked:
        practice_code = request.user.practice.code
        session_end_current(request, reason=SessionEndReason.LOCKED)
        messages.error(request, "Too many wrong passwords: your account is now locked.")
        return redirect("accounts:practice_login", code=practice_code)
    form.add_error(field, "The password is not correct.")
    return False


def query_string(params: QueryDict, **changes) -> str:
    """The current query string with some parameters replaced (None drops one)."""
    query = params.copy()
    for key, value in changes.items():
        query.pop(key, None)
        if value not in (None, ""):
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"
