"""A subset of Stripe's search query language, for `GET /v1/.../search`.

Supported: exact matches `field:'value'` and `metadata['key']:'value'`, the
negation `-field:'value'`, and clauses joined by all `AND` or all `OR`, which
Stripe does not let a query mix. Other syntax (`~`, `>`, `null`) is rejected
with an error that names the query, so a test never silently matches less.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from .errors import InvalidRequestError

JSON = dict[str, Any]

_CLAUSE = re.compile(
    r"""^(?P<negate>-)?
    (?P<field>[a-z_]+|metadata\[(?P<quote>['"])(?P<key>[^'"]+)(?P=quote)\])
    :(?P<value>'[^']*'|"[^"]*"|[0-9]+)$""",
    re.VERBOSE,
)


@dataclass(frozen=True)
class Clause:
    """One `field:'value'` term of a search query."""

    field: str
    metadata_key: str | None
    value: str
    negate: bool

    def matches(self, obj: JSON) -> bool:
        """Return whether an object satisfies the clause."""
        if self.metadata_key is not None:
            actual: Any = obj.get("metadata", {}).get(self.metadata_key)
        else:
            actual = obj.get(self.field)
        equal = actual is not None and str(actual).lower() == self.value.lower()
        return equal != self.negate


def parse_query(query: str, fields: Iterable[str]) -> Callable[[JSON], bool]:
    """Parse a search query into a predicate over objects.

    `fields` are the top-level fields that the resource lets a query name.
    """
    allowed = set(fields)
    words = query.split()
    joiners = {word for word in words if word in ("AND", "OR")}
    if len(joiners) > 1:
        raise _invalid(query, "a query cannot mix AND and OR")
    joiner = joiners.pop() if joiners else "AND"
    terms = [term.strip() for term in re.split(rf"\s+{joiner}\s+", query.strip())]

    clauses = [_parse_clause(term, allowed, query) for term in terms]
    if joiner == "AND":
        return lambda obj: all(clause.matches(obj) for clause in clauses)
    return lambda obj: any(clause.matches(obj) for clause in clauses)


def _parse_clause(term: str, allowed: set[str], query: str) -> Clause:
    match = _CLAUSE.match(term)
    if match is None:
        raise _invalid(query, f"unsupported clause {term!r}")
    field = "metadata" if match.group("key") else match.group("field")
    if field not in allowed:
        raise _invalid(query, f"field {field!r} cannot be searched")
    value = match.group("value").strip("'\"")
    return Clause(field, match.group("key"), value, bool(match.group("negate")))


def _invalid(query: str, reason: str) -> InvalidRequestError:
    return InvalidRequestError(
        f"Invalid search query {query!r}: {reason}. The simulator supports "
        "field:'value', metadata['key']:'value' and -field:'value' joined by AND "
        "or by OR.",
        param="query",
    )
