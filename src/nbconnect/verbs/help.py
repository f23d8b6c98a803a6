"""The ``help`` verb: list the verbs, or show one verb's (or one family's) options."""

from __future__ import annotations

import argparse
from typing import Any

from .table import Arg, Verb, help_listing, register, verb_help


def run_help(workspace: Any, args: argparse.Namespace) -> None:
    """Print the verb list, or the help of ``args.topic`` (``connection add`` works)."""
    face = getattr(workspace, "face", "cli")
    topic = [w for w in (args.topic or []) if w]
    workspace.say(verb_help(topic, face) if topic else help_listing(face))


register(
    Verb(("help",), "list the verbs, or show one verb's options",
         "List the verbs, or show one verb's options (help connection add: one action's).",
         run_help, package="none", synopsis="help [VERB]",
         args=(Arg("topic", metavar="VERB", repeatable=True,
                   help="a verb, or a verb and its action (connection add)"),)),
)
