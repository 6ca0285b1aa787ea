"""The person behind a request, with their roles loaded at most once per request."""

from __future__ import annotations

import asyncio
from typing import Any

from models import user as user_model
from models.enums import MemberRole


class Viewer:
    """Anonymous when `user_id` is None; roles are fetched lazily, once."""

    def __init__(self, *, user_id: int | None, loaders: Any, token_error: bool = False) -> None:
        self.user_id = user_id
        self.token_error = token_error
        self.scope: Any = None  # models.project.Scope, built by auth.policies.project_scope
        self.loaders = loaders
        self._roles: asyncio.Future[dict[int, MemberRole]] | None = None

    @property
    def authenticated(self) -> bool:
        """Whether a valid access token came with the request."""
        return self.user_id is not None

    async def roles(self) -> dict[int, MemberRole]:
        """The viewer's direct role in every org they belong to (empty when anonymous).

        Resolvers running concurrently share one fetch: the first caller starts it, the others await the same
        future instead of each sending the query before the first answer is cached. The orgs come in the same
        statement and go into the request's org loader (the policies ask for the kinds of the orgs one runs).
        """
        if self.user_id is None:
            return {}
        if self._roles is None:
            self._roles = asyncio.ensure_future(self._fetch_roles(self.user_id))
        return await asyncio.shield(self._roles)

    async def _fetch_roles(self, user_id: int) -> dict[int, MemberRole]:
        roles = {}
        for role, org in await user_model.roles_in_orgs(user_id=user_id):
            self.loaders.org.prime(org.id, org)
            roles[org.id] = role
        return roles
