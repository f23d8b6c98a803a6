"""The ``nbconnect`` command line, generated from the verb table (:mod:`nbconnect.verbs.table`).

``%connect VERB ARGS`` is ``nbconnect VERB PKG ARGS``: the CLI loads the package PKG into a
workspace, runs the verb, saves the package back when the verb changes the connector, and
prints the result as text. ``nbconnect help`` lists the verbs, ``nbconnect help VERB`` (or
``help connection add``) shows one verb's options. A few verbs name their package another
way: ``nbconnect import SPEC -o PKG`` (written or updated), ``nbconnect new PKG NAME``
(a new package), ``nbconnect validate PKG``, ``nbconnect load PKG`` and ``nbconnect mock
SPEC_OR_PKG`` (served until Ctrl-C).

Exit codes: 0 ok, 1 a tested endpoint failed, 2 bad input, 130 interrupted. Bad input prints
one line, ``nbconnect: error: <sentence>``, optionally followed by a few indented detail lines
(for example the first validator errors), and never a traceback; on any error the package's
bytes stay as they were. Anything else that goes wrong is a bug and keeps its traceback.
Unknown flags are named; stray words and the values of secret-capable options never are.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from .errors import NbConnectError, VerbUsageError
from .verbs.workspace import Workspace

__all__ = ["EXIT_FAILED", "EXIT_INTERRUPTED", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130
#: Detail lines printed under an error message.
MAX_DETAIL_LINES = 10

PROG = "nbconnect"

class CliWorkspace(Workspace):
    """The workspace of one command: warnings go to stderr as ``nbconnect: warning:``."""

    face = "cli"

    def warn(self, text: str) -> None:
        print(f"{PROG}: warning: {text}", file=sys.stderr)


def _holds_package(path: Path) -> bool:
    """True when ``path`` exists and is not an empty directory (so it must be loaded)."""
    if path.is_dir():
        return any(path.iterdir())
    return path.exists()


def _save(workspace: CliWorkspace) -> None:
    from .package.format import export
    from .verbs.package import package_target

    assert workspace.target is not None and workspace.connector is not None
    target, is_zip = package_target(workspace.target)
    workspace.written = export(workspace.connector, target, zip=is_zip)


def run(words: Sequence[str]) -> int:
    """Run one verb line (the words after ``nbconnect``); returns the exit code."""
    from .verbs import table

    verb, rest = table.find_verb(words, "cli")
    args = table.parse(verb, rest, "cli")
    if args is None:  # --help
        return EXIT_OK
    workspace = CliWorkspace()
    if verb.package == "load":
        from .package.format import load

        workspace.target = Path(args.package)
        workspace.connector = load(workspace.target)
        workspace.package_path = workspace.target
    elif verb.package == "create":
        workspace.target = Path(args.package)
        if _holds_package(workspace.target):
            raise table.usage_error(f"{args.package} already holds something; new writes a "
                                    "new package, so pick an empty or new path.", verb.words)
    elif verb.package == "output":
        from .package.format import load

        workspace.target = Path(args.output)
        if _holds_package(workspace.target):
            workspace.connector = load(workspace.target)
            workspace.package_path = workspace.target
    result = table.dispatch(verb, workspace, args)
    if verb.changes and workspace.connector is not None:
        _save(workspace)
    if verb.text is not None:
        text = verb.text(result, args, workspace)
        if text:
            print(text)
    return verb.exit_code(result) if verb.exit_code is not None else EXIT_OK


# --------------------------------------------------------------------------- main


def _eprint(text: str) -> None:
    print(text, file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    what = exc.strerror or exc.__class__.__name__
    if exc.filename is not None:
        return f"{exc.filename}: {what}; check the path and its permissions."
    return f"{what}; check the path and its permissions."


def _error(message: str, details: Sequence[str] = ()) -> int:
    message = " ".join(message.split())  # exactly one line
    _eprint(f"{PROG}: error: {message}")
    for line in list(details)[:MAX_DETAIL_LINES]:
        _eprint(f"  {' '.join(str(line).split())}")
    if len(details) > MAX_DETAIL_LINES:
        _eprint(f"  ... and {len(details) - MAX_DETAIL_LINES} more")
    return EXIT_USAGE


def error_text(exc: NbConnectError) -> str:
    """The CLI's line for an error: the sentence, the ``--flag`` from ``exc.option``, and
    for a usage error the help to read."""
    from .verbs.table import hinted

    message = hinted(exc)
    if isinstance(exc, VerbUsageError):
        verb = getattr(exc, "verb", "")
        message = f"{message.rstrip('.')}; see '{PROG} help{' ' + verb if verb else ''}'."
    return message


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        if words and words[0] == "--version":
            print(f"{PROG} {__version__}")
            return EXIT_OK
        if words and words[0] in ("-h", "--help"):
            words = ["help"]
        if not words:
            from .verbs.table import usage_error

            raise usage_error("No verb given")
        return run(words)
    except NbConnectError as exc:
        return _error(error_text(exc), exc.details)
    except KeyboardInterrupt:
        _eprint(f"{PROG}: interrupted")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout closed early (``nbconnect show PKG | head``): not an error worth a message
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return EXIT_OK
    except OSError as exc:
        return _error(_os_error_text(exc))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

