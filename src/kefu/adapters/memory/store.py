"""The in-memory database: committed tables, and sessions that see their own writes until they commit.

``MemoryStore`` is the database: one dict of rows per table, seeded like a freshly migrated one (the six
sites and the start queues). A ``MemorySession`` is one connection's transaction, with the semantics the SQL
store gives the services:

- Writes stay in the session until ``commit()``; another session never sees them before. ``rollback()``
  (or leaving the unit of work without committing) forgets them.
- Rows are stored as private copies: repositories copy on the way in and on the way out, so a caller that
  mutates what it read changes nothing until it saves.
- At commit, like a flush: a new row whose key exists, a unique key taken twice, a reference to a missing
  row, an update of a row deleted meanwhile, or an update of a versioned row (conversations, tasks) that
  another session changed since this one read it, raise ``Conflict`` and nothing is applied.
- An update writes only the fields it changed (as an UPDATE of the changed columns does), so two sessions
  that change different fields of one unversioned row both keep their change.
- Conditional updates (``UPDATE … WHERE status = …``) are decided when they run, against what the session
  sees; ``require`` re-checks them at commit against what others committed meanwhile.
- ``lock`` marks rows a session claimed; ``locked_by_other`` lets a claim skip them (``SKIP LOCKED``).

Everything runs on one event loop without awaiting inside, so each call is atomic.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
from collections.abc import Callable, Hashable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

from kefu.domain.clock import Clock, SystemClock
from kefu.domain.errors import Conflict
from kefu.domain.queues import EscalationStep, Queue, ServiceLevel
from kefu.domain.sites import DEFAULT_SITES

Getter = Callable[[Any], Hashable | None]
_DELETED: Any = object()
_CLASH = "the change clashes with data saved at the same moment; retry"


@dataclass(frozen=True, slots=True)
class Schema:
    """What a table's rows must satisfy at commit: unique keys and references (``None`` is no value)."""

    unique: tuple[Getter, ...] = ()
    references: tuple[tuple[Getter, str], ...] = ()
    versioned: bool = False  # updates check that nobody changed the row since it was read


def _pair(*names: str) -> Getter:
    get = attrgetter(*names)

    def key(row: Any) -> Hashable | None:
        value = get(row)
        return None if any(v is None for v in value) else value

    return key


_case = ((attrgetter("case_id"), "cases"),)
_customer = ((attrgetter("customer_id"), "customers"),)

SCHEMAS: dict[str, Schema] = {
    "sites": Schema(),
    "users": Schema(unique=(attrgetter("username"),)),
    "api_tokens": Schema(references=((attrgetter("user_id"), "users"),)),
    "customers": Schema(
        unique=(attrgetter("external_id"),), references=((attrgetter("home_site"), "sites"),)
    ),
    "agents": Schema(
        unique=(attrgetter("user_id"),),
        references=((attrgetter("site"), "sites"), (attrgetter("user_id"), "users")),
    ),
    "conversations": Schema(
        references=((attrgetter("customer_id"), "customers"), (attrgetter("agent_id"), "agents")),
        versioned=True,
    ),
    "messages": Schema(references=((attrgetter("conversation_id"), "conversations"),)),
    "audit_log": Schema(unique=(attrgetter("seq"),)),
    "audit_head": Schema(),
    "audit_checkpoints": Schema(),
    "queues": Schema(),
    "routing_rules": Schema(references=((attrgetter("queue"), "queues"),)),
    "tasks": Schema(references=((attrgetter("queue_id"), "queues"),), versioned=True),
    "offers": Schema(references=((attrgetter("task_id"), "tasks"),)),
    "kb_articles": Schema(),
    "canned_responses": Schema(unique=(_pair("language", "shortcut"),)),
    "callbacks": Schema(unique=(attrgetter("record.follow_up_key"),)),
    "screenings": Schema(),
    "cases": Schema(unique=(attrgetter("payment_id"),)),
    "case_contact_attempts": Schema(references=_case),
    "family_alerts": Schema(unique=(_pair("case_id", "kind"),), references=_case),
    "funds_saved": Schema(unique=(attrgetter("case_id"),), references=_case),
    "payee_reports": Schema(),
    "payee_watchlist": Schema(),
    "trusted_payees": Schema(references=_customer),
    "rule_sets": Schema(unique=(attrgetter("version"),)),
    "csat_ratings": Schema(
        unique=(attrgetter("conversation_id"),),
        references=((attrgetter("conversation_id"), "conversations"),),
    ),
    "commendations": Schema(references=((attrgetter("agent_id"), "agents"), *_customer)),
    "complaints": Schema(references=_customer),
    "report_hours": Schema(),
    "report_state": Schema(),
    "outbox": Schema(),
    "payment_webhooks": Schema(),
    "payment_labels": Schema(),
    "screening_models": Schema(),
    "queue_thresholds": Schema(references=((attrgetter("queue_id"), "queues"),)),
    "router_leases": Schema(),
}


def _start_queues(at: datetime) -> list[Queue]:
    """The queues migration 0002 seeds: one per business line, anti-fraud on top, elderly care."""
    line = ServiceLevel(20, 80.0)
    queues = [
        Queue(name, title, name, ("chat", "voice", "callback"), {name: 1}, 0, line, at, at,
              (EscalationStep(60, {name: 1}, "all"),))
        for name, title in (("social", "Social 社交"), ("payments", "Payments 支付"), ("games", "Games 游戏"))
    ]  # fmt: skip
    queues.append(
        Queue("anti_fraud", "Anti-fraud 劝阻止付", "payments", ("voice", "callback", "chat"),
              {"anti_fraud": 3}, 100, ServiceLevel(10, 90.0), at, at,
              (EscalationStep(15, {"anti_fraud": 3}, "all"), EscalationStep(60, {"anti_fraud": 1}, "all")))
    )  # fmt: skip
    queues.append(
        Queue("elderly_care", "Elderly care 关爱老人", "social", ("voice", "callback", "chat"),
              {"elderly_care": 2}, 50, ServiceLevel(15, 90.0), at, at,
              (EscalationStep(30, {"elderly_care": 1}, "all"), EscalationStep(180, {}, "all")))
    )  # fmt: skip
    return queues


class MemoryStore:
    """The in-memory database shared by every ``MemoryUnitOfWork`` of one world."""

    def __init__(self, clock: Clock | None = None, seed: bool = True) -> None:
        self.tables: dict[str, dict[Hashable, Any]] = {name: {} for name in SCHEMAS}
        # Bumped on every committed change of a row: what version checks and re-checks compare.
        self.stamps: dict[tuple[str, Hashable], int] = {}
        self.locks: dict[tuple[str, Hashable], MemorySession] = {}
        self.sequence = itertools.count(1)  # rule set numbers, never reused (like a database sequence)
        if seed:
            at = (clock or SystemClock()).now().astimezone(UTC)
            for site in DEFAULT_SITES:
                self.tables["sites"][site.id] = site
            for queue in _start_queues(at):
                self.tables["queues"][queue.id] = queue

    def session(self) -> MemorySession:
        return MemorySession(self)

    def rows(self, table: str) -> list[Any]:
        """Copies of the committed rows of one table (for tests and diagnostics)."""
        return [copy.deepcopy(r) for r in self.tables[table].values()]


@dataclass(slots=True)
class _Requirement:
    table: str
    key: Hashable
    stamp: int
    holds: Callable[[Any], bool]
    error: Callable[[], Exception]


@dataclass(slots=True)
class MemorySession:
    """One transaction on a ``MemoryStore``; after ``commit`` or ``rollback`` it starts the next one."""

    store: MemoryStore
    _writes: dict[str, dict[Hashable, Any]] = field(default_factory=dict)
    _base: dict[tuple[str, Hashable], tuple[Any, int]] = field(default_factory=dict)
    _inserted: dict[tuple[str, Hashable], int] = field(default_factory=dict)
    _deleted: set[tuple[str, Hashable]] = field(default_factory=set)
    _required: list[_Requirement] = field(default_factory=list)

    # -- reading ---------------------------------------------------------------------------------------
    def get(self, table: str, key: Hashable) -> Any | None:
        """The row as this session sees it (its own writes first); never mutate it, copy it."""
        written = self._writes.get(table)
        if written is not None and key in written:
            row = written[key]
            return None if row is _DELETED else row
        row = self.store.tables[table].get(key)
        if row is not None:
            self._note(table, key, row)
        return row

    def scan(self, table: str) -> Iterator[Any]:
        """Every row this session sees in one table, committed ones first."""
        written = self._writes.get(table, {})
        for key, row in list(self.store.tables[table].items()):
            if key not in written:
                self._note(table, key, row)
                yield row
        for row in list(written.values()):
            if row is not _DELETED:
                yield row

    def _note(self, table: str, key: Hashable, row: Any) -> None:
        # The first read wins, as in an identity map: updates are compared with what was read first.
        if (table, key) not in self._base:
            self._base[(table, key)] = (row, self.store.stamps.get((table, key), 0))

    def stamp(self, table: str, key: Hashable) -> int:
        return self.store.stamps.get((table, key), 0)

    # -- writing ---------------------------------------------------------------------------------------
    def insert(self, table: str, key: Hashable, row: Any) -> None:
        """Add a new row; a key taken already (here or committed) is a ``Conflict`` at commit."""
        self._inserted[(table, key)] = self._inserted.get((table, key), 0) + 1
        self._writes.setdefault(table, {})[key] = row

    def update(self, table: str, key: Hashable, row: Any) -> None:
        """Replace a row this session sees (callers check it exists).

        A row this session read is compared at commit with the row as it was read (the SQL repositories
        hold what they read, so their version check covers read to commit); a row updated unread is
        compared with the row as committed now."""
        written = self._writes.get(table, {})
        if (
            (table, key) not in self._inserted
            and key not in written
            and key in self.store.tables[table]
            and (table, key) not in self._base
        ):
            self._base[(table, key)] = (self.store.tables[table][key], self.stamp(table, key))
        self._writes.setdefault(table, {})[key] = row

    def delete(self, table: str, key: Hashable) -> None:
        self.get(table, key)
        self._writes.setdefault(table, {})[key] = _DELETED
        self._inserted.pop((table, key), None)
        self._deleted.add((table, key))

    def require(
        self, table: str, key: Hashable, holds: Callable[[Any], bool], error: Callable[[], Exception]
    ) -> None:
        """At commit: if another session changed this row meanwhile, ``holds(row)`` must still be true."""
        self._required.append(_Requirement(table, key, self.stamp(table, key), holds, error))

    def lock(self, table: str, key: Hashable) -> None:
        self.store.locks.setdefault((table, key), self)

    def locked_by_other(self, table: str, key: Hashable) -> bool:
        holder = self.store.locks.get((table, key))
        return holder is not None and holder is not self

    # -- ending ----------------------------------------------------------------------------------------
    def rollback(self) -> None:
        self._writes.clear()
        self._base.clear()
        self._inserted.clear()
        self._deleted.clear()
        self._required.clear()
        for lock in [k for k, holder in self.store.locks.items() if holder is self]:
            del self.store.locks[lock]

    def commit(self) -> None:
        """Apply every write at once, or raise ``Conflict`` and apply nothing (the session rolls back)."""
        try:
            for requirement in self._required:
                current = self.store.tables[requirement.table].get(requirement.key)
                if self.stamp(requirement.table, requirement.key) != requirement.stamp and not (
                    requirement.holds(current)
                ):
                    raise requirement.error()
            changes = {table: self._changes(table, rows) for table, rows in self._writes.items()}
            self._check(changes)
        except BaseException:
            self.rollback()
            raise
        for table, rows in changes.items():
            committed = self.store.tables[table]
            for key, row in rows.items():
                if row is _DELETED:
                    committed.pop(key, None)
                else:
                    committed[key] = row
                self.store.stamps[(table, key)] = self.stamp(table, key) + 1
        self.rollback()

    def _changes(self, table: str, rows: dict[Hashable, Any]) -> dict[Hashable, Any]:
        """The rows to write: new rows whole, updated rows as the committed row plus the changed fields."""
        committed = self.store.tables[table]
        out: dict[Hashable, Any] = {}
        for key, row in rows.items():
            inserted = self._inserted.get((table, key), 0)
            if inserted:
                if inserted > 1:
                    raise Conflict(_CLASH, table=table)
                if key in committed:  # taken, unless this session deleted it first and nobody changed it
                    if (table, key) not in self._deleted or committed[key] is not self._base[(table, key)][0]:
                        raise Conflict(_CLASH, table=table)
                out[key] = row
                continue
            if row is _DELETED:
                if key in committed:
                    out[key] = row
                continue
            base, stamp = self._base[(table, key)]
            changed = [
                f.name for f in dataclasses.fields(row) if getattr(row, f.name) != getattr(base, f.name)
            ]
            if not changed:
                continue
            current = committed.get(key)
            if current is None:  # deleted meanwhile: the UPDATE finds no row
                raise Conflict(_CLASH, table=table)
            if SCHEMAS[table].versioned and self.stamp(table, key) != stamp:
                raise Conflict(_CLASH, table=table)
            merged = copy.copy(current)
            for name in changed:
                object.__setattr__(merged, name, getattr(row, name))
            out[key] = merged
        return out

    def _check(self, changes: dict[str, dict[Hashable, Any]]) -> None:
        """Unique keys and references over the tables as they would be after the commit."""
        finals: dict[str, dict[Hashable, Any]] = {}

        def final(table: str) -> dict[Hashable, Any]:
            if table not in finals:
                rows = changes.get(table)
                if not rows:
                    finals[table] = self.store.tables[table]
                else:
                    merged = dict(self.store.tables[table])
                    for key, row in rows.items():
                        if row is _DELETED:
                            merged.pop(key, None)
                        else:
                            merged[key] = row
                    finals[table] = merged
            return finals[table]

        for table, rows in changes.items():
            schema = SCHEMAS[table]
            written = [r for r in rows.values() if r is not _DELETED]
            if not written:
                continue
            for unique in schema.unique:
                seen: set[Hashable] = set()
                for row in final(table).values():
                    value = unique(row)
                    if value is None:
                        continue
                    if value in seen:
                        raise Conflict(_CLASH, table=table)
                    seen.add(value)
            for reference, target in schema.references:
                for row in written:
                    value = reference(row)
                    if value is not None and value not in final(target):
                        raise Conflict(_CLASH, table=table)
