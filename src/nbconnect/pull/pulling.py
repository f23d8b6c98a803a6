"""Pull: infer an endpoint's response tree from its kept samples and given JSON, compare it
with the declared response, and optionally accept it.

:func:`pull` is what ``Connector.pull``, the ``pull`` verb and the notebook's tree view call.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import limits
from ..errors import PackageError, PullError
from ..model import Connector
from .drift import drift
from .infer import Inference, parse_json
from .tree import PullResult, fields_from

__all__ = ["pull", "read_sample"]

Sample = str | os.PathLike[str] | bytes | dict[str, Any] | list[Any]


def read_sample(sample: Sample) -> Any:
    """One given sample as parsed JSON: a path (str or PathLike) to a JSON file, bytes of
    JSON text, or an already parsed dict/list. Raises :class:`~nbconnect.errors.PullError`
    for a missing, unreadable, too large, empty or non-JSON file."""
    if isinstance(sample, dict | list):
        return sample
    if isinstance(sample, bytes | bytearray):
        return parse_json(bytes(sample), "the sample")
    if not isinstance(sample, str | os.PathLike):
        raise PullError(f"A sample must be a JSON file path, JSON bytes, a dict or a list, "
                        f"not {type(sample).__name__}.", option="sample")
    path = Path(os.fspath(sample)).expanduser()
    what = f"the sample {path.name}"
    try:
        if path.is_dir():
            raise IsADirectoryError(path)
        size = path.stat().st_size
        if size > limits.MAX_PULL_FILE_BYTES:
            raise PullError(f"The sample {path.name} is {size:,} bytes, over the "
                            f"{limits.MAX_PULL_FILE_BYTES:,}-byte bound for pulling; give a "
                            "smaller sample (one page).", option="sample")
        data = path.read_bytes()
    except PullError:
        raise
    except IsADirectoryError:
        raise PullError(f"The sample {path} is a folder; give a JSON file.",
                        option="sample") from None
    except OSError as exc:
        raise PullError(f"The sample {path} cannot be read ({exc.strerror or exc}); give a "
                        "JSON file that exists.", option="sample") from None
    return parse_json(data, what)


def _stored_values(connector: Connector, endpoint_id: str,
                   package: str | os.PathLike[str] | None) -> tuple[list[Any], str | None]:
    """(the endpoint's kept samples, parsed; the note of a success that was not kept)."""
    from . import samples as store

    kept = store.stored(connector, endpoint_id)
    if kept is not None and kept.bodies:
        import json

        return [json.loads(b) for b in kept.bodies], None
    note = kept.note if kept is not None else None
    if package is not None:
        values = store.load(package, endpoint_id)
        if values:
            return values, None
    elif (remembered := store.package_of(connector)) is not None:
        try:  # the package it was loaded from or exported to; gone or broken: as if none
            values = store.load(remembered, endpoint_id)
        except (PackageError, OSError):
            values = []
        if values:
            return values, None
    return [], note


def pull(connector: Connector, endpoint_id: str, samples: Iterable[Sample] = (), *,
         package: str | os.PathLike[str] | None = None, stored: bool = True,
         accept: bool = False, drop: Iterable[str] = ()) -> PullResult:
    """Infer the response tree of ``endpoint_id`` and its drift from the declared response.

    It reads the endpoint's last successful test responses (kept in memory by the runner,
    else those saved in ``package``'s ``samples/``, by default the package the connector was
    loaded from or exported to; ``stored=False`` skips them) and the
    given ``samples`` (see :func:`read_sample`), merged into one tree. With ``accept`` the
    tree (less the ``drop`` paths) becomes the endpoint's declared response (see
    :mod:`nbconnect.pull.accept`; nothing changes when there is no drift and nothing to
    drop: ``accepted`` stays False and ``note`` says so). Returns a
    :class:`~nbconnect.pull.tree.PullResult`.

    Raises :class:`~nbconnect.errors.EndpointNotFoundError` for an unknown endpoint and
    :class:`~nbconnect.errors.PullError` when there is nothing to read (no successful
    response yet and no sample given) or a sample is not usable JSON; the connector is then
    unchanged.
    """
    endpoint = connector.endpoint(endpoint_id)
    given = [read_sample(s) for s in (samples or ())]
    values: list[Any] = []
    note = None
    if stored:
        values, note = _stored_values(connector, endpoint.id, package)
    values += given
    if not values:
        why = f" ({note})" if note else ""
        raise PullError(f"Endpoint {endpoint.id} has no successful JSON response to pull "
                        f"from yet{why}; test it first, or give a sample JSON file.",
                        option="sample")
    inference = Inference()
    for value in values:
        inference.add(value)
    fields = fields_from(inference.root)
    result = PullResult(endpoint.id, inference.samples, fields,
                        drift(fields, endpoint.response), cut=inference.cut)
    if accept:
        from .accept import accept as write
        from .accept import needs_change

        drop = tuple(drop)
        write(connector, result, drop)
        result = PullResult(result.endpoint, result.samples, result.fields, result.drift,
                            accepted=needs_change(result, drop), cut=result.cut,
                            note="" if needs_change(result, drop) else
                            "accept: nothing to change (the declared response matches)")
    return result
