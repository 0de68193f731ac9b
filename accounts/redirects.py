"""Where a page may send the browser next ("next" in a form or the query string)."""

from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.gateway import gateway_destination


def safe_next(request) -> str:
    """`next` when it is a path or an address of our own site, or an application behind the
    gateway (a host of GATEWAY_ALLOWED_HOSTS, accounts.gateway), else "".

    SECURITY: never another site (an open redirect), and never a bare word such as "home",
    which passes Django's host check but which redirect() would take for a URL name.
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if not target.startswith("/") and "://" not in target:
        return ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return gateway_destination(target)


def login_path_for(user) -> str:
    """Where `user` signs in again: their practice's own page, Django admin's for support
    staff, the general page for nobody in particular."""
    if user is not None and user.practice_id is not None:
        return reverse("accounts:practice_login", kwargs={"code": user.practice.code})
    if user is not None:
        return reverse("admin:login")
    return reverse("accounts:login")
