"""Django's database sessions, saved once per request (settings.SESSION_ENGINE).

Django's own store makes a new session by asking whether a random key is free (a SELECT) and
writing the row at once, in a transaction of its own; the request then writes it again at its
end (an UPDATE, in another). Signing in makes a new session every time, so that is three
statements and two transactions too many on the busiest request. Here a new session gets its
key at once and its row when the request saves it: one INSERT. The key is 32 characters from
36 (about 165 bits): the row's unique key, not a lookup beforehand, rules out a clash.

The rows are Django's: listing and ending sessions (accounts.sessions) work as before.
"""

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.db import DatabaseError, IntegrityError, connections, router, transaction
from django.utils.crypto import get_random_string


class SessionStore(db.SessionStore):
    _unsaved = False

    def _get_new_session_key(self) -> str:
        return get_random_string(32, VALID_KEY_CHARS)

    def create(self) -> None:
        self._session_key = self._get_new_session_key()
        self._unsaved = True
        self.modified = True

    def save(self, must_create: bool = False) -> None:
        if self.session_key is None:
            self.create()
        must_create = must_create or self._unsaved
        data = self._get_session(no_load=must_create)
        obj = self.create_model_instance(data)
        using = router.db_for_write(self.model, instance=obj)
        try:
            if connections[using].in_atomic_block:
                # Inside a transaction a failed statement must not spoil it: a savepoint.
                with transaction.atomic(using=using):
                    obj.save(force_insert=must_create, force_update=not must_create, using=using)
            else:
                # On its own a single statement is atomic already.
                obj.save(force_insert=must_create, force_update=not must_create, using=using)
        except IntegrityError:
            if must_create:
                raise CreateError from None
            raise
        except DatabaseError:
            if not must_create:
                raise UpdateError from None
            raise
        self._unsaved = False
