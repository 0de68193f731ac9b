"""Single sign-on: the token exchange and the userinfo call an application makes at each
sign-in to it, timed and their statements counted.

The application is a confidential one of the bench practice: its client secret is checked at each
token request with the hasher it was stored with (production's Argon2 in the bench), as in
production; the user signs in at the office through the sign-in pipeline.
"""

import statistics
from urllib.parse import parse_qs, urlsplit

from django.core.management.base import CommandError
from django.test import Client

from bench import seed
from bench.measures.base import Bench
from bench.timing import median_ms, timed
from oidc.applications import application_create

REDIRECT = "https://bench-app.example.test/callback"

KEYS = [
    ("oidc_token_ms", "ms", "OpenID Connect token exchange (code for ID and access token)"),
    ("oidc_token_queries", "", "statements of one token exchange"),
    ("oidc_userinfo_ms", "ms", "OpenID Connect userinfo call with a fresh access token"),
    ("oidc_userinfo_queries", "", "statements of one userinfo call"),
]


def measure(bench: Bench) -> None:
    bench.say("Single sign-on (OpenID Connect)…")
    registered = application_create(
        practice=bench.practice, actor=None, name="Bench application", redirect_uris=[REDIRECT]
    )
    client_id = registered.application.client_id
    browser = bench.signed_in_client(seed.SIGNER)
    application = Client()
    authorize = (
        f"/o/authorize/?response_type=code&client_id={client_id}&redirect_uri={REDIRECT}"
        "&scope=openid+profile+email&state=bench&nonce=bench"
    )
    codes: list[str] = []

    def next_code() -> str:
        response = browser.get(authorize)
        location = response.get("Location", "")
        if response.status_code != 302 or not location.startswith(REDIRECT):
            raise CommandError(f"The bench's authorize request answered {response.status_code}.")
        return parse_qs(urlsplit(location).query)["code"][0]

    tokens = {}

    def exchange():
        response = application.post(
            "/o/token/",
            {
                "grant_type": "authorization_code",
                "code": codes.pop(),
                "redirect_uri": REDIRECT,
                "client_id": client_id,
                "client_secret": registered.secret,
            },
        )
        if response.status_code != 200:
            raise CommandError(f"The bench's token request answered {response.status_code}.")
        tokens.update(response.json())

    runs, warmup = bench.options.repeat, bench.options.warmup
    # Each exchange needs a code of its own, fetched (untimed) just before it.
    times = []
    for _ in range(warmup + runs):
        codes.append(next_code())
        times.append(timed(exchange) * 1000)
    token_ms = statistics.median(times[warmup:])
    # bench.counted sends twice (the first uncounted): a code for each.
    codes.extend([next_code(), next_code()])
    token_wire, _seen = bench.counted(exchange)

    def info():
        response = application.get(
            "/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}"
        )
        if response.status_code != 200:
            raise CommandError(f"The bench's userinfo request answered {response.status_code}.")

    userinfo_ms = median_ms(info, runs=runs, warmup=warmup)
    userinfo_wire, _seen = bench.counted(info)
    bench.detail["oidc_token_statements"] = token_wire.texts
    bench.detail["oidc_userinfo_statements"] = userinfo_wire.texts
    bench.figures(
        oidc_token_ms=token_ms,
        oidc_token_queries=token_wire.total,
        oidc_userinfo_ms=userinfo_ms,
        oidc_userinfo_queries=userinfo_wire.total,
    )
