"""Repositories of the anti-fraud desk: screenings, cases (with conditional, race-safe state changes) and
the desk's records (funds saved, payee reports and watchlist, trusted payees, rule sets, statistics)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import distinct, func, literal, or_, select, tuple_, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from kefu.adapters.store.repositories import of_bases
from kefu.adapters.store.screening.tables import (
    CaseRow,
    ContactAttemptRow,
    FamilyAlertRow,
    LedgerRow,
    PayeeReportRow,
    PaymentLabelRow,
    PaymentWebhookRow,
    RuleSetRow,
    ScreeningRow,
    TrustedPayeeRow,
    WatchlistRow,
)
from kefu.domain.cases import (
    AlertKind,
    Case,
    CaseKind,
    CaseOutcome,
    CaseStatus,
    ContactAttempt,
    ContactResult,
    FamilyAlert,
    LedgerEntry,
    PaymentOutcome,
    SettledBy,
)
from kefu.domain.labels import Label, PaymentLabel
from kefu.domain.payments import (
    PaymentStatus,
    ReplayedScreening,
    ScreeningRecord,
    StoredRuleSet,
    TrustedPayee,
    WatchlistEntry,
    WebhookDelivery,
)

_SCREENING_FIELDS = tuple(c.name for c in ScreeningRow.__table__.columns)
_CASE_FIELDS = tuple(c.name for c in CaseRow.__table__.columns)


def _screening_from_row(row: ScreeningRow) -> ScreeningRecord:
    values: dict[str, Any] = {f: getattr(row, f) for f in _SCREENING_FIELDS}
    values["status"] = cast(PaymentStatus, row.status)
    return ScreeningRecord(**values)


_LABEL_FIELDS = tuple(c.name for c in PaymentLabelRow.__table__.columns)


def _label_from_row(row: PaymentLabelRow) -> PaymentLabel:
    values: dict[str, Any] = {f: getattr(row, f) for f in _LABEL_FIELDS}
    values["label"] = cast(Label, row.label)
    return PaymentLabel(**values)


def _case_values(case: Case) -> dict[str, Any]:
    return {f: getattr(case, f) for f in _CASE_FIELDS}


def _case_from_row(row: CaseRow) -> Case:
    values: dict[str, Any] = {f: getattr(row, f) for f in _CASE_FIELDS}
    values["status"] = cast(CaseStatus, row.status)
    values["kind"] = cast(CaseKind, row.kind)
    values["outcome"] = cast(CaseOutcome | None, row.outcome)
    values["payment_outcome"] = cast(PaymentOutcome | None, row.payment_outcome)
    values["settled_by"] = cast(SettledBy | None, row.settled_by)
    values["reasons"] = list(row.reasons)
    return Case(**values)


# Reports count once per reporter; a report without one (an older row, a case's) counts on its own.
_COUNTED_AS = func.coalesce(PayeeReportRow.reporter, literal("report:") + PayeeReportRow.id)


def _watch_entry(row: WatchlistRow) -> WatchlistEntry:
    return WatchlistEntry(row.account_id, row.reason, row.source or "case", row.case_id, row.added_by, row.at)


_WEBHOOK_FIELDS = tuple(c.name for c in PaymentWebhookRow.__table__.columns)


def _delivery(row: PaymentWebhookRow) -> WebhookDelivery:
    values: dict[str, Any] = {f: getattr(row, f) for f in _WEBHOOK_FIELDS}
    values["status"] = cast(PaymentStatus, row.status)
    values["body"] = dict(row.body)
    return WebhookDelivery(**values)


_ALERT_FIELDS = tuple(c.name for c in FamilyAlertRow.__table__.columns)


def _alert_values(alert: FamilyAlert) -> dict[str, Any]:
    return {f: getattr(alert, f) for f in _ALERT_FIELDS}


def _alert_from_row(row: FamilyAlertRow) -> FamilyAlert:
    values: dict[str, Any] = {f: getattr(row, f) for f in _ALERT_FIELDS}
    values["kind"] = cast(AlertKind, row.kind)
    return FamilyAlert(**values)


S = TypeVar("S")


def _window(stmt: S, column: Any, since: datetime, until: datetime) -> S:
    """Restrict a query to ``since <= column < until``."""
    return cast(S, cast(Any, stmt).where(column >= since, column < until))


class SqlScreenings:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def get(self, payment_id: str) -> ScreeningRecord | None:
        row = await self._s.get(ScreeningRow, payment_id)
        return None if row is None else _screening_from_row(row)

    async def add(self, record: ScreeningRecord) -> None:
        self._s.add(ScreeningRow(**{f: getattr(record, f) for f in _SCREENING_FIELDS}))

    async def set_status(self, payment_id: str, status: PaymentStatus, at: datetime | None = None) -> None:
        values: dict[str, Any] = {"status": status}
        if at is not None:
            values["status_changed_at"] = at
        await self._s.execute(
            update(ScreeningRow).where(ScreeningRow.payment_id == payment_id).values(**values)
        )

    async def attach_case(self, payment_id: str, case_id: str, hold_expires_at: datetime) -> None:
        await self._s.execute(
            update(ScreeningRow)
            .where(ScreeningRow.payment_id == payment_id)
            .values(case_id=case_id, hold_expires_at=hold_expires_at)
        )

    async def for_case(self, case_id: str) -> list[ScreeningRecord]:
        stmt = (
            select(ScreeningRow)
            .where(ScreeningRow.case_id == case_id)
            .order_by(ScreeningRow.screened_at, ScreeningRow.payment_id)
        )
        return [_screening_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def decision_counts(self, since: datetime, until: datetime) -> dict[str, int]:
        stmt = _window(
            select(ScreeningRow.decision, func.count()).group_by(ScreeningRow.decision),
            ScreeningRow.screened_at,
            since,
            until,
        )
        return {str(d): int(n) for d, n in (await self._s.execute(stmt)).all()}

    async def typology_counts(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        stmt = _window(
            select(ScreeningRow.typology, ScreeningRow.decision, func.count())
            .where(ScreeningRow.typology.is_not(None))
            .group_by(ScreeningRow.typology, ScreeningRow.decision),
            ScreeningRow.screened_at,
            since,
            until,
        )
        return {(str(t), str(d)): int(n) for t, d, n in (await self._s.execute(stmt)).all()}

    async def to_payee(self, customer_id: str, payee_account: str) -> list[ScreeningRecord]:
        stmt = (
            select(ScreeningRow)
            .where(ScreeningRow.customer_id == customer_id, ScreeningRow.payee_account == payee_account)
            .order_by(ScreeningRow.screened_at, ScreeningRow.payment_id)
        )
        return [_screening_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def replay(
        self, since: datetime, after: tuple[datetime, str] | None, limit: int
    ) -> list[ReplayedScreening]:
        r = ScreeningRow
        stmt = select(
            r.payment_id,
            r.payer_id,
            r.payee_account,
            r.amount,
            r.currency,
            r.decision,
            r.screened_at,
            r.paid_at,
        ).where(r.screened_at >= since)
        if after is not None:
            stmt = stmt.where(tuple_(r.screened_at, r.payment_id) > tuple_(*after))
        stmt = stmt.order_by(r.screened_at, r.payment_id).limit(limit)
        return [ReplayedScreening(*row) for row in (await self._s.execute(stmt)).all()]

    async def cleared_stops(self, since: datetime) -> set[str]:
        stmt = (
            select(ScreeningRow.payment_id)
            .join(CaseRow, CaseRow.id == ScreeningRow.case_id)
            .where(
                ScreeningRow.screened_at >= since,
                or_(CaseRow.outcome == "released", CaseRow.payment_outcome == "released"),
            )
        )
        return {str(p) for p in (await self._s.execute(stmt)).scalars()}

    async def add_label(self, label: PaymentLabel) -> None:
        self._s.add(PaymentLabelRow(**{f: getattr(label, f) for f in _LABEL_FIELDS}))

    async def label(self, payment_id: str) -> PaymentLabel | None:
        stmt = (
            select(PaymentLabelRow)
            .where(PaymentLabelRow.payment_id == payment_id)
            .order_by(PaymentLabelRow.at.desc(), PaymentLabelRow.id.desc())
            .limit(1)
        )
        row = (await self._s.execute(stmt)).scalar_one_or_none()
        return None if row is None else _label_from_row(row)

    async def labels_since(self, since: datetime | None) -> list[PaymentLabel]:
        stmt = select(PaymentLabelRow).order_by(PaymentLabelRow.at, PaymentLabelRow.id)
        if since is not None:
            stmt = stmt.where(PaymentLabelRow.at >= since)
        return [_label_from_row(r) for r in (await self._s.execute(stmt)).scalars()]


class SqlCases:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, case: Case) -> None:
        self._s.add(CaseRow(**_case_values(case)))

    async def get(self, case_id: str, with_history: bool = True) -> Case | None:
        row = await self._s.get(CaseRow, case_id)
        if row is None:
            return None
        case = _case_from_row(row)
        if with_history:
            attempts = select(ContactAttemptRow).where(ContactAttemptRow.case_id == case_id)
            case.contact_attempts = [
                ContactAttempt(a.id, a.case_id, cast(ContactResult, a.result), a.at, a.by, a.note)
                for a in (await self._s.execute(attempts.order_by(ContactAttemptRow.id))).scalars()
            ]
            alerts = select(FamilyAlertRow).where(FamilyAlertRow.case_id == case_id)
            case.alerts = [
                _alert_from_row(r)
                for r in (await self._s.execute(alerts.order_by(FamilyAlertRow.id))).scalars()
            ]
        return case

    async def alert(self, alert_id: str) -> FamilyAlert | None:
        row = await self._s.get(FamilyAlertRow, alert_id)
        return None if row is None else _alert_from_row(row)

    async def save_alert(self, alert: FamilyAlert) -> None:
        values = _alert_values(alert)
        values.pop("id")
        await self._s.execute(update(FamilyAlertRow).where(FamilyAlertRow.id == alert.id).values(**values))

    async def claim_alert(self, alert_id: str, retry_at: datetime) -> bool:
        result = await self._s.execute(
            update(FamilyAlertRow)
            .where(FamilyAlertRow.id == alert_id, FamilyAlertRow.retry_at == retry_at)
            .values(retry_at=None)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def alerts_due(self, now: datetime, limit: int) -> list[str]:
        stmt = (
            select(FamilyAlertRow.id)
            .where(FamilyAlertRow.retry_at <= now)
            .order_by(FamilyAlertRow.retry_at, FamilyAlertRow.id)
            .limit(limit)
        )
        return [str(x) for x in (await self._s.execute(stmt)).scalars()]

    async def attach_conversation(self, case_id: str, previous: str | None, conversation_id: str) -> bool:
        result = await self._s.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.conversation_id.is_not_distinct_from(previous))
            .values(conversation_id=conversation_id)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def for_conversation(self, conversation_id: str) -> Case | None:
        stmt = select(CaseRow).where(CaseRow.conversation_id == conversation_id).limit(1)
        row = (await self._s.execute(stmt)).scalar_one_or_none()
        return None if row is None else _case_from_row(row)

    async def open_for_payer(self, payer_id: str, opened_since: datetime) -> Case | None:
        stmt = (
            select(CaseRow.id)
            .where(CaseRow.payer_id == payer_id, CaseRow.status == "open", CaseRow.opened_at >= opened_since)
            .order_by(CaseRow.opened_at.desc(), CaseRow.id.desc())
            .limit(1)
        )
        case_id = (await self._s.execute(stmt)).scalar_one_or_none()
        return None if case_id is None else await self.get(str(case_id))

    async def save_if(self, case: Case, status: CaseStatus) -> bool:
        """Write the case only if it is still in ``status`` (a conditional update): two processes or two
        agents can never both change one open case; the loser sees ``False``."""
        values = _case_values(case)
        values.pop("id")
        result = await self._s.execute(
            update(CaseRow).where(CaseRow.id == case.id, CaseRow.status == status).values(**values)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def add_attempt(self, attempt: ContactAttempt) -> None:
        self._s.add(
            ContactAttemptRow(
                id=attempt.id,
                case_id=attempt.case_id,
                result=attempt.result,
                at=attempt.at,
                by=attempt.by,
                note=attempt.note,
            )
        )

    async def add_alert(self, alert: FamilyAlert) -> None:
        self._s.add(FamilyAlertRow(**_alert_values(alert)))

    async def opened_between(self, since: datetime, until: datetime, limit: int) -> list[Case]:
        stmt = _window(select(CaseRow), CaseRow.opened_at, since, until)
        stmt = stmt.order_by(CaseRow.opened_at, CaseRow.id).limit(limit)
        return [_case_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def page(
        self,
        after: str | None,
        limit: int,
        status: CaseStatus | None = None,
        bases: tuple[str, ...] | None = None,
    ) -> list[Case]:
        stmt = select(CaseRow)
        if bases is not None:
            stmt = stmt.where(of_bases(CaseRow.agent_id, CaseRow.customer_id, bases))
        if status is not None:
            stmt = stmt.where(CaseRow.status == status)
        if after is not None:
            stmt = stmt.where(CaseRow.id > after)
        stmt = stmt.order_by(CaseRow.id).limit(limit)
        return [_case_from_row(r) for r in (await self._s.execute(stmt)).scalars()]

    async def expired_holds(self, now: datetime, limit: int) -> list[str]:
        stmt = (
            select(CaseRow.id)
            .where(CaseRow.status.in_(("open", "pending_approval")), CaseRow.hold_expires_at <= now)
            .order_by(CaseRow.hold_expires_at)
            .limit(limit)
        )
        return [str(x) for x in (await self._s.execute(stmt)).scalars()]

    async def due_contacts(self, now: datetime, limit: int) -> list[tuple[str, datetime]]:
        stmt = (
            select(CaseRow.id, CaseRow.next_contact_due_at)
            .where(CaseRow.status == "open", CaseRow.next_contact_due_at <= now)
            .order_by(CaseRow.next_contact_due_at)
            .limit(limit)
        )
        return [(str(i), d) for i, d in (await self._s.execute(stmt)).all() if d is not None]

    async def claim_contact(self, case_id: str, due_at: datetime) -> bool:
        """Clear a due re-contact if nobody else has: only the process that clears it re-offers the case."""
        result = await self._s.execute(
            update(CaseRow)
            .where(CaseRow.id == case_id, CaseRow.status == "open", CaseRow.next_contact_due_at == due_at)
            .values(next_contact_due_at=None)
        )
        return cast(CursorResult[Any], result).rowcount == 1

    async def outcome_counts(self, since: datetime, until: datetime) -> dict[str, int]:
        """Cases opened in the window by outcome (``open`` while unresolved)."""
        stmt = _window(
            select(CaseRow.outcome, func.count()).group_by(CaseRow.outcome), CaseRow.opened_at, since, until
        )
        return {str(o or "open"): int(n) for o, n in (await self._s.execute(stmt)).all()}

    async def typology_outcomes(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        stmt = _window(
            select(CaseRow.typology, CaseRow.outcome, func.count()).group_by(
                CaseRow.typology, CaseRow.outcome
            ),
            CaseRow.opened_at,
            since,
            until,
        )
        out: dict[tuple[str, str], int] = {}
        for t, o, n in (await self._s.execute(stmt)).all():
            key = (str(t or "unknown"), str(o or "open"))
            out[key] = out.get(key, 0) + int(n)
        return out

    async def first_contact_delays_s(self, since: datetime, until: datetime) -> list[float]:
        stmt = _window(
            select(CaseRow.opened_at, CaseRow.first_contact_at).where(CaseRow.first_contact_at.is_not(None)),
            CaseRow.opened_at,
            since,
            until,
        )
        return [(f - o).total_seconds() for o, f in (await self._s.execute(stmt)).all() if f is not None]


class SqlFraudRecords:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    # -- funds saved ---------------------------------------------------------------------------------
    async def add_saving(self, entry: LedgerEntry) -> None:
        self._s.add(
            LedgerRow(
                id=entry.id,
                case_id=entry.case_id,
                payment_id=entry.payment_id,
                customer_id=entry.customer_id,
                amount=entry.amount,
                currency=entry.currency,
                typology=entry.typology,
                at=entry.at,
            )
        )

    async def savings(self, since: datetime, until: datetime, limit: int) -> list[LedgerEntry]:
        stmt = _window(select(LedgerRow), LedgerRow.at, since, until).order_by(LedgerRow.at, LedgerRow.id)
        return [
            LedgerEntry(r.id, r.case_id, r.payment_id, r.customer_id, r.amount, r.currency, r.typology, r.at)
            for r in (await self._s.execute(stmt.limit(limit))).scalars()
        ]

    async def saved(self, since: datetime, until: datetime) -> dict[tuple[str, str], int]:
        """Sums by (typology or ``unknown``, currency)."""
        stmt = _window(
            select(LedgerRow.typology, LedgerRow.currency, func.sum(LedgerRow.amount)).group_by(
                LedgerRow.typology, LedgerRow.currency
            ),
            LedgerRow.at,
            since,
            until,
        )
        out: dict[tuple[str, str], int] = {}
        for t, c, n in (await self._s.execute(stmt)).all():
            key = (str(t or "unknown"), str(c))
            out[key] = out.get(key, 0) + int(n)
        return out

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
        self._s.add(
            PayeeReportRow(
                id=report_id,
                account_id=account_id,
                reason=reason,
                reported_by=by,
                case_id=case_id,
                at=at,
                reporter=reporter,
            )
        )
        await self._s.flush()
        stmt = select(func.count(distinct(_COUNTED_AS))).where(PayeeReportRow.account_id == account_id)
        return int((await self._s.execute(stmt)).scalar_one())

    async def has_reported(self, account_id: str, reporter: str) -> bool:
        stmt = select(PayeeReportRow.id).where(
            PayeeReportRow.account_id == account_id, PayeeReportRow.reporter == reporter
        )
        return (await self._s.execute(stmt.limit(1))).first() is not None

    async def watchlist(
        self,
        account_id: str,
        reason: str,
        case_id: str | None,
        at: datetime,
        source: str = "case",
        by: str | None = None,
    ) -> None:
        if await self._s.get(WatchlistRow, account_id) is None:
            self._s.add(
                WatchlistRow(
                    account_id=account_id, reason=reason, case_id=case_id, at=at, source=source, added_by=by
                )
            )

    async def unwatchlist(self, account_id: str) -> bool:
        row = await self._s.get(WatchlistRow, account_id)
        if row is None:
            return False
        await self._s.delete(row)
        await self._s.flush()
        return True

    async def watchlist_entry(self, account_id: str) -> WatchlistEntry | None:
        row = await self._s.get(WatchlistRow, account_id)
        return None if row is None else _watch_entry(row)

    async def watchlist_page(self, after: str | None, limit: int) -> list[WatchlistEntry]:
        stmt = select(WatchlistRow)
        if after is not None:
            stmt = stmt.where(WatchlistRow.account_id > after)
        stmt = stmt.order_by(WatchlistRow.account_id).limit(limit)
        return [_watch_entry(r) for r in (await self._s.execute(stmt)).scalars()]

    async def is_watchlisted(self, account_id: str) -> bool:
        return await self._s.get(WatchlistRow, account_id) is not None

    async def reputation(self) -> tuple[list[str], dict[str, int]]:
        """Every watchlisted account and report counts, to rebuild an in-memory counter store on start."""
        listed = [str(x) for x in (await self._s.execute(select(WatchlistRow.account_id))).scalars()]
        stmt = select(PayeeReportRow.account_id, func.count(distinct(_COUNTED_AS))).group_by(
            PayeeReportRow.account_id
        )
        return listed, {str(a): int(n) for a, n in (await self._s.execute(stmt)).all()}

    # -- trusted payees ------------------------------------------------------------------------------
    async def trusted_payees(self, customer_id: str) -> list[TrustedPayee]:
        stmt = (
            select(TrustedPayeeRow)
            .where(TrustedPayeeRow.customer_id == customer_id)
            .order_by(TrustedPayeeRow.account_id)
        )
        return [TrustedPayee(r.account_id, r.name) for r in (await self._s.execute(stmt)).scalars()]

    async def set_trusted_payees(
        self, customer_id: str, payees: list[TrustedPayee], channel: str | None = None
    ) -> None:
        for row in (
            await self._s.execute(select(TrustedPayeeRow).where(TrustedPayeeRow.customer_id == customer_id))
        ).scalars():
            await self._s.delete(row)
        await self._s.flush()
        for p in payees:
            self._s.add(
                TrustedPayeeRow(
                    customer_id=customer_id, account_id=p.account_id, name=p.name, channel=channel
                )
            )

    # -- rule sets -----------------------------------------------------------------------------------
    async def active_rule_set_seq(self) -> int:
        return int((await self._s.execute(select(func.coalesce(func.max(RuleSetRow.seq), 0)))).scalar_one())

    async def rule_set(self, seq: int) -> StoredRuleSet | None:
        row = await self._s.get(RuleSetRow, seq)
        if row is None:
            return None
        return StoredRuleSet(row.seq, row.version, row.source, row.loaded_at, row.loaded_by)

    async def rule_set_version_exists(self, version: str) -> bool:
        stmt = select(RuleSetRow.seq).where(RuleSetRow.version == version)
        return (await self._s.execute(stmt)).first() is not None

    async def add_rule_set(self, version: str, source: str, at: datetime, by: str) -> int:
        row = RuleSetRow(version=version, source=source, loaded_at=at, loaded_by=by)
        self._s.add(row)
        await self._s.flush()
        return int(row.seq)


class SqlPaymentWebhooks:
    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def add(self, delivery: WebhookDelivery) -> None:
        self._s.add(PaymentWebhookRow(**{f: getattr(delivery, f) for f in _WEBHOOK_FIELDS}))

    async def get(self, delivery_id: str) -> WebhookDelivery | None:
        row = await self._s.get(PaymentWebhookRow, delivery_id)
        return None if row is None else _delivery(row)

    async def save(self, delivery: WebhookDelivery) -> None:
        values = {f: getattr(delivery, f) for f in _WEBHOOK_FIELDS if f != "id"}
        await self._s.execute(
            update(PaymentWebhookRow).where(PaymentWebhookRow.id == delivery.id).values(**values),
            execution_options={"synchronize_session": False},
        )

    async def claim_due(self, now: datetime, until: datetime, limit: int) -> list[str]:
        """Pick due rows (``FOR UPDATE SKIP LOCKED`` on PostgreSQL) and lease them until ``until``; the
        lease is taken by an update that checks again that nobody holds the row."""
        free = (PaymentWebhookRow.claimed_until.is_(None)) | (PaymentWebhookRow.claimed_until <= now)
        due = (
            PaymentWebhookRow.delivered_at.is_(None),
            PaymentWebhookRow.next_attempt_at <= now,
            free,
        )
        stmt = (
            select(PaymentWebhookRow.id)
            .where(*due)
            .order_by(PaymentWebhookRow.next_attempt_at, PaymentWebhookRow.id)
            .limit(limit)
        )
        if self._s.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = [str(x) for x in (await self._s.execute(stmt)).scalars()]
        if not ids:
            return []
        leased = await self._s.execute(
            update(PaymentWebhookRow)
            .where(PaymentWebhookRow.id.in_(ids), *due)
            .values(claimed_until=until)
            .returning(PaymentWebhookRow.id),
            execution_options={"synchronize_session": False},
        )
        return sorted(str(x) for x in leased.scalars())
