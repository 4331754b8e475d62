"""Every API route x every role x every target, against a table written by hand.

`test_permission_matrix.py` derives its expectation from `shared/permissions.py`, the
table under test, so a wrong entry there passes it. The table below is written from the
specification instead — `shared/domain/roles-and-permissions.md` (it wins) and
`shared/CONTRACT.md` (routes, statuses, "Four-eyes approvals") — with the team's reading
of it:

- anonymous (no token): 401 on every route but `POST /auth/login` and `POST /auth/totp`
  (open: their own credentials answer 401 with their own codes);
- an action a role may never do (not listed for it: deny by default): 403
  `permission.denied`, whatever the target, a missing id included;
- an object outside the caller's data scope: 404 `resource.not_found`, exactly as a
  missing id; an object the caller may see but not change in this way: 403;
- success: GET 200, create 201, PATCH 200, POST actions 200 (logout, revoke-sessions
  204), an action that needs approval 202 `{approval_id, status: "pending"}`;
- nobody changes their own role, org, lock state or password: 403
  `user.self_administration`; the maker never decides their own request: 403
  `approval.own_request`.

Acting users (tests/server/conftest.py): teller = teller_a1 (sub-branch A1), am = am_a
(branch A), bm = bm_a (branch A), admin = admin (head office), auditor = auditor (head
office). Targets are relative to the caller and explained beside each group of routes.
Never derive a cell from the server's code: where the code disagrees and the spec is
clear, the cell stays and is marked xfail (strict) with the spec sentence.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from server.app import api_routes
from server.models import ApprovalRequest, Customer, Job, JobOutput, Org, User
from tests.server.conftest import PASSWORD, id_number

PREFIX = "/api/v1"
MISSING = 2_147_483_000  # fits PostgreSQL's integer, exists nowhere
PROBLEM_KEYS = {"type", "title", "status", "detail", "code"}


# ============================================================================ what a cell expects
@dataclass(frozen=True)
class Expect:
    status: int
    code: str | None = None
    #: collections: the exact `total`, names that must and must not be among the items
    total: int | None = None
    see: tuple[str, ...] = ()
    hide: tuple[str, ...] = ()
    #: a 202 that started a background job (not one that waits for a checker)
    job: bool = False
    #: the answer's media type, when not JSON
    media: str | None = None

    def __str__(self) -> str:
        return f"{self.status}" + (f" {self.code}" if self.code else "")


OK = Expect(200)
CREATED = Expect(201)
PENDING = Expect(202)  # needs a checker: {approval_id, status: "pending"}
QUEUED = Expect(202, job=True)  # started as a background job
PDF = Expect(200, media="application/pdf")
NO_CONTENT = Expect(204)
UNAUTHORIZED = Expect(401)
DENIED = Expect(403, "permission.denied")  # the role may never do this
FORBIDDEN = Expect(403)  # the caller may see the object but not change it this way
SELF_ADMIN = Expect(403, "user.self_administration")
OWN_REQUEST = Expect(403, "approval.own_request")
NOT_FOUND = Expect(404, "resource.not_found")  # outside the scope, or missing: the same
INVALID = Expect(422)  # a reference in the body to an org that cannot take it
NA = None  # no such target for this role


def listed(total: int | None, see: str = "", hide: str = "") -> Expect:
    return Expect(200, total=total, see=tuple(see.split()), hide=tuple(hide.split()))


ROLES = ("teller", "am", "bm", "admin", "auditor")
ACTING = {"teller": "teller_a1", "am": "am_a", "bm": "bm_a", "admin": "admin", "auditor": "auditor"}
ORG_OF = {"teller": "A1", "am": "A", "bm": "A", "admin": "HO", "auditor": "HO"}


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # as api_routes() names it, without the /api/v1 prefix
    targets: tuple[str, ...]
    rows: dict[str, tuple[Expect | None, ...]]
    variant: str = ""  # a body variant of the same route
    anonymous: Expect | None = UNAUTHORIZED

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")


def R(route: str, targets: str, rows: dict[str, tuple[Expect | None, ...]], variant: str = "",
      anonymous: Expect | None = UNAUTHORIZED) -> Route:
    method, path = route.split(" ", 1)
    t = tuple(targets.split())
    for role, cells in rows.items():
        assert len(cells) == len(t), (route, variant, role)
    return Route(method, path, t, rows, variant, anonymous)


# ============================================================================ THE TABLE
SPEC: list[Route] = [
    # ------------------------------------------------------------------ session (every user, about themselves)
    # Target `self`: the acting user's own login / session / password. Anonymous login:
    # an unknown user (CONTRACT: 401 auth.invalid_credentials).
    R("POST /auth/login", "self", {r: (OK,) for r in ROLES},
      anonymous=Expect(401, "auth.invalid_credentials")),
    # logout returns nothing: 204 like revoke-sessions (CONTRACT is silent; docs/API.md says 204)
    R("POST /auth/logout", "self", {r: (NO_CONTENT,) for r in ROLES}),
    R("GET /auth/me", "self", {r: (OK,) for r in ROLES}),
    R("POST /auth/password", "self", {r: (OK,) for r in ROLES}),
    # the login's second step (open: an unknown mfa_token is 401 auth.mfa_token_invalid);
    # one's own second factor, re-enrolled after re-authentication (every role)
    R("POST /auth/totp", "self", {r: (OK,) for r in ROLES},
      anonymous=Expect(401, "auth.mfa_token_invalid")),
    R("POST /auth/totp/enrolment", "self", {r: (OK,) for r in ROLES}),
    R("POST /auth/totp/enrolment/confirm", "self", {r: (OK,) for r in ROLES}),

    # ------------------------------------------------------------------ orgs
    # Every role reads the whole org tree (the bank's structure, for pickers); only
    # head-office admins change it ("orgs, users, roles ...": admin ✓, others —; branch
    # managers only *view users*).
    # Targets: own = the caller's org; child = an org below it (A1 for A's staff, A for
    # head office; A1 has none); other = B1 (outside A; head office has no outside).
    R("GET /orgs", "list", {r: (listed(6, "HO A A1 A2 B B1"),) for r in ROLES}),
    R("GET /orgs/{org_id}", "own child other missing", {
        "teller":  (OK, NA, OK, NOT_FOUND),
        "am":      (OK, OK, OK, NOT_FOUND),
        "bm":      (OK, OK, OK, NOT_FOUND),
        "admin":   (OK, OK, NA, NOT_FOUND),
        "auditor": (OK, OK, NA, NOT_FOUND),
    }),
    R("GET /orgs/{org_id}/history", "own child other missing", {
        "teller":  (DENIED, NA, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED),
        "admin":   (DENIED, DENIED, NA, DENIED),
        "auditor": (OK, OK, NA, NOT_FOUND),
    }),
    # POST /orgs targets the parent: head_office (a new branch), branch (a new sub-branch
    # under A), missing (a parent that does not exist: a body reference -> 422)
    R("POST /orgs", "head_office branch missing", {
        "teller":  (DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED),
        "admin":   (CREATED, CREATED, INVALID),
        "auditor": (DENIED, DENIED, DENIED),
    }),
    R("PATCH /orgs/{org_id}", "own child other missing", {
        "teller":  (DENIED, NA, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED),
        "admin":   (OK, OK, NA, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),

    # ------------------------------------------------------------------ users
    # admin: ✓ bank-wide; bm: "view own subtree's users" (read-only); teller, am,
    # auditor: — (they have /auth/me for themselves, so even `self` is 403 here).
    # Targets: self; branch = am_a2 (in A: in A's subtree; for the teller at A1 a
    # colleague of the parent branch); other = teller_b (B1, outside A); privileged =
    # admin2 (a head-office admin: changes touching them wait for a second admin); missing.
    R("GET /users", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (listed(4, "teller_a1 am_a am_a2 bm_a", "teller_b am_b bm_b admin admin2 auditor"),),
        "admin":   (listed(10, "admin admin2 auditor teller_a1 am_a am_a2 bm_a teller_b am_b bm_b"),),
        "auditor": (DENIED,),
    }),
    # POST /users targets: branch = a teller for A1 (granted directly, 201); privileged =
    # an auditor (CONTRACT: 202 pending); missing = org_id that does not exist (422)
    R("POST /users", "branch privileged missing", {
        "teller":  (DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED),
        "admin":   (CREATED, PENDING, INVALID),
        "auditor": (DENIED, DENIED, DENIED),
    }),
    R("GET /users/{user_id}", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (OK, OK, OK, OK, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),
    # display_name only: not role, org, lock state or password, so one's own is allowed
    # change history (roles-and-permissions.md, "audit log, change history": branch
    # managers in their subtree, auditors bank-wide, head-office admins not at all)
    R("GET /users/{user_id}/history", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED, DENIED),
        "auditor": (OK, OK, OK, OK, NOT_FOUND),
    }),
    R("PATCH /users/{user_id}", "self branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED),
        "admin":   (OK, OK, OK, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }, variant="display_name"),
    # role -> an ordinary role (self/am_a2/admin2: teller; teller_b: account_manager);
    # taking a privileged role away from admin2 touches a privileged user: 202
    R("PATCH /users/{user_id}", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, OK, OK, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }, variant="role"),
    # role -> auditor: granting a privileged role (CONTRACT: 202, kind user.grant_privileged)
    R("PATCH /users/{user_id}", "self branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, PENDING, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }, variant="grant"),
    # org_id -> another org (self: A; am_a2: B; teller_b: B; admin2: A)
    R("PATCH /users/{user_id}", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, OK, OK, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }, variant="org"),
    # locking a privileged user is protective (it only takes access away; unlocking
    # them waits for a second admin): immediate, 200. A reading decided here: the spec
    # asks approval for *granting* a privileged role; "changes touching privileged
    # users" is taken to mean what could hand out or restore power, not a lock-out.
    R("POST /users/{user_id}/lock", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, OK, OK, OK, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),
    # the target is locked first (by admin) so that an allowed unlock has something to do
    R("POST /users/{user_id}/unlock", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, OK, OK, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),
    R("POST /users/{user_id}/password-reset", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, OK, OK, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),
    # ending sessions changes neither role, org, lock state nor password (self allowed)
    # and is protective (privileged: immediate)
    R("POST /users/{user_id}/revoke-sessions", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (NO_CONTENT, NO_CONTENT, NO_CONTENT, NO_CONTENT, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),
    # resetting someone's second factor: a head-office admin, bank-wide, always approved by
    # another admin (202, kind user.mfa_reset); never one's own (one's own second factor is
    # re-enrolled with /auth/totp/enrolment)
    R("POST /users/{user_id}/second-factor/reset", "self branch other privileged missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "bm":      (DENIED, DENIED, DENIED, DENIED, DENIED),
        "admin":   (SELF_ADMIN, PENDING, PENDING, PENDING, NOT_FOUND),
        "auditor": (DENIED, DENIED, DENIED, DENIED, DENIED),
    }),

    # ------------------------------------------------------------------ approvals
    # Checkers: bm in subtree (customer items); admin: user items, cross-branch items,
    # head-office makers' items, items escalated from a branch with no other checker.
    # Makers: am and bm (deletion, rating, unmask, reassignment requests), admin (grants).
    # teller and auditor are neither: —. An am is no checker: deciding is — for them.
    # Targets: mine = a request the caller made (admin: a privileged grant; bm: a
    # reassignment of `main`, escalated to head office as bm_a is A's only checker;
    # nothing else can make one through the routes that exist); user = the world's
    # pending grant by admin2 (branch managers never see user items); cust_a = a
    # reassignment of `main` (A1) by a second branch manager of A, so bm_a is its
    # checker and it is no head-office item; cust_b = a reassignment of `b` (B1) by
    # bm_b, B's only checker, so it is escalated to head office; missing.
    # The list: status=pending with all three others' requests pending; the am asks
    # `mine=true` (a maker sees their own; am_a has none).
    R("GET /approvals", "list", {
        "teller":  (DENIED,),
        "am":      (listed(0, "", "user cust_a cust_b"),),
        "bm":      (listed(1, "cust_a", "user cust_b"),),
        "admin":   (listed(2, "user cust_b", "cust_a"),),
        "auditor": (DENIED,),
    }),
    R("POST /approvals/{approval_id}/approve", "mine user cust_a cust_b missing", {
        "teller":  (NA, DENIED, DENIED, DENIED, DENIED),
        "am":      (NA, DENIED, DENIED, DENIED, DENIED),
        "bm":      (OWN_REQUEST, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (OWN_REQUEST, OK, NOT_FOUND, OK, NOT_FOUND),
        "auditor": (NA, DENIED, DENIED, DENIED, DENIED),
    }),
    R("POST /approvals/{approval_id}/reject", "mine user cust_a cust_b missing", {
        "teller":  (NA, DENIED, DENIED, DENIED, DENIED),
        "am":      (NA, DENIED, DENIED, DENIED, DENIED),
        "bm":      (OWN_REQUEST, NOT_FOUND, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (OWN_REQUEST, OK, NOT_FOUND, OK, NOT_FOUND),
        "auditor": (NA, DENIED, DENIED, DENIED, DENIED),
    }),

    # ------------------------------------------------------------------ customers
    # Look up: teller, am, bm in their org subtree; admin ("no customer data") and
    # auditor: —. Targets: own = `main` (A1, am_a's book; for the teller a customer of
    # their own org, for the bm one of their subtree — neither has a book); branch =
    # `a_other` (branch A, am_a2's book: in the am's and bm's subtree, but *outside* the
    # teller's, whose subtree is A1 alone); other = `b` (B1); missing.
    R("GET /customers", "list", {
        "teller":  (listed(1, "main", "a_other b b_same_surname"),),
        "am":      (listed(2, "main a_other", "b b_same_surname"),),
        "bm":      (listed(2, "main a_other", "b b_same_surname"),),
        "admin":   (DENIED,),
        "auditor": (DENIED,),
    }),
    # create personal customer: teller ✓ in own org, am ✓, bm ✓ (in their subtree).
    # Targets are the org_id: own = the caller's org; child = A1 (below A; the teller's
    # A1 has none); other = B1; missing. An org outside the caller's reach is a wrong
    # value in the body (the org tree is public, nothing to hide): 422.
    R("POST /customers", "own child other missing", {
        "teller":  (CREATED, NA, INVALID, INVALID),
        "am":      (CREATED, CREATED, INVALID, INVALID),
        "bm":      (CREATED, CREATED, INVALID, INVALID),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}", "own branch other missing", {
        "teller":  (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    # edit profile: teller contact details only (in subtree), am own book, bm subtree.
    # contact = {address}: the am may look `a_other` up but it is not in their book: 403
    R("PATCH /customers/{customer_id}", "own branch other missing", {
        "teller":  (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }, variant="contact"),
    # profile = {occupation}: not a contact detail, so 403 for the teller on `main`
    R("PATCH /customers/{customer_id}", "own branch other missing", {
        "teller":  (FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, FORBIDDEN, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }, variant="profile"),
    # reassign = {org_id: A2} (allocation): only the bm, within the subtree up to the
    # threshold (default 50: one customer moves at once, 200); teller and am may edit
    # the customer but never reassign: 403
    R("PATCH /customers/{customer_id}", "own branch other missing", {
        "teller":  (FORBIDDEN, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (FORBIDDEN, FORBIDDEN, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }, variant="reassign"),
    # the same with the threshold at 0: "above it ... A" -> 202 pending
    R("PATCH /customers/{customer_id}", "own branch other missing", {
        "bm":      (PENDING, PENDING, NOT_FOUND, NOT_FOUND),
    }, variant="reassign above threshold", anonymous=NA),
    # change history: am own book, bm subtree, auditor bank-wide; teller, admin: —.
    # `a_other` is outside the am's history scope (own book): a *read* outside the
    # scope is 404 ("403 only for an action the role may never do"); the team's 403 for
    # a visible object is about changing it, not reading it.
    R("GET /customers/{customer_id}/history", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (OK, OK, OK, NOT_FOUND),
    }),
    # "delete customer: account manager request (A); branch manager request (A), checker";
    # CONTRACT: `{version, reason}` → 202, never a direct delete. The am may look `a_other`
    # up but it is not in their book: 403, as for editing it.
    R("DELETE /customers/{customer_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (PENDING, FORBIDDEN, NOT_FOUND, NOT_FOUND),
        "bm":      (PENDING, PENDING, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    # CONTRACT: the archive is read by "auditors, branch managers in scope", and "a branch
    # manager" restores. The list: `a_other` (A) and `b` (B1) deleted through their
    # branches' four eyes. Restore targets: own = `main`, branch = `a_other`, other = `b`,
    # each deleted first; missing = nothing archived under the id.
    R("GET /archive/customers", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (listed(1, "a_other", "b"),),
        "admin":   (DENIED,),
        "auditor": (listed(2, "a_other b"),),
    }),
    R("POST /archive/customers/{customer_id}/restore", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (DENIED, DENIED, DENIED, DENIED),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),

    # ------------------------------------------------------------------ audit log (CONTRACT: auditors)
    R("GET /audit", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (DENIED,),
        "admin":   (DENIED,),
        "auditor": (listed(None),),
    }),

    # ------------------------------------------------------------------ exports (issue 13: "each export is audited")
    # A list exported is on the audit trail; whoever may read a list may export it
    # (the team's reading: the export holds what the list shows, masked as shown, and
    # unmasking for export is its own request, `customer.unmask_export`).
    R("POST /customers/exports", "list", {
        "teller":  (NO_CONTENT,),
        "am":      (NO_CONTENT,),
        "bm":      (NO_CONTENT,),
        "admin":   (DENIED,),
        "auditor": (DENIED,),
    }),
    R("POST /users/exports", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (NO_CONTENT,),
        "admin":   (NO_CONTENT,),
        "auditor": (DENIED,),
    }),
    R("POST /audit/exports", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (DENIED,),
        "admin":   (DENIED,),
        "auditor": (NO_CONTENT,),
    }),
    R("POST /approvals/exports", "list", {
        "teller":  (DENIED,),
        "am":      (NO_CONTENT,),  # their own requests
        "bm":      (NO_CONTENT,),
        "admin":   (NO_CONTENT,),
        "auditor": (DENIED,),
    }),

    # ------------------------------------------------------------------ household finance
    # "household finances: view / edit": am own book, bm subtree, everyone else —. The
    # preview analyses figures sent with it (no customer, nothing stored): whoever may
    # view household finances may ask for it.
    R("POST /finance-analysis/preview", "any", {
        "teller":  (DENIED,),
        "am":      (OK,),
        "bm":      (OK,),
        "admin":   (DENIED,),
        "auditor": (DENIED,),
    }),

    # Balance sheets of a customer: targets as for profiles (own = main, in am_a's book;
    # branch = a_other, another manager's in A; other = b, in branch B). Reading and
    # writing alike: the assigned account manager and the branch's managers; a customer
    # outside that scope (or a sheet of one) is 404, tellers, admins and auditors 403.
    R("GET /customers/{customer_id}/household", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("PUT /customers/{customer_id}/household", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}/finance-analysis", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("POST /customers/{customer_id}/income-statements", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (CREATED, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (CREATED, CREATED, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}/income-statements", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}/income-statements/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("PATCH /customers/{customer_id}/income-statements/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("DELETE /customers/{customer_id}/income-statements/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (NO_CONTENT, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (NO_CONTENT, NO_CONTENT, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("POST /customers/{customer_id}/balance-sheets", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (CREATED, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (CREATED, CREATED, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}/balance-sheets", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("GET /customers/{customer_id}/balance-sheets/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("PATCH /customers/{customer_id}/balance-sheets/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, OK, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("DELETE /customers/{customer_id}/balance-sheets/{statement_id}", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (NO_CONTENT, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (NO_CONTENT, NO_CONTENT, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),

    # ------------------------------------------------------------------ system parameters (head-office admins only)
    # Bank-wide values: targets are an existing name and a missing one.
    R("GET /parameters", "list", {
        "teller":  (DENIED,),
        "am":      (DENIED,),
        "bm":      (DENIED,),
        "admin":   (listed(5),),
        "auditor": (DENIED,),
    }),
    R("GET /parameters/{name}", "existing missing", {
        "teller":  (DENIED, DENIED),
        "am":      (DENIED, DENIED),
        "bm":      (DENIED, DENIED),
        "admin":   (OK, NOT_FOUND),
        "auditor": (DENIED, DENIED),
    }),
    R("PUT /parameters/{name}", "existing missing", {
        "teller":  (DENIED, DENIED),
        "am":      (DENIED, DENIED),
        "bm":      (DENIED, DENIED),
        "admin":   (OK, NOT_FOUND),
        "auditor": (DENIED, DENIED),
    }),
    R("GET /parameters/{name}/history", "existing missing", {
        "teller":  (DENIED, DENIED),
        "am":      (DENIED, DENIED),
        "bm":      (DENIED, DENIED),
        "admin":   (OK, NOT_FOUND),
        "auditor": (DENIED, DENIED),
    }),

    # "print financial statement": am own book, bm subtree, everyone else —; targets as
    # for balance sheets (the target's customer has a balance sheet). A batch prints the
    # caller's book (am) or subtree (bm): both have main's sheet to print.
    R("GET /customers/{customer_id}/statement", "own branch other missing", {
        "teller":  (DENIED, DENIED, DENIED, DENIED),
        "am":      (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (PDF, PDF, NOT_FOUND, NOT_FOUND),
        "admin":   (DENIED, DENIED, DENIED, DENIED),
        "auditor": (DENIED, DENIED, DENIED, DENIED),
    }),
    R("POST /statements/batches", "any", {
        "teller":  (DENIED,),
        "am":      (QUEUED,),
        "bm":      (QUEUED,),
        "admin":   (DENIED,),
        "auditor": (DENIED,),
    }),

    # ------------------------------------------------------------------ background jobs
    # Each user the jobs they started, head-office admins every job; another's job is
    # 404 like a missing id. Targets: own = a job the caller started (am_a: the world's
    # job); branch = a job am_a2 started (branch A: a colleague, for the bm one of their
    # subtree — still not theirs); other = a job teller_b started (B1); missing.
    R("GET /jobs/{job_id}", "own branch other missing", {
        "teller":  (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (OK, OK, OK, NOT_FOUND),
        "auditor": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    }),
    # Stopping a job: whoever may follow it (here: a queued job of the target's starter).
    R("POST /jobs/{job_id}/cancel", "own branch other missing", {
        "teller":  (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (OK, OK, OK, NOT_FOUND),
        "auditor": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    }),
    # A job's files (a batch's statements) are for the user who started it only: a
    # head-office admin follows every job but reads no branch's statements.
    R("GET /jobs/{job_id}/outputs", "own branch other missing", {
        "teller":  (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "auditor": (OK, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    }),
    R("GET /jobs/{job_id}/outputs/{output_id}", "own branch other missing", {
        "teller":  (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "am":      (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "bm":      (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "admin":   (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
        "auditor": (PDF, NOT_FOUND, NOT_FOUND, NOT_FOUND),
    }),
]

#: Cells where the code disagrees with the spec: (route key, role, target) -> why.
#: (Empty: the four the first version of this table found are fixed.)
SPEC_VS_CODE: dict[tuple[str, str, str], str] = {}


# ============================================================================ building the requests
@dataclass
class Req:
    method: str
    url: str
    json: Any = None
    headers: dict[str, str] | None = None  # None: the acting user's token
    ids: dict[str, int] = field(default_factory=dict)  # collections: name -> id for see/hide


@dataclass
class Ctx:
    api: Any
    world: Any
    db: Any
    role: str

    @property
    def me(self) -> str:
        return ACTING[self.role]

    def h(self, user: str) -> dict[str, str]:
        return self.world.h(user)

    def ok(self, expected: int, method: str, url: str, user: str | None = None,
           headers: dict[str, str] | None = None, json: Any = None) -> Any:
        """A setup call that must succeed (it is not what the cell tests)."""
        r = self.api.request(method, url, headers=headers or self.h(user or "admin"), json=json)
        assert r.status_code == expected, f"setup {method} {url}: {r.status_code} {r.text[:300]}"
        return r.json() if r.content else None

    def version(self, model: Any, oid: int) -> int:
        v = self.db.scalar(select(model.version).where(model.id == oid))
        return 1 if v is None else int(v)

    # --- targets
    def customer(self, target: str) -> int:
        return MISSING if target == "missing" else self.world.customers[CUSTOMER_TARGET[target]]

    def user(self, target: str) -> int:
        if target == "missing":
            return MISSING
        return self.world.users[self.me if target == "self" else USER_TARGET[target]]

    def org(self, target: str) -> int:
        if target == "missing":
            return MISSING
        key = {"own": ORG_OF[self.role], "child": CHILD_ORG.get(self.role), "other": "B1"}[target]
        assert key is not None
        return self.world.orgs[key]

    # --- setup for the approval routes
    def threshold(self, n: int) -> None:
        url = "/parameters/reassignment-threshold"
        v = self.ok(200, "GET", url)["version"]
        self.ok(200, "PUT", url, json={"version": v, "max_customers": n, "reason": "规格测试"})

    def reassign_request(self, headers: dict[str, str], customer: str, org: str) -> int:
        cid = self.world.customers[customer]
        body = {"version": self.version(Customer, cid), "org_id": self.world.orgs[org]}
        out = self.ok(202, "PATCH", f"/customers/{cid}", headers=headers, json=body)
        return int(out["approval_id"])

    def deputy_of_a(self) -> dict[str, str]:
        """A second branch manager of A (a department head), so bm_a can be a checker."""
        hashed = self.db.scalar(select(User.password_hash).where(User.id == self.world.users["bm_a"]))
        self.db.add(User(username="bm_a_deputy", username_key="bm_a_deputy", password_hash=hashed,
                         display_name="副行长", role="branch_manager", org_id=self.world.orgs["A"],
                         position="department_head"))
        self.db.commit()
        token = self.ok(200, "POST", "/auth/login", headers={"X-Setup": "1"},
                        json={"username": "bm_a_deputy", "password": PASSWORD})["access_token"]
        return {"Authorization": f"Bearer {token}"}

    def approval(self, target: str) -> int:
        if target == "missing":
            return MISSING
        if target == "user":
            return int(self.world.approval_id)
        self.threshold(0)
        if target == "mine" and self.role == "admin":
            out = self.ok(202, "POST", "/users", json=new_user("spec.pending", "auditor", self.world.orgs["HO"]))
            return int(out["approval_id"])
        if target == "mine" and self.role == "bm":
            return self.reassign_request(self.h("bm_a"), "main", "A2")
        if target == "cust_a":
            return self.reassign_request(self.deputy_of_a(), "main", "A2")
        if target == "cust_b":
            return self.reassign_request(self.h("bm_b"), "b", "B")
        raise AssertionError((self.role, target))

    def job(self, target: str, status: str = "succeeded") -> int:
        if target == "missing":
            return MISSING
        starter = {"own": self.me, "branch": "am_a2", "other": "teller_b"}[target]
        if starter == "am_a" and status == "succeeded":
            return int(self.world.job_id)
        job = Job(kind="search_keys.rebuild", params="{}", status=status, done=1, total=1, attempts=1,
                  created_by=self.world.users[starter],
                  org_id=self.db.scalar(select(User.org_id).where(User.id == self.world.users[starter])))
        self.db.add(job)
        self.db.commit()
        return int(job.id)


CUSTOMER_TARGET = {"own": "main", "branch": "a_other", "other": "b"}
USER_TARGET = {"branch": "am_a2", "other": "teller_b", "privileged": "admin2"}
CHILD_ORG = {"am": "A1", "bm": "A1", "admin": "A", "auditor": "A"}


def new_user(username: str, role: str, org_id: int) -> dict[str, Any]:
    return {"username": username, "password": "Spec-New-User-Pass-26", "display_name": "规格测试用户",
            "role": role, "org_id": org_id}


def new_customer(org_id: int) -> dict[str, Any]:
    return {"name": "规格测试客户", "gender": "male", "birth_date": "1995-06-15",
            "id_number": id_number("110101", "19950615", 21, True), "org_id": org_id}


Builder = Callable[[Ctx, str], Req]
BUILD: dict[str, Builder] = {}


def builds(key: str) -> Callable[[Builder], Builder]:
    def register(f: Builder) -> Builder:
        BUILD[key] = f
        return f
    return register


# --- session
@builds("POST /auth/login")
def _login(c: Ctx, t: str) -> Req:
    return Req("POST", "/auth/login", {"username": c.me, "password": PASSWORD}, headers={})


@builds("POST /auth/logout")
def _logout(c: Ctx, t: str) -> Req:
    return Req("POST", "/auth/logout")


@builds("GET /auth/me")
def _me(c: Ctx, t: str) -> Req:
    return Req("GET", "/auth/me")


@builds("POST /auth/password")
def _password(c: Ctx, t: str) -> Req:
    return Req("POST", "/auth/password", {"old_password": PASSWORD, "new_password": "Spec-Changed-Pass-2026"})


@builds("POST /auth/totp")
def _totp(c: Ctx, t: str) -> Req:
    """The acting user's first enrolment, as a login for a role in CRM_MFA_ROLES starts it."""
    import pyotp

    from server.services import mfa
    user = c.db.get(User, c.world.users[c.me])
    secret = mfa.ensure_pending(c.db, user)
    challenge = mfa.issue_challenge(c.db, user, "spec", None, None)
    c.db.commit()
    return Req("POST", "/auth/totp", {"mfa_token": challenge.token, "code": pyotp.TOTP(secret).now()}, headers={})


@builds("POST /auth/totp/enrolment")
def _totp_enrolment(c: Ctx, t: str) -> Req:
    return Req("POST", "/auth/totp/enrolment", {"password": PASSWORD})


@builds("POST /auth/totp/enrolment/confirm")
def _totp_confirm(c: Ctx, t: str) -> Req:
    import pyotp
    secret = c.ok(200, "POST", "/auth/totp/enrolment", user=c.me, json={"password": PASSWORD})["secret"]
    return Req("POST", "/auth/totp/enrolment/confirm", {"code": pyotp.TOTP(secret).now()})


# --- orgs
@builds("GET /orgs")
def _orgs(c: Ctx, t: str) -> Req:
    return Req("GET", "/orgs?page_size=200", ids=dict(c.world.orgs))


@builds("GET /orgs/{org_id}")
def _org(c: Ctx, t: str) -> Req:
    return Req("GET", f"/orgs/{c.org(t)}")


@builds("GET /orgs/{org_id}/history")
def _org_history(c: Ctx, t: str) -> Req:
    return Req("GET", f"/orgs/{c.org(t)}/history")


@builds("POST /orgs")
def _org_create(c: Ctx, t: str) -> Req:
    kind, parent = {"head_office": ("branch", c.world.orgs["HO"]), "branch": ("sub_branch", c.world.orgs["A"]),
                    "missing": ("sub_branch", MISSING)}[t]
    return Req("POST", "/orgs", {"code": "SPEC1", "name": "规格测试机构", "kind": kind, "parent_id": parent})


@builds("PATCH /orgs/{org_id}")
def _org_update(c: Ctx, t: str) -> Req:
    oid = c.org(t)
    return Req("PATCH", f"/orgs/{oid}", {"version": c.version(Org, oid), "name": "规格测试改名"})


# --- users
@builds("GET /users")
def _users(c: Ctx, t: str) -> Req:
    return Req("GET", "/users?page_size=200", ids=dict(c.world.users))


@builds("POST /users")
def _user_create(c: Ctx, t: str) -> Req:
    role, org = {"branch": ("teller", c.world.orgs["A1"]), "privileged": ("auditor", c.world.orgs["HO"]),
                 "missing": ("teller", MISSING)}[t]
    return Req("POST", "/users", new_user("spec.new", role, org))


@builds("GET /users/{user_id}")
def _user(c: Ctx, t: str) -> Req:
    return Req("GET", f"/users/{c.user(t)}")


@builds("GET /users/{user_id}/history")
def _user_history(c: Ctx, t: str) -> Req:
    return Req("GET", f"/users/{c.user(t)}/history")


def _user_patch(c: Ctx, t: str, change: dict[str, Any]) -> Req:
    uid = c.user(t)
    return Req("PATCH", f"/users/{uid}", {"version": c.version(User, uid), **change})


@builds("PATCH /users/{user_id} [display_name]")
def _user_name(c: Ctx, t: str) -> Req:
    return _user_patch(c, t, {"display_name": "规格测试改名"})


@builds("PATCH /users/{user_id} [role]")
def _user_role(c: Ctx, t: str) -> Req:
    # teller_b is a teller already: make them an account manager, everyone else a teller
    return _user_patch(c, t, {"role": "account_manager" if t == "other" else "teller"})


@builds("PATCH /users/{user_id} [grant]")
def _user_grant(c: Ctx, t: str) -> Req:
    return _user_patch(c, t, {"role": "auditor"})


@builds("PATCH /users/{user_id} [org]")
def _user_org(c: Ctx, t: str) -> Req:
    # am_a2 (A) and teller_b (B1) move to B; the caller and admin2 (HO) move to A
    org = "B" if t in ("branch", "other") else "A"
    return _user_patch(c, t, {"org_id": c.world.orgs[org]})


@builds("POST /users/{user_id}/lock")
def _lock(c: Ctx, t: str) -> Req:
    return Req("POST", f"/users/{c.user(t)}/lock")


@builds("POST /users/{user_id}/unlock")
def _unlock(c: Ctx, t: str) -> Req:
    uid = c.user(t)
    if t not in ("self", "missing"):  # never lock the acting user: their own token would stop working
        c.ok(200, "POST", f"/users/{uid}/lock")
    return Req("POST", f"/users/{uid}/unlock")


@builds("POST /users/{user_id}/password-reset")
def _reset(c: Ctx, t: str) -> Req:
    return Req("POST", f"/users/{c.user(t)}/password-reset", {"new_password": "Spec-Reset-Pass-2026"})


@builds("POST /users/{user_id}/revoke-sessions")
def _revoke(c: Ctx, t: str) -> Req:
    return Req("POST", f"/users/{c.user(t)}/revoke-sessions")


@builds("POST /users/{user_id}/second-factor/reset")
def _mfa_reset(c: Ctx, t: str) -> Req:
    return Req("POST", f"/users/{c.user(t)}/second-factor/reset")


# --- approvals
@builds("GET /approvals")
def _approvals(c: Ctx, t: str) -> Req:
    ids = {k: c.approval(k) for k in ("user", "cust_a", "cust_b")}
    mine = "&mine=true" if c.role == "am" else ""
    return Req("GET", f"/approvals?status=pending&page_size=200{mine}", ids=ids)


def _decide(c: Ctx, t: str, verb: str) -> Req:
    aid = c.approval(t)
    return Req("POST", f"/approvals/{aid}/{verb}", {"version": c.version(ApprovalRequest, aid),
                                                     "reason": "规格测试的决定"})


@builds("POST /approvals/{approval_id}/approve")
def _approve(c: Ctx, t: str) -> Req:
    return _decide(c, t, "approve")


@builds("POST /approvals/{approval_id}/reject")
def _reject(c: Ctx, t: str) -> Req:
    return _decide(c, t, "reject")


# --- customers
@builds("GET /customers")
def _customers(c: Ctx, t: str) -> Req:
    return Req("GET", "/customers?page_size=200", ids=dict(c.world.customers))


@builds("POST /customers")
def _customer_create(c: Ctx, t: str) -> Req:
    return Req("POST", "/customers", new_customer(c.org(t)))


@builds("GET /customers/{customer_id}")
def _customer(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}")


def _customer_patch(c: Ctx, t: str, change: dict[str, Any]) -> Req:
    cid = c.customer(t)
    return Req("PATCH", f"/customers/{cid}", {"version": c.version(Customer, cid), **change})


@builds("PATCH /customers/{customer_id} [contact]")
def _customer_contact(c: Ctx, t: str) -> Req:
    return _customer_patch(c, t, {"address": "规格测试路8号"})


@builds("PATCH /customers/{customer_id} [profile]")
def _customer_profile(c: Ctx, t: str) -> Req:
    return _customer_patch(c, t, {"occupation": "教师"})


@builds("PATCH /customers/{customer_id} [reassign]")
def _customer_reassign(c: Ctx, t: str) -> Req:
    return _customer_patch(c, t, {"org_id": c.world.orgs["A2"]})


@builds("PATCH /customers/{customer_id} [reassign above threshold]")
def _customer_reassign_approval(c: Ctx, t: str) -> Req:
    c.threshold(0)
    return _customer_patch(c, t, {"org_id": c.world.orgs["A2"]})


@builds("GET /customers/{customer_id}/history")
def _history(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}/history")


@builds("DELETE /customers/{customer_id}")
def _customer_delete(c: Ctx, t: str) -> Req:
    cid = c.customer(t)
    return Req("DELETE", f"/customers/{cid}", {"version": c.version(Customer, cid), "reason": "规格测试删除"})


#: who deletes each target's customer, through its branch's four eyes (the setup, not the cell)
ARCHIVED_BY = {"own": ("am_a", "bm_a"), "branch": ("am_a2", "bm_a"), "other": ("am_b", "bm_b")}


def _archived(c: Ctx, t: str) -> int:
    """The target's customer deleted (requested and approved), or a missing id."""
    if t == "missing":
        return MISSING
    cid = c.customer(t)
    maker, checker = ARCHIVED_BY[t]
    aid = c.ok(202, "DELETE", f"/customers/{cid}", user=maker,
               json={"version": c.version(Customer, cid), "reason": "规格测试删除"})["approval_id"]
    c.ok(200, "POST", f"/approvals/{aid}/approve", user=checker,
         json={"version": c.version(ApprovalRequest, aid), "reason": "规格测试"})
    return cid


@builds("GET /archive/customers")
def _archive(c: Ctx, t: str) -> Req:
    ids = {"a_other": _archived(c, "branch"), "b": _archived(c, "other")}
    return Req("GET", "/archive/customers?page_size=200", ids=ids)


@builds("POST /archive/customers/{customer_id}/restore")
def _restore(c: Ctx, t: str) -> Req:
    return Req("POST", f"/archive/customers/{_archived(c, t)}/restore", {"reason": "规格测试恢复"})


# --- audit, parameters, jobs
@builds("GET /audit")
def _audit(c: Ctx, t: str) -> Req:
    return Req("GET", "/audit")


@builds("POST /finance-analysis/preview")
def _finance_preview(c: Ctx, t: str) -> Req:
    return Req("POST", "/finance-analysis/preview", {"balance_sheet": {"lines": [{"type": "cash", "amount": "1.00"}]}})


SHEET_LINES = [{"type": "cash", "amount": "100.00"}]
#: who can make a sheet for each target's customer (the setup, not the cell)
SHEET_MAKER = {"own": "bm_a", "branch": "bm_a", "other": "bm_b"}


def _sheet_url(c: Ctx, t: str, path: str = "balance-sheets") -> tuple[str, int]:
    """A statement of the target's customer, made for the cell (its URL, version)."""
    if t == "missing":
        return f"/customers/{MISSING}/{path}/{MISSING}", 1
    cid = c.customer(t)
    body = {"as_of": "2026-06-30", "lines": SHEET_LINES} if path == "balance-sheets" else \
        {"year": 2025, "lines": YEAR_LINES}
    made = c.ok(201, "POST", f"/customers/{cid}/{path}", user=SHEET_MAKER[t], json=body)
    return f"/customers/{cid}/{path}/{made['id']}", made["version"]


YEAR_LINES = [{"type": "wages", "amount": "100.00"}]


@builds("POST /customers/{customer_id}/income-statements")
def _year_create(c: Ctx, t: str) -> Req:
    return Req("POST", f"/customers/{c.customer(t)}/income-statements", {"year": 2026, "lines": YEAR_LINES})


@builds("GET /customers/{customer_id}/income-statements")
def _years(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}/income-statements")


@builds("GET /customers/{customer_id}/income-statements/{statement_id}")
def _year_get(c: Ctx, t: str) -> Req:
    return Req("GET", _sheet_url(c, t, "income-statements")[0])


@builds("PATCH /customers/{customer_id}/income-statements/{statement_id}")
def _year_patch(c: Ctx, t: str) -> Req:
    u, v = _sheet_url(c, t, "income-statements")
    return Req("PATCH", u, {"version": v, "lines": [{"type": "bonus", "amount": "5.00"}]})


@builds("DELETE /customers/{customer_id}/income-statements/{statement_id}")
def _year_delete(c: Ctx, t: str) -> Req:
    return Req("DELETE", _sheet_url(c, t, "income-statements")[0])


@builds("GET /customers/{customer_id}/finance-analysis")
def _finance_analysis(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}/finance-analysis")


@builds("GET /customers/{customer_id}/household")
def _household(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}/household")


@builds("PUT /customers/{customer_id}/household")
def _household_put(c: Ctx, t: str) -> Req:
    return Req("PUT", f"/customers/{c.customer(t)}/household",
               {"version": 0, "members": [{"name": "规格测试", "relation": "spouse"}]})


@builds("POST /customers/{customer_id}/balance-sheets")
def _sheet_create(c: Ctx, t: str) -> Req:
    return Req("POST", f"/customers/{c.customer(t)}/balance-sheets", {"as_of": "2026-12-31", "lines": SHEET_LINES})


@builds("GET /customers/{customer_id}/balance-sheets")
def _sheets(c: Ctx, t: str) -> Req:
    return Req("GET", f"/customers/{c.customer(t)}/balance-sheets")


@builds("GET /customers/{customer_id}/balance-sheets/{statement_id}")
def _sheet_get(c: Ctx, t: str) -> Req:
    return Req("GET", _sheet_url(c, t)[0])


@builds("PATCH /customers/{customer_id}/balance-sheets/{statement_id}")
def _sheet_patch(c: Ctx, t: str) -> Req:
    u, v = _sheet_url(c, t)
    return Req("PATCH", u, {"version": v, "lines": [{"type": "cash", "amount": "200.00"}]})


@builds("DELETE /customers/{customer_id}/balance-sheets/{statement_id}")
def _sheet_delete(c: Ctx, t: str) -> Req:
    return Req("DELETE", _sheet_url(c, t)[0])


EXPORTED = {"format": "csv", "rows": 3, "columns": ["Name"], "filters": {}}


def _exports(listed: str) -> Builder:
    return lambda c, t: Req("POST", f"/{listed}/exports", EXPORTED)


for _listed in ("customers", "users", "audit", "approvals"):
    builds(f"POST /{_listed}/exports")(_exports(_listed))


PARAMETER = {"existing": "reassignment-threshold", "missing": "no-such-parameter"}


@builds("GET /parameters")
def _parameters(c: Ctx, t: str) -> Req:
    return Req("GET", "/parameters?page_size=200")


@builds("GET /parameters/{name}")
def _parameter(c: Ctx, t: str) -> Req:
    return Req("GET", f"/parameters/{PARAMETER[t]}")


@builds("PUT /parameters/{name}")
def _parameter_put(c: Ctx, t: str) -> Req:
    # version 1: the built-in default is in force in every test (rolled back)
    return Req("PUT", f"/parameters/{PARAMETER[t]}", {"version": 1, "max_customers": 10, "reason": "规格测试"})


@builds("GET /parameters/{name}/history")
def _parameter_history(c: Ctx, t: str) -> Req:
    return Req("GET", f"/parameters/{PARAMETER[t]}/history")


@builds("GET /jobs/{job_id}")
def _job(c: Ctx, t: str) -> Req:
    return Req("GET", f"/jobs/{c.job(t)}")


@builds("POST /jobs/{job_id}/cancel")
def _job_cancel(c: Ctx, t: str) -> Req:
    return Req("POST", f"/jobs/{c.job(t, status='queued')}/cancel")


def _job_output(c: Ctx, t: str) -> tuple[int, int]:
    """A job of the target's starter with one file."""
    job_id = c.job(t)
    if t == "missing":
        return job_id, MISSING
    out = JobOutput(job_id=job_id, name="C0000000001-2026-12-31.pdf", content=b"%PDF-1.4 spec")
    c.db.add(out)
    c.db.commit()
    return job_id, int(out.id)


@builds("GET /jobs/{job_id}/outputs")
def _job_outputs(c: Ctx, t: str) -> Req:
    return Req("GET", f"/jobs/{_job_output(c, t)[0]}/outputs")


@builds("GET /jobs/{job_id}/outputs/{output_id}")
def _job_output_get(c: Ctx, t: str) -> Req:
    job_id, output_id = _job_output(c, t)
    return Req("GET", f"/jobs/{job_id}/outputs/{output_id}")


@builds("GET /customers/{customer_id}/statement")
def _statement_print(c: Ctx, t: str) -> Req:
    if t == "missing":
        return Req("GET", f"/customers/{MISSING}/statement")
    url, _version = _sheet_url(c, t)
    return Req("GET", url.rsplit("/", 2)[0] + "/statement")


@builds("POST /statements/batches")
def _statement_batch(c: Ctx, t: str) -> Req:
    _sheet_url(c, "own")
    return Req("POST", "/statements/batches", {})


def anonymous_request(route: Route, world: Any) -> Req:
    """No token; real ids in the path (a 401 comes before the path is looked at)."""
    if route.key == "POST /auth/login":
        return Req("POST", "/auth/login", {"username": "nobody.at.all", "password": "Wrong-Password-0000"},
                   headers={})
    if route.key == "POST /auth/totp":
        return Req("POST", "/auth/totp", {"mfa_token": "n" * 43, "code": "123456"}, headers={})
    ids = {"org_id": world.orgs["A1"], "user_id": world.users["am_a2"], "customer_id": world.customers["main"],
           "statement_id": 1, "output_id": 1,
           "approval_id": world.approval_id, "name": "reassignment-threshold", "job_id": world.job_id}
    url = re.sub(r"\{(\w+)\}", lambda m: str(ids[m.group(1)]), route.path)
    return Req(route.method, url, {} if route.method in ("POST", "PATCH", "PUT") else None, headers={})


# ============================================================================ the cells
def _cells() -> list[Any]:
    cells = []
    for route in SPEC:
        rows: list[tuple[str, str, Expect | None]] = [
            (role, target, exp) for role, exps in route.rows.items()
            for target, exp in zip(route.targets, exps, strict=True)]
        if route.anonymous is not None:
            rows.append(("anonymous", "-", route.anonymous))
        for role, target, exp in rows:
            if exp is None:
                continue
            cid = f"{route.key} | {role} | {target}"
            why = SPEC_VS_CODE.get((route.key, role, target))
            marks = [pytest.mark.xfail(strict=True, reason=f"spec vs code: {why}")] if why else []
            cells.append(pytest.param(route, role, target, exp, id=cid, marks=marks))
    return cells


CELLS = _cells()


def test_the_table_covers_every_route_and_only_those():
    served = {(m, p.removeprefix(PREFIX)) for m, p, _ in api_routes()}
    written = {(r.method, r.path) for r in SPEC}
    assert served == written, {"not in the spec table": served - written, "not served": written - served}
    assert set(BUILD) == {r.key for r in SPEC}
    assert set(SPEC_VS_CODE) <= {(c.values[0].key, c.values[1], c.values[2]) for c in CELLS}


@pytest.mark.parametrize("route, role, target, expect", CELLS)
def test_route_role_target(api, world, db, route: Route, role: str, target: str, expect: Expect):
    if role == "anonymous":
        req = anonymous_request(route, world)
    else:
        req = BUILD[route.key](Ctx(api, world, db, role), target)
    headers = world.h(ACTING[role]) if req.headers is None else req.headers
    r = api.request(req.method, req.url, headers=headers, json=req.json)
    assert r.status_code == expect.status, f"expected {expect}, got {r.status_code}: {r.text[:400]}"
    if expect.media is not None:
        assert r.headers["content-type"] == expect.media and r.content
        return
    body = r.json() if r.content else None
    if expect.code is not None:
        assert body["code"] == expect.code, body
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/problem+json")
    if expect in (DENIED, NOT_FOUND):  # a refusal carries no data
        assert set(body) <= PROBLEM_KEYS, body
    if r.status_code == 202 and expect.job:
        assert body["status"] == "queued" and isinstance(body["id"], int), body
    elif r.status_code == 202:
        assert body["status"] == "pending" and isinstance(body["approval_id"], int), body
    if expect.total is not None:
        assert body["total"] == expect.total, (body["total"], [i.get("id", i.get("name")) for i in body["items"]])
    if expect.see or expect.hide:
        got = {item["id"] for item in body["items"]}
        for name in expect.see:
            assert req.ids[name] in got, f"{name} missing from the list"
        for name in expect.hide:
            assert req.ids[name] not in got, f"{name} must not be listed"
