"""A module's published revisions: listing them, comparing two, and bringing an old text back.

Restoring never rewrites history: it publishes the old text again as a new revision, so what trainees
read stays a straight line of revisions, each with its author.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from lms.accounts.models import User
from lms.audit.services import record_event
from lms.courses.models import Module, ModuleDraft, ModuleRevision
from lms.courses.revisions import course_links, publish_revision, published_revision
from lms.extensions import db
from lms.site.formatting import format_moment

CONTEXT_LINES = 3  # unchanged lines shown around each change; longer runs fold into a "gap"


def module_revisions(module: Module) -> list[ModuleRevision]:
    """Newest first, each with its author loaded."""
    return list(db.session.scalars(select(ModuleRevision).options(joinedload(ModuleRevision.author))
                                   .where(ModuleRevision.module_id == module.id)
                                   .order_by(ModuleRevision.number.desc())))


def find_revision(module: Module, number: int) -> ModuleRevision | None:
    return db.session.scalar(select(ModuleRevision).where(ModuleRevision.module_id == module.id,
                                                          ModuleRevision.number == number))


def module_draft(module: Module) -> ModuleDraft | None:
    return db.session.scalar(select(ModuleDraft).options(joinedload(ModuleDraft.updated_by))
                             .where(ModuleDraft.module_id == module.id))


# --- the diff ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool  # within a changed line: the words that differ


@dataclass(frozen=True)
class DiffLine:
    """One line of the comparison. kind: "same", "removed", "added", or "gap" (unchanged lines folded away,
    `skipped` of them)."""
    kind: str
    segments: list[Segment] = field(default_factory=list)
    old_number: int | None = None
    new_number: int | None = None
    skipped: int = 0


_WORD = re.compile(r"\s+|\w+|[^\w\s]")
# Below this similarity two lines are different sentences: marking words inside them would be noise.
_PAIR_RATIO = 0.5


def _words(line: str) -> list[str]:
    return _WORD.findall(line)


def _word_segments(old: str, new: str) -> tuple[list[Segment], list[Segment]] | None:
    old_words, new_words = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    if matcher.ratio() < _PAIR_RATIO:
        return None
    old_parts: list[Segment] = []
    new_parts: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if i2 > i1:
            old_parts.append(Segment("".join(old_words[i1:i2]), tag != "equal"))
        if j2 > j1:
            new_parts.append(Segment("".join(new_words[j1:j2]), tag != "equal"))
    return _merged(old_parts), _merged(new_parts)


def _merged(parts: list[Segment]) -> list[Segment]:
    """Neighbouring segments of the same kind as one, so the page has few <ins>/<del> elements; a lone
    space between two changed words counts as changed, so "đột xuất" reads as one change, not two."""
    parts = [Segment(part.text, True) if not part.changed and not part.text.strip() and 0 < n < len(parts) - 1
             and parts[n - 1].changed and parts[n + 1].changed else part for n, part in enumerate(parts)]
    merged: list[Segment] = []
    for part in parts:
        if merged and merged[-1].changed == part.changed:
            merged[-1] = Segment(merged[-1].text + part.text, part.changed)
        else:
            merged.append(part)
    return merged


def _replaced(old_lines: list[str], new_lines: list[str], i1: int, j1: int) -> list[DiffLine]:
    """A block of changed lines: the removed ones, then the added ones; a removed line and the added line
    in the same place that still read alike have the words that differ marked inside them."""
    def whole(line: str) -> list[Segment]:
        return [Segment(line, True)] if line else []

    removed = [DiffLine("removed", whole(line), old_number=i1 + n + 1) for n, line in enumerate(old_lines)]
    added = [DiffLine("added", whole(line), new_number=j1 + n + 1) for n, line in enumerate(new_lines)]
    for n in range(min(len(old_lines), len(new_lines))):
        pair = _word_segments(old_lines[n], new_lines[n])
        if pair is not None:
            removed[n] = DiffLine("removed", pair[0], old_number=removed[n].old_number)
            added[n] = DiffLine("added", pair[1], new_number=added[n].new_number)
    return removed + added


def diff_lines(old: str, new: str, context: int = CONTEXT_LINES) -> list[DiffLine]:
    """The lines of `new` compared with `old` (Markdown sources): changes with a few lines of context
    around them. An empty list means the two texts are the same."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    result: list[DiffLine] = []
    shown_to = 0  # the old line number up to which the result accounts for the text
    for group in matcher.get_grouped_opcodes(context):
        first = group[0][1]
        if first > shown_to:
            result.append(DiffLine("gap", skipped=first - shown_to))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                result.extend(DiffLine("same", [Segment(old_lines[i1 + n], False)], old_number=i1 + n + 1,
                                       new_number=j1 + n + 1) for n in range(i2 - i1))
            elif tag == "delete":
                result.extend(_replaced(old_lines[i1:i2], [], i1, j1))
            elif tag == "insert":
                result.extend(_replaced([], new_lines[j1:j2], i1, j1))
            else:
                result.extend(_replaced(old_lines[i1:i2], new_lines[j1:j2], i1, j1))
        shown_to = group[-1][2]
    if result and shown_to < len(old_lines):
        result.append(DiffLine("gap", skipped=len(old_lines) - shown_to))
    return result


# --- restoring ----------------------------------------------------------------------------------------------

class RestoreRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def restore_revision(module: Module, revision: ModuleRevision, *, actor: User) -> ModuleRevision | None:
    """Publish the old revision's text (and title) again as the module's newest revision.

    None when trainees already read exactly that text. Refused while a draft exists: the draft was
    started from the current text, and publishing under it would leave its author editing a text that
    is no longer the one trainees read.
    """
    latest = published_revision(module)
    title = revision.title if revision.title is not None else module.title
    if latest is None or latest.number == revision.number or (
            latest.source_markdown == revision.source_markdown and (latest.title or module.title) == title):
        return None
    draft = module_draft(module)
    if draft is not None:
        who = draft.updated_by.full_name if draft.updated_by else _("someone")
        raise RestoreRefused(_("%(name)s has unpublished changes to this module (saved %(when)s). Publish or "
                               "discard that draft before restoring an old revision: nothing was changed.",
                               name=who, when=format_moment(draft.updated_at)))
    before = {"revision": latest.number, "title": latest.title or module.title}
    module.title = title
    restored = publish_revision(module, source=revision.source_markdown, links=course_links(module.course),
                                author=actor, note=_("Restored revision %(number)d", number=revision.number),
                                restored_from=revision.number)
    db.session.flush()
    record_event(actor, "module.restore", "module", module.id, summary=f"{module.course.title}: {title}",
                 before=before, after={"revision": restored.number, "title": title,
                                       "restored_from": revision.number})
    db.session.commit()
    return restored

