"""The workspace's reads on the memory store: the waiting view follows the agent's skills and takes nothing,
the search checks its words and scopes by role; neither publishes an event nor writes a row."""

from __future__ import annotations

import pytest

from kefu.domain import commands as c
from kefu.domain.errors import Forbidden, InvalidInput
from kefu.services.shared.conversations import list_waiting
from kefu.services.shared.search import check_query, search_work
from tests.unit.handlers.conftest import Centre


async def test_the_waiting_view_follows_skills_and_is_a_pure_read(centre: Centre) -> None:
    """A social agent sees the social line with place and a wait that grows with the clock; a games agent
    sees none of it; reading publishes nothing and assigns nothing; an integration is refused."""
    _, social = await centre.agent("li", {"social": 3}, available=False)
    _, games = await centre.agent("wu", {"games": 3}, available=False)
    customer = await centre.customer()
    opened = await centre.handle(c.OpenConversation(customer.id, "social", "chat", "退款进度", None))
    gateway = await centre.actor("gw", "integration")
    centre.clock.advance(120)
    centre.world.take_events()

    seen = await list_waiting(centre.bus.context(social))
    assert [(w.conversation.id, w.position) for w in seen] == [(opened.id, 1)]
    assert seen[0].waiting_s >= 120
    assert await list_waiting(centre.bus.context(games)) == []
    centre.world.assert_no_events()
    assert centre.store.rows("conversations")[0].agent_id is None
    with pytest.raises(Forbidden):
        await list_waiting(centre.bus.context(gateway))


@pytest.mark.parametrize("q", ["", "   ", "x" * 101, "a\x00b", "a\nb", "a\u200bb"])
def test_bad_words_are_refused(q: str) -> None:
    """Blank, over 100 characters, or holding control or format characters: InvalidInput on field q."""
    with pytest.raises(InvalidInput) as refused:
        check_query(q)
    assert refused.value.fields["field"] == "q"


async def test_search_scopes_by_role_and_refuses_the_integration(centre: Centre) -> None:
    """An agent finds customers of its base only, phones masked; a supervisor of all bases finds them all in
    full; the integration is refused; a limit over 20 is InvalidInput."""
    _, agent = await centre.agent("li", {"social": 3}, site="shenzhen", available=False)
    home = await centre.customer("sz-1", home_site="shenzhen")
    away = await centre.customer("cd-1", home_site="chengdu")
    sup = await centre.actor("zhou", "supervisor")
    gateway = await centre.actor("gw", "integration")
    centre.world.take_events()

    found = await search_work("张三", 10, centre.bus.context(agent))
    assert [x.id for x in found.customers] == [home.id]
    assert found.customers[0].phone != home.phone
    everyone = await search_work("张三", 10, centre.bus.context(sup))
    assert {x.id for x in everyone.customers} == {home.id, away.id}
    assert {x.phone for x in everyone.customers} == {home.phone}
    with pytest.raises(Forbidden):
        await search_work("张三", 10, centre.bus.context(gateway))
    with pytest.raises(InvalidInput):
        await search_work("张三", 21, centre.bus.context(sup))
    centre.world.assert_no_events()
