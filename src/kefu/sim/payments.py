"""A labelled synthetic payment stream: ordinary life with scams of every typology woven in.

Shaped after PaySim and the Fraud Detection Handbook's simulator (customer profiles, daily rhythm, injected
fraud scenarios) and after public anti-fraud practice for what scams look like (see docs/screening.md).
The same ``seed`` always gives the same stream, byte for byte.

Ordinary life: merchant and QR purchases, red packets among friends, transfers to friends and family,
monthly rent, salaries paid by employers, occasional large purchases from organisations; busy at lunch and
in the evening, quiet from 01:00 to 06:00 Beijing time.

Scams run as episodes with their real signatures: a small test payment before the large one, mule accounts
collecting from many victims, night transfers, elderly victims of soldier impersonation, remote-access apps
in fake customer service, memos in the scammer's words (about half the time: victims are often coached to
write something bland), escalating task and investment payments, and a split retry after a large attempt.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from kefu.screening.payment import DeviceSignals, Payee, PayeeKind, PayerProfile, Payment

START = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
PAYMENTS_PER_CUSTOMER_PER_DAY = 3.0

# Relative activity by Beijing hour: dead of night, morning commute, lunch, evening peak.
HOURLY_RHYTHM = (
    0.25, 0.08, 0.04, 0.03, 0.03, 0.05, 0.2, 0.6, 0.9, 0.8, 0.9, 1.3,
    1.4, 1.1, 0.8, 0.8, 0.9, 1.0, 1.3, 1.5, 1.5, 1.3, 0.9, 0.5,
)  # fmt: skip

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
)
MERCHANTS = (
    "美团外卖",
    "便利店",
    "滴滴出行",
    "超市",
    "奶茶店",
    "加油站",
    "药房",
    "菜市场",
    "电影院",
    "水果店",
)
ORGANISATIONS = ("市第一中学", "国网电费", "自来水公司", "汽车4S店", "市人民医院", "培训学校")

NORMAL_MEMOS = {
    "red_packet": ("", "", "恭喜发财", "生日快乐", "红包", "新婚快乐"),
    "friend": ("", "", "饭钱", "AA", "还你的", "车费", "奶茶", "退款", "电影票", "理财群的书钱"),
    "family": ("", "生活费", "给妈的", "家用", "学费", "买药", "孩子的补课费"),
    "rent": ("房租", "房租", "11月房租", "rent"),
    "salary": ("工资", "工资", "绩效奖金", "salary"),
}

SCAM_MEMOS: dict[str, tuple[str, ...]] = {
    "impersonation_official": ("安全账户", "资金核查", "配合清查", "涉嫌洗钱 保证金"),
    "impersonation_soldier": ("捐款", "给边防战士的捐款", "部队探亲路费", "军人补助"),
    "fake_customer_service": ("退款", "理赔", "取消会员", "订单异常退款", "refund"),
    "investment": ("投资", "导师带单", "稳赚", "理财收益", "investment"),
    "romance": ("急用", "宝贝", "机票", "亲爱的"),
    "task_fraud": ("刷单", "返利", "做任务", "垫付佣金"),
    "loan_fraud": ("贷款手续费", "保证金", "解冻", "验资"),
    "game_trading": ("游戏账号", "装备交易", "皮肤", "点券"),
}
BLAND_MEMOS = ("", "", "", "转账", "还款", "借款")

TYPOLOGY_WEIGHTS = {
    "impersonation_official": 12,
    "impersonation_soldier": 8,
    "fake_customer_service": 18,
    "investment": 15,
    "romance": 10,
    "task_fraud": 20,
    "loan_fraud": 10,
    "game_trading": 7,
}
# Victim ages by typology (low, high), from the public victim profiles of each script.
VICTIM_AGES = {
    "impersonation_official": (30, 78),
    "impersonation_soldier": (66, 88),
    "fake_customer_service": (20, 60),
    "investment": (28, 65),
    "romance": (25, 70),
    "task_fraud": (18, 45),
    "loan_fraud": (20, 50),
    "game_trading": (16, 30),
}


@dataclass(slots=True)
class Customer:
    customer_id: str
    age: int
    profile: PayerProfile
    family: tuple[str, ...]
    friends: tuple[str, ...]
    landlord: str | None
    employees: tuple[str, ...] = ()


# What an ordinary scenario returns: (payer, payee, amount in fen, channel, memo).
_Ordinary = tuple[Customer, Payee, int, str, str]


@dataclass(order=True, slots=True)
class _Pending:
    at: datetime
    seq: int
    record: dict[str, Any] = field(compare=False)


@dataclass(slots=True)
class _Mule:
    account_id: str
    name: str
    opened: datetime


class PaymentStream:
    """Generates the stream; one instance per seed. ``records()`` yields labelled dicts in time order."""

    def __init__(self, count: int, seed: int = 0, scam_rate: float = 0.01, start: datetime = START) -> None:
        if count < 0 or not 0.0 <= scam_rate <= 1.0:
            raise ValueError("count must be >= 0 and scam_rate within 0..1")
        self.count = count
        self.seed = seed
        self.scam_rate = scam_rate
        self.rng = random.Random(seed)
        self.now = start
        self.customers = self._population(max(60, count // 15))
        self.names: dict[str, str] = {}
        self.mules: dict[str, list[_Mule]] = {t: [] for t in TYPOLOGY_WEIGHTS}
        self.pending: list[_Pending] = []
        self.seq = 0
        per_second = len(self.customers) * PAYMENTS_PER_CUSTOMER_PER_DAY / 86_400
        self.peak_rate = per_second * max(HOURLY_RHYTHM) / (sum(HOURLY_RHYTHM) / 24)
        # episodes are ~2.6 payments long on average; start them often enough to hit the scam rate
        self.episode_rate = scam_rate / 2.6

    # -- the population ---------------------------------------------------------------------------------

    def _population(self, size: int) -> list[Customer]:
        rng = self.rng
        ids = [f"c-{i:06d}" for i in range(size)]
        customers = []
        for cid in ids:
            age = int(min(92, max(16, rng.gauss(42, 16))))
            family = tuple(rng.sample(ids, 3))
            friends = tuple(rng.sample(ids, 8))
            trusted = frozenset(_account(f) for f in family if rng.random() < 0.6)
            zone = "Asia/Shanghai" if rng.random() < 0.97 else rng.choice(("Asia/Urumqi", "Europe/London"))
            profile = PayerProfile(age >= 65, rng.random() < 0.03, zone, trusted)
            landlord = f"c-{rng.randrange(size):06d}" if rng.random() < 0.4 else None
            customers.append(Customer(cid, age, profile, family, friends, landlord))
        employers = max(1, size // 50)
        for i in range(employers):
            # Employers are organisations paying wages, not consumers: never elderly or vulnerable.
            boss = customers[i]
            boss.age = 40
            boss.profile = PayerProfile(timezone="Asia/Shanghai")
            boss.employees = tuple(rng.sample(ids, min(size, 20)))
        return customers

    def _name(self, customer_id: str) -> str:
        name = self.names.get(customer_id)
        if name is None:
            rng = random.Random(f"{self.seed}:{customer_id}")
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            self.names[customer_id] = name
        return name

    # -- the clock ----------------------------------------------------------------------------------------

    def _advance(self) -> None:
        """Move the clock to the next payment: a Poisson process thinned by the hour of day."""
        rng = self.rng
        peak = max(HOURLY_RHYTHM)
        while True:
            self.now += timedelta(seconds=rng.expovariate(self.peak_rate))
            hour = (self.now.hour + 8) % 24
            if rng.random() < HOURLY_RHYTHM[hour] / peak:
                return

    # -- records --------------------------------------------------------------------------------------------

    def _record(
        self,
        payer: Customer,
        payee: Payee,
        amount: int,
        channel: str,
        memo: str,
        at: datetime,
        scam: bool,
        typology: str | None,
        scenario: str,
        device: DeviceSignals | None = None,
    ) -> dict[str, Any]:
        self.seq += 1
        payment = Payment(
            payment_id=f"pay-{self.seed}-{self.seq:08d}",
            payer_id=payer.customer_id,
            payee=payee,
            amount=max(1, amount),
            currency="CNY",
            channel=channel,  # type: ignore[arg-type]  # the callers pass only known channels
            created_at=at,
            memo=memo,
            device=device or self._ordinary_device(),
        )
        record = payment.to_dict()
        record["payer_profile"] = payer.profile.to_dict()
        record["label"] = {"scam": scam, "typology": typology, "scenario": scenario}
        return record

    def _ordinary_device(self) -> DeviceSignals:
        rng = self.rng
        return DeviceSignals(
            new_device=rng.random() < 0.03,
            remote_access_app=rng.random() < 0.002,
            on_call=rng.random() < 0.04,
            screen_sharing=rng.random() < 0.003,
        )

    def _person(self, customer_id: str) -> Payee:
        return Payee(_account(customer_id), self._name(customer_id), "individual")

    def _lognormal(self, median_yuan: float, sigma: float, low_yuan: float, high_yuan: float) -> int:
        value = math.exp(math.log(median_yuan) + sigma * self.rng.gauss(0, 1))
        return round(min(high_yuan, max(low_yuan, value)) * 100)

    def _normal(self) -> dict[str, Any]:
        rng = self.rng
        payer = rng.choice(self.customers)
        kind = rng.choices(
            ("merchant", "red_packet", "friend", "family", "rent", "salary", "purchase"),
            weights=(45, 20, 15, 10, 4, 3, 3),
        )[0]
        if kind == "rent" and payer.landlord is None:
            kind = "purchase"
        payer, payee, amount, channel, memo = getattr(self, f"_{kind}")(payer)
        return self._record(payer, payee, amount, channel, memo, self.now, False, None, kind)

    def _merchant(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        payee = Payee(f"m-{rng.randrange(400):04d}", rng.choice(MERCHANTS), "merchant")
        return payer, payee, self._lognormal(35, 1.0, 1, 3000), rng.choice(("qr", "merchant")), ""

    def _red_packet(self, payer: Customer) -> _Ordinary:
        target = self.rng.choice(payer.friends + payer.family)
        memo = self.rng.choice(NORMAL_MEMOS["red_packet"])
        return payer, self._person(target), self._lognormal(20, 0.9, 0.01, 200), "red_packet", memo

    def _friend(self, payer: Customer) -> _Ordinary:
        target = self.rng.choice(payer.friends)
        memo = self.rng.choice(NORMAL_MEMOS["friend"])
        return payer, self._person(target), self._lognormal(120, 1.0, 5, 5000), "transfer", memo

    def _family(self, payer: Customer) -> _Ordinary:
        target = self.rng.choice(payer.family)
        memo = self.rng.choice(NORMAL_MEMOS["family"])
        return payer, self._person(target), self._lognormal(1500, 0.9, 100, 50_000), "transfer", memo

    def _rent(self, payer: Customer) -> _Ordinary:
        landlord = payer.landlord or payer.family[0]
        amount = round(self.rng.uniform(1500, 6000)) * 100
        return payer, self._person(landlord), amount, "transfer", self.rng.choice(NORMAL_MEMOS["rent"])

    def _salary(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        boss = rng.choice([c for c in self.customers[:50] if c.employees] or [payer])
        employee = rng.choice(boss.employees or payer.friends)
        amount = round(rng.uniform(4000, 30_000)) * 100
        return boss, self._person(employee), amount, "transfer", rng.choice(NORMAL_MEMOS["salary"])

    def _purchase(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        payee = Payee(f"o-{rng.randrange(30):03d}", rng.choice(ORGANISATIONS), "organisation")
        return payer, payee, self._lognormal(8000, 1.0, 500, 200_000), "transfer", ""

    # -- scams ----------------------------------------------------------------------------------------------

    def _victim(self, typology: str) -> Customer:
        low, high = VICTIM_AGES[typology]
        rng = self.rng
        for _ in range(30):
            candidate = rng.choice(self.customers)
            if low <= candidate.age <= high:
                return candidate
        return rng.choice(self.customers)

    def _mule(self, typology: str) -> Payee:
        """A collecting account: often one already taking money from other victims, sometimes a fresh one."""
        rng = self.rng
        pool = [m for m in self.mules[typology] if self.now - m.opened < timedelta(days=3)]
        if pool and rng.random() < 0.6:
            mule = rng.choice(pool)
        else:
            name = rng.choice(SURNAMES) + rng.choice(GIVEN)
            if typology == "impersonation_soldier" and rng.random() < 0.5:
                name = rng.choice(("边防战士 ", "军人 ", "")) + name
            mule = _Mule(f"acct-x{self.seq:07d}{rng.randrange(100):02d}", name, self.now)
            self.mules[typology].append(mule)
        kind: PayeeKind = "individual"
        return Payee(mule.account_id, mule.name, kind)

    def _memo(self, typology: str) -> str:
        rng = self.rng
        return rng.choice(SCAM_MEMOS[typology]) if rng.random() < 0.5 else rng.choice(BLAND_MEMOS)

    def _episode(self) -> None:
        """Schedule one scam episode: a victim, a script, and its payments over the coming minutes or days."""
        rng = self.rng
        typology = rng.choices(tuple(TYPOLOGY_WEIGHTS), weights=tuple(TYPOLOGY_WEIGHTS.values()))[0]
        victim = self._victim(typology)
        payee = self._mule(typology)
        at = self.now
        if rng.random() < 0.3:  # scammers keep victims up at night
            at = at.replace(
                hour=rng.choice((17, 18, 19, 20, 21)), minute=rng.randrange(60)
            )  # 01:00-05:59 +08
            if at < self.now:
                at += timedelta(days=1)
        device = DeviceSignals(
            new_device=rng.random() < 0.1,
            remote_access_app=typology == "fake_customer_service" and rng.random() < 0.5,
            on_call=typology in {"impersonation_official", "fake_customer_service"} and rng.random() < 0.7,
            screen_sharing=typology in {"impersonation_official", "fake_customer_service"}
            and rng.random() < 0.35,
        )
        steps = self._script(typology)
        largest = max(amount for _, amount in steps)
        for delay, amount in steps:
            scenario = "test_payment" if amount <= 1000 and len(steps) > 1 else "scam"
            memo = "" if scenario == "test_payment" else self._memo(typology)
            self._schedule(
                self._record(
                    victim, payee, amount, "transfer", memo, at + delay, True, typology, scenario, device
                )
            )
        if largest >= 500_000 and rng.random() < 0.3:
            # After a stop the scammer coaches a retry in smaller pieces, often to a fresh account.
            retry_payee = self._mule(typology) if rng.random() < 0.5 else payee
            last = at + steps[-1][0]
            for i in range(rng.randint(2, 3)):
                piece = largest // rng.randint(3, 5)
                when = last + timedelta(minutes=5 + 7 * i)
                record = self._record(
                    victim,
                    retry_payee,
                    piece,
                    "transfer",
                    self._memo(typology),
                    when,
                    True,
                    typology,
                    "retry",
                    device,
                )
                self._schedule(record)

    def _script(self, typology: str) -> list[tuple[timedelta, int]]:
        """The payments of one episode as (delay from its start, amount in fen), per typology's script."""
        rng = self.rng
        lognormal = self._lognormal
        if typology == "fake_customer_service":
            steps = [(timedelta(0), rng.choice((1, 10, 100, 1000)))] if rng.random() < 0.6 else []
            steps.append((timedelta(minutes=rng.randint(2, 10)), lognormal(15_000, 0.7, 2000, 80_000)))
            return steps
        if typology == "investment":  # each "profit" invites a doubled stake
            base = lognormal(5000, 0.6, 1000, 50_000)
            return [(timedelta(days=i), base * (2**i)) for i in range(rng.randint(2, 5))]
        if typology == "task_fraud":  # small wins first, then ever larger "tasks"
            amounts = (10_000, 50_000, 200_000, 800_000, 2_000_000)
            return [(timedelta(minutes=25 * i), a) for i, a in enumerate(amounts[: rng.randint(2, 5)])]
        # the rest: (gap between payments, median ¥, spread, low ¥, high ¥, most payments)
        gap, median, sigma, low, high, most = {
            "impersonation_official": (timedelta(minutes=20), 50_000, 0.8, 5000, 300_000, 3),
            "impersonation_soldier": (timedelta(days=2), 20_000, 0.9, 2000, 100_000, 3),
            "romance": (timedelta(days=1), 8000, 0.8, 1000, 60_000, 4),
            "loan_fraud": (timedelta(hours=3), 1500, 0.6, 300, 8000, 3),
            "game_trading": (timedelta(hours=1), 800, 0.8, 100, 8000, 2),
        }[typology]
        return [(gap * i, lognormal(median, sigma, low, high)) for i in range(rng.randint(1, most))]

    def _schedule(self, record: dict[str, Any]) -> None:
        at = datetime.fromisoformat(record["created_at"])
        heapq.heappush(self.pending, _Pending(at, self.seq, record))

    def records(self) -> Iterator[dict[str, Any]]:
        emitted = 0
        while emitted < self.count:
            self._advance()
            while self.pending and self.pending[0].at <= self.now and emitted < self.count:
                yield heapq.heappop(self.pending).record
                emitted += 1
            if emitted >= self.count:
                return
            if self.rng.random() < self.episode_rate:
                self._episode()
            else:
                yield self._normal()
                emitted += 1


def generate_payments(
    count: int, seed: int = 0, scam_rate: float = 0.01, start: datetime = START
) -> Iterator[dict[str, Any]]:
    """``count`` labelled screening records in time order, the same for the same arguments."""
    return PaymentStream(count, seed, scam_rate, start).records()


def _account(customer_id: str) -> str:
    return f"acct-{customer_id}"
