"""The watchlist and payee reports through the bus: managed by supervisors with a reason and a source,
audited, seen by screening at once; reports count once per reporter; a trusted payee never beats the
watchlist."""

from __future__ import annotations

import pytest

from kefu.domain.errors import AlreadyExists, Forbidden, InvalidInput, NotFound
from kefu.domain.payments import (
    AddToWatchlist,
    PayeeWatchlistChanged,
    RemoveFromWatchlist,
    ReportPayee,
    ScreenPayment,
    SetTrustedPayees,
    TrustedPayee,
)
from kefu.services.screening.payees import watchlist_page
from tests.unit.handlers.conftest import Centre
from tests.unit.handlers.test_screening import payment


def _audit(centre: Centre, action: str) -> list[object]:
    return [e for e in centre.store.rows("audit_log") if e.action == action]


async def test_a_supervisor_watchlists_a_payee_and_screening_blocks_it_at_once(centre: Centre) -> None:
    """AddToWatchlist commits payee.watchlist_changed and an audit entry with reason and source; the next
    small payment to the account is blocked; a second add is AlreadyExists."""
    sup = await centre.actor("sup", "supervisor")
    payer = await centre.customer("ext-1")
    centre.world.take_events()
    entry = await centre.handle(AddToWatchlist("acct-mule", "96110 notice", "police"), sup)
    centre.world.assert_events(PayeeWatchlistChanged("acct-mule", True, "police", entry.at))
    assert (entry.source, entry.added_by) == ("police", "sup")
    ((detail, actor),) = [(e.detail, e.actor) for e in _audit(centre, "payee.watchlisted")]  # type: ignore[attr-defined]
    assert (detail, actor) == ({"reason": "96110 notice", "source": "police"}, "sup")
    body = payment("p-1", payer, amount=5_000, memo="")
    body["payee"] = {"account_id": "acct-mule", "name": "张三"}
    assert (await centre.handle(ScreenPayment(body))).decision == "block"
    with pytest.raises(AlreadyExists):
        await centre.handle(AddToWatchlist("acct-mule", "again", "manual"), sup)


async def test_removing_needs_a_listed_payee_and_a_reason_and_unblocks(centre: Centre) -> None:
    """RemoveFromWatchlist commits the change and an audit entry; the payee is no longer blocked; removing
    what is not listed is NotFound, a blank reason InvalidInput."""
    sup = await centre.actor("sup", "supervisor")
    payer = await centre.customer("ext-1")
    await centre.handle(AddToWatchlist("acct-shop", "reported twice", "report"), sup)
    centre.world.take_events()
    with pytest.raises(InvalidInput):
        await centre.handle(RemoveFromWatchlist("acct-shop", "  "), sup)
    await centre.handle(RemoveFromWatchlist("acct-shop", "bank confirmed a real shop"), sup)
    assert [n for n, _ in centre.world.take_events()] == ["payee.watchlist_changed"]
    assert _audit(centre, "payee.unwatchlisted")
    body = payment("p-1", payer, amount=5_000, memo="")
    body["payee"] = {"account_id": "acct-shop", "name": "五金店", "kind": "merchant"}
    assert (await centre.handle(ScreenPayment(body))).decision != "block"
    with pytest.raises(NotFound):
        await centre.handle(RemoveFromWatchlist("acct-shop", "again"), sup)


async def test_only_managers_touch_the_watchlist_and_it_pages_by_account(centre: Centre) -> None:
    """Agents and the gateway are Forbidden; a page of two, then the rest by the cursor."""
    _, agent = await centre.agent("li", {"anti_fraud": 4})
    gateway = await centre.actor("gateway", "integration")
    for actor in (agent, gateway):
        with pytest.raises(Forbidden):
            await centre.handle(AddToWatchlist("acct-x", "why", "manual"), actor)
        with pytest.raises(Forbidden):
            await watchlist_page(None, 10, centre.bus.context(actor))
    admin = await centre.actor("root", "admin")
    for account in ("c", "a", "b"):
        await centre.handle(AddToWatchlist(f"acct-{account}", "why", "bank"), admin)
    first = await watchlist_page(None, 2, centre.bus.context(admin))
    assert [e.account_id for e in first.items] == ["acct-a", "acct-b"] and first.next_cursor is not None


async def test_reports_count_once_per_reporter(centre: Centre) -> None:
    """One customer reporting three times counts once (one payee.reported); a second customer makes two."""
    gateway = await centre.actor("gateway", "integration")
    one, two = await centre.customer("ext-1"), await centre.customer("ext-2")
    centre.world.take_events()
    counts = [(await centre.handle(ReportPayee("acct-x", "骗子", one.id), gateway)).reports for _ in range(3)]
    assert counts == [1, 1, 1]
    assert (await centre.handle(ReportPayee("acct-x", "骗子", two.id), gateway)).reports == 2
    assert [n for n, _ in centre.world.take_events()] == ["payee.reported", "payee.reported"]
    with pytest.raises(NotFound):
        await centre.handle(ReportPayee("acct-x", "骗子", "no-such-customer"), gateway)


async def test_a_trusted_payee_never_overrides_the_watchlist(centre: Centre) -> None:
    """A watchlisted account stays blocked for a payer who trusts it; a trusted, unlisted one is allowed."""
    gateway = await centre.actor("gateway", "integration")
    sup = await centre.actor("sup", "supervisor")
    payer = await centre.customer("ext-1")
    trusted = (TrustedPayee("acct-mule", "儿子"), TrustedPayee("acct-son", "儿子"))
    await centre.handle(SetTrustedPayees(payer.id, trusted, "app"), gateway)
    await centre.handle(AddToWatchlist("acct-mule", "confirmed scam", "police"), sup)
    body = payment("p-1", payer, amount=5_000, memo="")
    body["payee"] = {"account_id": "acct-mule", "name": "儿子"}
    record = await centre.handle(ScreenPayment(body))
    assert (record.decision, record.result["lane"]) == ("block", "rules")
    body = {**body, "payment_id": "p-2", "payee": {"account_id": "acct-son", "name": "儿子"}}
    assert (await centre.handle(ScreenPayment(body))).result["lane"] == "trusted_payee"
