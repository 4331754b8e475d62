"""Who is calling: the authenticated principal and, per route, the permission in force."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.enums import Role
from shared.permissions import Action, Scope, scope_of

if TYPE_CHECKING:
    from server.settings import Settings


@dataclass(frozen=True)
class Principal:
    user_id: int
    username: str
    display_name: str
    role: Role
    org_id: int
    session_id: int
    expires_at: datetime
    password_change_required: bool = False
    #: The org tree's version when the session was checked (server/access.py's cache key).
    org_tree: int | None = None


@dataclass
class Actor:
    """A principal acting under one permission of the role x action table."""

    principal: Principal
    action: Action
    scope: Scope
    source: str | None = None
    _cache: dict[Any, Any] = field(default_factory=dict, repr=False)
    #: The server's settings (e.g. whether user administration is under four eyes).
    settings: Settings | None = None

    @property
    def user_id(self) -> int:
        return self.principal.user_id

    @property
    def role(self) -> Role:
        return self.principal.role

    @property
    def org_id(self) -> int:
        return self.principal.org_id

    def may(self, action: Action) -> Scope | None:
        return scope_of(self.role, action)

    def under(self, action: Action) -> Actor | None:
        """The same principal acting under another permission, if the role has it."""
        scope = self.may(action)
        if scope is None:
            return None
        return Actor(self.principal, action, scope, self.source, self._cache, self.settings)
