"""Running work in real threads released at the same moment, for race tests on PostgreSQL."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection


def run_together(count: int, work) -> tuple[list, list[ValidationError]]:
    """Run work(0), …, work(count - 1) in threads released at once by a barrier.

    Returns (results, errors): what each thread returned, and the ValidationErrors raised.
    Each thread closes its own database connection.
    """
    barrier = threading.Barrier(count)
    results, errors = [], []

    def runner(index):
        barrier.wait()
        try:
            results.append(work(index))
        except ValidationError as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, errors
