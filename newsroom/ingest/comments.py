"""Comments carried by an export (WXR), written after their articles.

Works with what the comments app registers in ``registry.comment_import``
(its ``Comment`` model and its recount); without it the importer imports the
articles and counts the comments it had to leave.
"""

from __future__ import annotations

from newsroom.core.registry import CommentImport, comment_import

from .models import ImportedComment
from .records import Comment, Record

STATUS_NAMES = {
    "approved": "APPROVED",
    "pending": "PENDING",
    "removed": "REMOVED",
    "spam": "SPAM",
}


class CommentWriter:
    def __init__(self, target: CommentImport) -> None:
        self.model = target.model
        self.recount = target.recount

    @classmethod
    def if_available(cls) -> CommentWriter | None:
        target = comment_import.get("comments")
        return cls(target) if target is not None else None

    def status_value(self, name: str) -> str:
        choices = self.model.Status
        return getattr(choices, STATUS_NAMES[name])

    def write(self, placed: list[tuple[Record, int]]) -> int:
        """Create the comments not imported before; returns how many."""
        with_comments = [(r, pk) for r, pk in placed if r.comments]
        if not with_comments:
            return 0
        keys = [(r.source, c.source_id) for r, _ in with_comments for c in r.comments]
        known = {
            (s, sid): cid
            for s, sid, cid in ImportedComment.objects.filter(
                source__in={s for s, _ in keys}, source_id__in=[k for _, k in keys]
            ).values_list("source", "source_id", "comment_id")
        }
        created = 0
        touched = set()
        for record, article_id in with_comments:
            for c in parents_first(sorted(record.comments, key=_order)):
                key = (record.source, c.source_id)
                if key in known:
                    continue
                parent_id = known.get((record.source, c.parent_source_id))
                fields = {
                    "article_id": article_id,
                    "name": c.name[:80],
                    "email": c.email,
                    "body": c.body,
                    "status": self.status_value(c.status),
                }
                if c.created_at is not None:
                    fields["created_at"] = c.created_at
                if parent_id is not None:
                    fields["parent_id"] = parent_id
                # save() (not bulk_create) so the comments app renders and
                # hashes the body its own way.
                comment = self.model.objects.create(**fields)
                ImportedComment.objects.create(
                    source=key[0], source_id=key[1], comment_id=comment.pk
                )
                known[key] = comment.pk
                created += 1
                touched.add(article_id)
        if touched:
            self.recount(touched)
        return created


def parents_first(comments: list[Comment]) -> list[Comment]:
    """``comments`` with each one after the one it replies to, so a reply
    finds its parent's new id: by their ids, a text id sorted before the
    number it replied to, and a merged export may number a reply before its
    parent. Otherwise in the order given. A hand-made circle of replies is
    broken: one of its comments comes first, and is written with no parent.
    Each comment is walked past once, however long the chains."""
    by_id: dict[str, Comment] = {}
    for c in comments:
        by_id.setdefault(c.source_id, c)
    out: list[Comment] = []
    placed: set[int] = set()  # id() of each: an export may repeat an id
    for c in comments:
        chain: list[Comment] = []
        on_chain: set[int] = set()
        node: Comment | None = c
        while node is not None and id(node) not in placed and id(node) not in on_chain:
            chain.append(node)
            on_chain.add(id(node))
            node = by_id.get(node.parent_source_id) if node.parent_source_id else None
        for link in reversed(chain):
            out.append(link)
            placed.add(id(link))
    return out


def _order(comment) -> tuple[int, str]:
    try:
        return (int(comment.source_id), "")
    except ValueError:
        return (0, comment.source_id)
