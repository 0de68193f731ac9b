"""HTTP glue for the page an emailed link opens (accounts.emailed_links): the secret comes in a
form body, never in a URL; it is kept in the session and the browser goes on to the step page."""

from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters

from accounts.emailed_links import EmailedLink, link_forget, link_secret_keep
from accounts.forms.signin import EmailedLinkForm


@sensitive_post_parameters("link")
@csrf_protect
@never_cache
def emailed_link_view(request, kind: EmailedLink):
    form = EmailedLinkForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        link_secret_keep(request, kind, form.cleaned_data["link"])
        return redirect(kind.step)
    return render(request, "accounts/emailed_link.html", {"form": form, "kind": kind})


@never_cache
def old_link_view(request, kind: EmailedLink, **secret_in_path):
    """A link of the old form, with its secret in the path (emailed before links carried it
    after `#`).

    SECURITY: this request line is in the proxy's access log already, so the secret must not
    work: forget any the session holds and let the step page say the link is no longer valid.
    A redirect, not a 404 or 400, which Django's own logger would write with this path.
    """
    link_forget(request, kind)
    return redirect(kind.step)
