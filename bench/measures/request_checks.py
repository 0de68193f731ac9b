"""The per-request session checks (SessionGuardMiddleware): what they cost the gateway's
/auth/verify, for a user with login windows and one without, and a console page."""

from collections.abc import Iterator
from contextlib import contextmanager

from accounts.middleware import SessionGuardMiddleware
from bench import seed
from bench.measures.base import Bench, expect_ok
from bench.timing import paired

# A cheap signed-in page: the guard's share of its cost is what the page check measures.
# (An action the bench never writes, so the page is cheap.)
PAGE_URL = "/console/audit/?action=mfa.code_opted_out"
VERIFY_URL = "/auth/verify"

KEYS = [
    ("auth_verify_ratio_windows", "x", "/auth/verify/s with the guard / without, login windows"),
    ("auth_verify_ratio_plain", "x", "/auth/verify/s with the guard / without, no windows"),
    ("page_checks_ratio", "x", "a console page/s with the guard / without"),
    ("auth_verify_extra_queries_windows", "", "statements the guard adds, login windows"),
    ("auth_verify_extra_queries_plain", "", "statements the guard adds, no windows"),
    ("page_checks_extra_queries", "", "statements the guard adds to a page"),
    ("request_checks_extra_queries", "", "= page_checks_extra_queries (the older name)"),
    ("request_checks_throughput_ratio", "x", "= page_checks_ratio (the older name)"),
]


def measure(bench: Bench) -> None:
    """/auth/verify for a user with login windows and one without, and a page, each with
    the session guard's checks and without them, in the same session.

    One client for both sides, the guard's check switched off for the "without" side:
    two clients (one built without the guard in its middleware) differ by more than the
    guard; on a busy machine the one without it came out 10 to 20% slower or faster from
    run to run, while the same client against itself stays within 1 to 2%.
    """
    bench.say("Per-request checks…")
    cases = {
        ("auth_verify_ratio_windows", "auth_verify_extra_queries_windows"): (
            seed.WINDOWED,
            VERIFY_URL,
        ),
        ("auth_verify_ratio_plain", "auth_verify_extra_queries_plain"): (
            seed.PLAIN,
            VERIFY_URL,
        ),
        ("page_checks_ratio", "page_checks_extra_queries"): (seed.ADMIN, PAGE_URL),
    }
    # Short requests: more pairs, so that a few slow ones move the median less.
    pairs = bench.options.repeat * 10
    for (ratio_key, queries_key), (username, url) in cases.items():
        browser = bench.signed_in_client(username)

        def guarded(browser=browser, url=url):
            expect_ok(browser.get(url))

        def unguarded(browser=browser, url=url):
            with guard_checks_off():
                expect_ok(browser.get(url))

        with_wire, _ = bench.counted(guarded)
        without_wire, _ = bench.counted(unguarded)
        # Throughput with the guard / without = time without / time with.
        pair = paired(unguarded, guarded, pairs=pairs, warmup=bench.options.warmup)
        bench.figures(**{ratio_key: pair.ratio, queries_key: with_wire.total - without_wire.total})
    bench.figures(
        request_checks_extra_queries=bench.results["page_checks_extra_queries"],
        request_checks_throughput_ratio=bench.results["page_checks_ratio"],
    )


@contextmanager
def guard_checks_off() -> Iterator[None]:
    """SessionGuardMiddleware lets every request through unchecked inside the block."""
    check = SessionGuardMiddleware.check
    SessionGuardMiddleware.check = lambda self, request: None
    try:
        yield
    finally:
        SessionGuardMiddleware.check = check
