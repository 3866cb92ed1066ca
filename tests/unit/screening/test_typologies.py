"""Playbooks (劝阻话术) for every typology, in Chinese and English."""

from __future__ import annotations

from kefu.screening import PLAYBOOKS, TYPOLOGIES, playbook


def test_every_typology_has_a_bilingual_playbook():
    """Each typology has questions to ask and points to explain, the same number in zh and en."""
    assert set(PLAYBOOKS) == set(TYPOLOGIES)
    for typology in TYPOLOGIES:
        book = playbook(typology)
        assert book.typology == typology
        assert book.title_zh and book.title_en
        assert book.ask_zh and len(book.ask_zh) == len(book.ask_en)
        assert book.explain_zh and len(book.explain_zh) == len(book.explain_en)


def test_unknown_or_missing_typology_gets_the_general_playbook():
    """A case without a typology still gives the specialist something to say."""
    assert playbook(None).typology is None
    assert playbook("lottery").typology is None
    assert playbook(None).to_dict()["ask"]["zh"]
