"""Demo data for a newcomer: the six bases, about 60 agents, logins, customers and conversations.

Seeding is idempotent: running it twice changes nothing the second time. It goes through the same
services as the API, so the demo also exercises validation, audit and events.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from kefu.care import commands as care_commands
from kefu.care import seed_articles
from kefu.domain import commands as c
from kefu.domain.customers import TrustedContact
from kefu.domain.errors import AlreadyExists
from kefu.domain.sites import DEFAULT_SITES
from kefu.domain.users import SYSTEM_ACTOR
from kefu.domain.vocabulary import Channel, Role
from kefu.services.messagebus import MessageBus

DEMO_PASSWORD = "kefu-demo-2026"  # noqa: S105 - printed for the newcomer; `kefu demo` refuses to run in prod

# (username, role, site or None, agent skills)
LOGINS: tuple[tuple[str, Role, str | None, dict[str, int]], ...] = (
    ("admin", "admin", None, {}),
    ("supervisor", "supervisor", "chongqing", {"payments": 4, "anti_fraud": 4, "lang_zh": 5}),
    ("agent", "agent", "chongqing", {"payments": 4, "anti_fraud": 5, "elderly_care": 4, "lang_zh": 5}),
    ("agent.en", "agent", "shenzhen", {"social": 4, "payments": 3, "lang_en": 5, "lang_zh": 4}),
    ("integration", "integration", None, {}),
)

_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
_GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红鹏辉晨琳智晴婷雪梅浩宇欣怡子涵"

# Skill mixes seen in a real centre: most agents serve one or two lines; a few are anti-fraud specialists.
_PROFILES: tuple[tuple[dict[str, int], int], ...] = (
    ({"social": 3, "lang_zh": 5}, 12),
    ({"payments": 3, "lang_zh": 5}, 12),
    ({"games": 3, "lang_zh": 5}, 10),
    ({"social": 4, "payments": 3, "lang_zh": 5, "lang_en": 3}, 6),
    ({"payments": 4, "anti_fraud": 4, "lang_zh": 5}, 8),
    ({"payments": 3, "elderly_care": 4, "social": 3, "lang_zh": 5}, 6),
    ({"games": 4, "social": 2, "lang_en": 4, "lang_zh": 3}, 4),
)


@dataclass
class DemoResult:
    logins: list[tuple[str, str, Role]] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=dict)


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN) for _ in range(rng.choice((1, 2))))


async def _ensure_user(bus: MessageBus, username: str, role: Role) -> bool:
    try:
        await bus.handle(c.CreateUser(username, DEMO_PASSWORD, role), SYSTEM_ACTOR)
    except AlreadyExists:
        return False
    return True


async def seed_demo(bus: MessageBus, seed: int = 7) -> DemoResult:
    rng = random.Random(seed)
    result = DemoResult()
    counts = {"users": 0, "agents": 0, "customers": 0, "conversations": 0}
    async with bus.uow_factory() as uow:
        existing_agents = len(await uow.agents.page(None, 1000))
    for username, role, site, skills in LOGINS:
        if await _ensure_user(bus, username, role):
            counts["users"] += 1
            if site is not None:
                capacity = {"chat": 3, "voice": 1, "callback": 1}
                await bus.handle(c.CreateAgent(_name(rng), site, skills, capacity, username), SYSTEM_ACTOR)
                counts["agents"] += 1
        result.logins.append((username, DEMO_PASSWORD, role))
    if existing_agents == 0:
        sites = [s.id for s in DEFAULT_SITES]
        for i, (skills, n) in enumerate(_PROFILES):
            for j in range(n):
                capacity = {"chat": rng.choice((2, 3, 4)), "voice": 1, "callback": 1}
                site = sites[(i + j) % len(sites)]
                await bus.handle(c.CreateAgent(_name(rng), site, dict(skills), capacity), SYSTEM_ACTOR)
                counts["agents"] += 1
    counts["articles"] = await _seed_articles(bus)
    counts["customers"], counts["conversations"] = await _seed_customers(bus, rng)
    counts["cases"] = await _seed_cases(bus)
    result.created = counts
    return result


async def _seed_articles(bus: MessageBus) -> int:
    """The knowledge base articles shipped with kefu.care, so self-service answers in the demo."""
    made = 0
    for article in seed_articles():
        async with bus.uow_factory() as uow:
            if await uow.knowledge.get(article.id) is not None:
                continue
        cmd = care_commands.PutArticle(
            article.id, article.title, article.body, article.language, article.tags
        )
        await bus.handle(cmd, SYSTEM_ACTOR)
        made += 1
    return made


_STORIES: tuple[tuple[str, str, str], ...] = (
    ("payments", "付款失败", "我付款一直失败,提示银行卡异常,怎么办?"),
    ("payments", "退款没到账", "商家说已经退款了,三天了还没到账。"),
    ("social", "账号被冻结", "我的账号被冻结了,怎么解封?"),
    ("games", "充值未到账", "游戏充值了68元,钻石没有到账。"),
    ("payments", "有人让我转账到安全账户", "有个警察打电话说我的账户涉嫌洗钱,要我转到安全账户,是真的吗?"),
    ("social", "Cannot log in", "I changed my phone and now I cannot log in to my account."),
)


async def _seed_customers(bus: MessageBus, rng: random.Random) -> tuple[int, int]:
    made = opened = 0
    today = date(2026, 1, 1)
    for i in range(40):
        external_id = f"demo-{i:04d}"
        elderly = i % 4 == 0
        age = rng.randint(62, 88) if elderly else rng.randint(19, 55)
        birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
        english = i % 10 == 5
        contact = (
            TrustedContact(_name(rng), f"139{rng.randint(10_000_000, 99_999_999)}", "女儿")
            if elderly and i % 8 == 0
            else None
        )
        cmd = c.CreateCustomer(
            external_id=external_id,
            name=f"Customer {i}" if english else _name(rng),
            language="en" if english else "zh",
            phone=f"13{rng.randint(100_000_000, 999_999_999)}",
            birth_date=birth,
            vulnerable=i % 13 == 0,
            trusted_contact=contact,
            home_site=DEFAULT_SITES[i % len(DEFAULT_SITES)].id,
        )
        try:
            customer = await bus.handle(cmd, SYSTEM_ACTOR)
        except AlreadyExists:
            continue
        made += 1
        if i % 2 == 0:
            line, subject, text = _STORIES[(i // 2) % len(_STORIES)]
            channel: Channel = "voice" if elderly else "chat"
            await bus.handle(c.OpenConversation(customer.id, line, channel, subject, text), SYSTEM_ACTOR)
            opened += 1
    return made, opened


# Scam payments from elderly demo customers: each is held and its case waits on the anti-fraud queue.
_SCAMS: tuple[tuple[str, str, str, str, int, str], ...] = (
    ("demo-0000", "demo-pay-border", "demo-acct-bianfang", "边防战士 李强", 10_000_000, "给边防战士的捐款"),
    ("demo-0008", "demo-pay-police", "demo-acct-anquan", "刘明", 5_000_000, "转入安全账户"),
)


async def _seed_cases(bus: MessageBus) -> int:
    """Screen the demo scam payments (idempotent on payment_id); returns how many cases were opened now."""
    from datetime import UTC, timedelta  # noqa: PLC0415 - only the demo's cases need times

    from kefu.domain.payments import ScreenPayment  # noqa: PLC0415

    now = bus.clock.now()
    # 10:00 in Beijing on the latest day it has passed: a daytime payment, so the scene is a hold.
    daytime = now.replace(hour=2, minute=0, second=0, microsecond=0)
    if daytime > now:
        daytime -= timedelta(days=1)
    made = 0
    for external_id, payment_id, account, name, amount, memo in _SCAMS:
        async with bus.uow_factory() as uow:
            if await uow.screenings.get(payment_id) is not None:
                continue
            customer = await uow.customers.by_external_id(external_id)
        if customer is None:
            continue
        request = {
            "payment_id": payment_id,
            "payer": {"customer_id": customer.id},
            "payee": {"account_id": account, "name": name, "kind": "individual"},
            "amount": amount,
            "currency": "CNY",
            "channel": "transfer",
            "memo": memo,
            "created_at": daytime.astimezone(UTC).isoformat(),
        }
        record = await bus.handle(ScreenPayment(request), SYSTEM_ACTOR)
        made += record.case_id is not None
    return made
