"""The mock API: an ASGI app built from a spec, a connector or a package, served on loopback.

This package's ``__init__`` imports nothing, so importing one module does not load the others.

The modules, each with one job: :mod:`.source` (what is mocked, read as one OpenAPI
document), :mod:`.validation` (schema validators by pointer), :mod:`.patterns` and :mod:`.values`
(deterministic values from schemas), :mod:`.routes` (operations as routes),
:mod:`.security` and :mod:`.tokens` (credential checks, the OAuth2 token endpoint),
:mod:`.params` (parameter checks), :mod:`.api` (the spec turned into routes, checks and canned
responses), :mod:`.app` (the starlette app, ``mock_app``) and :mod:`.server` (``MockServer``
and ``serve`` on :mod:`nbconnect.serving`). What OpenAPI itself says (methods, pointers and
``$ref``s, servers, media types, success codes, security schemes) comes from the shared toolkit
:mod:`nbconnect.spec.oas`; the mock keeps only its own policy.
"""
