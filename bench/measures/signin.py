"""Sign-in: a whole sign-in POST against the bare Argon2 verify of the same hash, and the
statements it sends."""

from django.contrib.auth.hashers import check_password
from django.core.management.base import CommandError
from django.test import Client

from bench import seed
from bench.measures.base import Bench
from bench.timing import paired

KEYS = [
    ("signin_ratio", "x", "sign-in POST / bare Argon2 verify of the same hash (paired)"),
    ("signin_cpu_ratio", "x", "the same in CPU time of this process (steady under load)"),
    ("signin_ms", "ms", "one sign-in POST"),
    ("verify_ms", "ms", "one bare Argon2 verify"),
    ("signin_cpu_ms", "ms", "CPU time of one sign-in POST in the app's process"),
    ("verify_cpu_ms", "ms", "CPU time of one bare Argon2 verify"),
    ("signin_overhead_cpu_ms", "ms", "CPU of a sign-in POST beyond the bare verify (paired)"),
    ("signin_queries", "", "statements of one sign-in POST, transaction control included"),
    ("signin_transaction_statements", "", "of which BEGIN/COMMIT/SAVEPOINT/RELEASE"),
    ("signin_queries_django", "", "what django_assert_num_queries sees of it"),
]


def measure(bench: Bench) -> None:
    bench.say("Sign-in…")
    path = f"/p/{bench.practice.code}/login/"

    def sign_in():
        response = Client().post(path, {"username": seed.SIGNER, "password": seed.PASSWORD})
        if response.status_code != 302:
            raise CommandError(f"The bench sign-in answered {response.status_code}.")

    def verify():
        check_password(seed.PASSWORD, bench.encoded)

    pair = paired(sign_in, verify, pairs=bench.options.repeat, warmup=bench.options.warmup)
    wire, seen = bench.counted(sign_in)
    kinds = wire.by_kind
    bench.figures(
        signin_ratio=pair.ratio,
        signin_cpu_ratio=pair.cpu_ratio,
        signin_ms=pair.a_ms,
        verify_ms=pair.b_ms,
        # What capacity is made of: CPU time, here in the app's process (not the database's).
        signin_cpu_ms=pair.a_cpu_ms,
        verify_cpu_ms=pair.b_cpu_ms,
        # What the sign-in costs besides its hash, whatever the hash costs on this machine.
        signin_overhead_cpu_ms=pair.overhead_cpu_ms,
        signin_queries=wire.total,
        signin_transaction_statements=kinds["transaction"],
        signin_queries_django=seen,
    )
    bench.detail["signin_statements"] = wire.texts
