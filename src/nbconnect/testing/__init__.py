"""Testing endpoints: test values, request building, judging responses, running, reports, cassettes.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
