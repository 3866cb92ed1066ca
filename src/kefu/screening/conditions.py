"""The rule condition language: small, typed, parsed once, evaluated as closures (never ``eval``).

Grammar (keywords are lower case)::

    expr  := and ("or" and)*
    and   := not ("and" not)*
    not   := "not" not | cmp
    cmp   := atom (("==" | "!=" | "<" | "<=" | ">" | ">=" | "in" | "not in") atom)?
    atom  := INT | STRING | "true" | "false" | FEATURE | "(" expr ")" | "[" literal ("," literal)* "]"

Integers may use underscores (``100_000``); there are no floats, because money is integer minor units.
Each feature has a declared type (int, bool, str or set of str) and the parser checks every operator against
them, so a rule that compares a boolean with a number, names an unknown feature or is not a condition at all
fails at load time with one clear line instead of misfiring at screening time.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

Features = Mapping[str, Any]
Predicate = Callable[[Features], bool]
_Getter = Callable[[Features], Any]


class Guard(NamedTuple):
    """A necessary condition cheap to index on; rule sets bucket rules by guard so a payment only evaluates
    the rules whose guard it meets.

    ``flag``: the boolean feature is true; ``member``: the string ``value`` is in the set feature;
    ``atleast``: the integer feature is at least ``value``.
    """

    kind: str
    feature: str
    value: str | int | None = None


class Condition(NamedTuple):
    predicate: Predicate
    features: frozenset[str]
    guards: tuple[Guard, ...]


class ConditionError(ValueError):
    """A condition that does not parse or type-check; the message is one line."""


_TOKEN = re.compile(
    r"\s*(?:(?P<int>-?\d[\d_]*)|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op>==|!=|<=|>=|<|>|\(|\)|\[|\]|,)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*))"
)
_FEATURE_VS_LITERAL: dict[str, Callable[[str, Any], Predicate]] = {
    "==": lambda n, v: lambda f: f[n] == v,
    "!=": lambda n, v: lambda f: f[n] != v,
    "<": lambda n, v: lambda f: f[n] < v,
    "<=": lambda n, v: lambda f: f[n] <= v,
    ">": lambda n, v: lambda f: f[n] > v,
    ">=": lambda n, v: lambda f: f[n] >= v,
}
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


@dataclass(frozen=True, slots=True)
class _Node:
    """A typed sub-expression: its type name and how to compute it from the features."""

    kind: str  # "int", "bool", "str", "set", "list_int", "list_str"
    get: _Getter
    constant: bool = False
    value: Any = None
    feature: str | None = None  # set when the node is a bare feature lookup
    guards: tuple[Guard, ...] = ()


def compile_condition(text: str, schema: Mapping[str, str]) -> Condition:
    """Parse ``text`` against ``schema`` (feature name -> type): the predicate, features used and guards."""
    parser = _Parser(text, schema)
    node = parser.parse()
    if node.kind != "bool":
        raise ConditionError(f"a condition must be true or false, not {node.kind}")
    return Condition(node.get, frozenset(parser.used), node.guards)


class _Parser:
    def __init__(self, text: str, schema: Mapping[str, str]) -> None:
        self.schema = schema
        self.used: set[str] = set()
        self.tokens = self._tokenize(text)
        self.pos = 0

    @staticmethod
    def _tokenize(text: str) -> list[tuple[str, str]]:
        tokens: list[tuple[str, str]] = []
        pos = 0
        text = text.strip()
        if not text:
            raise ConditionError("the condition is empty")
        while pos < len(text):
            match = _TOKEN.match(text, pos)
            if match is None or match.end() == pos:
                raise ConditionError(f"unexpected character {text[pos:].strip()[:1]!r} at position {pos}")
            group = match.lastgroup or "op"
            tokens.append((group, match.group(group)))
            pos = match.end()
            while pos < len(text) and text[pos].isspace():
                pos += 1
        return tokens

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise ConditionError("the condition ends too early")
        self.pos += 1
        return token

    def expect(self, value: str) -> None:
        token = self.take()
        if token[1] != value:
            raise ConditionError(f"expected {value!r} but found {token[1]!r}")

    def at(self, value: str) -> bool:
        token = self.peek()
        return token is not None and token[1] == value and token[0] in {"op", "name"}

    def parse(self) -> _Node:
        node = self.parse_or()
        token = self.peek()
        if token is not None:
            raise ConditionError(f"unexpected {token[1]!r} after a complete condition")
        return node

    def parse_or(self) -> _Node:
        parts = [self.parse_and()]
        while self.at("or"):
            self.take()
            parts.append(self.parse_and())
        return parts[0] if len(parts) == 1 else _any_of([_boolean(p, "or") for p in parts])

    def parse_and(self) -> _Node:
        parts = [self.parse_not()]
        while self.at("and"):
            self.take()
            parts.append(self.parse_not())
        return parts[0] if len(parts) == 1 else _all_of([_boolean(p, "and") for p in parts])

    def parse_not(self) -> _Node:
        if self.at("not"):
            self.take()
            inner = _boolean(self.parse_not(), "not")
            get = inner.get
            return _Node("bool", lambda f: not get(f))
        return self.parse_cmp()

    def parse_cmp(self) -> _Node:
        left = self.parse_atom()
        token = self.peek()
        if token is None:
            return left
        if token[0] == "op" and token[1] in _COMPARE:
            self.take()
            return _compare(token[1], left, self.parse_atom())
        if token[1] == "in" and token[0] == "name":
            self.take()
            return _member(left, self.parse_atom(), negate=False)
        if token[1] == "not" and token[0] == "name":
            self.take()
            self.expect("in")
            return _member(left, self.parse_atom(), negate=True)
        return left

    def parse_atom(self) -> _Node:
        kind, value = self.take()
        if kind == "int":
            number = int(value.replace("_", ""))
            return _Node("int", lambda f: number, constant=True, value=number)
        if kind == "str":
            text = value[1:-1]
            return _Node("str", lambda f: text, constant=True, value=text)
        if value == "(":
            node = self.parse_or()
            self.expect(")")
            return node
        if value == "[":
            return self.parse_list()
        if kind == "name":
            if value in {"true", "false"}:
                flag = value == "true"
                return _Node("bool", lambda f: flag, constant=True, value=flag)
            if value in {"and", "or", "not", "in"}:
                raise ConditionError(f"expected a value but found {value!r}")
            feature_type = self.schema.get(value)
            if feature_type is None:
                raise ConditionError(f"unknown feature {value!r}")
            self.used.add(value)
            guards: tuple[Guard, ...] = (Guard("flag", value),) if feature_type == "bool" else ()
            return _Node(feature_type, operator.itemgetter(value), feature=value, guards=guards)
        raise ConditionError(f"expected a value but found {value!r}")

    def parse_list(self) -> _Node:
        items: list[_Node] = []
        while True:
            item = self.parse_atom()
            if not item.constant or item.kind not in {"int", "str"}:
                raise ConditionError("a list holds only number or string literals")
            items.append(item)
            if self.at("]"):
                self.take()
                break
            self.expect(",")
        kinds = {i.kind for i in items}
        if len(kinds) != 1:
            raise ConditionError("a list mixes numbers and strings")
        values = frozenset(i.value for i in items)
        return _Node(f"list_{kinds.pop()}", lambda f: values, constant=True, value=values)


def _boolean(node: _Node, op: str) -> _Node:
    if node.kind != "bool":
        raise ConditionError(f"'{op}' needs true/false operands, not {node.kind}")
    return node


def _all_of(parts: list[_Node]) -> _Node:
    getters = tuple(p.get for p in parts)
    guards = tuple(g for p in parts for g in p.guards)  # every conjunct's guard must hold
    if len(getters) == 2:
        a, b = getters
        return _Node("bool", lambda f: a(f) and b(f), guards=guards)

    def every(f: Features) -> bool:
        for get in getters:
            if not get(f):
                return False
        return True

    return _Node("bool", every, guards=guards)


def _any_of(parts: list[_Node]) -> _Node:
    getters = tuple(p.get for p in parts)
    if len(getters) == 2:
        a, b = getters
        return _Node("bool", lambda f: a(f) or b(f))

    def some(f: Features) -> bool:
        for get in getters:
            if get(f):
                return True
        return False

    return _Node("bool", some)


def _compare(op: str, left: _Node, right: _Node) -> _Node:
    if left.kind != right.kind or left.kind not in {"int", "str", "bool"}:
        raise ConditionError(f"cannot compare {left.kind} {op} {right.kind}")
    if op not in {"==", "!="} and left.kind != "int":
        raise ConditionError(f"'{op}' compares numbers only, not {left.kind}")
    # Specialise the common "feature OP literal" shape: one dict lookup and one comparison, no calls.
    if right.constant and left.feature is not None:
        guards: tuple[Guard, ...] = ()
        if left.kind == "int" and op in {">=", ">"}:
            guards = (Guard("atleast", left.feature, right.value + (op == ">")),)
        return _Node("bool", _FEATURE_VS_LITERAL[op](left.feature, right.value), guards=guards)
    fn = _COMPARE[op]
    lget, rget = left.get, right.get
    return _Node("bool", lambda f: fn(lget(f), rget(f)))


def _member(left: _Node, right: _Node, *, negate: bool) -> _Node:
    allowed = {("str", "set"), ("str", "list_str"), ("int", "list_int")}
    if (left.kind, right.kind) not in allowed:
        raise ConditionError(f"cannot test {left.kind} 'in' {right.kind}")
    if left.constant and right.feature is not None:
        literal, name = left.value, right.feature
        if negate:
            return _Node("bool", lambda f: literal not in f[name])
        return _Node("bool", lambda f: literal in f[name], guards=(Guard("member", name, literal),))
    if right.constant and left.feature is not None:
        name, values = left.feature, right.value
        if negate:
            return _Node("bool", lambda f: f[name] not in values)
        return _Node("bool", lambda f: f[name] in values)
    lget, rget = left.get, right.get
    if negate:
        return _Node("bool", lambda f: lget(f) not in rget(f))
    return _Node("bool", lambda f: lget(f) in rget(f))
