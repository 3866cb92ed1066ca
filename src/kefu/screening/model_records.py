"""Stored models, and the commands and events of the model lane.

A model is stored as ``shadow`` (scored and logged beside the live one, never deciding), becomes ``live``
when promoted, and the model it replaced becomes ``retired``. At most one model is live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Literal

from kefu.domain.commands import Command
from kefu.domain.events import Event

ModelStatus = Literal["shadow", "live", "retired"]
MODEL_STATUSES: frozenset[str] = frozenset({"shadow", "live", "retired"})


@dataclass(slots=True)
class StoredModel:
    """A model version as the database keeps it: exported parameters and the backtest it was stored with."""

    version: str
    status: ModelStatus
    params: dict[str, Any]
    backtest: dict[str, Any] | None
    trained_at: datetime
    trained_by: str
    source: str  # "file" (kefu model train --from FILE) or "labels" (labelled history)
    promoted_at: datetime | None = None

    def summary(self) -> dict[str, Any]:
        """What ``kefu model list`` shows: no parameters."""
        meta = self.params.get("meta") or {}
        return {
            "version": self.version,
            "status": self.status,
            "source": self.source,
            "trained_at": self.trained_at.isoformat(),
            "trained_by": self.trained_by,
            "promoted_at": None if self.promoted_at is None else self.promoted_at.isoformat(),
            "payments": meta.get("payments"),
            "scams": meta.get("scams"),
        }


@dataclass(frozen=True, slots=True)
class ModelDecision:
    """One screening as model drift counts it."""

    model_version: str | None
    screened_at: datetime
    decision: str
    label: str | None


@dataclass(frozen=True, slots=True)
class StoreModel(Command[StoredModel]):
    """Store exported model parameters as a new shadow version (with the backtest that justified it)."""

    params: dict[str, Any]
    backtest: dict[str, Any] | None = None
    source: str = "file"


@dataclass(frozen=True, slots=True)
class PromoteModel(Command[StoredModel]):
    """Make a stored model the live one; the previous live model is retired."""

    version: str


@dataclass(frozen=True, slots=True)
class RetrainModel(Command[StoredModel]):
    """Train a shadow candidate on labelled history (labels joined to stored screenings)."""

    version: str | None = None  # default: "labels-" and the time


@dataclass(frozen=True, slots=True)
class ModelStored(Event):
    name: ClassVar[str] = "model.stored"
    version: str
    source: str
    at: datetime


@dataclass(frozen=True, slots=True)
class ModelPromoted(Event):
    name: ClassVar[str] = "model.promoted"
    version: str
    retired: str | None
    at: datetime
