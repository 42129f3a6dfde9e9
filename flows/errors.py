"""Errors a node raises while it executes; the run fails with their message."""


class NodeError(Exception):
    """A node failed; the run fails with this message (naming the node)."""
