"""The supervisor's console at /admin in a real browser: assigning and moving waiting conversations,
changing an agent's presence with a reason, a four-eyes release approval, queue alarm limits (a refused
value shows the server's field error), creating a user, and the audit log with its filters."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import Centre, sign_in
from tests.browser.patience import patient_expect  # noqa: F401 - the fixture, used by pytestmark
from tests.clocks import ELDERLY_BIRTH_DATE, daytime_at_or_before
from tests.e2e.test_server_process import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("patient_expect")]


def _login(centre: Centre, username: str) -> None:
    r = httpx.post(
        f"{centre.url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10.0
    )
    assert r.status_code == 200, r.text
    centre.tokens[username] = r.json()["access_token"]


def _open(page: Page, centre: Centre, user: str, tab: str, width: int = 1440) -> None:
    page.set_viewport_size({"width": width, "height": 900 if width == 1440 else 1080})
    sign_in(page, centre.url, user)
    page.goto(f"{centre.url}/admin#{tab}")


def test_a_supervisor_assigns_moves_and_sets_presence_and_the_audit_log_shows_it(
    centre: Centre, page: Page, shot
) -> None:
    """A waiting chat is assigned by hand to an agent, another moved to elderly care, the agent sent away
    with a reason; each appears in the audit viewer, which filters by action and actor."""
    centre.agent("con.sup", site="wuhan", role="supervisor")
    agent = centre.agent("con.agent", site="wuhan")
    customer = centre.customer("吴芳")
    first = centre.contact(customer, "social", "改绑手机", "我想改绑手机号。")
    second = centre.contact(customer, "social", "忘记密码", "忘记密码了，年纪大了不会弄。")
    _open(page, centre, "con.sup", "actions")
    row = page.locator(f'#waiting tr[data-conversation="{first}"]')
    expect(row).to_be_visible()
    shot(page, "actions-1440", full_page=True)
    row.locator("select.assign-agent").select_option(agent["id"])
    row.locator("button.assign").click()
    expect(row).to_have_count(0)
    assigned = centre.call("admin", "GET", f"/api/v1/conversations/{first}")
    assert (assigned["status"], assigned["agent_id"]) == ("assigned", agent["id"])

    other = page.locator(f'#waiting tr[data-conversation="{second}"]')
    other.locator("select.transfer-queue").select_option("elderly_care")
    other.locator("button.transfer").click()
    expect(other.locator("td").nth(0)).to_have_text("Elderly care 关爱老人")

    presence = page.locator(f'#presence tr[data-agent="{agent["id"]}"]')
    presence.locator("select.presence").select_option("away")
    presence.locator("select.reason").select_option("training")
    presence.locator("button.set-presence").click()
    expect(page.locator(f'#presence tr[data-agent="{agent["id"]}"] td.presence-now')).to_have_text("小休")

    page.locator('a[data-tab="audit"]').click()
    page.locator('#audit-filters input[name="actor"]').fill("con.sup")
    page.locator("#audit-filters button[type=submit]").click()
    audit = page.locator("#audit")
    expect(audit.locator('tr[data-action="conversation.assigned"]')).to_have_count(1)
    expect(audit.locator('tr[data-action="agent.presence"]')).to_contain_text("training")
    expect(audit.locator("td.actor").first).to_have_text("con.sup")
    shot(page, "audit-1440", full_page=True)
    page.locator('#audit-filters input[name="action"]').fill("agent.presence")
    page.locator("#audit-filters button[type=submit]").click()
    expect(audit.locator("tbody tr")).to_have_count(1)
    page.set_viewport_size({"width": 1920, "height": 1080})
    shot(page, "audit-1920")


def test_a_second_supervisor_approves_a_large_release(centre: Centre, page: Page, shot) -> None:
    """A specialist asks to release a ¥100,000 hold; it waits for another supervisor, who approves it in the
    console; the payment is released and the approval is in the audit log."""
    centre.agent("con.approver", site="shenzhen", role="supervisor")
    specialist = centre.agent("con.specialist", site="shenzhen")
    _login(centre, "con.specialist")
    centre.call(
        "con.specialist", "PUT", f"/api/v1/agents/{specialist['id']}/presence", {"presence": "available"}
    )
    payer = centre.customer("郑华", birth_date=ELDERLY_BIRTH_DATE.isoformat())
    payment = {
        "payment_id": "pay-console-four-eyes",
        "payer": {"customer_id": payer},
        "payee": {"account_id": "acct-console-house", "name": "边防战士 李强", "kind": "individual"},
        "amount": 10_000_000,
        "currency": "CNY",
        "channel": "transfer",
        "memo": "给边防战士的捐款",
        # Daytime in Beijing at any hour: the night rule never turns the hold into a block.
        "created_at": daytime_at_or_before(datetime.now(UTC)).isoformat(),
    }
    decision = centre.call("integration", "POST", "/api/v1/payments/screen", payment)
    assert decision["decision"] == "hold", decision
    case_id = decision["case_id"]
    # The specialist may also be offered earlier tests' chats (elderly care): take the case's offer.
    offers = centre.call("con.specialist", "GET", f"/api/v1/agents/{specialist['id']}/offers")
    offer = next(o for o in offers if o["subject_id"] == case_id)
    centre.call("con.specialist", "POST", f"/api/v1/offers/{offer['id']}/accept")
    centre.call(
        "con.specialist",
        "POST",
        f"/api/v1/cases/{case_id}/contact-attempts",
        {"result": "reached"},
        expect=201,
    )
    asked = centre.call(
        "con.specialist",
        "POST",
        f"/api/v1/cases/{case_id}/resolve",
        {"outcome": "released", "note": "本人确认：购房首付"},
    )
    assert asked["status"] == "pending_approval"

    _open(page, centre, "con.approver", "actions")
    row = page.locator(f'#approvals tr[data-case="{case_id}"]')
    expect(row).to_contain_text("100,000.00")
    expect(row).to_contain_text("本人确认：购房首付")
    shot(page, "four-eyes-1440", full_page=True)
    row.locator("input.note").fill("合同已核实")
    row.locator("button.approve").click()
    expect(row).to_have_count(0)
    done = centre.call("admin", "GET", f"/api/v1/cases/{case_id}")
    assert (done["status"], done["outcome"]) == ("resolved", "released")
    entries = centre.call("admin", "GET", f"/api/v1/audit?subject_id={case_id}&action=case.release_approved")
    assert [e["actor"] for e in entries["items"]] == ["con.approver"]


def test_queue_limits_refuse_a_bad_value_and_save_a_good_one_and_users_are_created(
    centre: Centre, page: Page, shot
) -> None:
    """An alarm below its warning is refused with the field named; a consistent pair is saved and shown on
    the wallboard; an admin creates a user (a too-short password is refused first) and disables it."""
    centre.agent("con.limits", site="chengdu", role="supervisor")
    _open(page, centre, "con.limits", "queues")
    form = page.locator('form.thresholds-form[data-queue="games"]')
    form.locator('input[name="waiting_warn"]').fill("5")
    form.locator('input[name="waiting_alarm"]').fill("3")
    form.locator("button[type=submit]").click()
    expect(form.locator(".problem")).to_contain_text("waiting_alarm")
    shot(page, "limits-refused-1440", full_page=True)
    form.locator('input[name="waiting_alarm"]').fill("8")
    form.locator("button[type=submit]").click()
    expect(form.locator(".done")).to_have_text("已保存")
    limits = centre.call("admin", "GET", "/api/v1/wallboard/thresholds")
    assert [(x["queue_id"], x["waiting_warn"], x["waiting_alarm"]) for x in limits] == [("games", 5, 8)]
    page.goto(f"{centre.url}/wallboard")
    expect(page.locator('#queues li[data-queue="games"] .thresholds')).to_contain_text("排队 5/8")

    page.context.clear_cookies()
    page.evaluate("localStorage.clear()")
    _open(page, centre, "ui.admin", "users", width=1920)
    users = page.locator("#user-form")
    users.locator('input[name="username"]').fill("con.new")
    users.locator('input[name="password"]').fill("short")
    users.locator('select[name="role"]').select_option("agent")
    users.locator("button[type=submit]").click()
    expect(users.locator(".problem")).to_contain_text("password")
    users.locator('input[name="password"]').fill("a-long-enough-password")
    users.locator("button[type=submit]").click()
    row = page.locator('#users tr[data-user="con.new"]')
    expect(row.locator("td.active")).to_have_text("是")
    row.get_by_role("button", name="停用").click()
    expect(row.locator("td.active")).to_have_text("否")
    shot(page, "users-1920", full_page=True)
