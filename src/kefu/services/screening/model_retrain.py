"""The retraining job: every so often, train a shadow candidate on the labelled history (``RetrainModel``).

Run by ``kefu worker --retrain-every-h H`` on one worker (each round stores a new candidate). A round with
too few labels is logged and skipped; the candidate waits in shadow, with its backtest beside the live
model's, until someone promotes it.
"""

from __future__ import annotations

import structlog

from kefu.domain.errors import InvalidInput
from kefu.domain.users import SYSTEM_ACTOR
from kefu.screening.model_records import RetrainModel, StoredModel
from kefu.services.messagebus import MessageBus
from kefu.services.periodic import PeriodicJob

log = structlog.get_logger("kefu.screening.retrain")


class ModelRetrainer(PeriodicJob):
    name = "kefu-model-retrainer"

    def __init__(self, bus: MessageBus, interval_s: float) -> None:
        super().__init__(interval_s)
        self.bus = bus

    async def round(self) -> StoredModel | None:
        try:
            stored = await self.bus.handle(RetrainModel(), SYSTEM_ACTOR)
        except InvalidInput as exc:
            log.info("model retraining skipped", reason=exc.detail)
            return None
        log.info("model candidate stored", version=stored.version, backtest=stored.backtest)
        return stored
