"""The periodic job base: a failed round is logged and the next one still runs; stop ends the task."""

from __future__ import annotations

import asyncio

from kefu.services.periodic import PeriodicJob


class Flaky(PeriodicJob):
    name = "test-flaky"

    def __init__(self) -> None:
        super().__init__(interval_s=0)
        self.rounds = 0
        self.third = asyncio.Event()

    async def round(self) -> int:
        self.rounds += 1
        if self.rounds >= 3:
            self.third.set()
        if self.rounds == 1:
            raise RuntimeError("the first round fails")
        return self.rounds


async def test_a_failed_round_does_not_stop_the_job_and_stop_ends_it() -> None:
    """The first round raises; the job goes on to a third round, and stop() cancels it cleanly."""
    job = Flaky()
    await job.start()
    await asyncio.wait_for(job.third.wait(), timeout=30)
    await job.stop()
    after = job.rounds
    await asyncio.sleep(0)
    assert after >= 3
    assert job.rounds == after  # nothing runs once stopped
    await job.stop()  # stopping twice is harmless
