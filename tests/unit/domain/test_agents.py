"""Agent skill and capacity validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.domain.agents import check_capacity, check_skills
from kefu.domain.errors import InvalidInput
from kefu.domain.vocabulary import known_skills

KNOWN = known_skills(("social", "payments", "games"))


def test_known_skills_are_lines_plus_special_skills() -> None:
    """Skills are the business lines plus anti_fraud, elderly_care and the language skills."""
    assert KNOWN == {"social", "payments", "games", "anti_fraud", "elderly_care", "lang_zh", "lang_en"}


@given(st.dictionaries(st.sampled_from(sorted(KNOWN)), st.integers(-3, 9)))
def test_levels_outside_one_to_five_are_refused(skills: dict[str, int]) -> None:
    """check_skills accepts exactly the maps whose levels all lie in 1..5."""
    ok = all(1 <= v <= 5 for v in skills.values())
    if ok:
        assert check_skills(skills, KNOWN) == skills
    else:
        with pytest.raises(InvalidInput):
            check_skills(skills, KNOWN)


def test_unknown_skill_names_are_refused_with_the_field() -> None:
    """The error names the offending skill."""
    with pytest.raises(InvalidInput) as err:
        check_skills({"cooking": 3}, KNOWN)
    assert err.value.fields["field"] == "skills.cooking"


@pytest.mark.parametrize("capacity", [{"fax": 1}, {"chat": -1}, {"voice": 21}])
def test_bad_capacity_is_refused(capacity: dict[str, int]) -> None:
    """Capacity is per known channel, between 0 and 20."""
    with pytest.raises(InvalidInput):
        check_capacity(capacity)
