"""Lists whose cost does not grow with the table.

A page runs two bounded queries: its rows (one more than the page holds, to know whether
another follows) and a count that stops at COUNT_CAP; past it the pager says "more than
10,000" instead of counting a million rows on every click. Page numbers stop where the
cap does, so OFFSET never walks further than COUNT_CAP rows either: a longer list is
narrowed by its filter (or, for the audit trail, followed by sequence number).
"""

from __future__ import annotations

from dataclasses import dataclass
from math import ceil

from flask import abort
from sqlalchemy import Select, func, literal, select

from qms.extensions import db

COUNT_CAP = 10_000


@dataclass
class BoundedPage:
    items: list
    page: int
    per_page: int
    total: int  # exact up to COUNT_CAP
    more: bool  # more rows than COUNT_CAP match

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int:
        return self.page + 1


def bounded_count(query: Select, cap: int | None = None) -> int:
    """How many rows `query` matches, counting no further than cap + 1."""
    cap = cap or COUNT_CAP
    # A constant instead of the rows' columns: the database may count from the smallest
    # index that answers the WHERE instead of reading every row (and its joined eager loads).
    only_rows = query.with_only_columns(literal(1), maintain_column_froms=True)
    limited = only_rows.order_by(None).limit(cap + 1).subquery()
    return db.session.scalar(select(func.count()).select_from(limited))


def bounded_page(query: Select, page: int, per_page: int) -> BoundedPage:
    """One page of `query` (which carries its own ORDER BY); 404 past the last page that
    can be shown."""
    cap = COUNT_CAP
    counted = bounded_count(query, cap)
    total = min(counted, cap)
    if page > 1 and (page - 1) * per_page >= total:
        abort(404)
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique().all()
    return BoundedPage(items, page, per_page, total, counted > cap)


def bounded_counts_by(column, values) -> dict[str, tuple[int, bool]]:
    """{value: (count up to cap, more than cap?)} for each value of an indexed column: one
    small query per value, each stopping at the cap, instead of a GROUP BY over the table."""
    counts, cap = {}, COUNT_CAP
    for value in values:
        counted = bounded_count(select(column).where(column == value), cap)
        counts[value] = (min(counted, cap), counted > cap)
    return counts


@dataclass
class TrailPage:
    """A page of a list followed by sequence number (keyset): newest first, `older` and
    `newer` are the bounds to ask for next (None at either end)."""

    items: list
    older: int | None
    newer: int | None
    total: int
    more: bool


def keyset_page(query: Select, seq_column, *, before=None, after=None, per_page=50) -> TrailPage:
    """`query` newest first, the rows below `before` or just above `after`: each page is an
    index range scan, whatever its depth in the trail."""
    base = query.order_by(None)
    if after is not None:
        rows = db.session.scalars(
            base.where(seq_column > after).order_by(seq_column.asc()).limit(per_page + 1)
        ).all()
        newer_exists, rows = len(rows) > per_page, rows[:per_page][::-1]
        older_exists = bool(rows)
    else:
        if before is not None:
            base = base.where(seq_column < before)
        rows = db.session.scalars(base.order_by(seq_column.desc()).limit(per_page + 1)).all()
        older_exists, rows = len(rows) > per_page, rows[:per_page]
        newer_exists = before is not None and bool(rows)
    if newer_exists and after is None and rows:
        newer_exists = _exists(query, seq_column > rows[0].seq)
    if older_exists and after is not None and rows:
        older_exists = _exists(query, seq_column < rows[-1].seq)
    counted = bounded_count(query)
    return TrailPage(
        rows,
        rows[-1].seq if older_exists and rows else None,
        rows[0].seq if newer_exists and rows else None,
        min(counted, COUNT_CAP),
        counted > COUNT_CAP,
    )


def _exists(query: Select, condition) -> bool:
    return (
        db.session.scalar(
            select(func.count()).select_from(
                query.order_by(None).where(condition).limit(1).subquery()
            )
        )
        > 0
    )
