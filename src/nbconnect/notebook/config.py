"""The ``NbConnect`` settings object behind ``%config NbConnect.<option>``."""

from __future__ import annotations

from traitlets import Bool, Float, Int
from traitlets.config import Configurable

from .. import limits

__all__ = ["NbConnect"]


class NbConnect(Configurable):
    """nbconnect settings for this IPython session.

    Change one with ``%config NbConnect.max_spec_bytes = 50_000_000``; list them with
    ``%config NbConnect``. A change takes effect on the next ``%connect`` command.
    """

    max_spec_bytes = Int(
        limits.MAX_SPEC_BYTES, min=1,
        help="Size cap, in bytes, of a spec file, URL body or text read by `%connect import`.",
    ).tag(config=True)

    url_timeout = Float(
        limits.SPEC_URL_TIMEOUT, min=0.1,
        help="Seconds to wait for a spec URL given to `%connect import`.",
    ).tag(config=True)

    lenient = Bool(
        False,
        help="Import specs leniently by default (skip what cannot be understood, with "
             "warnings) instead of refusing an invalid spec; `--lenient` does it once.",
    ).tag(config=True)

    verify_tls = Bool(
        True,
        help="Verify TLS certificates when a spec is read from an https URL.",
    ).tag(config=True)

    confirm_overwrite = Bool(
        True,
        help="Ask with an 'Upload & overwrite' / 'Cancel' dialog before a re-import "
             "replaces a connector's endpoints; when False, a re-import without "
             "--overwrite is refused with an error instead.",
    ).tag(config=True)
