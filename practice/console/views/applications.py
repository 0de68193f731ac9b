"""The practice's applications (single sign-on): the list, "Add application", an application's
page, a new client secret, switching one off and on; and on a user's page, "Sign out of all
applications"."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables

from oidc.applications import (
    application_create,
    application_secret_rotate,
    application_switch,
    application_update,
)
from oidc.endings import applications_sign_out
from practice.console.access import console_view, user_for_admin
from practice.console.forms.applications import ApplicationForm
from practice.console.selectors import applications as selectors
from practice.console.views.common import add_errors
from practice.console.views.users import user_page_section
from practice.vocabulary import Permission

SECTION = "applications"


def _application(request, application_id):
    application = selectors.application_of_practice(request.user.practice, application_id)
    if application is None:
        raise Http404("No such application.")
    return application


def _secret_page(request, registered, *, new: bool):
    """The client ID and secret, in this POST's own response: shown once, never redirected to,
    kept in a session or a URL (and the page is not stored: no-store)."""
    context = {
        "application": registered.application,
        "secret": registered.secret,
        "new": new,
        "console_section": SECTION,
        **selectors.connection_settings(),
    }
    return render(request, "console/app_secret.html", context)


@never_cache
@console_view(get=Permission.MANAGE_APPS)
def applications_list(request):
    context = {
        "rows": selectors.application_rows(request.user.practice),
        "recent_days": selectors.RECENT_DAYS,
        "console_section": SECTION,
        **selectors.connection_settings(),
    }
    return render(request, "console/apps.html", context)


@sensitive_variables("registered")
@never_cache
@console_view(get=Permission.MANAGE_APPS, post=Permission.MANAGE_APPS)
def application_new(request):
    form = ApplicationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            registered = application_create(
                practice=request.user.practice,
                actor=request.user,
                public=form.cleaned_data["kind"] == "public",
                request=request,
                **form.values(),
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return _secret_page(request, registered, new=True)
    context = {"form": form, "application": None, "console_section": SECTION}
    return render(request, "console/app_form.html", context, status=400 if form.is_bound else 200)


@never_cache
@console_view(get=Permission.MANAGE_APPS, post=Permission.MANAGE_APPS)
def application_detail(request, application_id):
    application = _application(request, application_id)
    form = ApplicationForm(request.POST or None, application=application)
    if request.method == "POST" and form.is_valid():
        try:
            changed = application_update(
                application=application, actor=request.user, changes=form.values(), request=request
            )
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            messages.success(request, f"Saved {application}." if changed else "Nothing changed.")
            return redirect("console:application", application_id=application.pk)
    context = {
        "form": form,
        "application": application,
        "console_section": SECTION,
        **selectors.connection_settings(),
    }
    return render(request, "console/app_form.html", context, status=400 if form.is_bound else 200)


@sensitive_variables("registered")
@never_cache
@console_view(post=Permission.MANAGE_APPS)
def application_secret(request, application_id):
    application = _application(request, application_id)
    try:
        registered = application_secret_rotate(
            application=application, actor=request.user, request=request
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:application", application_id=application.pk)
    return _secret_page(request, registered, new=False)


@never_cache
@console_view(post=Permission.MANAGE_APPS)
def application_switch_view(request, application_id):
    application = _application(request, application_id)
    on = request.POST.get("on") == "1"
    if application_switch(application=application, actor=request.user, on=on, request=request):
        if on:
            messages.success(request, f"{application} is on: its users can sign in to it again.")
        else:
            messages.success(
                request,
                f"{application} is off: nobody can sign in to it, and everyone signed in to it "
                "was signed out.",
            )
    return redirect("console:application", application_id=application.pk)


@never_cache
@console_view(post=Permission.ACTIVATE)
def user_applications_sign_out(request, user_id):
    """ "Sign out of all applications", on the user's page."""
    user = user_for_admin(request, user_id)
    ended = applications_sign_out(user=user, actor=request.user, request=request)
    if ended:
        names = ", ".join(sorted(application.name for application in ended))
        told = " They were told by email." if user.pk != request.user.pk and user.email else ""
        messages.success(request, f"Signed {user} out of {names}.{told}")
    else:
        messages.info(request, f"{user} was not signed in to any application.")
    return user_page_section(user, SECTION)
