"""The verb table: the :class:`Verb` and :class:`Arg` types, the registry, parsing and help.

Every verb is declared once, face-free, in the module of its family (``verbs/spec.py``,
``verbs/endpoint.py``, ...): its words (``connection add``), its arguments, a one-line
summary and a description, and ``run(workspace, args)``. The faces build their parsers from
it: :func:`parse` reads the words after the verb for either face (``"cli"``: ``nbconnect VERB
PKG ARGS``; ``"magic"``: ``%connect VERB ARGS``) with one argparse parser per verb built by
:func:`build_parser`, and :func:`dispatch` runs the verb on a workspace, opening the verb's
form instead (a :class:`FormRequest`) when the face can show forms and the verb's required
arguments are missing.

Usage problems raise :class:`~nbconnect.errors.VerbUsageError` whose ``verb`` attribute names
the verb, so each face adds its own pointer to the help (``nbconnect help VERB`` or
``%connect help VERB``). Flags are named in errors (a flag's name is never a secret); the
values of secret-capable arguments and stray words never are.
"""

from __future__ import annotations

import argparse
import difflib
import importlib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ..errors import NbConnectError, VerbUsageError

__all__ = ["FACES", "Arg", "Family", "FormRequest", "Verb", "build_parser", "dispatch",
           "families", "find_verb", "flags_of", "hinted", "kebab", "parse", "suggest",
           "top_words", "usage_error", "verbs"]

#: The faces a verb line can come from.
FACES = ("cli", "magic")
#: The verb family modules, in the order help lists them.
_MODULES = ("help", "spec", "auth", "connection", "endpoint", "test", "pull", "paging",
            "mock", "package", "mcp", "mcp_serve", "links", "webhook", "webhook_serve",
            "demo")


def kebab(name: str) -> str:
    """``base_url`` -> ``base-url``."""
    return name.replace("_", "-")


def suggest(word: str, options: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest of ``options``, or ``""``."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean {close[0]}?)" if close else ""


def usage_error(message: str, verb: Sequence[str] = (), *,
                option: str | None = None) -> VerbUsageError:
    """A :class:`VerbUsageError` about ``verb`` (the faces add the pointer to its help)."""
    exc = VerbUsageError(message, option=option)
    exc.verb = " ".join(verb)  # type: ignore[attr-defined]
    return exc


def hinted(exc: NbConnectError) -> str:
    """The error's sentence plus the ``--flag`` its ``option`` names, when not said yet
    (the same flag in both faces)."""
    message = exc.message
    if exc.option:
        flag = "--" + kebab(exc.option)
        if flag not in message:
            message = f"{message.rstrip().rstrip('.')} ({flag})."
    return message


@dataclass(frozen=True)
class Arg:
    """One argument of a verb.

    ``flags`` empty makes a positional; ``repeatable`` collects a list (``--tag T``...);
    ``split`` also splits each value at commas; ``switch`` is an on/off flag; ``rest`` takes
    every remaining word as is (``--FIELD VALUE`` words the verb reads itself); ``secret``
    marks an argument whose values may be secrets (never echoed); ``yaml`` marks the argument
    a cell body fills (``%%connect VERB``), a file path on a line (``-`` reads stdin);
    ``group`` names a set of arguments of which at most one may be given.
    """

    name: str
    flags: tuple[str, ...] = ()
    metavar: str | None = None
    help: str = ""
    type: Callable[[str], Any] | None = None
    repeatable: bool = False
    split: bool = False
    choices: tuple[str, ...] | None = None
    default: Any = None
    required: bool = False
    secret: bool = False
    switch: bool = False
    rest: bool = False
    yaml: bool = False
    group: str | None = None
    #: the values also go to this other argument's list (``--endpoint ID`` adds to ENDPOINT)
    into: str | None = None

    @property
    def positional(self) -> bool:
        return not self.flags

    @property
    def shown(self) -> str:
        """How the argument is named in messages: ``--tag`` or ``NAME``."""
        return self.flags[-1] if self.flags else (self.metavar or self.name.upper())


@dataclass(frozen=True)
class Verb:
    """One verb, face-free.

    ``package`` says how the CLI finds the connector: ``"load"`` (``nbconnect VERB PKG``: load
    it), ``"create"`` (PKG is written by the verb), ``"output"`` (``-o PKG``: loaded when it
    holds a package, written after), or ``"none"``. ``changes``: the verb changes the
    connector (the CLI saves it back). ``text(result, args, workspace)`` is the result as
    text (what the CLI prints); ``view`` names the notebook view of a result; ``form`` the
    widget form the notebook opens when ``form_when(args)`` (default: a required argument is
    missing and nothing else was given); ``exit_code(result)`` the CLI's exit status.
    """

    words: tuple[str, ...]
    summary: str
    description: str
    run: Callable[[Any, argparse.Namespace], Any]
    args: tuple[Arg, ...] = ()
    synopsis: str = ""
    text: Callable[[Any, argparse.Namespace, Any], str | None] | None = None
    changes: bool = False
    package: Literal["load", "create", "output", "none"] = "load"
    form: str | None = None
    form_when: Callable[[argparse.Namespace], bool] | None = None
    view: str | None = None
    exit_code: Callable[[Any], int] | None = None
    epilog: Callable[[], str] | None = None
    cell_summary: str = ""
    cell_synopsis: str = ""

    @property
    def name(self) -> str:
        return " ".join(self.words)

    @property
    def secret(self) -> bool:
        """True when a value of one of its arguments may be a secret."""
        return any(a.secret or a.rest for a in self.args)

    @property
    def cell_arg(self) -> Arg | None:
        return next((a for a in self.args if a.yaml), None)

    def wants_form(self, args: argparse.Namespace) -> bool:
        if self.form is None:
            return False
        if self.form_when is not None:
            return self.form_when(args)
        values = [getattr(args, a.name, None) for a in self.args]
        lacking = any(a.required and _empty(v) for a, v in zip(self.args, values, strict=True))
        return lacking and all(_empty(v) for v in values)


@dataclass(frozen=True)
class Family:
    """A verb with actions (``connection add|list|...``): its help line and the action a
    cell body goes to (``%%connect endpoint`` is ``endpoint add`` with a YAML body)."""

    word: str
    synopsis: str
    summary: str
    cell_action: str | None = None
    description: str = ""


@dataclass
class FormRequest:
    """What a verb returns when its form should open: the form's name and what it needs."""

    form: str
    data: dict[str, Any] = field(default_factory=dict)


def _empty(value: Any) -> bool:
    return value is None or value is False or value == [] or value == ""


# --------------------------------------------------------------------------- registry

_VERBS: dict[tuple[str, ...], Verb] = {}
_FAMILIES: dict[str, Family] = {}
_LOADED = False


def register(*items: Verb | Family) -> None:
    """Add verbs and families to the table (each verb module calls it at import)."""
    for item in items:
        if isinstance(item, Family):
            _FAMILIES[item.word] = item
        else:
            _VERBS[item.words] = item


def _load() -> None:
    global _LOADED
    if not _LOADED:
        _LOADED = True
        for name in _MODULES:
            importlib.import_module(f"{__package__}.{name}")


def verbs() -> list[Verb]:
    """Every verb, in the order help lists them."""
    _load()
    return list(_VERBS.values())


def families() -> dict[str, Family]:
    _load()
    return dict(_FAMILIES)


def top_words() -> list[str]:
    """The first word of every verb, in order (``connection`` once)."""
    out: list[str] = []
    for verb in verbs():
        if verb.words[0] not in out:
            out.append(verb.words[0])
    return out


def find_verb(words: Sequence[str], face: str = "cli",
              cell: bool = False) -> tuple[Verb, list[str]]:
    """The verb named by the first words of ``words`` and the words after it.

    An unknown verb or action raises a usage error with the closest one ("did you mean").
    """
    _load()
    if not words:
        raise usage_error("No verb given")
    first, rest = words[0], list(words[1:])
    if (first,) in _VERBS:
        return _VERBS[(first,)], rest
    family = _FAMILIES.get(first)
    if family is None:
        raise usage_error(f"Unknown verb {first!r}{suggest(first, top_words())}")
    actions = [v.words[1] for v in _VERBS.values() if v.words[0] == first]
    if cell and family.cell_action and (not rest or rest[0].startswith("-")):
        return _VERBS[(first, family.cell_action)], rest
    if not rest or rest[0] in ("-h", "--help"):
        raise usage_error(f"the following arguments are required: {{{','.join(actions)}}}",
                          (first,))
    action = rest[0]
    if (first, action) not in _VERBS:
        plain = re.fullmatch(r"[A-Za-z][A-Za-z0-9-]{0,23}", action) is not None
        shown = f"{action!r}{suggest(action, actions)}" if plain else \
            "(the word given, not repeated here)"
        raise usage_error(f"invalid choice {shown}: the actions of {first} are "
                          f"{', '.join(actions)}", (first,))
    return _VERBS[(first, action)], rest[1:]


# --------------------------------------------------------------------------- parsing


class _HelpShown(Exception):
    """``-h``/``--help`` printed a verb's usage; nothing else runs."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises a usage error instead of printing usage and exiting."""

    verb: Verb

    def error(self, message: str) -> Any:  # type: ignore[override]
        raise usage_error(_quiet(message, self.verb), self.verb.words)

    def exit(self, status: int = 0, message: str | None = None) -> Any:  # type: ignore[override]
        raise _HelpShown


def _quiet(message: str, verb: Verb) -> str:
    """argparse's message, naming unknown flags but never stray words or secret values."""
    if message.startswith("unrecognized arguments: "):
        words = message[len("unrecognized arguments: "):].split()
        flags = [w.split("=", 1)[0] for w in words if w.startswith("-") and len(w) > 1]
        others = len(words) - len(flags)
        named = ", ".join(flags)
        if not others:
            return f"unrecognized arguments: {named}"
        more = (f"{others} word{'s' if others != 1 else ''}, not repeated here in case "
                f"{'they hold' if others != 1 else 'it holds'} a secret")
        return f"unrecognized arguments: {named + ' and ' if named else ''}{more}"
    if verb.secret and "invalid choice" in message:
        head = message.split("invalid choice", 1)[0]
        return f"{head}invalid choice"
    return message


def flags_of(verb: Verb) -> list[str]:
    """Every ``--flag`` of ``verb`` (the same in both faces)."""
    return [f for a in verb.args for f in a.flags]


def build_parser(verb: Verb, face: str, *, rest: bool = True) -> argparse.ArgumentParser:
    """The argparse parser of ``verb`` for ``face`` (``"cli"`` or ``"magic"``); ``rest=False``
    leaves out the free ``--FIELD VALUE`` words (read apart by :func:`parse`)."""
    prog = ("nbconnect " if face == "cli" else "%connect ") + verb.name
    parser = _Parser(prog=prog, description=verb.description, allow_abbrev=False,
                     epilog=verb.epilog() if verb.epilog else None,
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.verb = verb
    if face == "cli" and verb.package in ("load", "create"):
        parser.add_argument("package", metavar="PKG", help="package directory or .zip file")
    if face == "cli" and verb.package == "output":
        parser.add_argument("-o", "--output", metavar="PKG", required=True,
                            help="package directory (or .zip file) to write or update")
    for arg in verb.args:
        if arg.rest and not rest:
            continue
        kwargs: dict[str, Any] = {"help": arg.help or None}
        if arg.metavar and not arg.switch:
            kwargs["metavar"] = arg.metavar
        if arg.switch:
            kwargs.update(action="store_true")
        elif arg.rest:
            kwargs.update(nargs=argparse.REMAINDER)
        else:
            if arg.type is not None:
                kwargs["type"] = arg.type
            if arg.choices is not None:
                kwargs["choices"] = arg.choices
            if arg.repeatable and arg.flags:
                kwargs.update(action="append", default=None)
            elif arg.repeatable:
                kwargs["nargs"] = "*"
            elif arg.positional:
                # a required positional is checked by parse (a form may open instead)
                kwargs["nargs"] = "?"
            kwargs.setdefault("default", arg.default)
        # groups (at most one of) are checked after parsing, with one message for both faces
        if arg.flags:
            parser.add_argument(*arg.flags, dest=arg.name, **kwargs)
        else:
            parser.add_argument(arg.name, **kwargs)
    return parser


def _read_yaml_arg(value: str) -> str:
    import sys

    if value == "-":
        return sys.stdin.read()
    path = Path(value).expanduser()
    try:
        return path.read_text(encoding="utf-8")
    except OSError as exc:
        raise usage_error(f"The file {value} could not be read ({exc.strerror or exc}); "
                          "check the path.") from None


def parse(verb: Verb, words: Sequence[str], face: str, *,
          cell: str | None = None) -> argparse.Namespace | None:
    """The arguments of ``verb`` from the words after it (None when help was shown).

    ``cell`` is the body of ``%%connect VERB``; it fills the verb's YAML argument.
    """
    words = list(words)
    parser = build_parser(verb, face)
    rest_arg = next((a for a in verb.args if a.rest), None)
    try:
        if rest_arg is not None and any(w in ("-h", "--help") for w in words):
            print(parser.format_help().rstrip())
            return None
        if rest_arg is not None:
            head, rest = _split_rest(verb, words, face)
            args = build_parser(verb, face, rest=False).parse_args(head)
            setattr(args, rest_arg.name, rest)
        else:
            args = parser.parse_args(words)
    except _HelpShown:  # argparse printed the help
        return None
    for arg in verb.args:
        value = getattr(args, arg.name, None)
        if arg.repeatable and value is None:
            value = []
        if arg.split and value:
            value = [part.strip() for item in value for part in str(item).split(",")
                     if part.strip()]
        setattr(args, arg.name, value)
    for arg in verb.args:
        if arg.into:
            merged = [*getattr(args, arg.into), *getattr(args, arg.name)]
            setattr(args, arg.into, list(dict.fromkeys(merged)))
    _check_groups(verb, args)
    yaml_arg = verb.cell_arg
    args.from_cell = cell is not None
    if cell is not None:
        if yaml_arg is None:
            raise usage_error(f"{verb.name} takes no cell body; give its arguments on the "
                              "line.", verb.words)
        setattr(args, yaml_arg.name, cell)
    elif yaml_arg is not None and yaml_arg.flags and \
            getattr(args, yaml_arg.name, None) is not None:
        setattr(args, yaml_arg.name, _read_yaml_arg(getattr(args, yaml_arg.name)))
    args.verb_words = verb.words
    return args


def _split_rest(verb: Verb, words: list[str], face: str) -> tuple[list[str], list[str]]:
    """(words for argparse, the free ``--FIELD VALUE`` words) of a verb with a ``rest``
    argument: the verb's own flags and its positionals come first; the first other flag (or
    the word after the last positional) starts the rest, which the verb reads itself."""
    own = {f: a for a in verb.args for f in a.flags}
    slots = sum(1 for a in verb.args if a.positional and not a.rest)
    if face == "cli" and verb.package in ("load", "create"):
        slots += 1
    head: list[str] = []
    i = 0
    while i < len(words):
        word = words[i]
        flag = word.split("=", 1)[0]
        if word.startswith("-") and len(word) > 1:
            arg = own.get(flag)
            if arg is None:
                break
            takes = not arg.switch and "=" not in word
            head += words[i:i + 2] if takes else [word]
            i += 2 if takes else 1
            continue
        if slots == 0:
            break
        head.append(word)
        slots -= 1
        i += 1
    return head, words[i:]


def _check_groups(verb: Verb, args: argparse.Namespace) -> None:
    seen: dict[str, Arg] = {}
    for arg in verb.args:
        if arg.group and not _empty(getattr(args, arg.name, None)):
            if arg.group in seen:
                raise usage_error(f"Give {seen[arg.group].shown} or {arg.shown}, not both.",
                                  verb.words)
            seen[arg.group] = arg


def missing(verb: Verb, args: argparse.Namespace) -> list[Arg]:
    """The required arguments of ``verb`` that ``args`` lacks (a YAML body counts for all)."""
    yaml_arg = verb.cell_arg
    if yaml_arg is not None and getattr(args, yaml_arg.name, None) is not None:
        return []
    return [a for a in verb.args if a.required and _empty(getattr(args, a.name, None))]


def dispatch(verb: Verb, workspace: Any, args: argparse.Namespace) -> Any:
    """Run ``verb`` on ``workspace``: its form when the face shows forms and the verb wants
    one, a usage error for missing required arguments, else ``verb.run``."""
    if workspace.forms and verb.wants_form(args):
        return FormRequest(verb.form or "", {"connector": workspace.require()})
    lacking = missing(verb, args)
    if lacking:
        names = ", ".join(a.shown if a.flags else a.name for a in lacking)
        raise usage_error(f"the following arguments are required: {names}", verb.words)
    return verb.run(workspace, args)
