"""Reading OpenAPI 3.0/3.1 documents safely, importing them into the model, writing OAS 3.1, and
the shared OpenAPI toolkit (methods, pointers and $refs, servers, media types, security schemes).

The modules, one job each:

- ``oas/`` the OpenAPI toolkit: what the specification says, once (used by the importer and
  the mock): ``refs`` (JSON pointers, local ``$ref``s), ``document`` (version, operations,
  parameters, servers, responses), ``media``, ``security``.
- ``reading`` :func:`load_document`, over ``sources`` (bytes from a file, URL or text within
  the size cap) and ``parsing`` (strict UTF-8, JSON, hardened YAML).
- ``importer`` :func:`import_spec`, :class:`ImportResult` and the import pipeline, whose
  steps are ``context`` (one import's state), ``operations`` (listing, path checks, ids),
  ``selection`` (tags/include/exclude and the endpoint limit), ``reduce`` (the reduced
  document, ``$ref`` safety), ``validation`` (openapi-spec-validator, cached), ``params``
  (schemas -> parameter trees -> Endpoint) and ``suggest`` (base URL and auth).
- ``writer`` Connector -> OpenAPI 3.1.

This package's ``__init__`` imports nothing, so importing one module does not load the others.
"""
