"""Exports of a connector to other tools' formats (Postman collection v2.1, ...).

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
