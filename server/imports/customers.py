"""The customers file (domain/risk-and-import.md): the first migration from the core
banking system and the daily master-data changes.

Columns `core_customer_id, type, name, gender, birth_date, id_number, uscc, phone,
address, occupation, employer, branch_code, manager_username`; empty = none. A row is
judged exactly as `POST /api/v1/customers` judges a customer (`judge`: the request
model, `customers.normalise` and `customers.field_errors`), and with the API's error
codes; `branch_code` must be an organisation's code (`customer.org_id.not_found`);
`manager_username`, if given, an active account or branch manager of the customer's
branch (`customer.manager_id.invalid`, like a `manager_id`).

A row whose resident ID (personal) or credit code (corporate) is a customer's already
updates that customer (`import` in its history, version + 1), otherwise it creates one
with a new customer number; created customers carry the batch in `import_batch_id`
instead of a per-field history. On an update an empty `manager_username` or
`core_customer_id` keeps what the customer has; the other columns are the core
system's and are taken as they are (empty clears).

Speed: running the API's validators on two million rows would take minutes (and the
same checks in SQL are slower still), so rows first meet `fastcheck.plainly_valid`, a
strict check written for speed (ASCII digits only, no separators or padding, dates
exactly YYYY-MM-DD …) that runs in worker processes on the raw lines while COPY stages
them; only the rows it does not vouch for (normally none) go through `judge`.
tests/server/test_import.py proves that whatever `plainly_valid` accepts, `judge`
accepts with the same stored values.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from pydantic import ValidationError

from server import access
from server.errors import field_errors_from_pydantic
from server.imports import search_keys
from server.imports.engine import Context, Kind, Merged, indexes_deferred, kind
from server.imports.fastcheck import COLUMNS, CORE_ID_MAX, Scanned, birth_dates, plainly_valid, scan_lines
from server.services import customers as customer_rules
from server.services import history
from shared import errors as codes
from shared.errors import FieldError
from shared.permissions import Resource
from shared.schemas import CONTROL_CHARACTERS, CustomerCreate

#: The columns the API's customer model judges.
API_FIELDS = ("type", "name", "gender", "birth_date", "id_number", "uscc", "phone", "address", "occupation",
              "employer")
# Reject codes of the import's own (the rest are the API's).
DUPLICATE_IN_FILE = "import.duplicate_in_file"
CORE_ID_TAKEN = "import.core_customer_id.taken"
#: Fields an update compares and writes (manager and core id only when given).
UPDATED_FIELDS = ("name", "gender", "birth_date", "phone", "address", "occupation", "employer", "org_id")
_MANAGER_ROLES = ("account_manager", "branch_manager")
#: A load of at least this many new customers that also at least doubles the table
#: rebuilds its indexes afterwards (`indexes_deferred`) instead of maintaining them.
BULK_MIN = 50_000


# ----------------------------------------------------------------------------- the rules
def judge(raw: Mapping[str, str | None]) -> tuple[list[FieldError], dict[str, Any] | None]:
    """A row as the API judges a new customer: (errors, None) or ([], the values as they
    are stored). `raw` maps the file's columns to their text (None: empty)."""
    errs: list[FieldError] = []
    for col in ("core_customer_id", "branch_code", "manager_username"):
        v = raw.get(col)
        if v is not None and CONTROL_CHARACTERS.search(v):
            errs.append(FieldError(col, "field.control_characters", "Contains control characters"))
    core = raw.get("core_customer_id")
    if core is not None and len(core) > CORE_ID_MAX:
        errs.append(FieldError("core_customer_id", codes.FIELD_TOO_LONG, f"At most {CORE_ID_MAX} characters",
                               {"max": CORE_ID_MAX}))
    payload: dict[str, Any] = {f: v for f in API_FIELDS if (v := raw.get(f)) is not None}
    payload["org_id"] = 1  # the branch is looked up separately
    try:
        data = CustomerCreate.model_validate(payload)
    except ValidationError as exc:
        return errs + [e for e in field_errors_from_pydantic(exc.errors()) if e.field in API_FIELDS], None  # type: ignore[arg-type]
    values = customer_rules.normalise(data.model_dump(include=set(API_FIELDS)))
    errs += customer_rules.field_errors(values, set(values))
    if errs:
        return errs, None
    values["type"] = str(values["type"])
    if values.get("gender") is not None:
        values["gender"] = str(values["gender"])
    return [], values


# ----------------------------------------------------------------------------- the kind
@kind
class CustomersImport(Kind):
    name = "customers"
    columns = COLUMNS

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.names = search_keys.NameTable(ctx.db, submit=ctx.submit if ctx.big else None)
        self._slow: set[int] = set()
        self._slow_async: list[Any] = []
        # core ids, resident IDs and credit codes seen, to tell cheaply whether the file may
        # repeat one (then `_reject_repeats` finds which rows exactly)
        self._seen: tuple[set[str], set[str], set[str]] = ({""}, {""}, {""})
        self._repeats = False

    # ------------------------------------------------------------------ while staging
    def scan_chunk(self, start_line: int, chunk: bytes) -> None:
        if self.ctx.big:  # beside COPY in a worker: here it held COPY back (docs/PERFORMANCE.md)
            self._slow_async.append(self.ctx.submit(scan_lines, (start_line, chunk, self.ctx.today)))
        else:
            self._take_scan(scan_lines(start_line, chunk, self.ctx.today))

    def _take_scan(self, scanned: Scanned) -> None:
        slow, cores, names, ids, usccs = scanned
        self._slow.update(slow)
        self.names.add(names.split("\n"))
        for seen, values in zip(self._seen, (cores, ids, usccs), strict=True):
            self._note(seen, values.split("\n"))

    def scan_record(self, line: int, fields: list[str]) -> None:
        self.names.add([fields[2]])
        for col, seen in zip((0, 5, 6), self._seen, strict=True):
            v = fields[col].upper() if col == 5 else fields[col]
            self._note(seen, [v])
        if any(CONTROL_CHARACTERS.search(v) for v in fields) or not plainly_valid(fields, birth_dates(
                self.ctx.today)):
            self._slow.add(line)

    def _note(self, seen: set[str], values: list[str]) -> None:
        before = len(seen)
        seen.update(values)
        if len(seen) - before != len(values) - values.count(""):
            self._repeats = True

    # ------------------------------------------------------------------ checks
    def check(self) -> None:
        """Meanwhile the worker processes compute the names' entries (`merge` waits)."""
        ctx = self.ctx
        for r in self._slow_async:
            self._take_scan(r.get())
        self._slow_async = []
        self.names.start()
        ctx.sql("DROP TABLE IF EXISTS imp_slow")
        ctx.sql("CREATE TEMP TABLE imp_slow (line INTEGER PRIMARY KEY)")
        if self._slow:
            ctx.sql("INSERT INTO imp_slow (line) VALUES (:l)", [{"l": ln} for ln in sorted(self._slow)])
        self._judge_slow_rows()
        self._load_orgs()
        self._build_ok()
        self._reject_by_database()
        if self._repeats or self._fixed_repeat():
            self._reject_repeats()

    def _fixed_repeat(self) -> bool:
        """Does a row judged (and normalised) by `judge` share an identifier with another?
        (The line scan saw the other rows' identifiers as they are stored.)"""
        return bool(self.ctx.sql("SELECT " + " OR ".join(
            f"EXISTS (SELECT 1 FROM imp_fix f JOIN imp_ok o ON o.{c} = f.{c} AND o.line <> f.line)"
            for c in ("id_number", "uscc", "core_customer_id"))).scalar())

    def _judge_slow_rows(self) -> None:
        ctx = self.ctx
        date_type = "DATE" if ctx.pg else "TEXT"
        ctx.sql("DROP TABLE IF EXISTS imp_fix")
        ctx.sql("CREATE TEMP TABLE imp_fix (line INTEGER, core_customer_id TEXT, type TEXT, name TEXT, gender TEXT, "
                f"birth_date {date_type}, id_number TEXT, uscc TEXT, phone TEXT, address TEXT, occupation TEXT, "
                "employer TEXT, branch_code TEXT, manager_username TEXT)")
        if not self._slow:
            return
        rejects: list[tuple[int, str | None, str, str]] = []
        fixes: list[dict[str, Any]] = []
        rows = ctx.sql(f"SELECT r.line, {', '.join('r.' + c for c in COLUMNS)} FROM imp_raw r "
                       "JOIN imp_slow s ON s.line = r.line ORDER BY r.line")
        for line, *values in rows:
            raw = {c: (v if v != "" else None) for c, v in zip(COLUMNS, values, strict=True)}
            errs, fixed = judge(raw)
            if errs:
                rejects += [(line, e.field, e.code, e.message) for e in errs]
                continue
            assert fixed is not None
            self.names.add([fixed["name"]])
            row = {"line": line, **{c: raw[c] for c in ("core_customer_id", "branch_code", "manager_username")},
                   **{c: fixed.get(c) for c in API_FIELDS}}
            if not ctx.pg and isinstance(row["birth_date"], date):
                row["birth_date"] = row["birth_date"].isoformat()
            fixes.append(row)
        ctx.reject(rejects)
        if fixes:
            cols = ["line", *COLUMNS]
            ctx.sql(f"INSERT INTO imp_fix ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})", fixes)

    def _load_orgs(self) -> None:
        """imp_org: each organisation's code, id and its branch's path (a manager must
        belong to the customer's branch or below it)."""
        ctx = self.ctx
        orgs = list(ctx.sql("SELECT id, code, path FROM org"))
        paths = {oid: path for oid, _code, path in orgs}
        ctx.sql("DROP TABLE IF EXISTS imp_org")
        ctx.sql("CREATE TEMP TABLE imp_org (code TEXT, org_id INTEGER, branch_path TEXT)")
        rows: list[dict[str, Any]] = []
        for oid, code, path in orgs:
            branch = access.branch_of(path)
            rows.append({"c": code, "o": oid, "p": paths.get(branch, path) if branch is not None else path})
        if rows:
            ctx.sql("INSERT INTO imp_org (code, org_id, branch_path) VALUES (:c, :o, :p)", rows)

    def _build_ok(self) -> None:
        """imp_ok: every row whose fields are valid, normalised, with its organisation,
        manager and the customer it updates (if any)."""
        ctx = self.ctx
        bd = "CAST(r.birth_date AS DATE)" if ctx.pg else "r.birth_date"
        ctx.sql("DROP TABLE IF EXISTS imp_ok")
        ctx.sql(f"""
            CREATE TEMP TABLE imp_ok AS
            SELECT v.*, o.org_id, u.id AS manager_id,
                   CASE WHEN v.manager_username IS NULL THEN 1
                        WHEN u.id IS NOT NULL AND u.disabled = FALSE AND u.role IN {_MANAGER_ROLES}
                             AND mo.path LIKE o.branch_path || '%' THEN 1 ELSE 0 END AS manager_ok,
                   COALESCE(c1.id, c2.id) AS customer_id, COALESCE(c1.manager_id, c2.manager_id) AS current_manager_id,
                   c3.id AS core_owner_id
            FROM (SELECT r.line, r.core_customer_id, COALESCE(r.type, 'personal') AS type, r.name, r.gender,
                         {bd} AS birth_date, upper(r.id_number) AS id_number, r.uscc, r.phone, r.address,
                         r.occupation, r.employer, r.branch_code, r.manager_username
                  FROM imp_raw r WHERE NOT EXISTS (SELECT 1 FROM imp_slow s WHERE s.line = r.line)
                  UNION ALL
                  SELECT line, core_customer_id, type, name, gender, birth_date, id_number, uscc, phone, address,
                         occupation, employer, branch_code, manager_username FROM imp_fix) v
            LEFT JOIN imp_org o ON o.code = v.branch_code
            LEFT JOIN app_user u ON u.username_key = lower(v.manager_username)
            LEFT JOIN org mo ON mo.id = u.org_id
            LEFT JOIN customer c1 ON c1.id_number = v.id_number
            LEFT JOIN customer c2 ON c2.uscc = v.uscc
            LEFT JOIN customer c3 ON c3.core_customer_id = v.core_customer_id""")
        if ctx.pg:
            ctx.sql("ANALYZE imp_ok")

    def _reject_by_database(self) -> None:
        """What only the database knows: the branch, the manager, whose core id it is."""
        rejects: list[tuple[int, str | None, str, str]] = []
        for line, branch, org_id, manager_ok, manager_id, customer_id, current, core_owner in self.ctx.sql("""
                SELECT line, branch_code, org_id, manager_ok, manager_id, customer_id, current_manager_id,
                       core_owner_id FROM imp_ok
                WHERE org_id IS NULL OR manager_ok = 0
                   OR (core_owner_id IS NOT NULL AND (customer_id IS NULL OR core_owner_id <> customer_id))"""):
            if branch is None:
                rejects.append((line, "branch_code", codes.FIELD_REQUIRED, "Required"))
            elif org_id is None:
                rejects.append((line, "branch_code", "customer.org_id.not_found", "No organisation has this code"))
            elif not manager_ok and not (customer_id is not None and manager_id is not None and manager_id == current):
                rejects.append((line, "manager_username", "customer.manager_id.invalid",
                                "Not an active account or branch manager of the customer's branch"))
            if core_owner is not None and core_owner != customer_id:
                rejects.append((line, "core_customer_id", CORE_ID_TAKEN,
                                "Another customer has this core customer id"))
        self.ctx.reject(rejects)

    def _reject_repeats(self) -> None:
        """A resident ID, credit code or core id a valid row has already: the later row
        is rejected."""
        rejects = []
        for line, typ, first, field in self.ctx.sql("""
                SELECT line, type, first, 'key' FROM (
                    SELECT line, type, min(line) OVER (PARTITION BY type, COALESCE(id_number, uscc)) AS first
                    FROM imp_ok) d WHERE line > first
                UNION ALL
                SELECT line, type, first, 'core' FROM (
                    SELECT line, type, min(line) OVER (PARTITION BY core_customer_id) AS first
                    FROM imp_ok WHERE core_customer_id IS NOT NULL) d WHERE line > first"""):
            if field == "core":
                rejects.append((line, "core_customer_id", DUPLICATE_IN_FILE,
                                f"Line {first} has the same core customer id"))
            elif typ == "personal":
                rejects.append((line, "id_number", DUPLICATE_IN_FILE, f"Line {first} has the same resident ID number"))
            else:
                rejects.append((line, "uscc", DUPLICATE_IN_FILE, f"Line {first} has the same credit code"))
        self.ctx.reject(rejects)

    # ------------------------------------------------------------------ merge
    _OK = "NOT EXISTS (SELECT 1 FROM imp_reject j WHERE j.line = o.line)"

    def merge(self) -> Merged:
        ctx = self.ctx
        ctx.progress.stage("search keys")
        self.names.load()
        ctx.progress.stage("updating")
        ctx.sql("CREATE INDEX IF NOT EXISTS imp_reject_line ON imp_reject (line)")
        merged = self._update()
        ctx.progress.stage("creating")
        merged.created = self._create()
        return merged

    def _changed(self) -> str:
        ne = " IS DISTINCT FROM " if self.ctx.pg else " IS NOT "
        terms = [f"c.{f}{ne}o.{f}" for f in UPDATED_FIELDS]
        terms.append(f"(o.manager_username IS NOT NULL AND c.manager_id{ne}o.manager_id)")
        terms.append(f"(o.core_customer_id IS NOT NULL AND c.core_customer_id{ne}o.core_customer_id)")
        return "(" + " OR ".join(terms) + ")"

    def _update(self) -> Merged:
        ctx = self.ctx
        matched = int(ctx.sql(f"SELECT count(*) FROM imp_ok o WHERE o.customer_id IS NOT NULL AND {self._OK}")
                      .scalar() or 0)
        if not matched:
            return Merged()
        join = f"FROM imp_ok o JOIN customer c ON c.id = o.customer_id WHERE {self._OK} AND {self._changed()}"
        named = (f"FROM imp_ok o JOIN customer c ON c.id = o.customer_id LEFT JOIN {search_keys.TABLE} n "
                 f"ON n.name = o.name WHERE {self._OK} AND {self._changed()}")
        if ctx.pg:  # the customers to change are locked before their values are read for the history
            ctx.sql(f"SELECT c.id {join} ORDER BY c.id FOR UPDATE OF c").all()
        fields = [*UPDATED_FIELDS, "manager_id", "core_customer_id"]
        ctx.sql("DROP TABLE IF EXISTS imp_upd")
        ctx.sql("CREATE TEMP TABLE imp_upd AS SELECT c.id, "
                + ", ".join(f"c.{f} AS old_{f}, o.{f} AS {f}" for f in fields)
                + "".join(f", {expr} AS {col}" for col, expr in search_keys.CUSTOMER_COLUMNS.items())
                + ", (o.manager_username IS NOT NULL) AS manager_given "
                + named)
        changes = []
        for row in ctx.sql(f"SELECT id, manager_given, {', '.join(f'old_{f}, {f}' for f in fields)} FROM imp_upd"):
            cid, manager_given, *pairs = row
            diff: dict[str, tuple[Any, Any]] = {}
            for i, f in enumerate(fields):
                old, new = pairs[2 * i], pairs[2 * i + 1]
                if (f == "manager_id" and not manager_given) or (f == "core_customer_id" and new is None):
                    continue
                if old != new:
                    diff[f] = (old, new)
            changes.append((cid, diff))
        history.record_many(ctx.db, Resource.CUSTOMER, "import", ctx.created_by, changes, at=ctx.now)
        from_name = "".join(f"{col} = CASE WHEN u.name = u.old_name THEN customer.{col} ELSE u.{col} END, "
                            for col in search_keys.CUSTOMER_COLUMNS)
        ctx.sql(f"""
            UPDATE customer SET
                name = u.name, gender = u.gender, birth_date = u.birth_date, phone = u.phone, address = u.address,
                occupation = u.occupation, employer = u.employer, org_id = u.org_id, {from_name}
                manager_id = CASE WHEN u.manager_given THEN u.manager_id ELSE customer.manager_id END,
                core_customer_id = COALESCE(u.core_customer_id, customer.core_customer_id),
                version = customer.version + 1, updated_at = :now
            FROM imp_upd u WHERE customer.id = u.id""", {"now": ctx.now})
        self.names.write_keys("c.id IN (SELECT id FROM imp_upd WHERE name <> old_name OR org_id <> old_org_id)",
                              replace=True)
        return Merged(updated=len(changes), unchanged=matched - len(changes))

    def _create(self) -> int:
        ctx = self.ctx
        new = f"FROM imp_ok o WHERE o.customer_id IS NULL AND {self._OK}"
        n = int(ctx.sql(f"SELECT count(*) {new}").scalar() or 0)
        if not n:
            return 0
        named = search_keys.CUSTOMER_COLUMNS
        cols = ["type", "name", "gender", "birth_date", "id_number", "uscc", "phone", "address", "occupation",
                "employer", "org_id", "manager_id", "core_customer_id", *named]
        target = "customer_no, " + ", ".join(cols) + ", version, created_at, updated_at, import_batch_id"
        values = ", ".join(f"x.{c}" for c in cols) + ", 1, :now, :now, :batch"
        rows = (f"o.*, {', '.join(f'{expr} AS {col}' for col, expr in named.items())} FROM imp_ok o "
                f"JOIN {search_keys.TABLE} n ON n.name = o.name WHERE o.customer_id IS NULL AND {self._OK}")
        if ctx.pg:
            number = "'C' || lpad(CAST(x.no_ AS TEXT), greatest(10, length(CAST(x.no_ AS TEXT))), '0')"
            source = f"(SELECT nextval('customer_no_seq') AS no_, s.* FROM (SELECT {rows}) s) x"
            params: dict[str, Any] = {"now": ctx.now, "batch": ctx.batch_id}
        else:
            top = int(ctx.sql("UPDATE sequence_counter SET value = value + :n WHERE name = 'customer_no' "
                              "RETURNING value", {"n": n}).scalar() or 0)
            number = "printf('C%010d', :base + x.k)"
            source = f"(SELECT row_number() OVER (ORDER BY o.line) AS k, {rows}) x"
            params = {"now": ctx.now, "batch": ctx.batch_id, "base": top - n}
        existing = int(ctx.sql("SELECT count(*) FROM customer").scalar() or 0)
        with indexes_deferred(ctx, [("customer", False), ("customer_search_key", True)],
                              enabled=n >= BULK_MIN and n >= existing):
            res = ctx.sql(f"INSERT INTO customer ({target}) SELECT {number}, {values} FROM {source}", params)
            created = int(getattr(res, "rowcount", n) or 0)
            if created != n:  # every staged name reached the name table: a bug otherwise
                raise RuntimeError(f"{n - created} new customers had no name entry")
            ctx.progress.stage("writing search keys")
            self.names.write_keys("c.import_batch_id = :batch", {"batch": ctx.batch_id}, replace=False)
        return created

    def drop_tables(self) -> None:
        for t in ("imp_slow", "imp_fix", "imp_org", "imp_ok", "imp_upd"):
            self.ctx.sql(f"DROP TABLE IF EXISTS {t}")
        self.names.drop()
