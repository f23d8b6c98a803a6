"""The ``help`` verb and the help texts: the verb list of each face, and one verb's (or one
family's) options."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from .table import (
    Arg,
    Verb,
    build_parser,
    families,
    register,
    suggest,
    top_words,
    usage_error,
    verbs,
)

__all__ = ["help_listing", "verb_help"]


def verb_help(words: Sequence[str], face: str) -> str:
    """The help of one verb (or of every action of a family) for ``face``."""
    by_words = {v.words: v for v in verbs()}
    by_word = families()
    words = [w for w in words if w]
    if tuple(words) in by_words:
        return build_parser(by_words[tuple(words)], face).format_help().rstrip()
    if len(words) == 1 and words[0] in by_word:
        family = by_word[words[0]]
        actions = [v for v in by_words.values() if v.words[0] == words[0]]
        prog = ("nbconnect " if face == "cli" else "%connect ") + family.word
        lines = [f"usage: {prog} {{{','.join(v.words[1] for v in actions)}}} ...", "",
                 family.description or family.summary, "", "actions:"]
        width = max(len(v.words[1]) for v in actions)
        for v in actions:
            lines.append(f"  {v.words[1]:<{width}}  {v.summary}")
        lines += ["", f"{'nbconnect' if face == 'cli' else '%connect'} help {family.word} "
                      "ACTION shows an action's options."]
        return "\n".join(lines)
    shown = " ".join(words)
    raise usage_error(f"Unknown verb {shown!r}{suggest(shown, top_words())}")


def help_listing(face: str) -> str:
    """Every verb, one line each (plus the cell forms in the notebook)."""
    by_words = {v.words: v for v in verbs()}
    by_word = families()
    entries: list[tuple[str, str]] = []
    done: set[str] = set()
    for verb in verbs():
        top = verb.words[0]
        if top in done:
            continue
        done.add(top)
        family = by_word.get(top)
        if family is not None:
            entries.append((family.synopsis, family.summary))
            cell_verb = by_words.get((top, family.cell_action or ""))
            if face == "magic" and cell_verb is not None and cell_verb.cell_synopsis:
                entries.append((cell_verb.cell_synopsis, cell_verb.cell_summary))
            continue
        entries.append((verb.synopsis or verb.name, verb.summary))
        if face == "magic" and verb.cell_synopsis:
            entries.append((verb.cell_synopsis, verb.cell_summary))
    width = max(len(s) for s, _ in entries if len(s) <= 40)
    if face == "cli":
        entries = [(_cli_synopsis(v), v.summary) for v in verbs()]
        width = max(len(s) for s, _ in entries if len(s) <= 40)
        head = ["usage: nbconnect VERB [PKG] [ARGS]   ('nbconnect help VERB' shows a verb's "
                "options)", "", "The same verbs as the %connect magics, on a package PKG.",
                "Exit codes: 0 ok, 1 a tested endpoint failed, 2 bad input, 130 interrupted.",
                "", "verbs:"]
    else:
        head = ["%connect VERB [ARGS]   (`%connect help VERB` shows a verb's options)", ""]
    lines = [f"  {s:<{width}}  {t}".rstrip() if len(s) <= width else f"  {s}\n  {'':<{width}}  {t}"
             for s, t in entries]
    return "\n".join(head + lines)


def _cli_synopsis(verb: Verb) -> str:
    parts = [verb.name]
    if verb.package in ("load", "create"):
        parts.append("PKG")
    for arg in verb.args:
        name = arg.metavar or arg.name.upper()
        if arg.rest:
            parts.append("[OPTIONS]")
        elif arg.positional:
            parts.append(name if arg.required else f"[{name}]" if not arg.repeatable
                         else f"[{name}]...")
    if verb.package == "output":
        parts.append("-o PKG")
    return " ".join(parts)


def run_help(workspace: Any, args: argparse.Namespace) -> None:
    """Print the verb list, or the help of ``args.topic`` (``connection add`` works)."""
    face = workspace.face
    topic = [w for w in (args.topic or []) if w]
    workspace.say(verb_help(topic, face) if topic else help_listing(face))


register(
    Verb(("help",), "list the verbs, or show one verb's options",
         "List the verbs, or show one verb's options (help connection add: one action's).",
         run_help, package="none", synopsis="help [VERB]",
         args=(Arg("topic", metavar="VERB", repeatable=True,
                   help="a verb, or a verb and its action (connection add)"),)),
)
