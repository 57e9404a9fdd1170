"""The invite tree as plain data: nodes from membership rows, subtree sizes and counts. No Django imports."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

ACTIVE = "active"
REMOVED = "removed"


@dataclass
class TreeNode:
    id: int
    sponsor_id: int | None
    display_name: str
    joined_at: datetime
    status: str
    depth: int
    children: list[TreeNode] = field(default_factory=list)
    # Counted over the node and everyone below it.
    size: int = 0
    active: int = 0
    removed: int = 0


def build_tree(nodes: Iterable[TreeNode]) -> TreeNode | None:
    """Link the nodes under their sponsors and count every subtree; returns the origin (no sponsor).

    Children keep the order of `nodes` (give them in join order). A node whose sponsor is missing is
    dropped along with its subtree (it cannot happen for a circle's full membership list)."""
    by_id = {n.id: n for n in nodes}
    root: TreeNode | None = None
    for node in by_id.values():
        node.children = []
        node.size, node.active, node.removed = 1, int(node.status == ACTIVE), int(node.status == REMOVED)
    for node in by_id.values():
        if node.sponsor_id is None:
            root = node
        elif node.sponsor_id in by_id:
            by_id[node.sponsor_id].children.append(node)
    # Deepest first, so each node's counts are complete before they are added to its sponsor.
    for node in sorted(by_id.values(), key=lambda n: n.depth, reverse=True):
        parent = by_id.get(node.sponsor_id) if node.sponsor_id is not None else None
        if parent is not None:
            parent.size += node.size
            parent.active += node.active
            parent.removed += node.removed
    return root


def walk(root: TreeNode) -> Iterator[TreeNode]:
    """Pre-order: each node before its children."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))
