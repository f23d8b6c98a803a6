"""The connector package: export a connector to a directory or ``.zip``, load it back.

A package is the truth of a connector (``load(export(c)) == c``). Layout::

    connector.yaml   the manifest: ``format: nbconnect/1`` then Connector.to_dict();
                     validated on load by schema/connector.schema.json (shipped in the wheel)
    openapi.json     OAS 3.1 of the connector's endpoints (derived: oaswriter.to_openapi)
    tests/           reserved for later parts (endpoint tests)
    cassettes/       reserved (recorded responses)
    webhooks/        reserved (webhook definitions)

Export is byte-for-byte deterministic: the same connector gives the same bytes (fixed
key order, fixed YAML/JSON options, no timestamps; zip entries sorted, dated
1980-01-01, mode 0644). It writes atomically: everything is rendered in memory first,
a new package is built in a temporary sibling and renamed into place, an existing one
gets each file through a temporary file and ``os.replace`` (``openapi.json`` first,
the manifest last; files already replaced are restored if a later step fails), so a
failed export leaves the old package as it was. Files a user
added to a package directory (or entries of a package zip) are kept. Export refuses to
write into a non-empty directory that is not a package, and refuses a connection
secret that is not a reference (``env:NAME``, ``keyring:NAME``, ``prompt``): secret
values are never written.

:func:`load` reads a directory or zip (zip-slip entries, oversize files, bad YAML and
schema violations raise :class:`~nbconnect.errors.PackageError`); :func:`validate`
also checks ``openapi.json`` (valid OAS 3.1 and equal to what the manifest gives).
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from .. import limits
from ..auth.secrets import SECRET_REF_RE, Secret, is_reference
from ..errors import NbConnectError, PackageError, clip, json_path
from ..model import Connection, Connector, Endpoint, auth_from_dict

__all__ = [
    "FORMAT",
    "MANIFEST",
    "OPENAPI",
    "RESERVED_DIRS",
    "SECRET_REF_RE",
    "check_secret_reference",
    "dump_manifest",
    "export",
    "load",
    "manifest_schema",
    "save_report",
    "validate",
]

FORMAT = "nbconnect/1"
MANIFEST = "connector.yaml"
OPENAPI = "openapi.json"
RESERVED_DIRS = ("tests", "cassettes", "webhooks")

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_FILE_MODE = 0o644
_DIR_MODE = 0o755


# --------------------------------------------------------------------------- helpers




def check_secret_reference(value: object) -> bool:
    """True if ``value`` is a secret reference (``env:NAME``, ``keyring:NAME``, ``prompt``)."""
    return is_reference(value)


def _check_secrets(connections: Any, where: str) -> None:
    """Refuse connection secrets that are not references: literal strings in a manifest
    and in-memory :class:`~nbconnect.auth.secrets.Secret` values on export. The message names
    the connection and the field, never the value."""
    if not isinstance(connections, list | tuple):
        return
    for i, conn in enumerate(connections):
        if isinstance(conn, Connection):
            name, secrets = conn.name, dict(conn.secrets)
        elif isinstance(conn, Mapping) and isinstance(conn.get("secrets"), Mapping):
            name, secrets = conn.get("name"), conn["secrets"]
        else:
            continue
        for field, value in secrets.items():
            if not is_reference(value):
                kind = "an in-memory Secret" if isinstance(value, Secret) else "a literal value"
                raise PackageError(
                    f"{where}: connection {name!r} holds {kind} for secret "
                    f"{field!r} at {json_path(['connections', i, 'secrets', field])}, and "
                    "secret values are never written; use a reference such as "
                    f"env:{re.sub(r'[^A-Za-z0-9]', '_', str(field)).upper()}, keyring:NAME "
                    "or prompt.")


def _plain(value: Any, path: list[Any]) -> Any:
    """``value`` as plain JSON data (tuples become lists); raise on anything else."""
    if value is None or isinstance(value, bool):
        return value if type(value) is bool or value is None else bool(value)
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PackageError(f"The connector holds text that is not valid Unicode (a lone "
                               f"surrogate) at {json_path(path)}; fix that text.") from None
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PackageError(f"The connector holds the number {value!r} at "
                               f"{json_path(path)}, which JSON and YAML packages cannot "
                               "carry portably; use a finite number or a string.")
        return float(value)
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise PackageError(f"The connector has a non-string key {k!r} at "
                                   f"{json_path(path)}; use string keys only.")
            out[k] = _plain(v, [*path, k])
        return out
    if isinstance(value, list | tuple):
        return [_plain(v, [*path, i]) for i, v in enumerate(value)]
    raise PackageError(f"The connector holds a {type(value).__name__} at {json_path(path)}, "
                       "which is not plain data; use strings, numbers, booleans, lists or "
                       "mappings.")


def _yaml_dumper() -> Any:
    import yaml

    base = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

    class Dumper(base):  # type: ignore[misc, valid-type]
        def ignore_aliases(self, data: Any) -> bool:
            return True

    def str_presenter(dumper: Any, data: str) -> Any:
        style = "|" if "\n" in data else None
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Dumper.add_representer(str, str_presenter)
    return Dumper


def dump_manifest(connector: Connector) -> bytes:
    """The bytes of ``connector.yaml`` for ``connector`` (deterministic)."""
    import yaml

    data = {"format": FORMAT, **_plain(connector.to_dict(), [])}
    text = yaml.dump(data, Dumper=_yaml_dumper(), sort_keys=False, allow_unicode=True,
                     default_flow_style=False, indent=2, width=100, line_break="\n",
                     explicit_start=False, explicit_end=False)
    return text.encode("utf-8")


def _dump_openapi(connector: Connector) -> bytes:
    from ..spec.writer import to_openapi

    doc = _plain(to_openapi(connector), [])
    return (json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n").encode()


def _render(connector: Connector) -> dict[str, bytes]:
    if not isinstance(connector, Connector):
        raise PackageError(f"export needs a Connector, not {type(connector).__name__}.")
    _check_secrets(connector.connections, "Export refused")
    try:
        manifest = dump_manifest(connector)  # first: its errors name connector paths
        return {OPENAPI: _dump_openapi(connector), MANIFEST: manifest}
    except PackageError:
        raise
    except NbConnectError as exc:
        raise PackageError(f"The connector cannot be exported: {exc.message}",
                           exc.details) from None


# --------------------------------------------------------------------------- export


def export(connector: Connector, path: str | os.PathLike[str], *, zip: bool = False) -> Path:
    """Write ``connector`` as a package at ``path`` and return the path written.

    A directory by default; a zip file when ``zip=True`` or ``path`` ends in ``.zip``.
    An existing package is updated in place (files or entries it does not know are
    kept); a non-empty directory or a file that is not a package is refused.
    """
    files = _render(connector)
    target = Path(os.fspath(path)).expanduser()
    if zip or target.suffix.lower() == ".zip":
        _export_zip(files, target)
    else:
        _export_dir(files, target)
    return target


def _export_dir(files: dict[str, bytes], target: Path) -> None:
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise PackageError(f"{target} exists and is not a directory; pick another path, "
                               "or pass zip=True to write a .zip package.")
        if not (target / MANIFEST).is_file() and any(target.iterdir()):
            raise PackageError(f"{target} is a non-empty directory that is not a connector "
                               f"package (it has no {MANIFEST}); pick an empty or new "
                               "directory.")
        _replace_files(target, files)
        return
    parent = _ensure_parent(target)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=parent))
    try:
        for name, data in files.items():
            _write_file(tmp / name, data)
        os.chmod(tmp, _DIR_MODE)
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
    os.chmod(path, _FILE_MODE)


def _replace_files(folder: Path, files: dict[str, bytes]) -> None:
    """Write ``files`` into ``folder`` via temp files; on failure restore what was there."""
    old: dict[str, bytes | None] = {}
    for name in files:
        path = folder / name
        old[name] = path.read_bytes() if path.is_file() else None
    temps = [_temp_copy(folder, name, data) for name, data in files.items()]
    done: list[str] = []
    try:
        for tmp, name in temps:  # OPENAPI first, MANIFEST (the commit point) last
            os.replace(tmp, folder / name)
            done.append(name)
    except BaseException:
        for name in done:  # roll back the files already replaced
            if old[name] is None:
                (folder / name).unlink(missing_ok=True)
            else:
                tmp, _ = _temp_copy(folder, name, old[name])  # type: ignore[arg-type]
                os.replace(tmp, folder / name)
        raise
    finally:
        for tmp, _ in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)


def write_atomic(target: Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` through a temporary file renamed into place, so a
    reader never sees half a file and a failure leaves the old one (mode 0644). Missing
    parent folders are made."""
    _ensure_parent(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return target


def _temp_copy(folder: Path, name: str, data: bytes) -> tuple[str, str]:
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.chmod(tmp, _FILE_MODE)
    except BaseException:
        os.unlink(tmp)
        raise
    return tmp, name


def _zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (0o100000 | _FILE_MODE) << 16
            zf.writestr(info, files[name], compresslevel=9)
    return buf.getvalue()


def _ensure_parent(target: Path) -> Path:
    """Create the missing folders above ``target`` (as ``mkdir -p`` would); return the parent."""
    parent = target.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise PackageError(f"The folder {parent} cannot be created ({exc.strerror}); pick "
                           "another path.") from None
    return parent


def _export_zip(files: dict[str, bytes], target: Path) -> None:
    if target.is_dir():
        raise PackageError(f"{target} is a directory; give a .zip file path, or export "
                           "without zip=True to write a package directory.")
    _ensure_parent(target)
    entries = dict(files)
    if target.exists():
        # Keep what a user put into an existing package zip (tests/, cassettes/, ...).
        if not zipfile.is_zipfile(target):
            raise PackageError(f"{target} exists and is not a connector package zip; pick "
                               "another path.")
        old = _open_zip(target)
        with old:
            names = _zip_names(old, target)
            if MANIFEST not in names:
                raise PackageError(f"{target} exists and is not a connector package (it has "
                                   f"no {MANIFEST}); pick another path.")
            for name, info in names.items():
                if name not in files and not name.endswith("/"):
                    entries[name] = _read_entry(old, info, target, None)
    data = _zip_bytes(entries)
    write_atomic(target, data)


# --------------------------------------------------------------------------- load


def manifest_schema() -> dict[str, Any]:
    """The JSON Schema of ``connector.yaml`` (shipped as nbconnect/schema/connector.schema.json)."""
    from importlib.resources import files

    resource = files("nbconnect").joinpath("schema").joinpath("connector.schema.json")
    return json.loads(resource.read_text("utf-8"))


@functools.lru_cache(maxsize=1)
def _manifest_validator() -> Any:
    import jsonschema

    return jsonschema.Draft202012Validator(manifest_schema())


def _open_zip(path: Path) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise PackageError(f"{path} is not a readable zip file ({exc}); give a package "
                           "directory or a .zip written by nbconnect export.") from None


def _zip_names(zf: zipfile.ZipFile, where: Path) -> dict[str, zipfile.ZipInfo]:
    names: dict[str, zipfile.ZipInfo] = {}
    for info in zf.infolist():
        name = info.filename
        pure = PurePosixPath(name)
        if (name.startswith(("/", "\\")) or "\\" in name or re.match(r"[A-Za-z]:", name)
                or ".." in pure.parts or "\x00" in name):
            raise PackageError(f"{where} has an entry {name!r} that points outside the "
                               "package (zip slip); refusing to read it.")
        if name in names:
            raise PackageError(f"{where} has the entry {name!r} twice; rebuild the zip.")
        names[name] = info
    return names


def _read_entry(zf: zipfile.ZipFile, info: zipfile.ZipInfo, where: Path,
                max_bytes: int | None) -> bytes:
    cap = limits.MAX_PACKAGE_FILE_BYTES if max_bytes is None else max_bytes
    if info.file_size > cap:
        raise _too_big(f"{where}!{info.filename}", info.file_size, cap)
    try:
        with zf.open(info) as fh:
            data = fh.read(cap + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise PackageError(f"{where}!{info.filename} cannot be read ({exc}); rebuild the "
                           "zip.") from None
    if len(data) > cap:
        raise _too_big(f"{where}!{info.filename}", len(data), cap)
    return data


def _too_big(what: str, size: int, cap: int) -> PackageError:
    return PackageError(f"{what} is {size:,} bytes, over the {cap:,}-byte limit for a package "
                        "file; check that it is the right file.")


def _read_file(path: Path, max_bytes: int | None) -> bytes:
    cap = limits.MAX_PACKAGE_FILE_BYTES if max_bytes is None else max_bytes
    size = path.stat().st_size
    if size > cap:
        raise _too_big(str(path), size, cap)
    with open(path, "rb") as fh:
        data = fh.read(cap + 1)
    if len(data) > cap:
        raise _too_big(str(path), len(data), cap)
    return data


def _zip_prefix(entries: Mapping[str, Any], root: Path) -> str:
    """Where the package sits in a zip: ``""`` at its root, ``"folder/"`` for a zipped
    package folder; otherwise PackageError."""
    if MANIFEST in entries:
        return ""
    tops = {n.split("/", 1)[0] for n in entries}
    if len(tops) == 1 and f"{next(iter(tops))}/{MANIFEST}" in entries:
        return f"{next(iter(tops))}/"
    raise PackageError(f"{root} is not a connector package: the zip has no {MANIFEST}; "
                       "give a .zip written by nbconnect export.")


def _read_package(path: str | os.PathLike[str], names: tuple[str, ...],
                  max_bytes: int | None) -> tuple[Path, dict[str, bytes | None]]:
    """Read ``names`` from a package directory or zip (None for a missing file)."""
    root = Path(os.fspath(path)).expanduser()
    if root.name == MANIFEST and root.is_file():
        root = root.parent
    out: dict[str, bytes | None] = {}
    if root.is_dir():
        if not (root / MANIFEST).is_file():
            raise PackageError(f"{root} is not a connector package: it has no {MANIFEST}; "
                               "give a folder written by nbconnect export.")
        for name in names:
            file = root / name
            out[name] = _read_file(file, max_bytes) if file.is_file() else None
        return root, out
    if not root.exists():
        raise PackageError(f"No connector package at {root}; check the path.")
    if not zipfile.is_zipfile(root):
        raise PackageError(f"{root} is neither a package directory nor a .zip package; give "
                           "a path written by nbconnect export.")
    with _open_zip(root) as zf:
        entries = _zip_names(zf, root)
        prefix = _zip_prefix(entries, root)
        for name in names:
            info = entries.get(prefix + name)
            out[name] = None if info is None else _read_entry(zf, info, root, max_bytes)
    return root, out


class _ManifestShapeError(Exception):
    """A YAML feature manifests never use (alias, merge key, duplicate key)."""

    def __init__(self, what: str, fix: str, mark: Any) -> None:
        super().__init__(what)
        self.what, self.fix, self.mark = what, fix, mark


def _yaml_loader() -> Any:
    # Not specio's spec loader on purpose: the manifest is written by PyYAML's YAML 1.1
    # dumper, which quotes only what YAML 1.1 would mis-read, so it must be read back with
    # 1.1 rules (a plain "1e5" is a string in 1.1, a float under specio's 1.2 rules).
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Loader(base):  # type: ignore[misc, valid-type]
        """Safe loader: no aliases or merge keys, no duplicate keys, dates stay strings."""

        def construct_object(self, node: Any, deep: bool = False) -> Any:
            if node in self.constructed_objects:  # only an alias visits a node twice
                raise _ManifestShapeError("uses a YAML alias (*name)",
                                          "write the value out instead", node.start_mark)
            return super().construct_object(node, deep)

        def construct_mapping(self, node: Any, deep: bool = False) -> Any:
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if key_node.tag == "tag:yaml.org,2002:merge":
                    raise _ManifestShapeError("uses a YAML merge key (<<)",
                                              "write the keys out instead", key_node.start_mark)
                if isinstance(key_node.value, str):
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        raise _ManifestShapeError(f"has the key {key_node.value!r} twice",
                                                  "keep one", key_node.start_mark)
                    seen.add(key)
            return super().construct_mapping(node, deep)

    Loader.add_constructor("tag:yaml.org,2002:timestamp", Loader.construct_yaml_str)
    return Loader


def _at(mark: Any) -> str:
    return f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def _parse_manifest(data: bytes, where: str) -> Any:
    import yaml

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PackageError(f"{where} is not UTF-8 (bad byte at offset {exc.start}); save it "
                           "as UTF-8.") from None
    try:
        return yaml.load(text, Loader=_yaml_loader())
    except _ManifestShapeError as exc:
        raise PackageError(f"{where} {exc.what}{_at(exc.mark)}; {exc.fix}.") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise PackageError(f"{where} is not valid YAML{_at(mark)} ({problem}); fix it or "
                           "re-export the connector.") from None
    except yaml.YAMLError as exc:
        raise PackageError(f"{where} is not valid YAML ({type(exc).__name__}); fix it or "
                           "re-export the connector.") from None
    except RecursionError:
        raise PackageError(f"{where} is nested too deeply to be a connector manifest; "
                           "re-export the connector.") from None


def _check_refs(value: Any, path: list[Any], where: str) -> None:
    """Refuse non-local ``$ref``s and absurd nesting (iteratively: no RecursionError)."""
    stack: list[tuple[Any, list[Any]]] = [(value, path)]
    while stack:
        node, at = stack.pop()
        if len(at) > limits.MAX_NESTING_DEPTH:
            raise PackageError(f"{where} is nested deeper than {limits.MAX_NESTING_DEPTH} "
                               f"levels at {json_path(at[:8])}...; flatten it.")
        if isinstance(node, Mapping):
            ref = node.get("$ref")
            if "$ref" in node and not (isinstance(ref, str) and ref.startswith("#")):
                raise PackageError(f"{where} has a $ref at {json_path([*at, '$ref'])} that is "
                                   "not local to the document; packages only use #/... refs "
                                   "(remote and file refs are never fetched).")
            stack.extend((v, [*at, k]) for k, v in node.items())
        elif isinstance(node, list):
            stack.extend((v, [*at, i]) for i, v in enumerate(node))




def _schema_check(data: Any, where: str) -> None:
    import jsonschema

    validator = _manifest_validator()
    errors = sorted(validator.iter_errors(data),
                    key=lambda e: (list(map(str, e.absolute_path)), e.message))
    if not errors:
        return

    def line(err: Any) -> str:
        parts = list(err.absolute_path)
        if "secrets" in parts:  # never echo a secret value
            return (f"{json_path(parts)}: is not a secret reference "
                    "(env:NAME, keyring:NAME, prompt)")
        return f"{json_path(parts)}: {clip(err.message)}"

    best = jsonschema.exceptions.best_match(errors)
    first = line(best)
    shown = [line(e) for e in errors[:limits.MAX_ERRORS_SHOWN]]
    if len(errors) > len(shown):
        shown.append(f"... and {len(errors) - len(shown)} more")
    path, _, message = first.partition(": ")
    raise PackageError(f"{where} does not match the manifest schema at {path} ({message}); "
                       "fix it or re-export the connector.", shown)


def _build(data: Mapping[str, Any], where: str) -> Connector:
    """Connector.from_dict with the JSON path of the part that failed in the message."""
    def fail(path: list[Any], exc: NbConnectError) -> PackageError:
        return PackageError(f"{where} at {json_path(path)} is not valid: {exc.message}",
                            exc.details)

    endpoints: list[Endpoint] = []
    for i, item in enumerate(data.get("endpoints") or ()):
        try:
            endpoints.append(Endpoint.from_dict(item))
        except NbConnectError as exc:
            raise fail(["endpoints", i], exc) from None
    connections: list[Connection] = []
    for i, item in enumerate(data.get("connections") or ()):
        try:
            connections.append(Connection.from_dict(item))
        except NbConnectError as exc:
            raise fail(["connections", i], exc) from None
    try:
        auth = auth_from_dict(data.get("auth"))
    except NbConnectError as exc:
        raise fail(["auth"], exc) from None
    connector = Connector(name=data["name"])
    for key, value in (("description", data.get("description") or ""),
                       ("base_url", data.get("base_url")), ("auth", auth),
                       ("schemas", dict(data.get("schemas") or {})),
                       ("test_values", dict(data.get("test_values") or {})),
                       ("connections", tuple(connections)), ("endpoints", tuple(endpoints))):
        try:
            setattr(connector, key, value)
        except NbConnectError as exc:
            raise fail([key], exc) from None
    return connector


def load(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Connector:
    """Read a connector package (directory or zip) written by :func:`export`.

    ``max_bytes`` caps the size of each file read (default
    ``limits.MAX_PACKAGE_FILE_BYTES``). Raises :class:`~nbconnect.errors.PackageError`.
    """
    root, files = _read_package(path, (MANIFEST,), max_bytes)
    return _load_manifest(files[MANIFEST], root)


def _load_manifest(raw: bytes | None, root: Path) -> Connector:
    where = f"{root}/{MANIFEST}" if root.is_dir() else f"{root}!{MANIFEST}"
    if raw is None:  # pragma: no cover - _read_package already checked
        raise PackageError(f"{root} has no {MANIFEST}; give a package written by export.")
    data = _parse_manifest(raw, where)
    if not isinstance(data, Mapping):
        raise PackageError(f"{where} is not a mapping of connector fields; give a manifest "
                           "written by nbconnect export.")
    fmt = data.get("format")
    if fmt != FORMAT:
        if isinstance(fmt, str) and fmt.startswith("nbconnect/"):
            raise PackageError(f"{where} has format {fmt!r}, but this nbconnect reads "
                               f"{FORMAT!r}; upgrade nbconnect to read it.")
        raise PackageError(f"{where} has no 'format: {FORMAT}' key, so it is not an "
                           "nbconnect manifest; give a package written by nbconnect export.")
    _check_secrets(data.get("connections"), where)
    _check_refs(data, [], where)
    _schema_check(data, where)
    return _build(data, where)


# --------------------------------------------------------------------------- validate


def _diff(expected: Any, actual: Any, path: list[Any], out: list[str], limit: int) -> None:
    if len(out) >= limit or expected == actual:
        return
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in list(expected) + [k for k in actual if k not in expected]:
            if key not in actual:
                out.append(f"{json_path([*path, key])}: missing from openapi.json")
            elif key not in expected:
                out.append(f"{json_path([*path, key])}: not in the connector")
            else:
                _diff(expected[key], actual[key], [*path, key], out, limit)
            if len(out) >= limit:
                return
    else:
        out.append(f"{json_path(path)}: differs from what connector.yaml gives")


def validate(path: str | os.PathLike[str], *, max_bytes: int | None = None) -> Connector:
    """Load a package and check its ``openapi.json``; return the connector.

    ``openapi.json`` must exist, be valid OAS 3.1 (openapi-spec-validator) and equal
    ``to_openapi(load(path))``. Problems raise :class:`~nbconnect.errors.PackageError`
    whose ``details`` list them.
    """
    root, files = _read_package(path, (MANIFEST, OPENAPI), max_bytes)
    connector = _load_manifest(files[MANIFEST], root)
    raw = files[OPENAPI]
    if raw is None:
        raise PackageError(f"{root} has no {OPENAPI}; re-export the connector to write it.")
    where = f"{root}/{OPENAPI}" if root.is_dir() else f"{root}!{OPENAPI}"
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise PackageError(f"{where} is not valid UTF-8 JSON ({clip(str(exc), 80)}); "
                           "re-export the connector.") from None
    except RecursionError:
        raise PackageError(f"{where} is nested too deeply; re-export the connector.") from None
    if not isinstance(doc, dict):
        raise PackageError(f"{where} is not a JSON object; re-export the connector.")
    _check_refs(doc, [], where)
    problems = _oas_errors(doc)
    if problems:
        shown = problems[:limits.MAX_ERRORS_SHOWN]
        if len(problems) > len(shown):
            shown.append(f"... and {len(problems) - len(shown)} more")
        raise PackageError(f"{where} is not a valid OpenAPI 3.1 document ({shown[0]}); "
                           "re-export the connector.", shown)
    try:
        expected = json.loads(_dump_openapi(connector))
    except NbConnectError as exc:
        raise PackageError(f"{where} cannot be checked: {exc.message}", exc.details) from None
    if doc != expected:
        diffs: list[str] = []
        _diff(expected, doc, [], diffs, limits.MAX_ERRORS_SHOWN)
        raise PackageError(f"{where} does not match {MANIFEST} ({diffs[0]}); re-export the "
                           "connector to bring them in line.", diffs)
    return connector


def _oas_errors(doc: dict[str, Any]) -> list[str]:
    if not str(doc.get("openapi", "")).startswith("3.1"):
        return [f"$.openapi: is {doc.get('openapi')!r}, not 3.1.x"]
    from openapi_spec_validator import OpenAPIV31SpecValidator

    out: list[str] = []
    try:
        # Schema errors come first; on a badly broken document the validator's later
        # semantic checks can crash (KeyError, TypeError, ...) after reporting them.
        for err in OpenAPIV31SpecValidator(doc).iter_errors():
            parts = list(getattr(err, "absolute_path", ()) or ())
            message = getattr(err, "message", None) or str(err)
            out.append(f"{json_path(parts)}: {clip(message)}")
    except RecursionError:
        out.append("$: the document's $refs are circular in a way the validator cannot follow")
    except Exception as exc:  # a validator crash means a broken document
        if not out:
            out.append(f"$: the validator could not read the document "
                       f"({type(exc).__name__}: {clip(str(exc), 60)})")
    return out


# --------------------------------------------------------------------------- test report

REPORT = "tests/last-report.json"


def save_report(path: str | os.PathLike[str], report: Any) -> Path:
    """Write ``report`` (a ``TestReport``) as ``tests/last-report.json``
    into the package at ``path`` and return the file's path (``PKG.zip!tests/...`` for a zip).

    The file is deterministic: sorted keys, no latencies (they change on every run and
    would make every save a diff), reasons redacted, no response bodies. A package
    directory gets the file through a temporary file and ``os.replace``; a package zip
    is rewritten (every other entry kept as it was, the report entry replaced) and
    swapped in atomically. A path that is not a package raises
    :class:`~nbconnect.errors.PackageError` and nothing is written.
    """
    to_json = getattr(report, "to_json", None)
    if not callable(to_json):
        raise PackageError(f"save_report needs a TestReport, not {type(report).__name__}.")
    from ..auth.secrets import redact

    data = (redact(to_json(latency=False, indent=2)) + "\n").encode("utf-8")
    root = Path(os.fspath(path)).expanduser()
    if root.name == MANIFEST and root.is_file():
        root = root.parent
    if root.is_dir():
        if not (root / MANIFEST).is_file():
            raise PackageError(f"{root} is not a connector package: it has no {MANIFEST}; "
                               "export the connector there first.")
        folder = root / "tests"
        if folder.exists() and not folder.is_dir():
            raise PackageError(f"{folder} is a file, but packages keep test reports in a "
                               "tests/ folder; move that file away.")
        folder.mkdir(mode=_DIR_MODE, exist_ok=True)
        return write_atomic(folder / "last-report.json", data)
    if not root.exists():
        raise PackageError(f"No connector package at {root}; export the connector first.")
    if not zipfile.is_zipfile(root):
        raise PackageError(f"{root} is neither a package directory nor a .zip package; give "
                           "a path written by nbconnect export.")
    with _open_zip(root) as zf:
        names = _zip_names(zf, root)
        prefix = _zip_prefix(names, root)
        entries = {name[len(prefix):]: _read_entry(zf, info, root, None)
                   for name, info in names.items() if not name.endswith("/")}
    entries[REPORT] = data
    blob = _zip_bytes({prefix + k: v for k, v in entries.items()})
    write_atomic(root, blob)
    return Path(f"{root}!{prefix}{REPORT}")
