#!/usr/bin/env python3
"""One route both ways, before converting the rest (issue 12): the session check and an
exact look-up by resident ID as (a) a sync FastAPI endpoint over SQLAlchemy's Session
(the product's model: one thread hand-off per request, one pooled psycopg connection)
and (b) an async endpoint over SQLAlchemy's asyncio extension (AsyncSession, psycopg's
async driver). Same SQL, same pool size, same JSON. Each runs under uvicorn (httptools,
uvloop, one worker) and is driven by wrk; the server's CPU time per request comes from
/proc.

    python bench/sync_vs_async.py --database-url postgresql://postgres@127.0.0.1:5432/crm_rp \\
        --token-file /tmp/rp/token --ids /tmp/rp/ids.txt [--conns 20] [--dur 15]

The database is any migrated one with customers and a session token (e.g. the demo
data). `--serve sync|async` runs one server in the foreground (what the script starts).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SESSION_SQL = ("SELECT s.id, s.user_id, s.expires_at, s.revoked_at, u.role, u.org_id, u.locked "
               "FROM user_session s JOIN app_user u ON u.id = s.user_id WHERE s.token_hash = :h")
LOOKUP_SQL = ("SELECT id, customer_no, name, org_id, id_number, phone FROM customer "
              "WHERE id_number = :q")
LUA = """
local ids = {}
local tok = os.getenv("TOKEN")
function init(args) for l in io.lines(os.getenv("IDS")) do ids[#ids+1]=l end end
function request() return wrk.format("GET", "/c?q=" .. ids[math.random(#ids)], {["Authorization"]="Bearer " .. tok}) end
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %.3f %.3f %.1f\\n", summary.requests, summary.errors.status,
    latency:percentile(50)/1000, latency:percentile(95)/1000, summary.requests/(summary.duration/1e6)))
end
"""


def build(mode: str, url: str, pool: int):  # type: ignore[no-untyped-def]
    import hashlib

    from fastapi import FastAPI, Header, HTTPException
    from sqlalchemy import text

    from server.db import normalise_url
    app = FastAPI()
    if mode.startswith("sync"):
        from sqlalchemy import create_engine
        from sqlalchemy.orm import Session
        engine = create_engine(normalise_url(url), pool_size=pool, max_overflow=0,
                               connect_args={"prepare_threshold": 2})

        if mode != "sync":  # sync<N>: N worker threads instead of anyio's default 40
            import anyio

            @app.on_event("startup")
            async def _threads() -> None:
                anyio.to_thread.current_default_thread_limiter().total_tokens = int(mode[4:])

        @app.get("/c")
        def lookup(q: str, authorization: str = Header("")) -> dict[str, object]:
            with Session(engine) as db:
                h = hashlib.sha256(authorization[7:].encode()).hexdigest()
                if db.execute(text(SESSION_SQL), {"h": h}).first() is None:
                    raise HTTPException(401)
                row = db.execute(text(LOOKUP_SQL), {"q": q}).first()
                db.commit()
            return {"items": [dict(row._mapping)] if row else []}
    elif mode in ("raw", "starlette"):  # psycopg's own async pool, no ORM: the floor's way
        import json

        from fastapi.responses import Response
        from psycopg_pool import AsyncConnectionPool
        from sqlalchemy import make_url
        u = make_url(normalise_url(url))
        dsn = f"host={u.host} port={u.port or 5432} user={u.username} dbname={u.database}"
        pool_ = AsyncConnectionPool(dsn, min_size=pool, max_size=pool, open=False,
                                    kwargs={"autocommit": True, "prepare_threshold": 0})
        s_sql = SESSION_SQL.replace(":h", "%s")
        l_sql = LOOKUP_SQL.replace(":q", "%s")
        cols = ("id", "customer_no", "name", "org_id", "id_number", "phone")

        opened: list[bool] = []

        async def _lookup(q: str, authorization: str) -> Response:
            if not opened:
                opened.append(True)
                await pool_.open(wait=True)
            async with pool_.connection() as conn:
                h = hashlib.sha256(authorization[7:].encode()).hexdigest()
                cur = await conn.execute(s_sql, (h,))
                if await cur.fetchone() is None:
                    return Response(b'{}', 401)
                cur = await conn.execute(l_sql, (q,))
                row = await cur.fetchone()
            return Response(json.dumps({"items": [dict(zip(cols, row, strict=True))] if row else []}).encode(),
                            media_type="application/json")

        if mode == "raw":
            @app.get("/c")
            async def lookup(q: str, authorization: str = Header("")) -> Response:  # type: ignore[misc]
                return await _lookup(q, authorization)
        else:
            from starlette.applications import Starlette
            from starlette.routing import Route

            async def route(request):  # type: ignore[no-untyped-def]
                return await _lookup(request.query_params["q"], request.headers.get("authorization", ""))

            async def docs(request):  # type: ignore[no-untyped-def]
                return Response(b"{}")
            return Starlette(routes=[Route("/c", route), Route("/docs", docs)])
    elif mode in ("asyncraw", "asyncgreen"):  # SQLAlchemy's async pool; SQL on its driver connection / run_sync
        import json

        from fastapi.responses import Response
        from sqlalchemy.ext.asyncio import create_async_engine
        from sqlalchemy.orm import Session as SyncSession
        aeng = create_async_engine(normalise_url(url), pool_size=pool, max_overflow=0,
                                   connect_args={"prepare_threshold": 0})
        s_sql = SESSION_SQL.replace(":h", "%s")
        l_sql = LOOKUP_SQL.replace(":q", "%s")
        cols = ("id", "customer_no", "name", "org_id", "id_number", "phone")
        s_t, l_t = text(SESSION_SQL), text(LOOKUP_SQL)

        def green(sync_conn, h, q):  # type: ignore[no-untyped-def]
            db = SyncSession(bind=sync_conn)
            if db.execute(s_t, {"h": h}).first() is None:
                return None
            row = db.execute(l_t, {"q": q}).first()
            db.commit()
            return {"items": [dict(row._mapping)] if row else []}

        @app.get("/c")
        async def lookup(q: str, authorization: str = Header("")) -> Response:  # type: ignore[misc]
            h = hashlib.sha256(authorization[7:].encode()).hexdigest()
            async with aeng.connect() as conn:
                if mode == "asyncgreen":
                    out = await conn.run_sync(green, h, q)
                    if out is None:
                        raise HTTPException(401)
                    return Response(json.dumps(out).encode(), media_type="application/json")
                raw = (await conn.get_raw_connection()).driver_connection
                await raw.set_autocommit(True)
                cur = await raw.execute(s_sql, (h,))
                if await cur.fetchone() is None:
                    raise HTTPException(401)
                cur = await raw.execute(l_sql, (q,))
                row = await cur.fetchone()
                await raw.set_autocommit(False)
            return Response(json.dumps({"items": [dict(zip(cols, row, strict=True))] if row else []}).encode(),
                            media_type="application/json")
    elif mode == "asynccore":  # SQLAlchemy asyncio, Core on an AsyncConnection, no Session
        import json

        from fastapi.responses import Response
        from sqlalchemy.ext.asyncio import create_async_engine
        aeng = create_async_engine(normalise_url(url), pool_size=pool, max_overflow=0,
                                   connect_args={"prepare_threshold": 2})
        s_t, l_t = text(SESSION_SQL), text(LOOKUP_SQL)

        @app.get("/c")
        async def lookup(q: str, authorization: str = Header("")) -> Response:  # type: ignore[misc]
            async with aeng.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                h = hashlib.sha256(authorization[7:].encode()).hexdigest()
                if (await conn.execute(s_t, {"h": h})).first() is None:
                    raise HTTPException(401)
                row = (await conn.execute(l_t, {"q": q})).first()
            return Response(json.dumps({"items": [dict(row._mapping)] if row else []}).encode(),
                            media_type="application/json")
    else:
        from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
        aengine = create_async_engine(normalise_url(url), pool_size=pool, max_overflow=0,
                                      connect_args={"prepare_threshold": 2})

        @app.get("/c")
        async def lookup(q: str, authorization: str = Header("")) -> dict[str, object]:  # type: ignore[misc]
            async with AsyncSession(aengine) as db:
                h = hashlib.sha256(authorization[7:].encode()).hexdigest()
                if (await db.execute(text(SESSION_SQL), {"h": h})).first() is None:
                    raise HTTPException(401)
                row = (await db.execute(text(LOOKUP_SQL), {"q": q})).first()
                await db.commit()
            return {"items": [dict(row._mapping)] if row else []}
    return app


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(mode: str, args: argparse.Namespace) -> dict[str, float]:
    port = 8790 + abs(hash(mode)) % 50
    srv = subprocess.Popen([sys.executable, __file__, "--serve", mode, "--database-url", args.database_url,
                            "--port", str(port), "--pool", str(args.pool)], stderr=subprocess.DEVNULL)
    try:
        import httpx
        for _ in range(100):
            try:
                httpx.get(f"http://127.0.0.1:{port}/docs", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
            f.write(LUA)
        env = {**os.environ, "TOKEN": Path(args.token_file).read_text().strip(), "IDS": args.ids}
        wrk = ["wrk", "-t2", f"-c{args.conns}", "--timeout", "5s", "-s", f.name, f"http://127.0.0.1:{port}"]
        subprocess.run([*wrk, "-d3s"], env=env, capture_output=True)  # warm-up
        before = cpu_seconds(srv.pid)
        out = subprocess.run([*wrk, f"-d{args.dur}s"], env=env, capture_output=True, text=True).stdout
        used = cpu_seconds(srv.pid) - before
        line = next(x for x in out.splitlines() if x.startswith("RESULT"))
        n, non2xx, p50, p95, rps = line.split()[1:]
        return {"requests": int(n), "non2xx": int(non2xx), "p50": float(p50), "p95": float(p95),
                "rps": float(rps), "cpu_us": used / int(n) * 1e6}
    finally:
        srv.terminate()
        srv.wait(10)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--database-url", required=True)
    p.add_argument("--token-file")
    p.add_argument("--ids")
    p.add_argument("--conns", type=int, default=20)
    p.add_argument("--dur", type=int, default=15)
    p.add_argument("--pool", type=int, default=8)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--serve")
    p.add_argument("--modes", default="sync,async", help="sync, async, syncN (N threads)")
    p.add_argument("--port", type=int, default=8790)
    args = p.parse_args()
    if args.serve:
        import uvicorn
        uvicorn.run(build(args.serve, args.database_url, args.pool), host="127.0.0.1", port=args.port,
                    http="httptools", loop="uvloop", log_level="warning", access_log=False)
        return
    rows = []
    for r in range(args.rounds):  # in turn, so drift of a shared machine hits both
        for mode in args.modes.split(","):
            m = measure(mode, args)
            rows.append((r, mode, m))
            print(f"round {r} {mode:5}: {m['rps']:8.1f} req/s  p50 {m['p50']:.2f} ms  p95 {m['p95']:.2f} ms  "
                  f"server CPU {m['cpu_us']:.0f} us/request  non2xx {m['non2xx']}", flush=True)
    for mode in args.modes.split(","):
        ms = [m for _r, md, m in rows if md == mode]
        print(f"{mode:5} median-ish: {sorted(x['rps'] for x in ms)[len(ms) // 2]:.0f} req/s, "
              f"{sorted(x['cpu_us'] for x in ms)[len(ms) // 2]:.0f} us CPU/request")


if __name__ == "__main__":
    main()
