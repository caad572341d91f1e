"""Finding people: search by name (with or without Vietnamese diacritics), username or email, and filter
by unit (with its sub-units), role and status, all inside the database so 20,000 accounts stay fast."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import Select

from lms.accounts.models import OrgUnit, Role, User
from lms.accounts.services import unit_subtree_ids
from lms.accounts.text_search import contains_folded, fold, folded, name_order  # noqa: F401 - folded for others
from lms.extensions import db


@dataclass(frozen=True)
class PeopleFilter:
    text: str = ""
    unit_id: int | None = None
    role: str = ""
    status: str = ""


def _filtered(query: Select, criteria: PeopleFilter, *, with_status: bool = True) -> Select:
    for word in fold(criteria.text).split():
        query = query.where(or_(contains_folded(User.full_name, word),
                                func.lower(User.username).contains(word, autoescape=True),
                                func.lower(User.email).contains(word, autoescape=True),
                                contains_folded(User.position, word)))
    if criteria.unit_id:
        query = query.where(User.org_unit_id.in_(unit_subtree_ids(criteria.unit_id)))
    if criteria.role in {r.value for r in Role}:
        query = query.where(User.role == Role(criteria.role))
    if with_status and criteria.status == "active":
        query = query.where(User.active.is_(True))
    elif with_status and criteria.status == "deactivated":
        query = query.where(User.active.is_(False))
    return query


def people_query(criteria: PeopleFilter) -> Select:
    """The matching accounts in alphabetical order (Đặng next to Dương, not after Zô), units loaded in one go."""
    return (_filtered(select(User), criteria).options(selectinload(User.org_unit))
            .order_by(*name_order(User.full_name), User.id))


def status_counts(criteria: PeopleFilter) -> dict[str, int]:
    """How many match the other filters in each status: one GROUP BY, for the status tabs."""
    rows = db.session.execute(_filtered(select(User.active, func.count(User.id)), criteria, with_status=False)
                              .group_by(User.active)).all()
    counts = {"active": 0, "deactivated": 0}
    for active, count in rows:
        counts["active" if active else "deactivated"] += count
    counts["all"] = counts["active"] + counts["deactivated"]
    return counts


def unit_member_counts() -> dict[int, tuple[int, int]]:
    """Per unit: active people in it directly, and with everything under it (one GROUP BY, summed up the tree)."""
    direct = dict(db.session.execute(select(User.org_unit_id, func.count(User.id))
                                     .where(User.active.is_(True), User.org_unit_id.is_not(None))
                                     .group_by(User.org_unit_id)).all())
    parent_of = dict(db.session.execute(select(OrgUnit.id, OrgUnit.parent_id)).all())
    totals = dict.fromkeys(parent_of, 0)
    for unit_id, count in direct.items():
        seen, node = set(), unit_id
        while node is not None and node not in seen:  # a guard against a cycle, which the services refuse
            seen.add(node)
            totals[node] = totals.get(node, 0) + count
            node = parent_of.get(node)
    return {unit_id: (direct.get(unit_id, 0), totals[unit_id]) for unit_id in parent_of}
