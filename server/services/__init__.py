"""Business rules. Functions take the session and the acting user; they know nothing
about HTTP beyond raising `server.errors.Problem`. Each public write function is one
unit of work and commits it."""
