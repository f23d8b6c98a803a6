"""JSON pointers and local ``$ref`` resolution (RFC 6901; OAS Reference Object), cycle safe.

Part of the OpenAPI toolkit :mod:`nbconnect.spec.oas` (import names from there).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple
from urllib.parse import unquote

# --------------------------------------------------------------------------- JSON pointers

#: Returned by :func:`get_at` / :meth:`Resolver.at` when a pointer leads nowhere.
MISSING: Any = type("Missing", (), {"__repr__": lambda self: "MISSING",
                                    "__bool__": lambda self: False})()

#: A ``$ref`` chain longer than this is treated as a loop (problem ``"cycle"``).
MAX_REF_HOPS = 64


def escape_token(token: str) -> str:
    """One reference token escaped for a JSON pointer: ``~`` -> ``~0``, ``/`` -> ``~1``
    (RFC 6901 §3; OAS 3.0.3 §4.6.1 / 3.1 §4.7.1 "Relative References in URIs": paths
    inside ``#/paths/...`` are escaped this way, e.g. ``#/paths/~1pets~1{id}``)."""
    return token.replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """The inverse of :func:`escape_token`: ``~1`` -> ``/`` then ``~0`` -> ``~`` (RFC 6901 §4)."""
    return token.replace("~1", "/").replace("~0", "~")


def parse_pointer(pointer: str) -> list[str] | None:
    """The unescaped reference tokens of a JSON pointer string, or None if it is not one.

    RFC 6901 §3-§4: ``""`` is the whole document (``[]``); otherwise the pointer starts
    with ``/`` and each ``/``-separated token is unescaped. No percent-decoding happens here
    (that belongs to URI fragments: use :func:`ref_tokens` for a ``$ref``).
    """
    if pointer == "":
        return []
    if not pointer.startswith("/"):
        return None
    return [unescape_token(t) for t in pointer[1:].split("/")]


def join_pointer(tokens: Sequence[str]) -> str:
    """The JSON pointer string of ``tokens`` (each escaped, RFC 6901 §3); ``[]`` -> ``""``."""
    return "".join("/" + escape_token(str(t)) for t in tokens)


def ref_tokens(ref: str) -> list[str] | None:
    """The JSON-pointer tokens of a **local** reference such as ``"#/components/schemas/Pet"``.

    OAS 3.0.3 §4.7.26 / 3.1 §4.8.23 (Reference Object) and RFC 3986: a ``$ref`` is a URI;
    a local one is a fragment only (starts with ``#``). RFC 6901 §6: the fragment is
    percent-decoded, then read as a JSON pointer. Returns ``[]`` for ``"#"`` (the whole
    document) and None when ``ref`` is not local or its fragment is not a JSON pointer
    (for example a plain-name anchor ``"#Pet"``).
    """
    if not ref.startswith("#"):
        return None
    return parse_pointer(unquote(ref[1:]))


def get_at(doc: Any, tokens: Sequence[str]) -> Any:
    """The value at ``tokens`` inside ``doc`` (RFC 6901 §4 evaluation), or :data:`MISSING`.

    A token indexes a mapping by key or a list by a decimal index; anything that does not
    exist yields :data:`MISSING` (never an exception).
    """
    node = doc
    for tok in tokens:
        if isinstance(node, dict):
            if tok not in node:
                return MISSING
            node = node[tok]
        elif isinstance(node, list):
            if not tok.isdigit() or int(tok) >= len(node):
                return MISSING
            node = node[int(tok)]
        else:
            return MISSING
    return node


class Resolved(NamedTuple):
    """What :meth:`Resolver.deref` found.

    ``value`` is the object at the end of the ``$ref`` chain, or ``{}`` (an empty schema)
    when the chain is broken; ``chain`` holds the token lists of each reference target
    followed, in order (empty when the object had no ``$ref``); ``problem`` is None or why
    the chain broke (see :meth:`Resolver.chain`); ``start`` is the pointer given to
    :meth:`Resolver.deref`.
    """

    value: Any
    chain: tuple[tuple[str, ...], ...]
    problem: str | None
    start: str

    @property
    def pointer(self) -> str:
        """JSON pointer of ``value``: the last reference target, or ``start``."""
        return join_pointer(self.chain[-1]) if self.chain else self.start

    @property
    def pointers(self) -> list[str]:
        """JSON pointers of every reference target followed, in order."""
        return [join_pointer(t) for t in self.chain]

    @property
    def component(self) -> str | None:
        """Name of the last ``#/components/<kind>/<name>`` followed, or None."""
        for tokens in reversed(self.chain):
            if len(tokens) >= 3 and tokens[0] == "components":
                return tokens[2]
        return None


_EMPTY_CHAIN: tuple[tuple[str, ...], ...] = ()


class Resolver:
    """Local ``$ref`` resolution over one document, cycle safe and memoised.

    OAS 3.0.3 §4.7.26 / 3.1 §4.8.23 (Reference Object): an object ``{"$ref": URI}`` stands
    for the object the URI points to; OAS 3.1 allows sibling keywords in Schema Objects,
    which :meth:`deref` ignores (like 3.0, where siblings SHALL be ignored). nbconnect
    resolves **local** references only (``#/...``, RFC 6901 pointers): a remote or file
    reference is never fetched. Use one Resolver per document; call :meth:`forget` after
    changing the document.
    """

    __slots__ = ("_memo", "doc")

    def __init__(self, doc: Any) -> None:
        self.doc = doc
        self._memo: dict[str, tuple[tuple[tuple[str, ...], ...], str | None, Any]] = {}

    def forget(self) -> None:
        """Drop memoised chains (after the document was changed)."""
        self._memo.clear()

    def at(self, pointer: str) -> Any:
        """The value at JSON pointer ``pointer`` (``""`` is the document), or :data:`MISSING`."""
        tokens = parse_pointer(pointer)
        return MISSING if tokens is None else get_at(self.doc, tokens)

    def _walk(self, ref: str) -> tuple[tuple[tuple[str, ...], ...], str | None, Any]:
        hit = self._memo.get(ref)
        if hit is not None:
            return hit
        chain: list[tuple[str, ...]] = []
        seen: set[str] = set()
        current = ref
        problem: str | None = None
        target: Any = MISSING
        while True:
            if not current.startswith("#"):
                problem = "remote"
                break
            if current in seen or len(chain) >= MAX_REF_HOPS:
                problem = "cycle"
                break
            seen.add(current)
            tokens = ref_tokens(current)
            if tokens is None:
                problem = "pointer"
                break
            if not tokens:
                problem = "root"
                break
            found = get_at(self.doc, tokens)
            if found is MISSING:
                problem = "missing"
                break
            chain.append(tuple(tokens))
            target = found
            nxt = found.get("$ref") if isinstance(found, dict) else None
            if not isinstance(nxt, str):
                break
            current = nxt
        result = (tuple(chain), problem, target)
        self._memo[ref] = result
        return result

    def chain(self, ref: str) -> tuple[list[list[str]], str | None]:
        """Follow the ``$ref`` chain that starts at ``ref``: ``(target token lists, problem)``.

        ``problem`` is None when the chain ends at a real object, else ``"remote"`` (a
        reference that is not local: the chain stops before it, its holder is the last
        entry), ``"pointer"`` (a fragment that is not a JSON pointer), ``"root"`` (a
        reference to the whole document, ``"#"``), ``"missing"`` (nothing at the pointer)
        or ``"cycle"`` (the chain comes back to a reference it passed, or is longer than
        :data:`MAX_REF_HOPS`).
        """
        chain, problem, _ = self._walk(ref)
        return [list(t) for t in chain], problem

    def deref(self, obj: Any, pointer: str = "") -> Resolved:
        """Follow ``obj``'s ``$ref`` chain to the object it stands for.

        ``obj`` without a string ``$ref`` comes back as is (``chain`` empty). Otherwise the
        chain is followed (see :meth:`chain`); when it breaks, ``value`` is ``{}`` (an empty
        schema, which accepts anything) and ``problem`` says why. ``pointer`` is ``obj``'s
        own JSON pointer, returned as :attr:`Resolved.pointer` when nothing is followed.
        """
        if not isinstance(obj, dict):
            return Resolved(obj, _EMPTY_CHAIN, None, pointer)
        ref = obj.get("$ref")
        if not isinstance(ref, str):
            return Resolved(obj, _EMPTY_CHAIN, None, pointer)
        chain, problem, target = self._walk(ref)
        if problem is not None:
            return Resolved({}, chain, problem, pointer)
        return Resolved(target, chain, None, pointer)
