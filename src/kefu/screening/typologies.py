"""Scam typologies and their playbooks (劝阻话术): what the specialist asks and explains, in zh and en.

The stories follow public anti-fraud practice: each typology has a script the scammer runs, so the
dissuasion call names that script back to the payer and asks the questions that break it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Typology = Literal[
    "impersonation_official",
    "impersonation_soldier",
    "fake_customer_service",
    "investment",
    "romance",
    "task_fraud",
    "loan_fraud",
    "game_trading",
]
TYPOLOGIES: tuple[Typology, ...] = (
    "impersonation_official",
    "impersonation_soldier",
    "fake_customer_service",
    "investment",
    "romance",
    "task_fraud",
    "loan_fraud",
    "game_trading",
)


@dataclass(frozen=True, slots=True)
class Playbook:
    typology: Typology | None
    title_zh: str
    title_en: str
    ask_zh: tuple[str, ...]
    ask_en: tuple[str, ...]
    explain_zh: tuple[str, ...]
    explain_en: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {
            "typology": self.typology,
            "title": {"zh": self.title_zh, "en": self.title_en},
            "ask": {"zh": list(self.ask_zh), "en": list(self.ask_en)},
            "explain": {"zh": list(self.explain_zh), "en": list(self.explain_en)},
        }


_GENERAL = Playbook(
    None,
    "可疑转账核实",
    "Checking a suspicious payment",
    ("您认识收款人本人吗？见过面吗？", "是谁让您转这笔钱的？对方现在是否在和您通话？"),
    (
        "Do you know the payee in person? Have you met?",
        "Who asked you to send this? Are they on the line now?",
    ),
    ("凡是要求您向陌生账户转账、并叮嘱您保密的，都是诈骗。", "钱一旦转出很难追回，请先停一停，和家人商量。"),
    (
        "Anyone who asks you to pay a stranger and keep it secret is running a scam.",
        "Money sent is hard to recover; pause and talk to your family first.",
    ),
)

PLAYBOOKS: dict[str, Playbook] = {
    "impersonation_official": Playbook(
        "impersonation_official",
        "冒充公检法",
        "Impersonating police, prosecutors or officials",
        (
            "对方是否自称警察、检察官或其他官员，说您的账户涉嫌犯罪？",
            "对方是否要求您把钱转到“安全账户”或配合“资金核查”？",
            "对方是否让您不要告诉任何人、开着视频或共享屏幕？",
        ),
        (
            "Did the caller say they are police, a prosecutor or an official, and that your account is "
            "linked to a crime?",
            "Did they ask you to move money to a 'safe account' or for an 'asset check'?",
            "Did they tell you to keep it secret, stay on video or share your screen?",
        ),
        (
            "公检法机关不会通过电话、网络办案，也没有所谓“安全账户”。",
            "真正的警察不会要求您转账，更不会要求保密。请挂断电话，拨打110或96110核实。",
        ),
        (
            "Police and prosecutors do not handle cases by phone or online, and there is no 'safe account'.",
            "Real police never ask you to transfer money or to keep it secret. "
            "Hang up and call 110 or 96110.",
        ),
    ),
    "impersonation_soldier": Playbook(
        "impersonation_soldier",
        "冒充军人（边防战士）",
        "Impersonating a soldier or border guard",
        (
            "收款人是您在网上认识的“军人”或“边防战士”吗？您们见过面吗？",
            "对方是否以捐款、探亲路费、部队采购等理由向您要钱？",
        ),
        (
            "Is the payee a 'soldier' or 'border guard' you met online? Have you ever met in person?",
            "Did they ask for money for a donation, travel home, or an army purchase?",
        ),
        (
            "部队不会让官兵向群众募捐，军人也不会以“不能见面”为由长期网上要钱。",
            "这是冒充军人诈骗的常见说法。请先不要转账，我们可以帮您联系家人一起核实。",
        ),
        (
            "The army never has soldiers collect donations from the public, and a soldier who 'cannot meet' "
            "but keeps asking for money is a known script.",
            "Please do not send the money; we can help you check with your family.",
        ),
    ),
    "fake_customer_service": Playbook(
        "fake_customer_service",
        "冒充客服（退款、理赔）",
        "Fake customer service (refund, compensation)",
        (
            "是否有人自称客服，说您的订单异常、要退款或理赔，或会员将自动扣费？",
            "对方是否让您下载会议或远程控制软件、共享屏幕？",
        ),
        (
            "Did someone claiming to be customer service say your order failed, offer a refund or "
            "compensation, or warn of an automatic membership charge?",
            "Did they ask you to install a meeting or remote-control app or to share your screen?",
        ),
        (
            "正规退款原路退回，不需要您先转账，更不需要共享屏幕。",
            "请立即关闭远程软件和屏幕共享，不要告诉对方任何验证码。",
        ),
        (
            "Real refunds go back the way you paid; you never pay first and never share your screen.",
            "Close the remote app and screen sharing now, and never read out a verification code.",
        ),
    ),
    "investment": Playbook(
        "investment",
        "虚假投资理财（杀猪盘）",
        "Investment scam ('pig butchering')",
        (
            "是否有“导师”或网友带您在某个平台投资，说稳赚不赔？",
            "提现时是否被要求先交手续费、保证金或税费？",
        ),
        (
            "Is a 'mentor' or online friend guiding you to invest on a platform that 'never loses'?",
            "Were you asked to pay a fee, deposit or tax before you can withdraw?",
        ),
        (
            "稳赚不赔的投资不存在；提现前要求交钱，是虚假平台的典型手法。",
            "请停止转账，保留聊天记录和平台信息，向96110或公安机关咨询。",
        ),
        (
            "No investment is guaranteed; paying to withdraw is the signature of a fake platform.",
            "Stop paying, keep the chats and platform details, and ask 96110 or the police.",
        ),
    ),
    "romance": Playbook(
        "romance",
        "网络交友诈骗",
        "Romance scam",
        (
            "收款人是您在网上认识、从未见面的恋人或朋友吗？",
            "对方是否突然遇到急事、生病或被扣押，急需用钱？",
        ),
        (
            "Is the payee a partner or friend you met online and have never met in person?",
            "Did they suddenly have an emergency, an illness or a detention and urgently need money?",
        ),
        (
            "从未见面却不断要钱，是网络交友诈骗最常见的信号。",
            "请先不要转账，和家人或朋友商量，并尝试与对方视频核实。",
        ),
        (
            "Someone you have never met who keeps needing money is the most common romance-scam sign.",
            "Please hold off, talk to family or friends, and ask for a live video call first.",
        ),
    ),
    "task_fraud": Playbook(
        "task_fraud",
        "刷单返利",
        "Task scam (paid orders, likes, rebates)",
        (
            "您是在做点赞、刷单或“做任务”赚佣金吗？",
            "是否前几单拿到了小额返利，现在要垫付更大的金额才能提现？",
        ),
        (
            "Are you doing paid likes, orders or 'tasks' for commission?",
            "Did the first tasks pay small rebates, and now you must pay more to withdraw?",
        ),
        ("刷单本身就是违法的，先给小甜头再让您越垫越多，是刷单诈骗的套路。", "请停止垫付，不会有返还。"),
        (
            "Paid-order schemes are illegal, and small early wins followed by ever larger 'tasks' "
            "is the trap.",
            "Stop advancing money; it will not come back.",
        ),
    ),
    "loan_fraud": Playbook(
        "loan_fraud",
        "虚假贷款",
        "Loan scam",
        (
            "您是在申请贷款吗？对方是否要求先交手续费、保证金或“解冻费”？",
            "对方是否说您的账户流水不足或被冻结，需要先转账验证？",
        ),
        (
            "Are you applying for a loan, and were you asked to pay a fee, deposit or 'unfreezing' "
            "charge first?",
            "Did they say your account is frozen or lacks history and you must transfer money to verify?",
        ),
        ("正规贷款在放款前不收取任何费用。", "先交钱才能放款的，都是诈骗。"),
        (
            "Legitimate lenders take no fee before paying out a loan.",
            "A loan that needs money first is a scam.",
        ),
    ),
    "game_trading": Playbook(
        "game_trading",
        "游戏账号、装备交易诈骗",
        "Game account or item trading scam",
        (
            "您是在买卖游戏账号、装备或点券吗？是否在官方交易平台之外？",
            "对方是否要求您先付款，或以“账户冻结”为由让您再交保证金？",
        ),
        (
            "Are you buying or selling a game account, items or credits outside the official marketplace?",
            "Did they ask you to pay first, or to pay a deposit because an account is 'frozen'?",
        ),
        ("游戏交易请使用官方平台；私下交易先付款极易被骗。", "所谓“解冻费”“保证金”都是骗局。"),
        (
            "Use the game's official marketplace; paying first in a private deal is how people lose money.",
            "'Unfreezing fees' and 'deposits' are part of the scam.",
        ),
    ),
}


def playbook(typology: str | None) -> Playbook:
    """The playbook for a typology; the general one when the typology is unknown or absent."""
    if typology is None:
        return _GENERAL
    return PLAYBOOKS.get(typology, _GENERAL)
