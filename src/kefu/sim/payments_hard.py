"""The hard payment stream: scams that hide and honest payments that look like scams.

``kefu sim payments --difficulty hard``. Built on the easy stream (same population, rhythm and records) with
what makes real screening hard, after docs/screening.md's sources:

- most scam payments carry no keyword: victims are coached to write nothing or something bland (about 65 %);
- split payments: a large transfer is cut into pieces below the usual "large" line, minutes apart;
- episodes spread over days (officials "checking funds" come back; romance and investment run for a week);
- mule accounts that look like merchants: shop accounts that took ordinary purchases for days before they
  started collecting from victims, so their age and fan-in look normal;
- legitimate look-alikes: elderly customers paying a tradesman or a hospital for the first time, second-hand
  purchases from strangers, rent deposits to a new landlord, family emergencies at night, on a call;
- per-typology signatures with noise: device signals (screen sharing in fake customer service, a call during
  official impersonation), victim ages, amounts and rhythm of each script.

The same ``seed`` always gives the same stream; labels ride in each record's ``label``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from kefu.screening.payment import DeviceSignals, Payee
from kefu.sim.payments import (
    GIVEN,
    START,
    SURNAMES,
    TYPOLOGY_WEIGHTS,
    Customer,
    PaymentStream,
    _Ordinary,
)

# Memos with no scam keyword: what coached victims and honest payers alike write.
HARD_BLAND_MEMOS = ("", "", "", "", "转账", "还款", "借款", "给你的", "货款", "尾款", "帮忙", "谢谢")
LOOKALIKE_MEMOS = {
    "tradesman": ("", "维修费", "换锁", "装修款", "水电维修", "疏通下水道"),
    "hospital": ("", "住院押金", "医药费", "手术费", "体检"),
    "second_hand": ("", "", "二手手机", "闲置", "定金", "二手自行车"),
    "rent_deposit": ("押金", "房租押金", "", "押一付三"),
    "family_emergency": ("急用", "医药费", "", "救急", "先用着"),
}
SHOP_NAMES = ("数码专营店", "优选百货", "潮玩小铺", "游戏装备店", "生活馆", "服装店", "手机配件")
HOSPITALS = ("市人民医院", "中医院", "口腔医院", "妇幼保健院")
# Share of each typology's mules that are camouflaged merchant accounts.
CAMOUFLAGE = {
    "fake_customer_service": 0.35,
    "game_trading": 0.45,
    "task_fraud": 0.35,
    "investment": 0.25,
    "loan_fraud": 0.3,
}
KEYWORD_SHARE = 0.35  # scam payments whose memo speaks the script's words


class HardPaymentStream(PaymentStream):
    """The hard stream; one instance per seed, ``records()`` as for the easy one."""

    def __init__(self, count: int, seed: int = 0, scam_rate: float = 0.01, start: datetime = START) -> None:
        super().__init__(count, seed, scam_rate, start)
        rng = self.rng
        self.elderly = [c for c in self.customers if c.profile.elderly] or self.customers
        self.sellers = [
            Payee(f"acct-s{i:05d}", rng.choice(SURNAMES) + rng.choice(GIVEN), "individual")
            for i in range(max(20, len(self.customers) // 40))
        ]
        # Shops that trade honestly for days and then collect from victims (their "turn" time).
        self.shops = [
            (Payee(f"m-9{i:03d}", rng.choice(SURNAMES) + rng.choice(SHOP_NAMES), "merchant"),
             start + timedelta(hours=rng.uniform(24, 24 * 10)))
            for i in range(max(8, len(self.customers) // 300))
        ]  # fmt: skip
        self.fresh = 0
        # split payments and look-alike scripts make episodes longer than the easy stream's
        self.episode_rate = scam_rate / 3.6

    # -- ordinary life, with its look-alikes ---------------------------------------------------------------

    def _normal(self) -> dict[str, Any]:
        rng = self.rng
        kind = rng.choices(
            (
                "merchant", "red_packet", "friend", "family", "rent", "salary", "purchase",
                "tradesman", "hospital", "second_hand", "rent_deposit", "family_emergency",
            ),
            weights=(45, 20, 15, 10, 4, 3, 3, 1.2, 0.8, 2.0, 0.5, 0.5),
        )[0]  # fmt: skip
        payer = rng.choice(self.customers)
        if kind in {"tradesman", "hospital"} and rng.random() < 0.6:
            payer = rng.choice(self.elderly)
        if kind == "rent" and payer.landlord is None:
            kind = "purchase"
        device = None
        if kind in {"tradesman", "family_emergency", "hospital"} and rng.random() < 0.4:
            # the tradesman, the relative or the ward is on the phone while the payer pays
            device = DeviceSignals(new_device=rng.random() < 0.05, on_call=True)
        payer, payee, amount, channel, memo = getattr(self, f"_{kind}")(payer)
        at = self.now
        if kind == "family_emergency" and rng.random() < 0.3:
            at = self._night(at)
        record = self._record(payer, payee, amount, channel, memo, at, False, None, kind, device)
        if at != self.now:
            self._schedule(record)
            return self._record(*self._merchant(payer), self.now, False, None, "merchant")
        return record

    def _merchant(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        if rng.random() < 0.03:  # some purchases go to shops that will later turn
            payee = rng.choice(self.shops)[0]
            return payer, payee, self._lognormal(60, 0.9, 5, 3000), rng.choice(("qr", "merchant")), ""
        return super()._merchant(payer)

    def _stranger(self) -> Payee:
        self.fresh += 1
        rng = self.rng
        return Payee(f"acct-n{self.seed}-{self.fresh:07d}", rng.choice(SURNAMES) + rng.choice(GIVEN))

    def _tradesman(self, payer: Customer) -> _Ordinary:
        memo = self.rng.choice(LOOKALIKE_MEMOS["tradesman"])
        return payer, self._stranger(), self._lognormal(600, 0.8, 80, 8000), "transfer", memo

    def _hospital(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        payee = Payee(f"o-h{rng.randrange(12):02d}", rng.choice(HOSPITALS), "organisation")
        memo = rng.choice(LOOKALIKE_MEMOS["hospital"])
        return payer, payee, self._lognormal(3000, 1.0, 200, 80_000), "transfer", memo

    def _second_hand(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        # sellers sell to several buyers: a stranger with some fan-in, like a mule
        seller = rng.choice(self.sellers) if rng.random() < 0.6 else self._stranger()
        memo = rng.choice(LOOKALIKE_MEMOS["second_hand"])
        return payer, seller, self._lognormal(400, 0.9, 20, 8000), rng.choice(("transfer", "qr")), memo

    def _rent_deposit(self, payer: Customer) -> _Ordinary:
        amount = round(self.rng.uniform(2000, 12_000)) * 100
        return payer, self._stranger(), amount, "transfer", self.rng.choice(LOOKALIKE_MEMOS["rent_deposit"])

    def _family_emergency(self, payer: Customer) -> _Ordinary:
        rng = self.rng
        target = self._person(rng.choice(payer.family))
        memo = rng.choice(LOOKALIKE_MEMOS["family_emergency"])
        return payer, target, self._lognormal(8000, 0.9, 500, 100_000), "transfer", memo

    def _night(self, at: datetime) -> datetime:
        night = at.replace(hour=self.rng.choice((17, 18, 19, 20, 21)), minute=self.rng.randrange(60))
        return night if night >= at else night + timedelta(days=1)  # 01:00-05:59 Beijing time

    # -- scams ----------------------------------------------------------------------------------------------

    def _memo(self, typology: str) -> str:
        rng = self.rng
        if rng.random() < KEYWORD_SHARE:
            return super()._memo(typology).strip() or rng.choice(HARD_BLAND_MEMOS)
        return rng.choice(HARD_BLAND_MEMOS)

    def _mule(self, typology: str) -> Payee:
        rng = self.rng
        turned = [shop for shop, at in self.shops if at <= self.now]
        if turned and rng.random() < CAMOUFLAGE.get(typology, 0.0):
            return rng.choice(turned)
        return super()._mule(typology)

    def _signature(self, typology: str) -> DeviceSignals:
        rng = self.rng
        coached_call = typology in {"impersonation_official", "fake_customer_service", "investment"}
        return DeviceSignals(
            new_device=rng.random() < (0.2 if typology == "impersonation_official" else 0.08),
            remote_access_app=typology == "fake_customer_service" and rng.random() < 0.4,
            on_call=coached_call and rng.random() < 0.55,
            screen_sharing=typology in {"impersonation_official", "fake_customer_service"}
            and rng.random() < 0.25,
        )

    def _episode(self) -> None:
        """One scam episode: the script's steps, split or spread, to a mule or a camouflaged shop."""
        rng = self.rng
        typology = rng.choices(tuple(TYPOLOGY_WEIGHTS), weights=tuple(TYPOLOGY_WEIGHTS.values()))[0]
        victim = self._victim(typology)
        payee = self._mule(typology)
        at = self._night(self.now) if rng.random() < 0.2 else self.now
        device = self._signature(typology)
        steps = self._script(typology)
        if typology == "impersonation_official" and rng.random() < 0.3:
            # "the check continues tomorrow": the same script over several days
            steps = [(delay + timedelta(days=i), amount) for i, (delay, amount) in enumerate(steps)]
        split = rng.random() < 0.35
        for delay, amount in steps:
            if amount <= 1000 and len(steps) > 1:
                record = self._record(
                    victim, payee, amount, "transfer", "", at + delay, True, typology, "test_payment", device
                )
                self._schedule(record)
                continue
            pieces = rng.randint(2, 6) if split and amount >= 300_000 else 1
            for i in range(pieces):
                scenario = "split" if pieces > 1 else "scam"
                piece = amount // pieces
                when = at + delay + timedelta(minutes=rng.randint(3, 12) * i)
                memo = self._memo(typology)
                record = self._record(
                    victim, payee, piece, "transfer", memo, when, True, typology, scenario, device
                )
                self._schedule(record)


def generate_payments(
    count: int, seed: int = 0, scam_rate: float = 0.01, difficulty: str = "easy", start: datetime = START
) -> Iterator[dict[str, Any]]:
    """``count`` labelled screening records at the given difficulty (``easy`` or ``hard``)."""
    if difficulty == "hard":
        return HardPaymentStream(count, seed, scam_rate, start).records()
    if difficulty == "easy":
        return PaymentStream(count, seed, scam_rate, start).records()
    raise ValueError("difficulty must be 'easy' or 'hard'")
