"""Contract of the canned-response repository: round trip, copies, one shortcut per language, ordered lists,
update and delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kefu.domain.canned import CannedResponse
from kefu.domain.errors import Conflict
from tests.integration.contract.conftest import T0, Stores


def canned(n: int, shortcut: str = "greet", language: str = "zh") -> CannedResponse:
    return CannedResponse(
        id=f"cr-{n:03d}",
        shortcut=shortcut,
        title=f"标题{n}",
        body="您好，{customer_name}，我是{agent_name}。",
        language=language,  # type: ignore[arg-type]
        created_by="sup",
        created_at=T0,
        updated_at=T0,
    )


async def test_canned_responses_round_trip_and_reads_are_copies(stores: Stores) -> None:
    """A saved response reads back equal, by id and by (language, shortcut); a read is a copy."""
    async with stores.uow() as uow:
        await uow.canned.add(canned(1))
        await uow.commit()
    async with stores.uow() as uow:
        got = await uow.canned.get("cr-001")
        assert got == canned(1)
        assert got is not None
        got.body = "changed"
        assert await uow.canned.by_shortcut("zh", "greet") == canned(1)
        assert await uow.canned.by_shortcut("en", "greet") is None
        assert await uow.canned.get("cr-404") is None


async def test_a_shortcut_is_unique_per_language(stores: Stores) -> None:
    """The same shortcut in another language is fine; twice in one language is a Conflict at commit."""
    async with stores.uow() as uow:
        await uow.canned.add(canned(1))
        await uow.canned.add(canned(2, language="en"))
        await uow.commit()
    with pytest.raises(Conflict):
        async with stores.uow() as uow:
            await uow.canned.add(canned(3))
            await uow.commit()


async def test_canned_responses_list_by_language_then_shortcut_and_change(stores: Stores) -> None:
    """``all`` orders by language then shortcut and filters by language; save and delete stick."""
    async with stores.uow() as uow:
        for n, (shortcut, language) in enumerate([("wait", "zh"), ("bye", "en"), ("greet", "zh")], 1):
            await uow.canned.add(canned(n, shortcut, language))
        await uow.commit()
    async with stores.uow() as uow:
        assert [(r.language, r.shortcut) for r in await uow.canned.all()] == [
            ("en", "bye"),
            ("zh", "greet"),
            ("zh", "wait"),
        ]
        assert [r.shortcut for r in await uow.canned.all("zh")] == ["greet", "wait"]
        changed = canned(3, "hello", "zh")
        changed.updated_at = T0 + timedelta(minutes=5)
        await uow.canned.save(changed)
        await uow.canned.delete("cr-001")
        await uow.commit()
    async with stores.uow() as uow:
        assert await uow.canned.get("cr-001") is None
        assert await uow.canned.get("cr-003") == changed
        assert [r.shortcut for r in await uow.canned.all("zh")] == ["hello"]
