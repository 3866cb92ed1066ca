"""The models in force in this process: the live one and the newest shadow, compiled once per version.

Like the active rule set, the stored state is read at most every ``KEFU_RULES_CHECK_S`` (one small indexed
query), so ``kefu model promote`` in another process is in force everywhere within that time; a version's
parameters are loaded and compiled only the first time it is seen.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from kefu.screening.model import ScoringModel
from kefu.services.ports import UnitOfWork


@dataclass
class ModelCache:
    _compiled: dict[str, ScoringModel] = field(default_factory=dict, repr=False)
    _in_force: tuple[str | None, str | None] = (None, None)
    _checked_at: float | None = field(default=None, repr=False)

    async def current(
        self, uow: UnitOfWork, settings: Any
    ) -> tuple[ScoringModel | None, ScoringModel | None]:
        """The live model and the shadow candidate (either may be None)."""
        now = time.monotonic()
        if self._checked_at is None or now - self._checked_at >= settings.rules_check_s:
            self._in_force = await uow.models.in_force()
            self._checked_at = now
        live, shadow = self._in_force
        return await self._load(uow, live), await self._load(uow, shadow)

    async def _load(self, uow: UnitOfWork, version: str | None) -> ScoringModel | None:
        if version is None:
            return None
        model = self._compiled.get(version)
        if model is None:
            stored = await uow.models.get(version)
            if stored is None:  # pragma: no cover - the version came from the same table a moment ago
                return None
            model = ScoringModel.from_dict(stored.params)
            # keep the two in force and a few recent ones; old versions are not scored again
            if len(self._compiled) >= 8:
                self._compiled.clear()
            self._compiled[version] = model
        return model

    def forget(self) -> None:
        """Read what is in force again at the next screening (a model was stored or promoted here)."""
        self._checked_at = None
