"""The audit trail that cannot be quietly changed (CONTRACT.md: `audit verify`, `audit head`).

Two layers, both keyed by the key file (server/crypto.py `mac`), so that write access to
the database alone cannot forge what either says:

* **Each entry's MAC**, computed by the application as it writes the entry
  (server/services/audit.py): an entry edited, or one inserted by anything but the
  application, does not carry a valid MAC.
* **The chain** (`audit_chain`), which fixes the order and the membership: a sealer
  appends one row per entry, `link = MAC(previous link | seq | entry id | entry MAC)`.
  An entry deleted, reordered or replaced after sealing breaks the chain at that point.

Why a sealer, and not a link computed in the writing transaction: every audited request
would then queue on one row until it commits, and the hot reads write audit entries at
the request rate. The sealer is the log's single sequencer (as in Trillian: writers queue
entries, one sequencer integrates them); it seals only entries that are *final*, so a
transaction committing late can never leave an entry behind the sealed part:
* PostgreSQL: each entry carries the id of the transaction that wrote it (`txid`, a
  column default). Once no transaction of this database older than some id is still
  running (`_final_below`, from the lock table), the entries below that id are all there
  is and ever will be of those transactions; they are sealed in (txid, id) order. One
  sealer at a time (an advisory lock). (The snapshot's `xmin` would also do, but any
  long transaction in the cluster, in any database, would hold it back.)
* SQLite: one writer at a time, so entries commit in id order; all visible are final.

Entries written before the chain existed (migration 0017 marks them `txid = 0`) have no
MAC; the `crm-server init` that adds the chain vouches for them by sealing them (no
later seal does: an entry without a valid MAC is sealed as found, marked `!`, and
reported). What the chain cannot show by itself is the
*newest* sealed entries cut off together with their chain rows: `audit head`, kept
elsewhere, is for that (`audit verify --expect-head`). Entries not yet sealed (the last
second's) are checked by their MAC only.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, insert, select, text, tuple_
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from server.crypto import FieldCipher, cipher_of
from server.models import AuditChain, AuditLog
from server.models.base import utcnow
from server.services.audit import content

log = logging.getLogger("crm.audit")

#: The advisory lock that makes one sealer at a time (PostgreSQL), any 64-bit constant.
_SEAL_LOCK = 0x43524D4155444954  # "CRMAUDIT"
#: Entries sealed per transaction.
BATCH = 5000
#: The head of an empty chain.
EMPTY_HEAD = "0:"
#: Marks, in the chain, an entry that carried no valid MAC when it was sealed.
INVALID = "!"


def _link(cipher: FieldCipher, previous: str, seq: int, audit_id: int, mac: str) -> str:
    return cipher.mac(f"{previous}|{seq}|{audit_id}|{mac}".encode())


def _head(db: Session) -> AuditChain | None:
    return db.scalars(select(AuditChain).order_by(AuditChain.seq.desc()).limit(1)).first()


#: The transactions of this database that hold a transaction id now (each holds an
#: ExclusiveLock on its own id until it ends): any of them may still write an entry, even
#: one that has not touched the log yet (it took its id writing a customer first). A
#: transaction whose backend the activity view does not show (it began after the view
#: was read, or is a prepared transaction) counts too: counting one too many only delays.
#: `pg_locks` and the activity view's `pid` and `datid` are open to every role.
_RUNNING = text("""
WITH l AS MATERIALIZED (SELECT transactionid, pid FROM pg_locks
                        WHERE locktype = 'transactionid' AND mode = 'ExclusiveLock' AND granted),
     a AS MATERIALIZED (SELECT pid, datid FROM pg_stat_activity)
SELECT min(l.transactionid::text::bigint) FROM l LEFT JOIN a ON a.pid = l.pid
WHERE l.pid IS DISTINCT FROM pg_backend_pid()
  AND (a.datid IS NULL OR a.datid = (SELECT oid FROM pg_database WHERE datname = current_database()))
GROUP BY l.pid""")


def _final_below(db: Session) -> int:
    """PostgreSQL: a transaction id below which every entry is final — no transaction of
    this database that started earlier and holds an id is still running. The next id is
    read first, so a transaction that gets its id after the lock table was read gets one
    at or above it. Other databases' transactions, and read-only ones (no id), do not
    hold sealing back."""
    next_id = int(db.scalar(text("SELECT pg_snapshot_xmax(pg_current_snapshot())::text::bigint")))
    below = next_id
    for (xid32,) in db.execute(_RUNNING):
        # 32-bit ids from the lock table, widened against the next id (wraparound-safe)
        below = min(below, next_id - ((next_id - int(xid32)) % 2**32))
    return below


def seal(db: Session, limit: int = BATCH, *, vouch_legacy: bool = False) -> int:
    """Append the final entries not yet sealed to the chain (at most `limit`); returns how
    many. The caller commits (the advisory lock, on PostgreSQL, ends with the transaction).
    `vouch_legacy`: entries from before migration 0017 are taken as they are (`init`)."""
    cipher = cipher_of(db)
    pg = db.get_bind().dialect.name == "postgresql"
    if pg and not db.scalar(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _SEAL_LOCK}):
        return 0  # another process is sealing
    head = _head(db)
    q = select(AuditLog)
    if pg:
        q = q.where(AuditLog.txid < _final_below(db))
        if head is not None:
            q = q.where(tuple_(AuditLog.txid, AuditLog.id) > tuple_(head.txid, head.audit_id))
        q = q.order_by(AuditLog.txid, AuditLog.id)
    else:
        if head is not None:
            q = q.where(AuditLog.id > head.audit_id)
        q = q.order_by(AuditLog.id)
    rows = list(db.scalars(q.limit(limit)))
    if not rows:
        return 0
    seq, previous = (head.seq, head.link) if head is not None else (0, "")
    # legacy entries come first in the chain's order: vouching ends at the first other one
    vouching = vouch_legacy and (head is None or (head.txid == 0 and db.scalar(
        select(AuditLog.mac).where(AuditLog.id == head.audit_id)) is None))
    now = utcnow()
    chain = []
    for row in rows:
        seq += 1
        vouching = vouching and row.mac is None and row.txid == 0
        if vouching:
            mac = cipher.mac(content(row))  # written before entries carried a MAC
        elif cipher.mac_matches(content(row), row.mac):
            mac = row.mac or ""
        else:
            mac = INVALID + (row.mac or "")
            log.warning("audit entry %s carries no valid MAC: sealed as found, `audit verify` reports it", row.id)
        previous = _link(cipher, previous, seq, row.id, mac)
        chain.append({"seq": seq, "audit_id": row.id, "txid": row.txid, "mac": mac, "link": previous,
                      "sealed_at": now})
    db.execute(insert(AuditChain), chain)
    return len(rows)


def seal_all(factory: sessionmaker[Session], *, vouch_legacy: bool = False) -> int:
    """Seal everything final now, in committed batches; returns how many."""
    total = 0
    while True:
        with factory() as db:
            n = seal(db, vouch_legacy=vouch_legacy)
            db.commit()
        total += n
        if n < BATCH:
            return total


def rebase(conn: Connection) -> None:
    """After a restore (server/backup.py): the entries' transaction ids are another
    cluster's, perhaps ahead of this one's, and the sealer would wait for them forever or
    pass new entries by. Sealed entries and their chain rows become 0 and the entries
    not yet sealed 1, so they are sealed first and new entries after them; the order
    already sealed is the chain's `seq`, which is untouched (`txid` is not in a MAC)."""
    if conn.dialect.name != "postgresql":
        return  # SQLite orders by id
    conn.execute(text("UPDATE audit_chain SET txid = 0"))
    conn.execute(text("UPDATE audit_log SET txid = CASE WHEN EXISTS (SELECT 1 FROM audit_chain c "
                      "WHERE c.audit_id = audit_log.id) THEN 0 ELSE 1 END"))


def head_token(db: Session) -> str | None:
    """`<seq>:<link>` of the newest sealed entry: what `audit head` prints."""
    head = _head(db)
    return None if head is None else f"{head.seq}:{head.link}"


@dataclass
class Report:
    """What `audit verify` found: `breaks` in chain order (the first is printed)."""

    sealed: int = 0
    pending: int = 0
    head: str | None = None
    breaks: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.breaks


def _pairs(db: Session, batch: int) -> Iterator[tuple[AuditChain, AuditLog | None]]:
    """The chain in order with the entry each row names (None when it is gone)."""
    after = 0
    while True:
        page = db.execute(select(AuditChain, AuditLog).outerjoin(AuditLog, AuditLog.id == AuditChain.audit_id)
                          .where(AuditChain.seq > after).order_by(AuditChain.seq).limit(batch)).all()
        if not page:
            return
        yield from page
        after = page[-1][0].seq


def _describe(entry: AuditLog) -> str:
    return f"entry {entry.id} ({entry.at:%Y-%m-%dT%H:%M:%SZ} {entry.action})"


def verify(db: Session, *, expect_head: str | None = None, batch: int = BATCH, max_breaks: int = 20) -> Report:
    """Walk the chain and the entries not yet sealed; writes nothing."""
    cipher = cipher_of(db)
    report = Report()

    def broken(message: str) -> None:
        if len(report.breaks) < max_breaks:
            report.breaks.append(message)

    previous, expected_seq = "", 0
    for link, entry in _pairs(db, batch):
        expected_seq += 1
        if link.seq != expected_seq:
            broken(f"chain row {expected_seq} is missing (deleted): the next is {link.seq}")
            expected_seq = link.seq
        if link.link != _link(cipher, previous, link.seq, link.audit_id, link.mac):
            broken(f"chain row {link.seq} (entry {link.audit_id}) was altered or moved")
        if entry is None:
            broken(f"entry {link.audit_id} (sealed as chain row {link.seq}) was deleted")
        elif link.mac.startswith(INVALID):
            broken(f"{_describe(entry)} was not written by the application: it carried no valid MAC when sealed "
                   f"(chain row {link.seq})")
        elif not cipher.mac_matches(content(entry), link.mac):
            broken(f"{_describe(entry)} was altered after it was sealed (chain row {link.seq})")
        elif entry.mac is not None and entry.mac != link.mac:
            broken(f"{_describe(entry)}: its MAC was altered (chain row {link.seq})")
        previous = link.link
        report.sealed += 1
    if report.sealed:
        report.head = f"{expected_seq}:{previous}"
    pending = db.scalars(select(AuditLog).outerjoin(AuditChain, AuditChain.audit_id == AuditLog.id)
                         .where(AuditChain.seq.is_(None)).order_by(AuditLog.id)
                         .execution_options(yield_per=batch))
    for entry in pending:
        report.pending += 1
        if not cipher.mac_matches(content(entry), entry.mac):
            broken(f"{_describe(entry)} was inserted or altered outside the application (not yet sealed)")
    if expect_head is not None and expect_head != EMPTY_HEAD:
        seq_text, _, link_text = expect_head.partition(":")
        kept = db.scalar(select(AuditChain.link).where(AuditChain.seq == int(seq_text))) \
            if seq_text.isdigit() else None
        if kept != link_text:
            broken(f"the head kept elsewhere ({expect_head[:24]}…) is not in the chain: "
                   "the newest entries were cut off or the chain rebuilt")
    return report


def count(db: Session) -> tuple[int, int]:
    """(entries, sealed) — for progress and the health of the sealer."""
    entries = db.scalar(select(func.count()).select_from(AuditLog)) or 0
    sealed = db.scalar(select(func.count()).select_from(AuditChain)) or 0
    return entries, sealed


class Sealer:
    """Seals every `interval` seconds in a thread of the server process, and once more on
    stop, so a clean shutdown leaves nothing unsealed. A database that is briefly away
    is waited for, not fatal."""

    def __init__(self, factory: sessionmaker[Session], interval: float) -> None:
        self.factory = factory
        self.interval = interval
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)

    def start(self) -> Sealer:
        self.thread.start()
        return self

    def _run(self) -> None:
        while not self.stop_event.wait(self.interval):
            self._seal()
        self._seal()

    def _seal(self) -> None:
        try:
            seal_all(self.factory)
        except Exception as exc:  # the next round tries again
            log.warning("audit sealer: %s; trying again in %s s", type(exc).__name__, self.interval)

    def stop(self, timeout: float = 30.0) -> None:
        self.stop_event.set()
        self.thread.join(timeout)


__all__ = ["BATCH", "EMPTY_HEAD", "Report", "Sealer", "count", "head_token", "rebase", "seal", "seal_all",
           "verify"]
