"""decide_self_service: care first, then the customer's wish for a person, then the answer's confidence."""

from __future__ import annotations

from kefu.care import Hit, care_plan, decide_self_service

CONFIDENT = [Hit("kb-refund-zh", 3.0, 1.0)]
YOUNG = care_plan(30, vulnerable=False)
ELDERLY = care_plan(72, vulnerable=False)


def test_confident_answer_for_a_younger_customer() -> None:
    """A younger customer's simple question is answered by the knowledge base."""
    decision = decide_self_service(YOUNG, "我想退款", CONFIDENT)
    assert decision.answer and decision.article_id == "kb-refund-zh"


def test_elderly_customer_always_goes_to_a_human() -> None:
    """An elderly customer is never answered by a bot, however confident the match."""
    decision = decide_self_service(ELDERLY, "我想退款", CONFIDENT)
    assert not decision.answer and decision.reason == "care"


def test_asking_for_a_human_wins_over_a_confident_answer() -> None:
    """ "转人工" reaches a human even when the knowledge base has a confident answer."""
    decision = decide_self_service(YOUNG, "退款，转人工", CONFIDENT)
    assert not decision.answer and decision.reason == "human_requested"


def test_unsure_answer_goes_to_a_human() -> None:
    """Without a confident match the conversation goes to a human rather than a guess."""
    decision = decide_self_service(YOUNG, "my parcel never arrived", [Hit("a", 1.0, 0.3)])
    assert not decision.answer and decision.reason == "not_confident"


def test_voice_is_never_self_served() -> None:
    """A caller on the phone or a callback reaches a person, however confident the article."""
    for channel in ("voice", "callback"):
        decision = decide_self_service(YOUNG, "我想退款", CONFIDENT, channel)
        assert not decision.answer and decision.reason == "not_chat"
