"""A specialist who can call: who may reveal a case's full numbers (audited), and calls through the dialer."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from kefu.adapters.memory.testing import FakeWorld
from kefu.adapters.notify import RecordingDialer
from kefu.domain import commands as c
from kefu.domain.errors import Forbidden, NotFound
from kefu.domain.payments import CallCaseContact, RevealCaseContact, ScreenPayment
from tests.unit.handlers.conftest import Centre, running_centre
from tests.unit.handlers.test_screening import payment


@pytest_asyncio.fixture
async def desk(world: FakeWorld) -> AsyncIterator[tuple[Centre, RecordingDialer]]:
    """A centre whose calls go to a recording telephony platform."""
    dialer = RecordingDialer()
    async with running_centre(world, dialer=dialer) as centre:
        yield centre, dialer


async def _case(centre: Centre, trusted_contact: bool = True) -> str:
    payer = await centre.customer("ext-p", elderly=True, trusted_contact=trusted_contact)
    record = await centre.handle(ScreenPayment(payment("p-1", payer)))
    assert record.case_id is not None
    return record.case_id


def _audit(centre: Centre, action: str) -> list[object]:
    return [e for e in centre.store.rows("audit_log") if e.action == action]


async def test_the_specialist_offered_then_assigned_a_case_reveals_and_each_reveal_is_audited(
    desk: tuple[Centre, RecordingDialer],
) -> None:
    """Offered the case, the specialist sees the payer's full number; assigned, the trusted contact's;
    each reveal is one audit entry naming who, the case and the field, and commits no event."""
    centre, _ = desk
    specialist, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    case_id = await _case(centre)
    centre.world.take_events()
    shown = await centre.handle(RevealCaseContact(case_id, "payer_phone"), login)
    assert (shown.name, shown.phone) == ("张三", "+8613800000001")
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    centre.world.take_events()
    contact = await centre.handle(RevealCaseContact(case_id, "trusted_contact_phone"), login)
    assert (contact.name, contact.phone) == ("王芳", "+8613800000002")
    centre.world.assert_no_events()
    entries = _audit(centre, "case.contact_revealed")
    assert [(e.actor, e.subject_id, e.detail["field"]) for e in entries] == [  # type: ignore[attr-defined]
        ("wang", case_id, "payer_phone"),
        ("wang", case_id, "trusted_contact_phone"),
    ]


async def test_nobody_else_reveals(desk: tuple[Centre, RecordingDialer]) -> None:
    """Another anti-fraud agent (not offered the case), an agent without the skill, the gateway and an admin
    are Forbidden; a supervisor may; an unknown case is NotFound; nothing is audited for the refused."""
    centre, _ = desk
    await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    case_id = await _case(centre)
    _, other = await centre.agent("zhao", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    _, plain = await centre.agent("li", {"social": 3})
    for actor in (other, plain, await centre.actor("gw", "integration"), await centre.actor("root", "admin")):
        with pytest.raises(Forbidden):
            await centre.handle(RevealCaseContact(case_id, "payer_phone"), actor)
    assert _audit(centre, "case.contact_revealed") == []
    sup = await centre.actor("sup", "supervisor")
    assert (await centre.handle(RevealCaseContact(case_id, "payer_phone"), sup)).phone == "+8613800000001"
    with pytest.raises(NotFound):
        await centre.handle(RevealCaseContact("no-such-case", "payer_phone"), sup)


async def test_a_case_without_a_trusted_contact_has_no_number_to_reveal(
    desk: tuple[Centre, RecordingDialer],
) -> None:
    """Revealing or calling a trusted contact the payer never registered is NotFound."""
    centre, dialer = desk
    case_id = await _case(centre, trusted_contact=False)
    sup = await centre.actor("sup", "supervisor")
    with pytest.raises(NotFound):
        await centre.handle(RevealCaseContact(case_id, "trusted_contact_phone"), sup)
    with pytest.raises(NotFound):
        await centre.handle(CallCaseContact(case_id, "trusted_contact"), sup)
    assert dialer.calls == []


async def test_a_call_goes_through_the_dialer_with_the_full_number_and_is_audited(
    desk: tuple[Centre, RecordingDialer],
) -> None:
    """The dialer gets the agent's extension and the full number; the answer shows it masked; the call
    is audited with its result."""
    centre, dialer = desk
    specialist, login = await centre.agent("wang", {"payments": 3, "anti_fraud": 4}, {"voice": 1})
    case_id = await _case(centre)
    (offer,) = centre.pending_offers(specialist.id)
    await centre.handle(c.AcceptOffer(offer.id), login)
    call = await centre.handle(CallCaseContact(case_id, "payer", "8001"), login)
    assert dialer.calls == [(case_id, "8001", "+8613800000001")]
    assert (call.placed, call.reference, call.number) == (True, "call-1", "+861******0001")
    (entry,) = _audit(centre, "case.call_placed")
    assert entry.detail["placed"] is True and entry.detail["extension"] == "8001"  # type: ignore[attr-defined]


async def test_the_default_dialer_gives_a_tel_link(centre: Centre) -> None:
    """Without a telephony platform the call is a tel: link for the agent's own phone."""
    payer = await centre.customer("ext-p", elderly=True)
    record = await centre.handle(ScreenPayment(payment("p-1", payer)))
    assert record.case_id is not None
    sup = await centre.actor("sup", "supervisor")
    call = await centre.handle(CallCaseContact(record.case_id, "payer"), sup)
    assert (call.placed, call.link) == (False, "tel:+8613800000001")
