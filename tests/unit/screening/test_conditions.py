"""The rule condition language: parsing, type checks, and evaluation without eval."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kefu.screening.conditions import ConditionError, compile_condition
from kefu.screening.features import FEATURE_SCHEMA

SCHEMA = {"a": "bool", "b": "bool", "c": "bool", "n": "int", "s": "str", "tags": "set"}


def run(text: str, **features: object) -> bool:
    return compile_condition(text, SCHEMA).predicate(features)


def test_comparisons_and_literals():
    """Numbers with underscores, strings and booleans compare as written."""
    assert run("n >= 100_000", n=100_000)
    assert not run("n > 100_000", n=100_000)
    assert run("s == 'red_packet' and n != 3", s="red_packet", n=4)
    assert run('s == "x"', s="x")
    assert run("a == true", a=True)


def test_membership_in_lists_and_sets():
    """`in` and `not in` work on literal lists and on set-valued features."""
    assert run("s in ['qr', 'merchant']", s="qr")
    assert run("n not in [1, 2]", n=3)
    assert run("'investment' in tags", tags=frozenset({"investment"}))
    assert not run("'romance' in tags", tags=frozenset())


def test_precedence_not_and_or():
    """`not` binds tighter than `and`, which binds tighter than `or`; parentheses override."""
    assert run("a or b and c", a=True, b=False, c=False)
    assert not run("(a or b) and c", a=True, b=False, c=False)
    assert run("not a and b", a=False, b=True)


def test_reports_features_used():
    """The compiler reports which features a condition reads."""
    assert compile_condition("a and n > 1 or 'x' in tags", SCHEMA).features == {"a", "n", "tags"}


def test_guards_are_necessary_conditions():
    """Guards name the flags and set members a condition cannot be true without; or-branches give none."""
    guards = compile_condition("a and n > 1 and 'x' in tags and n != 3", SCHEMA).guards
    assert guards == (("flag", "a", None), ("atleast", "n", 2), ("member", "tags", "x"))
    assert compile_condition("a or b", SCHEMA).guards == ()
    assert compile_condition("not a", SCHEMA).guards == ()
    assert compile_condition("'x' not in tags", SCHEMA).guards == ()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("unknown_feature", "unknown feature"),
        ("n", "true or false"),
        ("a > 1", "cannot compare"),
        ("s < 'x'", "compares numbers only"),
        ("n and a", "needs true/false"),
        ("a b", "unexpected"),
        ("n > ", "ends too early"),
        ("__import__('os')", "unknown feature"),
        ("n > 1; a", "unexpected character"),
        ("s in ['a', 1]", "mixes"),
        ("(a", "ends too early"),
        ("n in tags", "cannot test"),
        ("a.b", "unexpected character"),
    ],
)
def test_rejects_bad_conditions(text, fragment):
    """Bad conditions fail at compile time with a one-line message; no Python is ever evaluated."""
    with pytest.raises(ConditionError) as info:
        compile_condition(text, SCHEMA)
    assert fragment in str(info.value)
    assert "\n" not in str(info.value)


def formulas():
    """Random boolean formulas over a, b, c as (text, reference function)."""
    leaves = st.sampled_from(["a", "b", "c", "true", "false"]).map(
        lambda name: (name, lambda f, n=name: {"true": True, "false": False}.get(n, f.get(n)))
    )

    def extend(children):
        def combine(op, left, right):
            lt, lf = left
            rt, rf = right
            if op == "and":
                return (f"({lt} and {rt})", lambda f: bool(lf(f)) and bool(rf(f)))
            return (f"({lt} or {rt})", lambda f: bool(lf(f)) or bool(rf(f)))

        negated = children.map(lambda c: (f"not {c[0]}", lambda f, g=c[1]: not g(f)))
        return st.one_of(negated, st.builds(combine, st.sampled_from(["and", "or"]), children, children))

    return st.recursive(leaves, extend, max_leaves=12)


@given(formulas(), st.booleans(), st.booleans(), st.booleans())
def test_boolean_formulas_match_reference(formula, a, b, c):
    """Any and/or/not formula evaluates exactly like the boolean algebra it spells."""
    text, reference = formula
    features = {"a": a, "b": b, "c": c}
    assert run(text, **features) == bool(reference(features))


@given(st.integers(-(10**12), 10**12), st.integers(-(10**12), 10**12))
def test_integer_comparisons_match_python(n, literal):
    """Integer comparisons agree with Python's for any values, including large amounts."""
    for op, expected in (("<", n < literal), ("<=", n <= literal), ("==", n == literal), (">", n > literal)):
        assert run(f"n {op} {literal}", n=n) == expected


def test_every_schema_feature_is_usable():
    """Every feature in the shipped schema can appear in a condition of the right type."""
    for name, kind in FEATURE_SCHEMA.items():
        text = {"bool": name, "int": f"{name} >= 0", "str": f"{name} == 'x'", "set": f"'x' in {name}"}[kind]
        compile_condition(text, FEATURE_SCHEMA)
