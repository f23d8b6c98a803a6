"""Read and parse spec documents safely: file, https URL, text or bytes -> plain data.

The one job of this module is to turn an untrusted source into a JSON-like Python value
(dicts, lists, str, int, float, bool, None) or raise a one-sentence
:mod:`nbconnect.errors` exception:

* **Reading** (:func:`read_source`): a file's size is checked with ``stat`` before it is
  read; a URL is fetched with httpx2, streaming, with the size cap enforced while the
  body arrives and a total deadline; only ``https`` (``http`` only to loopback hosts),
  no HTML pages, no error statuses; redirects are followed by hand so every hop obeys
  the same rule.
* **Decoding** (:func:`decode_text`): strict UTF-8 (a BOM is fine); a bad byte is named
  by its offset.
* **Parsing** (:func:`parse_text`): JSON first when the text looks like JSON (duplicate
  keys refused); YAML only otherwise, with :class:`SpecYamlLoader` (the C loader when
  available): duplicate keys refused with their line, only the core YAML tags allowed
  (``!!python/...`` and friends refused), YAML 1.2 scalars (``yes``/``no``/``on``/
  ``off`` stay strings, ``0777`` is 777, dates stay strings), mapping keys always
  strings (``200:`` gives ``"200"``), an alias-bomb guard (expanded node count, counted
  once per shared object so it is linear) and a nesting-depth bound.

Heavy modules (yaml, httpx2) are imported inside the functions that need them.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .. import limits
from ..errors import SpecParseError, SpecSourceError, SpecTooLargeError, clip
from ..model.urls import is_loopback_host, redact_userinfo

__all__ = [
    "LoadedSpec",
    "SpecSource",
    "check_expansion",
    "decode_text",
    "load_document",
    "parse_text",
    "read_source",
]

_MAX_REDIRECTS = 5


@dataclass(frozen=True)
class SpecSource:
    """Raw bytes of a spec and where they came from.

    ``origin`` names the source in messages (a path, a URL without credentials, or
    ``"the spec text"``); ``url`` is the final URL when the spec came from the network
    (used to resolve relative server URLs), else ``None``.
    """

    data: bytes | str
    origin: str
    url: str | None = None


@dataclass(frozen=True)
class LoadedSpec:
    """A parsed document with its origin, format (``"json"``/``"yaml"``) and source URL."""

    document: Any
    origin: str
    format: str
    url: str | None = None


def _fmt_size(n: int) -> str:
    for unit, size in (("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10)):
        if n >= size:
            return f"{n / size:.1f} {unit}".replace(".0 ", " ")
    return f"{n} bytes"


def _too_large(origin: str, size: int | None, cap: int) -> SpecTooLargeError:
    what = f"is {_fmt_size(size)}" if size is not None else "is larger than that"
    return SpecTooLargeError(
        f"The spec {origin} {what}, over the size cap of {_fmt_size(cap)}; raise the cap "
        "(max_bytes=..., --max-bytes, %config NbConnect.max_spec_bytes) if you trust it.")


def _looks_like_url(text: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.\-]*://", text) is not None


def read_source(source: Any, *, max_bytes: int | None = None, timeout: float | None = None,
                verify: Any = True) -> SpecSource:
    """Read ``source`` (path, ``http(s)://`` URL, spec text or bytes) within the size cap.

    A ``str`` is a URL if it starts with ``scheme://``, spec text if it contains a line
    break or starts with ``{``/``[``, and a file path otherwise.
    """
    cap = limits.MAX_SPEC_BYTES if max_bytes is None else int(max_bytes)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > cap:
            raise _too_large("text", len(data), cap)
        return SpecSource(data, "text")
    if isinstance(source, str):
        stripped = source.strip()
        if not stripped:
            raise SpecSourceError("The spec is empty; give a file path, an https URL or the "
                                  "spec text.")
        if "\n" not in stripped and _looks_like_url(stripped):
            return _read_url(stripped, cap=cap, timeout=timeout, verify=verify)
        if "\n" in stripped or stripped[0] in "{[" or len(stripped) > 4096:
            if len(source) > cap or (len(source) * 4 > cap and len(source.encode()) > cap):
                raise _too_large("text", len(source.encode("utf-8", "replace")), cap)
            return SpecSource(source, "text")
        path = Path(stripped).expanduser()
        if not path.exists() and not re.search(r"[/\\]|\.(ya?ml|json)$", stripped, re.I):
            return SpecSource(source, "text")  # one line of text, not a path
        return _read_file(path, cap)
    if isinstance(source, os.PathLike):
        return _read_file(Path(os.fspath(source)).expanduser(), cap)
    raise SpecSourceError(f"Cannot read a spec from a {type(source).__name__}; give a file "
                          "path, an https URL, or the spec as str or bytes.")


def _read_file(path: Path, cap: int) -> SpecSource:
    origin = str(path)
    try:
        st = path.stat()
    except FileNotFoundError:
        raise SpecSourceError(f"There is no file {origin}; check the path (or give an "
                              "https URL or the spec text).") from None
    except OSError as exc:
        raise SpecSourceError(f"Cannot read {origin} ({exc.strerror or exc}); check the path "
                              "and its permissions.") from None
    import stat as stat_mod

    if stat_mod.S_ISDIR(st.st_mode):
        raise SpecSourceError(f"{origin} is a directory; give the spec file inside it.")
    if st.st_size > cap:
        raise _too_large(origin, st.st_size, cap)
    try:
        with path.open("rb") as fh:
            data = fh.read(cap + 1)
    except OSError as exc:
        raise SpecSourceError(f"Cannot read {origin} ({exc.strerror or exc}); check the "
                              "file and its permissions.") from None
    if len(data) > cap:  # the file grew after stat
        raise _too_large(origin, None, cap)
    return SpecSource(data, origin)


def _check_fetch_url(url: str) -> str:
    """Return the URL shown in messages; raise if the URL may not be fetched."""
    shown = redact_userinfo(url)
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        raise SpecSourceError(f"The spec URL {shown!r} is not a valid URL; check it.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise SpecSourceError(f"The spec URL {shown!r} uses {scheme}:, which nbconnect does "
                              "not fetch; download the file and import its path, or use an "
                              "https URL.")
    if not host:
        raise SpecSourceError(f"The spec URL {shown!r} has no host; give a full https URL.")
    if scheme == "http" and not is_loopback_host(host):
        raise SpecSourceError(f"The spec URL {shown!r} uses plain http to {host}, which is not "
                              "a loopback host; use https (http is allowed only for "
                              "127.0.0.1, ::1 and localhost).")
    return shown


def _read_url(url: str, *, cap: int, timeout: float | None, verify: Any) -> SpecSource:
    import httpx2

    limit = limits.SPEC_URL_TIMEOUT if timeout is None else float(timeout)
    shown = _check_fetch_url(url)
    deadline = time.monotonic() + limit
    try:
        with httpx2.Client(verify=verify, timeout=httpx2.Timeout(limit),
                           follow_redirects=False, trust_env=False,
                           headers={"Accept": "application/json, application/yaml, "
                                              "text/yaml, */*;q=0.5"}) as client:
            for _ in range(_MAX_REDIRECTS + 1):
                with client.stream("GET", url) as resp:
                    if resp.is_redirect and resp.headers.get("location"):
                        url = str(resp.url.join(resp.headers["location"]))
                        shown = _check_fetch_url(url)
                        continue
                    return _read_response(resp, url, shown, cap, deadline, limit)
            raise SpecSourceError(f"The spec URL {shown} redirects more than "
                                  f"{_MAX_REDIRECTS} times; give the final URL.")
    except httpx2.TimeoutException:
        raise SpecSourceError(f"The spec URL {shown} did not answer within {limit:g} s; try "
                              "again, raise the timeout, or download the file and import "
                              "its path.") from None
    except httpx2.ConnectError as exc:
        host = urlsplit(url).hostname
        text = str(exc)
        if "CERTIFICATE" in text.upper() or "SSL" in text.upper():
            raise SpecSourceError(f"The TLS certificate of {host} could not be verified "
                                  f"({clip(text)}); fix the server's certificate or pass "
                                  "verify= a CA bundle.") from None
        raise SpecSourceError(f"Could not connect to {host} to fetch the spec "
                              f"({clip(text)}); check the URL and your network.") from None
    except httpx2.HTTPError as exc:
        raise SpecSourceError(f"Fetching the spec URL {shown} failed ({type(exc).__name__}: "
                              f"{clip(str(exc))}); check the URL and try again.") from None




def _read_response(resp: Any, url: str, shown: str, cap: int, deadline: float,
                   limit: float) -> SpecSource:
    if resp.status_code == 404:
        raise SpecSourceError(f"The spec URL {shown} was not found (HTTP 404); check the URL.")
    if resp.status_code >= 400 or resp.status_code < 200:
        raise SpecSourceError(f"The spec URL {shown} answered HTTP {resp.status_code} "
                              f"{resp.reason_phrase}; check the URL and your access to it.")
    if resp.status_code >= 300:
        raise SpecSourceError(f"The spec URL {shown} answered HTTP {resp.status_code} without "
                              "a usable redirect; give the final URL.")
    ctype = resp.headers.get("content-type", "").lower()
    if "html" in ctype:
        raise SpecSourceError(f"The spec URL {shown} returned an HTML page, not a spec; link "
                              "to the raw JSON or YAML file instead.")
    length = resp.headers.get("content-length")
    if length and length.isdigit() and int(length) > cap:
        raise _too_large(shown, int(length), cap)
    chunks: list[bytes] = []
    size = 0
    for chunk in resp.iter_raw():
        size += len(chunk)
        if size > cap:
            raise _too_large(shown, None, cap)
        chunks.append(chunk)
        if time.monotonic() > deadline:
            raise SpecSourceError(f"The spec URL {shown} did not finish within {limit:g} s; "
                                  "try again, raise the timeout, or download the file and "
                                  "import its path.")
    data = b"".join(chunks)
    encoding = resp.headers.get("content-encoding", "").lower().strip()
    if encoding and encoding != "identity":
        data = _decompress(data, encoding, shown, cap)
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html")):
        raise SpecSourceError(f"The spec URL {shown} returned an HTML page, not a spec; link "
                              "to the raw JSON or YAML file instead.")
    return SpecSource(data, shown, url)


def _decompress(data: bytes, encoding: str, shown: str, cap: int) -> bytes:
    """Undo gzip/deflate with the size cap applied to the output (no zip bombs)."""
    import zlib

    if encoding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        wbits = zlib.MAX_WBITS
    else:
        raise SpecSourceError(f"The spec URL {shown} sent content-encoding {encoding!r}, "
                              "which nbconnect does not decode; download the file and import "
                              "its path.")
    dec = zlib.decompressobj(wbits)
    try:
        out = dec.decompress(data, cap + 1)
    except zlib.error:
        raise SpecSourceError(f"The spec URL {shown} sent a corrupt {encoding} body; try "
                              "again or download the file.") from None
    if len(out) > cap or dec.unconsumed_tail:
        raise _too_large(shown, None, cap)
    return out


# --------------------------------------------------------------------------- decoding


def decode_text(data: bytes | str, origin: str = "text") -> str:
    """Decode strict UTF-8 (a leading BOM is dropped); raise SpecParseError on bad bytes."""
    if isinstance(data, str):
        return data[1:] if data.startswith("\ufeff") else data
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SpecParseError(f"The spec {origin} is UTF-16 encoded; save it as UTF-8.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecParseError(f"The spec {origin} is not valid UTF-8 (byte offset {exc.start}: "
                             f"{data[exc.start:exc.start + 1]!r}); save it as UTF-8.") from None
    return text[1:] if text.startswith("\ufeff") else text


# --------------------------------------------------------------------------- JSON


class _DuplicateKey(Exception):
    def __init__(self, key: str) -> None:
        self.key = key


def _pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set[str] = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateKey(k)
            seen.add(k)
    return d


def _duplicate_line(text: str, key: str) -> int | None:
    """Best-effort line of the second occurrence of ``"key":`` in JSON text."""
    pattern = re.compile(re.escape(json.dumps(key)) + r"\s*:")
    hits = [m.start() for m in pattern.finditer(text)]
    return text.count("\n", 0, hits[1]) + 1 if len(hits) > 1 else None


def _parse_json(text: str, origin: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_pairs_hook)
    except _DuplicateKey as dup:
        line = _duplicate_line(text, dup.key)
        where = f" (line {line})" if line else ""
        raise SpecParseError(f"The spec {origin} has the key {dup.key!r} twice in one JSON "
                             f"object{where}; keep one.") from None
    except RecursionError:
        raise SpecParseError(f"The spec {origin} is nested too deeply to be a real spec; "
                             f"the limit is {limits.MAX_NESTING_DEPTH} levels.") from None


# --------------------------------------------------------------------------- YAML

_LOADER_CLASS: Any = None


def _yaml_loader() -> Any:
    """Build (once) the safe YAML loader class: see :class:`SpecYamlLoader` docs above."""
    global _LOADER_CLASS
    if _LOADER_CLASS is not None:
        return _LOADER_CLASS
    import yaml
    from yaml.constructor import ConstructorError
    from yaml.nodes import MappingNode, ScalarNode

    base = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader

    class SpecYamlLoader(base):  # type: ignore[misc, valid-type]
        """SafeLoader with YAML 1.2 scalars, string keys and no duplicate keys."""

        yaml_constructors = {
            tag: fn for tag, fn in base.yaml_constructors.items()
            if tag in ("tag:yaml.org,2002:null", "tag:yaml.org,2002:bool",
                       "tag:yaml.org,2002:int", "tag:yaml.org,2002:float",
                       "tag:yaml.org,2002:str", "tag:yaml.org,2002:seq",
                       "tag:yaml.org,2002:map")
        }
        yaml_implicit_resolvers: dict[str, list[Any]] = {}

        def construct_undefined(self, node: Any) -> Any:
            raise ConstructorError(None, None, f"the tag {node.tag!r} is not allowed in a "
                                   "spec", node.start_mark)

        def construct_yaml_int(self, node: Any) -> int:
            value = self.construct_scalar(node)
            sign = -1 if value.startswith("-") else 1
            digits = value.lstrip("+-")
            if digits.startswith("0o"):
                return sign * int(digits[2:], 8)
            if digits.startswith("0x"):
                return sign * int(digits[2:], 16)
            return sign * int(digits, 10)

        def construct_yaml_bool(self, node: Any) -> bool:
            return self.construct_scalar(node).lower() == "true"

        def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
            if not isinstance(node, MappingNode):
                raise ConstructorError(None, None, "expected a mapping", node.start_mark)
            own = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            self.flatten_mapping(node)
            merged = len(node.value) - own
            mapping: dict[Any, Any] = {}
            seen: set[Any] = set()
            for i, (key_node, value_node) in enumerate(node.value):
                key = self.construct_object(key_node, deep=deep)
                if not isinstance(key, str):
                    if isinstance(key_node, ScalarNode):
                        key = key_node.value
                    else:
                        raise ConstructorError(
                            "while constructing a mapping", node.start_mark,
                            "a mapping key must be a plain string", key_node.start_mark)
                if i >= merged:
                    if key in seen:
                        raise _YamlDuplicateKey(key, key_node.start_mark.line + 1)
                    seen.add(key)
                mapping[key] = self.construct_object(value_node, deep=deep)
            return mapping

    SpecYamlLoader.add_constructor(None, SpecYamlLoader.construct_undefined)
    SpecYamlLoader.add_constructor("tag:yaml.org,2002:int", SpecYamlLoader.construct_yaml_int)
    SpecYamlLoader.add_constructor("tag:yaml.org,2002:bool", SpecYamlLoader.construct_yaml_bool)
    # YAML 1.2 core schema resolvers.
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
        list("tTfF"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
        list("-+0123456789"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:float",
        re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                   r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
        list("-+.0123456789"))
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])
    SpecYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:merge", re.compile(r"^(?:<<)$"), ["<"])
    _LOADER_CLASS = SpecYamlLoader
    return SpecYamlLoader


class _YamlDuplicateKey(Exception):
    def __init__(self, key: str, line: int) -> None:
        self.key = key
        self.line = line


def _parse_yaml(text: str, origin: str) -> Any:
    import yaml

    loader_cls = _yaml_loader()
    try:
        loader = loader_cls(text)
        try:
            doc = loader.get_single_data()
        finally:
            loader.dispose()
    except _YamlDuplicateKey as dup:
        raise SpecParseError(f"The spec {origin} has the key {dup.key!r} twice in one YAML "
                             f"mapping (line {dup.line}); keep one.") from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else None
        where = f" (line {line})" if line else ""
        problem = exc.problem or ""
        if "not allowed" in problem:
            raise SpecParseError(f"The spec {origin} uses {problem.split(' is not')[0]}{where}, "
                                 "which is not allowed in a spec (no !!python/... or custom "
                                 "tags); remove the tag.") from None
        raise SpecParseError(f"The spec {origin} is not a plain YAML document{where} "
                             f"({clip(problem)}); fix it.") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        if "nesting depth" in str(problem):
            raise SpecParseError(f"The spec {origin} is nested too deeply{where}; the limit is "
                                 f"{limits.MAX_NESTING_DEPTH} levels.") from None
        raise SpecParseError(f"The spec {origin} is neither JSON nor YAML: the YAML parser "
                             f"stopped{where} ({clip(problem)}).") from None
    except RecursionError:
        raise SpecParseError(f"The spec {origin} is nested too deeply to be a real spec; the "
                             f"limit is {limits.MAX_NESTING_DEPTH} levels.") from None
    check_expansion(doc, origin)
    return doc


def check_expansion(doc: Any, origin: str = "text", *, max_nodes: int | None = None,
                    max_depth: int | None = None) -> int:
    """Count the nodes ``doc`` expands to (shared objects counted per reference).

    Shared sub-objects (YAML aliases) are counted once per reference but visited once,
    with memoisation by object id, so the walk is linear in the distinct objects even
    for a "billion laughs" document. Raises :class:`SpecParseError` over ``max_nodes``
    (alias bomb), over ``max_depth`` levels, or on a self-containing structure. Returns
    the expanded node count.
    """
    max_nodes = limits.MAX_YAML_NODES if max_nodes is None else max_nodes
    max_depth = limits.MAX_NESTING_DEPTH if max_depth is None else max_depth
    if not isinstance(doc, dict | list):
        return 1
    memo: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, height)
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(doc, False)]
    while stack:
        obj, done = stack.pop()
        oid = id(obj)
        if done:
            children = obj.values() if isinstance(obj, dict) else obj
            count, height = 1, 1
            for child in children:
                if isinstance(child, dict | list):
                    c, h = memo[id(child)]
                    count += c
                    if h + 1 > height:
                        height = h + 1
                else:
                    count += 1
            active.discard(oid)
            if count > max_nodes:
                raise SpecParseError(
                    f"The spec {origin} expands to more than {max_nodes:,} nodes through "
                    "YAML aliases (an alias bomb); remove the repeated aliases.")
            if height > max_depth:
                raise SpecParseError(f"The spec {origin} is nested more than {max_depth} "
                                     "levels deep; that is not a real spec.")
            memo[oid] = (count, height)
            continue
        if oid in memo:
            continue
        active.add(oid)
        stack.append((obj, True))
        children = obj.values() if isinstance(obj, dict) else obj
        for child in children:
            if isinstance(child, dict | list):
                cid = id(child)
                if cid in active:
                    raise SpecParseError(f"The spec {origin} contains itself through a YAML "
                                         "alias (an anchor used inside its own value); "
                                         "remove that alias.")
                if cid not in memo:
                    stack.append((child, False))
        if len(active) > max_depth:
            raise SpecParseError(f"The spec {origin} is nested more than {max_depth} levels "
                                 "deep; that is not a real spec.")
    return memo[id(doc)][0]


# --------------------------------------------------------------------------- parse


def parse_text(text: str, origin: str = "text") -> tuple[Any, str]:
    """Parse spec text: JSON when it looks like JSON, else YAML. Returns (document, format).

    The document must be a mapping; anything else is a SpecParseError.
    """
    body = text.lstrip()
    if not body:
        raise SpecParseError(f"The spec {origin} is empty; give an OpenAPI 3.0/3.1 document.")
    if body[0] == "<":
        raise SpecParseError(f"The spec {origin} is HTML or XML, not JSON or YAML; give the "
                             "raw OpenAPI document.")
    fmt = "yaml"
    if body[0] in "{[":
        try:
            doc = _parse_json(text, origin)
            fmt = "json"
        except json.JSONDecodeError as exc:
            # Text that fails JSON at its very first token ({openapi: 3.0.3}) may be a
            # YAML flow mapping; text that fails later is broken JSON.
            lead = len(text) - len(body)
            first_token = lead + 1 + len(body[1:]) - len(body[1:].lstrip())
            try:
                if exc.pos > first_token:
                    raise SpecParseError("broken JSON")
                doc = _parse_yaml(text, origin)
            except SpecParseError:
                raise SpecParseError(
                    f"The spec {origin} is not valid JSON: {exc.msg} at line {exc.lineno}, "
                    f"column {exc.colno}.") from None
    else:
        doc = _parse_yaml(text, origin)
    if not isinstance(doc, dict):
        kind = "plain text" if isinstance(doc, str | int | float | bool) or doc is None \
            else "a list"
        raise SpecParseError(f"The spec {origin} is {kind}, not a JSON or YAML mapping; give "
                             "an OpenAPI 3.0/3.1 document.")
    return doc, fmt


def load_document(source: Any, *, max_bytes: int | None = None, timeout: float | None = None,
                  verify: Any = True) -> LoadedSpec:
    """Read, decode and parse ``source`` into a :class:`LoadedSpec`."""
    src = read_source(source, max_bytes=max_bytes, timeout=timeout, verify=verify)
    origin = src.origin if src.origin != "text" else "text"
    text = decode_text(src.data, origin)
    doc, fmt = parse_text(text, origin)
    return LoadedSpec(doc, origin, fmt, src.url)
