"""Schema changes only through Alembic migrations, on SQLite and PostgreSQL alike."""
from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", "server:migrations")
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def revision(engine: Engine, message: str) -> None:
    """Developer helper: autogenerate a new migration against `engine` (at head)."""
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.revision(cfg, message=message, autogenerate=True)


def schema_refusal(engine: Engine) -> str | None:
    """Why a server must not run on this database's schema, or None: it is not at this
    code's head (never migrated, behind: run `crm-server init`; or migrated by a newer
    release). A server on a schema it was not written for fails request by request."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    script = ScriptDirectory.from_config(alembic_config())
    head = script.get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    if current == head:
        return None
    if current is None:
        return f"the database has no schema: run `crm-server init` (migrates to {head})"
    known = {rev.revision for rev in script.walk_revisions()}
    if current not in known:
        return f"the database's schema ({current}) is newer than this server's ({head}): run the newer release"
    return f"the database's schema is at {current}, this server needs {head}: run `crm-server init` (migrates)"
