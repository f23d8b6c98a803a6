"""The ``auth`` verb: set the connector's auth method from ``TYPE --FIELD VALUE...``, from a
YAML definition (``%%connect auth`` or ``--yaml FILE``) or from what the last import suggests
(``--from-spec``); without TYPE the notebook opens the auth form. Also the YAML reader the
verbs with a YAML argument share."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import EndpointDefinitionError
from ..model import AuthConfig
from .grammar import AUTH_TYPE_NAMES, auth_from_args, auth_from_fields, auth_help_lines
from .table import Arg, Verb, register, usage_error

__all__ = ["load_yaml"]


def load_yaml(text: str, what: str, needs: str, verb: tuple[str, ...]) -> dict[str, Any]:
    """A YAML mapping from ``text`` (safe loader), or a usage error naming the line."""
    import yaml

    if not text.strip():
        raise usage_error(f"The cell is empty; describe the {what} in YAML, {needs}.", verb)
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "not valid YAML"
        raise usage_error(f"The {what} YAML could not be read ({problem}{where}); fix the "
                          "YAML.", verb) from None
    if not isinstance(data, dict):
        if what == "endpoint":
            raise EndpointDefinitionError("The endpoint YAML must be a mapping with at least "
                                          "'method:' and 'path:'.")
        raise usage_error(f"The {what} YAML must be a mapping, {needs}.", verb)
    return data


def _from_spec(workspace: Any, args: argparse.Namespace) -> AuthConfig:
    if args.type or args.fields:
        raise usage_error("auth --from-spec takes no TYPE or fields; it applies the auth the "
                          "last import suggested.", ("auth",))
    result = workspace.last_import
    if result is None:
        raise usage_error("No spec was imported in this session, so there is no suggested "
                          "auth; import one first, or pick a type: auth TYPE.", ("auth",))
    if result.auth is None:
        title = result.title or "the last imported spec"
        raise usage_error(f"{title} suggests no auth this connector can use; pick a type: "
                          "auth TYPE [--FIELD VALUE]...", ("auth",))
    return result.auth


def run_auth(workspace: Any, args: argparse.Namespace) -> AuthConfig:
    """Set the connector's auth config; returns it."""
    connector = workspace.require()
    if args.from_spec:
        config = _from_spec(workspace, args)
    elif args.definition is not None:
        fields = dict(load_yaml(args.definition, "auth config",
                                "with 'type:' and the type's fields", ("auth",)))
        kind = fields.pop("type", None)
        if kind is None:
            raise usage_error("The auth config YAML has no 'type:'; add one of "
                              f"{', '.join(AUTH_TYPE_NAMES)}.", ("auth",))
        config = auth_from_fields(str(kind), fields)
    elif args.type is None and not args.fields:
        raise usage_error(f"the following arguments are required: TYPE (one of "
                          f"{', '.join(AUTH_TYPE_NAMES)})", ("auth",))
    elif args.type is None:
        raise usage_error("Give the auth TYPE before its fields: auth TYPE [--FIELD VALUE]... "
                          "(help auth lists them).", ("auth",))
    else:
        config = auth_from_args(args.type, args.fields)
    connector.auth = config
    return config


def _auth_text(config: AuthConfig, args: argparse.Namespace, workspace: Any) -> str:
    from ..render import auth_text

    written = workspace.written
    arrow = f" -> {written}" if written is not None else ""
    return f"auth of {workspace.connector.name}: {auth_text(config)}{arrow}"


def _epilog() -> str:
    return ("types and their fields:\n" + "\n".join(f"  {line}" for line in auth_help_lines())
            + "\n\nSecrets (value, password, token, secret, client-secret) are never auth "
              "fields:\ngive them on a connection as references, connection add PKG NAME "
              "--secret FIELD=env:NAME.")


register(
    Verb(("auth",), "set the auth method (no TYPE: a form; --from-spec: the spec's)",
         "Set the auth method: TYPE and its fields as --FIELD VALUE, a YAML definition, or "
         "the auth the last imported spec suggests. Without TYPE, the notebook opens a form.",
         run_auth, changes=True, text=_auth_text, form="auth", epilog=_epilog,
         form_when=lambda a: not (a.type or a.fields or a.from_spec or a.definition),
         synopsis="auth TYPE [--FIELD VALUE]...",
         cell_synopsis="%%connect auth", cell_summary="set the auth method written in YAML",
         args=(Arg("type", metavar="TYPE", help=", ".join(AUTH_TYPE_NAMES)),
               Arg("from_spec", ("--from-spec",), switch=True,
                   help="apply the auth that the last imported spec suggests"),
               Arg("definition", ("--yaml",), "FILE", yaml=True,
                   help="a YAML file with 'type:' and the type's fields (%%connect auth: "
                        "the cell body)"),
               Arg("fields", metavar="--FIELD VALUE", rest=True,
                   help="the type's fields (see below)"))),
)
