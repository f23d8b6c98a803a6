"""The connector package: the on-disk format (directory or zip), read and written in one place.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
