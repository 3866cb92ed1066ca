"""In-memory repository of the screening model lane's versions, mirroring ``SqlScreeningModels``."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from kefu.adapters.memory.shared import clone
from kefu.adapters.memory.store import MemorySession
from kefu.screening.model_records import ModelStatus, StoredModel


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
