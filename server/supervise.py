"""The supervisor of `crm-server serve --workers N` (N > 1): a small process that only
starts, watches and stops the worker processes.

`serve` checks the key file, the database and its connection budget in its own process
(which needs SQLAlchemy, psycopg and the settings: ~100 MiB), then replaces itself with
this module (`os.execv`, same PID, so SIGTERM and a service manager see one process), which
imports uvicorn and nothing of the application: the workers build the app from the same
`CRM_*` environment (server/app.py `create_app_from_env`). The uvicorn options come in
`CRM_SUPERVISOR_OPTIONS` (JSON), written by server/cli.py.
"""
from __future__ import annotations

import json
import os

OPTIONS = "CRM_SUPERVISOR_OPTIONS"


def main() -> None:
    import uvicorn

    from server import logs
    logs.configure()
    options = json.loads(os.environ.pop(OPTIONS))
    if options.get("ssl_certfile"):
        # a function does not travel as JSON: TLS 1.2 or newer in every worker (server/tls.py)
        from server.tls import uvicorn_context
        options["ssl_context_factory"] = uvicorn_context
    uvicorn.run("server.app:create_app_from_env", factory=True, **options)


if __name__ == "__main__":
    main()
