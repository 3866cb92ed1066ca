"""In-memory repositories of the anti-fraud desk: screenings, cases (with conditional, race-safe state
changes) and the desk's records (funds saved, payee reports and watchlist, trusted payees, rule sets)."""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from kefu.adapters.memory.shared import clone, of_bases, page
from kefu.adapters.memory.store import MemorySession
from kefu.domain.cases import Case, CaseStatus, ContactAttempt, FamilyAlert, LedgerEntry
from kefu.domain.errors import Conflict
from kefu.domain.labels import PaymentLabel
from kefu.domain.payments import (
    PaymentStatus,
    ReplayedScreening,
    ScreeningRecord,
    StoredRuleSet,
    TrustedPayee,
    WatchlistEntry,
    WebhookDelivery,
)


def _within(at: datetime, since: datetime, until: datetime) -> bool:
    return since <= at < until


class MemoryScreenings:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def get(self, payment_id: str) -> ScreeningRecord | None:
        return clone(self._s.get("screenings", payment_id))

    async def add(self, record: ScreeningRecord) -> None:
        self._s.insert("screenings", record.payment_id, clone(record))

    async def set_status(self, payment_id: str, status: PaymentStatus, at: datetime | None = None) -> None:
        row: ScreeningRecord | None = self._s.get("screenings", payment_id)
        if row is not None:
            changed = dataclasses.replace(clone(row), status=status)
            if at is not None:
                changed.status_changed_at = at
            self._s.update("screenings", payment_id, changed)

    async def attach_case(self, payment_id: str, case_id: str, hold_expires_at: datetime) -> None:
        row: ScreeningRecord | None = self._s.get("screenings", payment_id)
        if row is not None:
            changed = dataclasses.replace(clone(row), case_id=case_id, hold_expires_at=hold_expires_at)
            self._s.update("screenings", payment_id, changed)

    async def for_case(self, case_id: str) -> list[ScreeningRecord]:
        rows = [r for r in self._s.scan("screenings") if r.case_id == case_id]
        return [clone(r) for r in sorted(rows, key=lambda r: (r.screened_at, r.payment_id))]

    async def decision_counts(self, since: datetime, until: datetime) -> dict[str, int]:
        rows = self._s.scan("screenings")
        return dict(Counter(r.decision for r in rows if _within(r.screened_at, since, until)))

    async def typology_counts(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        rows = self._s.scan("screenings")
        return dict(
            Counter(
                (r.typology, r.decision)
                for r in rows
                if r.typology is not None and _within(r.screened_at, since, until)
            )
        )

    async def to_payee(self, customer_id: str, payee_account: str) -> list[ScreeningRecord]:
        rows = [
            r
            for r in self._s.scan("screenings")
            if r.customer_id == customer_id and r.payee_account == payee_account
        ]
        return [clone(r) for r in sorted(rows, key=lambda r: (r.screened_at, r.payment_id))]

    async def replay(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[ReplayedScreening]:
        rows = sorted(
            (r for r in self._s.scan("screenings") if r.screened_at >= since),
            key=lambda r: (r.screened_at, r.payment_id),
        )
        if after is not None:
            rows = [r for r in rows if (r.screened_at, r.payment_id) > after]
        return [
            ReplayedScreening(
                r.payment_id,
                r.payer_id,
                r.payee_account,
                r.amount,
                r.currency,
                r.decision,
                r.screened_at,
                r.paid_at,
            )
            for r in rows[:limit]
        ]

    async def cleared_stops(self, since: datetime) -> set[str]:
        out: set[str] = set()
        for r in self._s.scan("screenings"):
            case = None if r.case_id is None else self._s.get("cases", r.case_id)
            if (
                r.screened_at >= since
                and case is not None
                and "released" in (case.outcome, case.payment_outcome)
            ):
                out.add(r.payment_id)
        return out

    async def add_label(self, label: PaymentLabel) -> None:
        self._s.insert("payment_labels", label.id, label)

    async def label(self, payment_id: str) -> PaymentLabel | None:
        rows = [r for r in self._s.scan("payment_labels") if r.payment_id == payment_id]
        return max(rows, key=lambda r: (r.at, r.id), default=None)

    async def labels_since(self, since: datetime | None) -> list[PaymentLabel]:
        rows = [r for r in self._s.scan("payment_labels") if since is None or r.at >= since]
        return sorted(rows, key=lambda r: (r.at, r.id))


def _bare(case: Case) -> Case:
    """The stored part of a case: attempts and alerts live in their own tables."""
    return dataclasses.replace(clone(case), contact_attempts=[], alerts=[])


class MemoryCases:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, case: Case) -> None:
        self._s.insert("cases", case.id, _bare(case))

    async def get(self, case_id: str, with_history: bool = True) -> Case | None:
        row = self._s.get("cases", case_id)
        if row is None:
            return None
        case: Case = clone(row)
        if with_history:
            attempts = (a for a in self._s.scan("case_contact_attempts") if a.case_id == case_id)
            case.contact_attempts = [clone(a) for a in sorted(attempts, key=lambda a: a.id)]
            alerts = (a for a in self._s.scan("family_alerts") if a.case_id == case_id)
            case.alerts = [clone(a) for a in sorted(alerts, key=lambda a: a.id)]
        return case

    async def save_if(self, case: Case, status: CaseStatus) -> bool:
        """Write the case only if it is still in ``status`` (a conditional update); else ``False``."""
        row: Case | None = self._s.get("cases", case.id)
        if row is None or row.status != status:
            return False
        self._s.update("cases", case.id, _bare(case))
        self._s.require(
            "cases",
            case.id,
            lambda current: current is not None and current.status == status,
            lambda: Conflict(
                f"case {case.id!r} was changed by someone else meanwhile; retry", case_id=case.id
            ),
        )
        return True

    async def add_attempt(self, attempt: ContactAttempt) -> None:
        self._s.insert("case_contact_attempts", attempt.id, clone(attempt))

    async def add_alert(self, alert: FamilyAlert) -> None:
        self._s.insert("family_alerts", alert.id, clone(alert))

    async def alert(self, alert_id: str) -> FamilyAlert | None:
        return clone(self._s.get("family_alerts", alert_id))

    async def save_alert(self, alert: FamilyAlert) -> None:
        self._s.update("family_alerts", alert.id, clone(alert))

    async def claim_alert(self, alert_id: str, retry_at: datetime) -> bool:
        row: FamilyAlert | None = self._s.get("family_alerts", alert_id)
        if row is None or row.retry_at != retry_at:
            return False
        self._s.update("family_alerts", alert_id, dataclasses.replace(clone(row), retry_at=None))
        self._s.require(
            "family_alerts",
            alert_id,
            lambda current: current is not None and current.retry_at == retry_at,
            lambda: Conflict(f"the retry of alert {alert_id!r} was claimed meanwhile", alert_id=alert_id),
        )
        return True

    async def alerts_due(self, now: datetime, limit: int) -> list[str]:
        rows = [a for a in self._s.scan("family_alerts") if a.retry_at is not None and a.retry_at <= now]
        rows.sort(key=lambda a: (a.retry_at, a.id))
        return [a.id for a in rows[: max(limit, 0)]]

    async def attach_conversation(self, case_id: str, previous: str | None, conversation_id: str) -> bool:
        row: Case | None = self._s.get("cases", case_id)
        if row is None or row.conversation_id != previous:
            return False
        self._s.update("cases", case_id, dataclasses.replace(clone(row), conversation_id=conversation_id))
        self._s.require(
            "cases",
            case_id,
            lambda current: current is not None and current.conversation_id == previous,
            lambda: Conflict(f"case {case_id!r} got another conversation meanwhile; retry", case_id=case_id),
        )
        return True

    async def for_conversation(self, conversation_id: str) -> Case | None:
        found = next((c for c in self._s.scan("cases") if c.conversation_id == conversation_id), None)
        return None if found is None else await self.get(found.id, with_history=False)

    async def open_for_payer(self, payer_id: str, opened_since: datetime) -> Case | None:
        rows = [
            c
            for c in self._s.scan("cases")
            if c.payer_id == payer_id and c.status == "open" and c.opened_at >= opened_since
        ]
        newest = max(rows, key=lambda c: (c.opened_at, c.id), default=None)
        return None if newest is None else await self.get(newest.id)

    async def opened_between(self, since: datetime, until: datetime, limit: int) -> list[Case]:
        found = [c for c in self._s.scan("cases") if _within(c.opened_at, since, until)]
        return [clone(c) for c in sorted(found, key=lambda c: (c.opened_at, c.id))[: max(limit, 0)]]

    async def page(
        self,
        after: str | None,
        limit: int,
        status: CaseStatus | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Case]:
        rows = (
            c
            for c in self._s.scan("cases")
            if (status is None or c.status == status)
            and (bases is None or of_bases(self._s, c.agent_id, c.customer_id, bases))
        )
        return page(rows, lambda c: c.id, after, limit)

    async def expired_holds(self, now: datetime, limit: int) -> list[str]:
        rows = [
            c
            for c in self._s.scan("cases")
            if c.status in ("open", "pending_approval") and c.hold_expires_at <= now
        ]
        rows.sort(key=lambda c: (c.hold_expires_at, c.id))
        return [c.id for c in rows[: max(limit, 0)]]

    async def due_contacts(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        rows = [
            (c.id, c.next_contact_due_at)
            for c in self._s.scan("cases")
            if c.status == "open" and c.next_contact_due_at is not None and c.next_contact_due_at <= now
        ]
        rows.sort(key=lambda r: (r[1], r[0]))
        return rows[: max(limit, 0)]

    async def claim_contact(self, case_id: str, due_at: datetime) -> bool:
        """Clear a due re-contact if nobody else has: only the process that clears it re-offers the case."""
        row: Case | None = self._s.get("cases", case_id)
        if row is None or row.status != "open" or row.next_contact_due_at != due_at:
            return False
        self._s.update("cases", case_id, dataclasses.replace(clone(row), next_contact_due_at=None))
        self._s.require(
            "cases",
            case_id,
            lambda current: (
                current is not None and current.status == "open" and current.next_contact_due_at == due_at
            ),
            lambda: Conflict(f"the re-contact of case {case_id!r} was claimed meanwhile", case_id=case_id),
        )
        return True

    async def outcome_counts(self, since: datetime, until: datetime) -> dict[str, int]:
        """Cases opened in the window by outcome (``open`` while unresolved)."""
        rows = self._s.scan("cases")
        return dict(Counter(c.outcome or "open" for c in rows if _within(c.opened_at, since, until)))

    async def typology_outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        rows = self._s.scan("cases")
        return dict(
            Counter(
                (c.typology or "unknown", c.outcome or "open")
                for c in rows
                if _within(c.opened_at, since, until)
            )
        )

    async def first_contact_delays_s(self, since: datetime, until: datetime) -> list[float]:
        return [
            (c.first_contact_at - c.opened_at).total_seconds()
            for c in self._s.scan("cases")
            if c.first_contact_at is not None and _within(c.opened_at, since, until)
        ]


@dataclass(frozen=True, slots=True)
class PayeeReportRow:
    id: str
    account_id: str
    reason: str
    reported_by: str
    case_id: str | None
    at: datetime
    reporter: str | None = None

    @property
    def counted_as(self) -> str:
        """Reports count once per reporter; one without a reporter counts on its own."""
        return self.reporter if self.reporter is not None else f"report:{self.id}"


@dataclass(frozen=True, slots=True)
class WatchlistRow:
    account_id: str
    reason: str
    case_id: str | None
    at: datetime
    source: str | None = None
    added_by: str | None = None

    def entry(self) -> WatchlistEntry:
        return WatchlistEntry(
            self.account_id, self.reason, self.source or "case", self.case_id, self.added_by, self.at
        )


@dataclass(frozen=True, slots=True)
class TrustedPayeeRow:
    customer_id: str
    account_id: str
    name: str
    channel: str | None = None


class MemoryPaymentWebhooks:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, delivery: WebhookDelivery) -> None:
        self._s.insert("payment_webhooks", delivery.id, clone(delivery))

    async def get(self, delivery_id: str) -> WebhookDelivery | None:
        return clone(self._s.get("payment_webhooks", delivery_id))

    async def save(self, delivery: WebhookDelivery) -> None:
        if self._s.get("payment_webhooks", delivery.id) is not None:
            self._s.update("payment_webhooks", delivery.id, clone(delivery))

    async def claim_due(self, now: datetime, until: datetime, limit: int) -> list[str]:
        rows: list[WebhookDelivery] = [
            d
            for d in self._s.scan("payment_webhooks")
            if d.delivered_at is None
            and d.next_attempt_at <= now
            and (d.claimed_until is None or d.claimed_until <= now)
            and not self._s.locked_by_other("payment_webhooks", d.id)
        ]
        rows.sort(key=lambda d: (d.next_attempt_at, d.id))
        chosen = rows[: max(limit, 0)]
        for d in chosen:
            self._s.update("payment_webhooks", d.id, dataclasses.replace(clone(d), claimed_until=until))
            self._s.lock("payment_webhooks", d.id)
        return [d.id for d in chosen]


class MemoryFraudRecords:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    # -- funds saved ---------------------------------------------------------------------------------
    async def add_saving(self, entry: LedgerEntry) -> None:
        self._s.insert("funds_saved", entry.id, clone(entry))

    async def savings(self, since: datetime, until: datetime, limit: int) -> list[LedgerEntry]:
        found = [clone(e) for e in self._s.scan("funds_saved") if _within(e.at, since, until)]
        return sorted(found, key=lambda e: (e.at, e.id))[: max(limit, 0)]

    async def saved(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        """Sums by (typology or ``unknown``, currency)."""
        out: Counter[tuple[str, str]] = Counter()
        for e in self._s.scan("funds_saved"):
            if _within(e.at, since, until):
                out[(e.typology or "unknown", e.currency)] += e.amount
        return dict(out)

    # -- payee reputation ----------------------------------------------------------------------------
    async def add_report(
        self,
        report_id: str,
        account_id: str,
        reason: str,
        by: str,
        case_id: str | None,
        at: datetime,
        reporter: str | None = None,
    ) -> int:
        self._s.insert(
            "payee_reports",
            report_id,
            PayeeReportRow(report_id, account_id, reason, by, case_id, at, reporter),
        )
        return len({r.counted_as for r in self._s.scan("payee_reports") if r.account_id == account_id})

    async def has_reported(self, account_id: str, reporter: str) -> bool:
        return any(
            r.account_id == account_id and r.reporter == reporter for r in self._s.scan("payee_reports")
        )

    async def watchlist(
        self,
        account_id: str,
        reason: str,
        case_id: str | None,
        at: datetime,
        source: str = "case",
        by: str | None = None,
    ) -> None:
        if self._s.get("payee_watchlist", account_id) is None:
            self._s.insert(
                "payee_watchlist", account_id, WatchlistRow(account_id, reason, case_id, at, source, by)
            )

    async def unwatchlist(self, account_id: str) -> bool:
        if self._s.get("payee_watchlist", account_id) is None:
            return False
        self._s.delete("payee_watchlist", account_id)
        return True

    async def watchlist_entry(self, account_id: str) -> WatchlistEntry | None:
        row: WatchlistRow | None = self._s.get("payee_watchlist", account_id)
        return None if row is None else row.entry()

    async def watchlist_page(self, after: str | None, limit: int) -> list[WatchlistEntry]:
        rows: list[WatchlistRow] = list(self._s.scan("payee_watchlist"))
        return [r.entry() for r in page(rows, lambda r: r.account_id, after, limit)]

    async def is_watchlisted(self, account_id: str) -> bool:
        return self._s.get("payee_watchlist", account_id) is not None

    async def reputation(self) -> tuple[list[str], dict[str, int]]:
        """Every watchlisted account and report counts, to rebuild an in-memory counter store on start."""
        listed = sorted(r.account_id for r in self._s.scan("payee_watchlist"))
        reporters = {(r.account_id, r.counted_as) for r in self._s.scan("payee_reports")}
        return listed, dict(Counter(account for account, _ in reporters))

    # -- trusted payees ------------------------------------------------------------------------------
    async def trusted_payees(self, customer_id: str) -> list[TrustedPayee]:
        rows = [r for r in self._s.scan("trusted_payees") if r.customer_id == customer_id]
        return [TrustedPayee(r.account_id, r.name) for r in sorted(rows, key=lambda r: r.account_id)]

    async def set_trusted_payees(
        self, customer_id: str, payees: list[TrustedPayee], channel: str | None = None
    ) -> None:
        for row in [r for r in self._s.scan("trusted_payees") if r.customer_id == customer_id]:
            self._s.delete("trusted_payees", (customer_id, row.account_id))
        for p in payees:
            self._s.insert(
                "trusted_payees",
                (customer_id, p.account_id),
                TrustedPayeeRow(customer_id, p.account_id, p.name, channel),
            )

    # -- rule sets -----------------------------------------------------------------------------------
    async def active_rule_set_seq(self) -> int:
        return max((r.seq for r in self._s.scan("rule_sets")), default=0)

    async def rule_set(self, seq: int) -> StoredRuleSet | None:
        return clone(self._s.get("rule_sets", seq))

    async def rule_set_version_exists(self, version: str) -> bool:
        return any(r.version == version for r in self._s.scan("rule_sets"))

    async def add_rule_set(self, version: str, source: str, at: datetime, by: str) -> int:
        seq = next(self._s.store.sequence)
        self._s.insert("rule_sets", seq, StoredRuleSet(seq, version, source, at, by))
        return seq
