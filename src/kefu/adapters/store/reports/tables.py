"""Tables of reports: the hourly rollup and where it has got to.

Created by migration 0005. The rollup holds partial sums per (hour, queue, site, business line, agent) so
that a month of reports reads tens of thousands of small rows instead of millions of conversations; rows
with ``agent_key = ALL_AGENTS`` (``'*'``) are the same figures summed over agents (what reports by queue,
site or line read).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import Base, ConversationRow

ALL_AGENTS = "*"

# Reports scan conversations by arrival time (the live part of a report and the rollup job).
Index("ix_conversations_created_at", ConversationRow.created_at)


class ReportHourRow(Base):
    __tablename__ = "report_hours"
    agent_key: Mapped[str] = mapped_column(String(36), primary_key=True)  # agent id, "" none, "*" all
    hour: Mapped[datetime] = mapped_column(primary_key=True)
    queue: Mapped[str] = mapped_column(String(64), primary_key=True)
    site: Mapped[str] = mapped_column(String(32), primary_key=True)
    business_line: Mapped[str] = mapped_column(String(32), primary_key=True)
    contacts: Mapped[int] = mapped_column(Integer)
    answered: Mapped[int] = mapped_column(Integer)
    answered_in_sl: Mapped[int] = mapped_column(Integer)
    abandoned: Mapped[int] = mapped_column(Integer)
    wait_sum_s: Mapped[float] = mapped_column(Float)
    handled: Mapped[int] = mapped_column(Integer)
    handle_sum_s: Mapped[float] = mapped_column(Float)
    responded: Mapped[int] = mapped_column(Integer)
    frt_sum_s: Mapped[float] = mapped_column(Float)
    csat_count: Mapped[int] = mapped_column(Integer)
    csat_sum: Mapped[int] = mapped_column(Integer)
    commendations: Mapped[int] = mapped_column(Integer)
    complaints: Mapped[int] = mapped_column(Integer)
    cases: Mapped[int] = mapped_column(Integer)
    saved: Mapped[int] = mapped_column(BigInteger)
    agent_hours: Mapped[int] = mapped_column(Integer)
    transferred: Mapped[int] = mapped_column(Integer, default=0)  # migration 0014

    __table_args__ = (Index("ix_report_hours_hour", "hour"),)


class ReportStateRow(Base):
    __tablename__ = "report_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    # Hours in [rolled_from, rolled_until) are read from report_hours; other hours from the records.
    rolled_from: Mapped[datetime]
    rolled_until: Mapped[datetime]
    rolled_at: Mapped[datetime]
