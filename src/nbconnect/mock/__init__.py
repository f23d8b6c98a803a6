"""The mock API: an ASGI app built from a spec, a connector or a package, served on loopback.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
