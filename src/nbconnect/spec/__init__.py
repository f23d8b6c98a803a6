"""Reading OpenAPI 3.0/3.1 documents safely, importing them into the model, writing OAS 3.1, and
the shared OpenAPI toolkit (methods, pointers and $refs, servers, media types, security schemes).

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
