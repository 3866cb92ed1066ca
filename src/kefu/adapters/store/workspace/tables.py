"""Tables of the agent workspace (migration 0016): canned responses, unique per language and shortcut."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.adapters.store.tables import ID, Base


class CannedResponseRow(Base):
    __tablename__ = "canned_responses"
    id: Mapped[str] = mapped_column(ID, primary_key=True)
    shortcut: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8))
    created_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]

    __table_args__ = (UniqueConstraint("language", "shortcut", name="uq_canned_responses_shortcut"),)
