"""URL rules whose URL builders are compiled when first used, not when the app is built.

Werkzeug compiles two URL-building functions for every rule as it is added (it writes
Python source with ``ast`` and compiles it). With about 180 rules that was nine tenths of
``create_app``: 140-160 ms, paid by every gunicorn worker as it starts and by every test,
whereas a worker builds URLs for a few dozen of those rules at most. Matching a request to a
rule is unaffected. Built from the same rule, the lazy builder gives the same function
Werkzeug would have compiled up front (Werkzeug is pinned in requirements.txt; this relies
on its ``Rule._compile_builder``).
"""
from __future__ import annotations

from werkzeug.routing import Rule


class LazyBuilderRule(Rule):
    def _compile_builder(self, append_unknown: bool = True):
        compile_now = super()._compile_builder
        compiled = None

        # Werkzeug binds what this returns to the rule (``__get__``), so it takes the rule first.
        def build(rule, *args, **kwargs):
            nonlocal compiled
            if compiled is None:  # two threads at once compile the same function twice: harmless
                compiled = compile_now(append_unknown)
            return compiled(rule, *args, **kwargs)

        return build
