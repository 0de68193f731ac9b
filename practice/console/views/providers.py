"""The practice's providers: the list, "Add provider", a provider's page, "Remove provider".

Under "Edit practice settings": the providers are the practice's own data, as its office
networks are. Linking a user to one is on the user's page, under "Edit user details".
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache

from practice.console.access import console_view
from practice.console.forms.providers import ProviderForm
from practice.console.selectors import providers as selectors
from practice.console.views.common import add_errors
from practice.providers import provider_create, provider_remove, provider_update
from practice.vocabulary import Permission


def _provider_or_404(request, provider_id):
    provider = selectors.provider_of_practice(request.user.practice, provider_id)
    if provider is None:
        raise Http404("No such provider.")
    return provider


@never_cache
@console_view(get=Permission.SETTINGS)
def providers_list(request):
    context = {
        "rows": selectors.provider_rows(request.user.practice),
        "console_section": "providers",
    }
    return render(request, "console/providers.html", context)


@never_cache
@console_view(get=Permission.SETTINGS, post=Permission.SETTINGS)
def provider_new(request):
    return _provider_page(request, None)


@never_cache
@console_view(get=Permission.SETTINGS, post=Permission.SETTINGS)
def provider_detail(request, provider_id):
    return _provider_page(request, _provider_or_404(request, provider_id))


def _provider_page(request, provider):
    form = ProviderForm(request.POST or None, provider=provider)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if provider is None:
                provider = provider_create(
                    practice=request.user.practice,
                    actor=request.user,
                    name=data["name"],
                    npi=data["npi"],
                    request=request,
                )
                messages.success(request, f"Added the provider {provider.name}.")
            else:
                changed = provider_update(
                    provider=provider,
                    actor=request.user,
                    name=data["name"],
                    npi=data["npi"],
                    request=request,
                )
                provider.refresh_from_db()
                said = f"Saved {provider.name}." if changed else "Nothing changed."
                messages.success(request, said)
        except ValidationError as exc:
            add_errors(form, exc)
        else:
            return redirect("console:providers")
    context = {
        "form": form,
        "provider": provider,
        "linked": selectors.provider_user(provider),
        "console_section": "providers",
    }
    status = 400 if form.is_bound else 200
    return render(request, "console/provider_form.html", context, status=status)


@never_cache
@console_view(post=Permission.SETTINGS)
def provider_remove_view(request, provider_id):
    provider = _provider_or_404(request, provider_id)
    try:
        provider_remove(provider=provider, actor=request.user, request=request)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("console:provider", provider_id=provider.pk)
    messages.success(request, f"Removed the provider {provider.name}.")
    return redirect("console:providers")
