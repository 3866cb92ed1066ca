"""In-memory repository of the screening model lane's versions, mirroring ``SqlScreeningModels``."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from kefu.adapters.memory.shared import clone
from kefu.adapters.memory.store import MemorySession
from kefu.screening.model_records import ModelDecision, ModelStatus, StoredModel


def _newest(m: StoredModel) -> tuple[datetime, str]:
    return m.trained_at, m.version


class MemoryScreeningModels:
    def __init__(self, session: MemorySession) -> None:
        self._s = session

    async def add(self, model: StoredModel) -> None:
        self._s.insert("screening_models", model.version, clone(model))

    async def get(self, version: str) -> StoredModel | None:
        return clone(self._s.get("screening_models", version))

    async def all(self) -> list[StoredModel]:
        return [clone(m) for m in sorted(self._s.scan("screening_models"), key=_newest, reverse=True)]

    async def in_force(self) -> tuple[str | None, str | None]:
        models = sorted(self._s.scan("screening_models"), key=_newest, reverse=True)
        live = next((m.version for m in models if m.status == "live"), None)
        shadow = next((m.version for m in models if m.status == "shadow"), None)
        return live, shadow

    async def set_status(self, version: str, status: ModelStatus, promoted_at: datetime | None) -> None:
        row: StoredModel | None = self._s.get("screening_models", version)
        if row is None:
            return
        changed = dataclasses.replace(row, status=status, promoted_at=promoted_at or row.promoted_at)
        self._s.update("screening_models", version, changed)

    async def decisions(self, start: datetime, end: datetime) -> list[ModelDecision]:
        latest: dict[str, tuple[datetime, str, str]] = {}
        for label in self._s.scan("payment_labels"):
            seen = latest.get(label.payment_id)
            if seen is None or (label.at, label.id) > seen[:2]:
                latest[label.payment_id] = (label.at, label.id, label.label)
        out = []
        for r in self._s.scan("screenings"):
            if start <= r.screened_at < end:
                model = r.result.get("model") or {}
                label = latest.get(r.payment_id)
                out.append(ModelDecision(model.get("version"), r.screened_at, r.decision, label and label[2]))
        return out
