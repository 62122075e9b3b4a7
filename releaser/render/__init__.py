"""Every text releaser prints or writes: one module per result type (check, compat, diff,
release, report, rollout, changelog), each with its terminal text, Markdown, HTML and JSON.

Upstream text is sanitized for its target (`sanitize`); credentials are redacted once, where
the finished text leaves this package (`output`).
"""
