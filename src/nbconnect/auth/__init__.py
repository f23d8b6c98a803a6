"""Auth flows (``httpx2.Auth`` per auth type), OAuth2 grants, secret references and redaction.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
