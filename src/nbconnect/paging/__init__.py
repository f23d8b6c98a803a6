"""Paging: the rule types (``rules``), detecting a list endpoint's rule (``detect``) and
following every page with guaranteed termination (``follow``).

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
