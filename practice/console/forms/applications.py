"""The applications page's form: "Application name", "Redirect URIs" (one a line), "Back-channel
logout URI" and the rest. The addresses' rules are the service's (oidc.applications): its
refusal lands on the field."""

from django import forms

from oidc.models import Application

KINDS = [
    ("confidential", "A web application with a server (keeps a client secret)"),
    ("public", "A browser or mobile app (no secret: it must use PKCE)"),
]


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class ApplicationForm(forms.Form):
    name = forms.CharField(label="Application name", max_length=255)
    kind = forms.ChoiceField(label="Kind of application", choices=KINDS, initial="confidential")
    redirect_uris = forms.CharField(
        label="Redirect URIs",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One a line, exactly as the application sends them: where it receives the "
        "sign-in. https://, or http:// only for an address on this machine.",
    )
    backchannel_logout_uri = forms.CharField(
        label="Back-channel logout URI",
        required=False,
        max_length=500,
        help_text="Optional: where PracticeGate tells the application that a user's access "
        "ended, so it signs them out at once.",
    )
    post_logout_redirect_uris = forms.CharField(
        label="Sign-out return addresses",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Optional, one a line: where the application may send the browser after it "
        "signs the user out of PracticeGate.",
    )
    always_second_factor = forms.BooleanField(
        label="Always ask for a second factor",
        required=False,
        help_text="Even inside the office networks, where the practice's settings may not ask "
        "for one.",
    )

    def __init__(self, *args, application: Application | None = None, **kwargs):
        initial = {}
        if application is not None:
            initial = {
                "name": application.name,
                "redirect_uris": "\n".join(application.redirect_uris.split()),
                "backchannel_logout_uri": application.backchannel_logout_uri,
                "post_logout_redirect_uris": "\n".join(
                    application.post_logout_redirect_uris.split()
                ),
                "always_second_factor": application.always_second_factor,
            }
        super().__init__(*args, initial=initial, **kwargs)
        if application is not None:
            # Chosen once: a public application has no secret to give it later.
            del self.fields["kind"]
        for name in ("name", "backchannel_logout_uri"):
            self.fields[name].widget.attrs.update({"autocomplete": "off"})

    def values(self) -> dict:
        """What the service takes (oidc.applications)."""
        data = self.cleaned_data
        return {
            "name": data["name"],
            "redirect_uris": _lines(data["redirect_uris"]),
            "backchannel_logout_uri": data["backchannel_logout_uri"].strip(),
            "post_logout_redirect_uris": _lines(data["post_logout_redirect_uris"]),
            "always_second_factor": data["always_second_factor"],
        }
