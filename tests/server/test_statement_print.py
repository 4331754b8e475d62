"""`GET /customers/{id}/statement?as_of=&year=&lang=` (CONTRACT.md, Household finance;
household-finance.md "The printed statement"; R-504) and batches of statements as a
background job: the PDF holds the customer's name, the masked ID (first 6 and last 4),
the totals and the Chinese headings; every print is audited (`statement.print`: who,
which customer); who may print is "print financial statement" in
roles-and-permissions.md (account manager own book, branch manager subtree, nobody else).
"""
from __future__ import annotations

from io import BytesIO

import httpx
from pypdf import PdfReader
from sqlalchemy import func, select

from server.models import AuditLog, Job, JobOutput
from server.services import jobs
from tests.server.test_balance_sheets import _at_once
from tests.server.test_finance_analysis import save
from tests.server.test_finance_preview import SHEET, YEAR

NO_HEARTBEAT = jobs.WorkerOptions(heartbeat_seconds=0)


def text_of(pdf: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(BytesIO(pdf)).pages)


def statement(api, world, user="am_a", key="main", **params):  # type: ignore[no-untyped-def]
    return api.get(f"/customers/{world.customers[key]}/statement", headers=world.h(user), params=params)


def prints(db, customer_id=None):  # type: ignore[no-untyped-def]
    q = select(AuditLog).where(AuditLog.action == "statement.print")
    if customer_id is not None:
        q = q.where(AuditLog.object_id == str(customer_id))
    return list(db.scalars(q.order_by(AuditLog.id)))


def test_the_statement_is_a_pdf_with_the_customer_the_masked_id_and_the_totals(api, world, db):
    sheet, table = save(api, world, "2026-12-31", 2026)
    r = statement(api, world)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["cache-control"] == "no-store"
    assert "attachment" in r.headers["content-disposition"] and ".pdf" in r.headers["content-disposition"]
    text = text_of(r.content)
    # the world's main customer: 张三丰, resident ID 110101 19900307 045x
    assert "张三丰" in text and "110101********" in text and "19900307" not in text
    for heading in ("资产负债表", "家庭年收支储蓄表", "家庭财务比率分析"):
        assert heading in text
    assert "3,700,000.00" in text and "2,400,000.00" in text and "324,000.00" in text
    assert "2026-12-31" in text and "城东支行" not in text  # the customer's org is the sub-branch
    assert "朝阳路分理处" in text
    assert "用户am_a" in text  # the account manager
    [entry] = prints(db, world.customers["main"])
    assert entry.actor_id == world.users["am_a"] and entry.object_type == "customer"
    assert f'"balance_sheet_id": {sheet}' in entry.detail and f'"income_statement_id": {table}' in entry.detail


def test_english_and_the_periods_asked_for(api, world, db):
    save(api, world, "2025-12-31", 2025, [{"type": "cash", "amount": "1234.56"}], [{"type": "wages", "amount": "1"}])
    save(api, world, "2026-12-31", 2026)
    text = text_of(statement(api, world, as_of="2025-12-31", year=2025, lang="en").content)
    assert "Balance sheet" in text and "1,234.56" in text and "3,700,000.00" not in text
    assert "2025-12-31" in text
    assert statement(api, world, as_of="2024-12-31").status_code == 404
    assert statement(api, world, year=2024).status_code == 404
    r = statement(api, world, lang="fr")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "lang"
    assert len(prints(db)) == 1  # refused requests print nothing and leave no print on record


def test_a_customer_with_no_figures_has_nothing_to_print(api, world, db):
    r = statement(api, world)
    assert r.status_code == 409 and r.json()["code"] == "statement.nothing_to_print"
    assert prints(db) == []


def test_only_a_balance_sheet_prints_with_the_income_part_marked_missing(api, world):
    cid = world.customers["main"]
    assert api.post(f"/customers/{cid}/balance-sheets", headers=world.h("am_a"),
                    json={"as_of": "2026-06-30", "lines": SHEET}).status_code == 201
    r = statement(api, world, lang="en")
    assert r.status_code == 200
    assert "No income table" in text_of(r.content)


def test_who_may_print(api, world, db):
    save(api, world, "2026-12-31", 2026)
    assert statement(api, world, user="teller_a1").status_code == 403
    assert statement(api, world, user="auditor").status_code == 403
    assert statement(api, world, user="admin").status_code == 403
    assert statement(api, world, user="bm_a").status_code == 200
    assert statement(api, world, user="bm_b").status_code == 404
    assert statement(api, world, user="am_a2").status_code == 404  # a colleague's customer
    r = api.get("/customers/99999999999/statement", headers=world.h("am_a"))
    assert r.status_code in (404, 422)
    assert [e.actor_id for e in prints(db)] == [world.users["bm_a"]]


# ----------------------------------------------------------------------------- batches
def batch(api, world, user="am_a", **body):  # type: ignore[no-untyped-def]
    return api.post("/statements/batches", headers=world.h(user), json=body)


def run(db_factory):  # type: ignore[no-untyped-def]
    return jobs.run_one(db_factory, "test-worker", options=NO_HEARTBEAT)


def test_a_batch_prints_the_managers_customers_as_a_job_and_the_user_downloads_them(api, world, db, db_factory):
    save(api, world, "2026-12-31", 2026)
    other = world.customers["a_other"]  # am_a2's customer, in branch A
    assert api.post(f"/customers/{other}/income-statements", headers=world.h("am_a2"),
                    json={"year": 2026, "lines": YEAR}).status_code == 201
    r = batch(api, world, lang="en")
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["status"] == "queued" and job["total"] == 1  # am_a's own book only
    run(db_factory)
    done = api.get(f"/jobs/{job['id']}", headers=world.h("am_a")).json()
    assert (done["status"], done["done"], done["total"]) == ("succeeded", 1, 1)
    files = api.get(f"/jobs/{job['id']}/outputs", headers=world.h("am_a")).json()["items"]
    assert len(files) == 1 and files[0]["name"].endswith(".pdf") and files[0]["size"] > 1000
    pdf = api.get(f"/jobs/{job['id']}/outputs/{files[0]['id']}", headers=world.h("am_a"))
    assert pdf.headers["content-type"] == "application/pdf" and "张三丰" in text_of(pdf.content)
    [entry] = prints(db)
    assert entry.object_id == str(world.customers["main"]) and f'"batch_job_id": {job["id"]}' in entry.detail
    # nobody else gets the files, not even a head-office admin who may follow every job
    for user in ("admin", "bm_a", "am_a2"):
        assert api.get(f"/jobs/{job['id']}/outputs", headers=world.h(user)).status_code == 404
        assert api.get(f"/jobs/{job['id']}/outputs/{files[0]['id']}", headers=world.h(user)).status_code == 404
    assert api.get(f"/jobs/{job['id']}/outputs/{files[0]['id'] + 1000}", headers=world.h("am_a")).status_code == 404


def test_a_branch_managers_batch_covers_the_subtree_or_one_manager(api, world, db_factory):
    save(api, world, "2026-12-31", 2026)
    other = world.customers["a_other"]
    assert api.post(f"/customers/{other}/income-statements", headers=world.h("am_a2"),
                    json={"year": 2026, "lines": YEAR}).status_code == 201
    def started(**body):  # type: ignore[no-untyped-def]  # one batch at a time: each is stopped after
        job = batch(api, world, user="bm_a", **body).json()
        assert api.post(f"/jobs/{job['id']}/cancel", headers=world.h("bm_a")).status_code == 200
        return job
    assert started()["total"] == 2
    assert started(manager_id=world.users["am_a2"])["total"] == 1
    assert started(year=2026, as_of="2020-01-01")["total"] == 2
    assert started(year=2025)["total"] == 1  # main's latest sheet, no 2025 table
    r = batch(api, world, user="bm_a", year=2025, as_of="2020-01-01")
    assert r.status_code == 409 and r.json()["code"] == "statement.nothing_to_print"
    assert batch(api, world, user="bm_b").status_code == 409  # branch B has no figures
    assert batch(api, world, user="teller_a1").status_code == 403
    assert batch(api, world, user="admin").status_code == 403


def test_a_batch_over_the_limit_is_refused_naming_the_limit(api, world, make_client):
    save(api, world, "2026-12-31", 2026)
    small = make_client(statement_batch_limit=0)
    r = small.post("/statements/batches", headers=world.h("am_a"), json={})
    assert r.status_code == 422 and r.json()["errors"][0]["code"] == "statement.batch.too_large"


def test_one_batch_at_a_time_and_a_bad_body_is_refused_by_field(api, world, db):
    save(api, world, "2026-12-31", 2026)
    for body, field in (({"lang": "fr"}, "lang"), ({"manager_id": 2**31}, "manager_id"),
                        ({"manager_id": "7"}, "manager_id"), ({"year": 1800}, "year"),
                        ({"as_of": "2026-02-30"}, "as_of"), ({"colour": "red"}, "colour")):
        r = batch(api, world, **body)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (body, r.text)
    first = batch(api, world)
    assert first.status_code == 202
    again = batch(api, world)
    assert again.status_code == 409 and again.json()["code"] == "statement.batch.running"
    assert again.json()["current"]["id"] == first.json()["id"]
    assert batch(api, world, user="bm_a").status_code == 202  # another user's batch is theirs
    assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == "statements.batch")) == 2


def test_twenty_batches_at_once_queue_one_and_twenty_cancels_stop_it_once(live_server):
    """Real commits: the same batch twenty times at once is one job (the rest 409, never
    500); twenty cancels of it, one 200 and nineteen 409."""
    live = live_server(job_worker=False)
    base, token = live.url, live.world.tokens["am_a"]
    cid = live.world.customers["main"]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as c:
        assert c.post(f"/customers/{cid}/balance-sheets", json={"as_of": "2026-12-31", "lines": SHEET}
                      ).status_code == 201
    assert _at_once(base, token, [("POST", "/statements/batches", {})] * 20) == [202] + [409] * 19
    with live.factory() as s:
        [job_id] = s.scalars(select(Job.id).where(Job.kind == "statements.batch")).all()
    assert _at_once(base, token, [("POST", f"/jobs/{job_id}/cancel", {})] * 20) == [200] + [409] * 19


def test_cancelling_a_batch_stops_it_and_an_ended_job_is_409(api, world, db, db_factory):
    save(api, world, "2026-12-31", 2026)
    job = batch(api, world).json()
    assert api.post(f"/jobs/{job['id']}/cancel", headers=world.h("am_a2")).status_code == 404
    r = api.post(f"/jobs/{job['id']}/cancel", headers=world.h("am_a"))
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert run(db_factory) is None  # nothing left to claim
    assert db.scalar(select(func.count()).select_from(JobOutput)) == 0 and prints(db) == []
    again = api.post(f"/jobs/{job['id']}/cancel", headers=world.h("am_a"))
    assert again.status_code == 409 and again.json()["code"] == "job.finished"
    assert again.json()["current"]["status"] == "cancelled"


def test_a_batch_whose_user_was_locked_fails_cleanly(api, world, db, db_factory):
    from server.models import User
    save(api, world, "2026-12-31", 2026)
    assert batch(api, world).status_code == 202
    db.get(User, world.users["am_a"]).locked = True
    db.commit()
    finished = run(db_factory)
    assert finished is not None and finished.status == "failed"
    assert finished.error_code == "statement.batch.not_allowed" and prints(db) == []
