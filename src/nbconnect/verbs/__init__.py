"""Every verb once (arguments, help, and what it does to a workspace); the CLI and the magics
are generated from this table.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
