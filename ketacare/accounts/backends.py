"""The password backend, which loads the signed-in user with their patient record and its clinic."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend as DjangoModelBackend

from ketacare.accounts.models import User


class ModelBackend(DjangoModelBackend):
    """Django's backend; ``get_user`` joins the patient record and its clinic in the one user query.

    Every patient page and submission starts with ``access_patient(user, user.patient.public_id)``:
    with the row already loaded, the request reads the patient once (a staff user's missing patient
    is cached as well, so ``hasattr(user, "patient")`` costs nothing either).
    """

    def get_user(self, user_id: Any) -> User | None:
        # get(), not first(): the primary key needs no ORDER BY, which was a third of the query's cost.
        try:
            user = User._default_manager.select_related("patient__clinic").get(pk=user_id)
        except User.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None
