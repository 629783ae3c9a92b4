"""Reads from streaming replicas without losing sight of one's own writes.

``monitor`` knows the replicas and how far behind each one is; ``routing`` picks the server
for each request and hands out the consistency tokens. docs/operations.md says how to run it.
"""
