"""Every limit nbconnect enforces, in one place.

Faces expose the adjustable ones as settings (``%config NbConnect.max_spec_bytes``,
``nbconnect import --max-bytes``); the core functions take them as arguments whose
defaults are these values.
"""

from __future__ import annotations

#: Endpoints one OpenAPI import may bring in (after tag/include/exclude selection).
MAX_IMPORTED_ENDPOINTS = 150
#: Endpoints that may be added by hand.
MAX_MANUAL_ENDPOINTS = 50
#: Endpoints a connector may hold in all.
MAX_ENDPOINTS = MAX_IMPORTED_ENDPOINTS

#: Size cap of a spec file, URL body or text, in bytes (Microsoft Graph's spec is 47 MB).
MAX_SPEC_BYTES = 100 * 1024 * 1024
#: Nodes a YAML document may expand to once aliases are followed (alias-bomb guard).
MAX_YAML_NODES = 10_000_000
#: Nesting depth of a spec document.
MAX_NESTING_DEPTH = 200
#: Depth of a parameter tree made from a schema (deeper levels are cut, with a warning).
MAX_PARAM_DEPTH = 24
#: Seconds to wait for a spec URL.
SPEC_URL_TIMEOUT = 30.0
#: Validator errors listed under a strict-mode refusal.
MAX_ERRORS_SHOWN = 5
#: Length of a connector or endpoint name.
MAX_NAME_LENGTH = 200
#: Size cap of one file read from a connector package (manifest, openapi.json).
MAX_PACKAGE_FILE_BYTES = MAX_SPEC_BYTES
#: Response bodies kept per endpoint for ``pull`` (the oldest go first).
MAX_PULL_SAMPLES = 20
#: Size cap of one response body kept or read for ``pull``, in bytes.
MAX_PULL_SAMPLE_BYTES = 1_000_000
#: Bytes of samples kept per endpoint in all (the oldest go first; the newest is always kept).
MAX_PULL_STORED_BYTES = 2_000_000
#: Size cap of a JSON file given to ``pull`` (``--sample``), in bytes.
MAX_PULL_FILE_BYTES = 64 * 1024 * 1024
#: Nesting depth a pulled response tree keeps (deeper levels are cut, and the result says so).
MAX_PULL_DEPTH = 32
#: Length of an example shown for a pulled field (longer text is shortened).
MAX_PULL_EXAMPLE_CHARS = 40
#: Seconds a linked parameter's dynamic list is kept before its linked endpoint is called again.
LINK_OPTIONS_TTL = 300.0
#: Seconds a remote MCP server has to answer the connection and handshake (and each call).
MCP_TIMEOUT = 20.0
#: Seconds to wait for the user to approve an MCP server's OAuth authorization.
MCP_AUTH_TIMEOUT = 120.0
#: Pages one paging follow fetches when no bound is given (``call --all-pages``).
DEFAULT_MAX_PAGES = 100
#: The largest max-pages bound a paging follow accepts.
MAX_PAGES = 10_000
#: Bytes of one page body a paging follow reads at most (a larger page stops it: ``error``).
MAX_PAGE_BYTES = 10 * 1024 * 1024
#: Bytes of all page bodies of one paging follow read at most.
MAX_PAGING_TOTAL_BYTES = 200 * 1024 * 1024
#: Seconds one paging follow may take in all when no limit is given (then: ``time-limit``).
DEFAULT_PAGING_TOTAL_TIMEOUT = 600.0
#: Bytes of one incoming webhook delivery's body the receiver accepts (more: 413, refused
#: before anything is hashed or stored; ``webhook serve --max-body``).
MAX_WEBHOOK_BODY_BYTES = 1_000_000
