"""Django's ModelBackend, with the user behind a session read in one hand-written statement
(`selectors.user_for_session`): asked on every signed-in page, where the ORM's `User.objects.get` cost more to
build than the database took to answer. Signing in, passwords and permissions are Django's own."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.auth.models import User

from .selectors import user_for_session


class ModelBackend(DjangoModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = user_for_session(user_id=user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
