"""One change history for customers, users and organisations (R-203), which never keeps
a sensitive value in plain text: masked for every reader, sealed for those entitled to
the full value."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from cryptography.exceptions import InvalidTag
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from server.crypto import FieldCipher
from server.db import make_engine
from server.migrate import upgrade
from server.models import ChangeRecord
from tests.server.conftest import id_number, pg_admin_url

FULL_ID = id_number("110101", "19900307", 45, True)  # the world's `main`


def _rows(db, resource: str, resource_id: int) -> list[ChangeRecord]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(ChangeRecord).where(ChangeRecord.resource == resource,
                                                      ChangeRecord.resource_id == str(resource_id))))


def test_no_sensitive_value_is_stored_in_plain_text(api, world, db):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    assert api.patch(f"/customers/{cid}", headers=world.h("am_a"),
                     json={"version": v, "phone": "13611112222"}).status_code == 200
    stored = " ".join(f"{r.old} {r.new} {r.old_sealed} {r.new_sealed}" for r in _rows(db, "customer", cid))
    for secret in (FULL_ID, "13912345678", "13611112222", "1990-03-07", "19900307"):
        assert secret not in stored, secret
    assert "139****5678" in stored and "136****2222" in stored  # what every reader may see


def test_a_reader_with_the_full_right_reads_the_full_old_and_new_values(api, world):
    cid = world.customers["main"]
    v = api.get(f"/customers/{cid}", headers=world.h("am_a")).json()["version"]
    api.patch(f"/customers/{cid}", headers=world.h("am_a"), json={"version": v, "phone": "13611112222"})
    entry = api.get(f"/customers/{cid}/history", headers=world.h("am_a")).json()["items"][0]
    assert (entry["field"], entry["old"], entry["new"]) == ("phone", "13912345678", "13611112222")
    masked = api.get(f"/customers/{cid}/history", headers=world.h("auditor")).json()["items"][0]
    assert (masked["old"], masked["new"]) == ("139****5678", "136****2222")


def test_user_changes_are_in_the_users_history(api, world):
    uid = world.users["teller_a1"]
    v = api.get(f"/users/{uid}", headers=world.h("admin")).json()["version"]
    api.patch(f"/users/{uid}", headers=world.h("admin"), json={"version": v, "display_name": "新柜员名"})
    api.post(f"/users/{uid}/lock", headers=world.h("admin"))
    api.post(f"/users/{uid}/password-reset", headers=world.h("admin"), json={"new_password": "Reset-By-Admin-26"})
    items = api.get(f"/users/{uid}/history", headers=world.h("auditor")).json()["items"]
    assert [(i["action"], i["field"]) for i in items[:3]] == [
        ("password_reset", "password"), ("lock", "locked"), ("update", "display_name")]
    assert items[2]["old"] == "用户teller_a1" and items[2]["new"] == "新柜员名"
    assert items[0]["old"] is None and items[0]["new"] is None  # a password is never shown
    assert all(i["actor"]["username"] == "admin" for i in items[:3])
    # a branch manager reads their own subtree's users' history, not another branch's
    assert api.get(f"/users/{uid}/history", headers=world.h("bm_a")).status_code == 200
    assert api.get(f"/users/{world.users['teller_b']}/history", headers=world.h("bm_a")).status_code == 404
    assert api.get(f"/users/{uid}/history", headers=world.h("am_a")).status_code == 403


def test_org_changes_are_in_the_orgs_history(api, world):
    oid = world.orgs["A2"]
    v = api.get(f"/orgs/{oid}", headers=world.h("admin")).json()["version"]
    api.patch(f"/orgs/{oid}", headers=world.h("admin"), json={"version": v, "name": "解放路支行营业部"})
    items = api.get(f"/orgs/{oid}/history", headers=world.h("auditor")).json()["items"]
    assert (items[0]["field"], items[0]["old"], items[0]["new"]) == ("name", "解放路分理处", "解放路支行营业部")
    assert {i["field"] for i in items if i["action"] == "create"} == {"code", "name", "kind", "parent_id"}
    assert api.get(f"/orgs/{oid}/history", headers=world.h("teller_a1")).status_code == 403


def test_a_sealed_value_opens_only_for_its_own_field():
    cipher = FieldCipher({"k1": b"k" * 32}, "k1")
    sealed = cipher.seal(FULL_ID, "id_number")
    assert FULL_ID not in sealed and cipher.open(sealed, "id_number") == FULL_ID
    with pytest.raises(InvalidTag):
        cipher.open(sealed, "phone")  # moved to another field: refused
    assert cipher.seal(FULL_ID, "id_number") != sealed  # a fresh nonce every time


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request: pytest.FixtureRequest, tmp_path):  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.sqlite3'}"
        return
    admin = pg_admin_url()
    if admin is None:
        pytest.skip("CRM_TEST_DATABASE_URL is not set")
    name = f"crm_mig_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'CREATE DATABASE "{name}"')
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as c:
        c.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_migration_moves_old_history_masked(fresh_url):
    engine = make_engine(fresh_url)
    upgrade(engine, "0006_four_eyes")
    now = datetime.now(UTC)
    with engine.begin() as conn:
        for field, value in (("id_number", FULL_ID), ("phone", "13912345678"), ("birth_date", "1990-03-07"),
                             ("occupation", "工程师")):
            conn.execute(text("INSERT INTO customer_change (customer_id, at, action, field, old, new) "
                              "VALUES (7, :at, 'create', :f, NULL, :v)"), {"at": now, "f": field, "v": value})
    upgrade(engine)
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT field, new FROM change_history WHERE resource = 'customer' "
                                      "AND resource_id = '7'")).all())
    engine.dispose()
    assert rows == {"id_number": FULL_ID[:6] + "********" + FULL_ID[-4:], "phone": "139****5678",
                    "birth_date": "****-**-**", "occupation": "工程师"}
