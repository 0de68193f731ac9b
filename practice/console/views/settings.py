"""The practice's settings page."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from accounts.setup_access import is_setup_session
from practice.console.access import console_view
from practice.console.forms.settings import SettingsForm
from practice.console.views.common import add_errors
from practice.network import client_ip, in_networks
from practice.services import practice_settings_update, wide_networks
from practice.vocabulary import Permission


@never_cache
@console_view(get=Permission.SETTINGS, post=Permission.SETTINGS)
def practice_settings(request):
    practice = request.user.practice
    address = client_ip(request)
    current_networks = list(practice.office_networks.values_list("cidr", flat=True))
    in_office = in_networks(address, current_networks)
    form = SettingsForm(request.POST or None, practice=practice)
    excludes_me = False
    if request.method == "POST" and form.is_valid():
        networks = form.cleaned_data["office_networks"]
        excludes_me = in_office and not in_networks(address, networks)
        if excludes_me and not form.cleaned_data["confirm_office_exclusion"]:
            form.add_error(
                "office_networks",
                f"Your current address, {address}, would no longer be on an office network: "
                "you would be signed in as remote. Add your network, or tick "
                "“Save anyway” below.",
            )
        else:
            try:
                changed = practice_settings_update(
                    practice=practice,
                    actor=request.user,
                    values=form.values(),
                    office_networks=networks,
                    wide_networks_confirmed=form.cleaned_data["confirm_wide_networks"],
                    request=request,
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, "Settings saved." if changed else "Nothing changed.")
                return redirect("console:settings")
    return render(
        request,
        "console/settings.html",
        {
            "form": form,
            "address": address,
            "in_office": in_office,
            "excludes_me": excludes_me,
            "wide_networks": wide_networks(current_networks),
            "setup_session": is_setup_session(request),
            "practice": practice,
            "console_section": "settings",
        },
        status=400 if form.is_bound else 200,
    )
