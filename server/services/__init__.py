"""Business rules. Functions take the session and the acting user; they know nothing
about HTTP beyond raising `server.errors.Problem`. They never commit: the caller owns
the unit of work (an API route's UnitOfWorkRoute, a CLI command, the demo loader), so a
request's changes, its audit rows and its stored Idempotency-Key answer commit together
or not at all. Refusals that must be on record anyway go through `audit.refusal`.
The one exception is auth.login/change_password: the failed-attempt count must be
durable before the password is checked."""
