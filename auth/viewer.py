"""The person behind a request, with their roles loaded at most once per request."""

from __future__ import annotations

from typing import Any

from models import user as user_model
from models.enums import MemberRole


class Viewer:
    """Anonymous when `user_id` is None; roles are fetched lazily, once."""

    def __init__(self, *, user_id: int | None, loaders: Any) -> None:
        self.user_id = user_id
        self.loaders = loaders
        self._roles: dict[int, MemberRole] | None = None

    @property
    def authenticated(self) -> bool:
        """Whether a valid access token came with the request."""
        return self.user_id is not None

    async def roles(self) -> dict[int, MemberRole]:
        """The viewer's direct role in every org they belong to (empty when anonymous)."""
        if self._roles is None:
            self._roles = {} if self.user_id is None else await user_model.managed_org_ids(user_id=self.user_id)
        return self._roles
