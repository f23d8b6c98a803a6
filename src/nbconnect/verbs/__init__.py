"""Every verb once (arguments, help, and what it does to a workspace); the CLI and the magics
are generated from this table.

``table`` (the Verb/Arg types, the registry, parsing for both faces, "did you mean"),
``workspace`` (what a verb runs on), ``help`` (the help verb and texts), ``grammar`` (the shared
words: the auth and connection grammar, option values), and one module per verb family:
``spec`` (new, import, base-url), ``auth``, ``connection``, ``endpoint`` (endpoint, endpoints),
``test`` (test, test-values), ``mock``, ``package`` (export, load, show, validate).
A new verb is a ``Verb`` registered in its family's module.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
