"""The link graph: which parameters depend on which endpoints, in what order, and a drawing.

:func:`link_graph` gives a :class:`LinkGraph`: one edge per dynamic link (linked endpoint
L -> parameter P of endpoint E), the static lists per parameter, and the endpoints in
layers (layer 0 needs nothing; an endpoint sits one layer right of every endpoint it takes
values from). :func:`dependency_order` orders endpoint ids so every linked endpoint comes
before the endpoints that take values from it (``test --all`` runs in that order);
:func:`find_cycle` (from the model) names a circle. :meth:`LinkGraph.svg` draws the graph
as a deterministic SVG (same connector, same bytes); :meth:`LinkGraph.text` is the plain
text of the same graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from html import escape

from ..model import Connector
from ..model.links import Link, find_cycle
from .static import all_links

__all__ = ["LinkGraph", "dependency_order", "find_cycle", "link_graph"]


@dataclass(frozen=True)
class LinkGraph:
    """Endpoints by layer, dynamic edges ``(source, endpoint, param, value_path)``, static
    lists ``(endpoint, param, count, origin)`` and chained inputs (see ``chains``)."""

    name: str
    layers: tuple[tuple[str, ...], ...]
    edges: tuple[tuple[str, str, str, str], ...]
    statics: tuple[tuple[str, str, int, str], ...]
    #: chained links ``(endpoint, from_param, param, input)``: the linked endpoint of
    #: ``param`` is called with its input ``input`` set to ``from_param``'s value
    chains: tuple[tuple[str, str, str, str], ...] = ()

    def __repr__(self) -> str:
        return self.text()

    def text(self) -> str:
        """The graph as plain text, one line per link."""
        if not self.edges and not self.statics:
            return f"{self.name}: no parameter links"
        lines = [f"{self.name}: {len(self.edges)} dynamic link(s), {len(self.statics)} "
                 "static list(s)"]
        lines += [f"  {src} --[{path}]--> {ep}.{param}" for src, ep, param, path in self.edges]
        lines += [f"  {ep}.{param}: {n} listed value(s) ({origin})"
                  for ep, param, n, origin in self.statics]
        sources = {(ep, param): src for src, ep, param, _path in self.edges}
        lines += [f"  {ep}.{before} ..> {ep}.{param} ({sources.get((ep, param), '?')} is "
                  f"called with {name}={ep}.{before})"
                  for ep, before, param, name in self.chains]
        return "\n".join(lines)

    def svg(self) -> str:
        """The graph drawn as SVG: one column per layer, a box per endpoint listing its
        linked parameters, an arrow per dynamic link labelled with its path, and a dashed
        arrow inside a box from a parameter to the one whose list depends on it (chained)."""
        box_w, row_h, gap_x, gap_y, pad = 210, 18, 90, 24, 16
        params: dict[str, list[str]] = {}
        for _src, ep, param, _path in self.edges:
            params.setdefault(ep, []).append(param)
        for ep, param, n, _origin in self.statics:
            params.setdefault(ep, []).append(f"{param} [{n}]")
        for ep, before, _param, _name in self.chains:  # a chained input's parameter: a row
            rows = params.setdefault(ep, [])
            if before not in rows and not any(r.startswith(f"{before} [") for r in rows):
                rows.insert(0, before)
        column = {ep: col for col, layer in enumerate(self.layers) for ep in layer}
        skips = [e for e in self.edges if e[0] in column and e[1] in column and
                 column[e[1]] - column[e[0]] > 1]
        top = pad + 14 * len(skips)  # a lane above the boxes for each edge that skips a column
        pos: dict[str, tuple[int, int, int]] = {}
        height = 0
        for col, layer in enumerate(self.layers):
            y = top
            for ep in layer:
                h = row_h * (1 + len(params.get(ep, []))) + 8
                pos[ep] = (pad + col * (box_w + gap_x), y, h)
                y += h + gap_y
            height = max(height, y)
        width = pad * 2 + max(1, len(self.layers)) * box_w + max(0, len(self.layers) - 1) * gap_x
        height = max(height, 60)
        out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
               f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" '
               'role="img">',
               f"<title>{escape(self.name)}: parameter links</title>",
               '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
               'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
               '<path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker></defs>']
        for ep, (x, y, h) in pos.items():
            out.append(f'<g class="endpoint"><rect x="{x}" y="{y}" width="{box_w}" '
                       f'height="{h}" rx="6" fill="#f4f6fb" stroke="#4a5a80"/>')
            out.append(f'<text x="{x + 8}" y="{y + 15}" font-weight="bold">{escape(ep)}</text>')
            for i, label in enumerate(params.get(ep, []), start=1):
                out.append(f'<text x="{x + 14}" y="{y + 15 + i * row_h}" fill="#333">'
                           f'{escape(label)}</text>')
            out.append("</g>")
        for src, ep, param, path in self.edges:
            if src not in pos or ep not in pos:
                continue
            sx, sy, sh = pos[src]
            ex, ey, _eh = pos[ep]
            row = params[ep].index(param) + 1
            x1, y1 = sx + box_w, sy + sh // 2
            x2, y2 = ex, ey + 11 + row * row_h
            lx, ly = (x1 + x2) // 2, (y1 + y2) // 2 - 4
            if x2 <= x1:  # same column: loop round the right-hand side
                x2 = ex + box_w
                mid = max(x1, x2) + 30
                d = f"M {x1} {y1} C {mid} {y1} {mid} {y2} {x2} {y2}"
            elif (src, ep, param, path) in skips:  # over the boxes between, in its lane
                lane = pad + 6 + 14 * skips.index((src, ep, param, path))
                q, h = gap_x // 4, gap_x // 2
                d = (f"M {x1} {y1} C {x1 + q} {y1} {x1 + q} {lane} {x1 + h} {lane} "
                     f"L {x2 - h} {lane} C {x2 - q} {lane} {x2 - q} {y2} {x2} {y2}")
                lx, ly = (x1 + x2) // 2, lane - 3
            else:
                mid = (x1 + x2) // 2
                d = f"M {x1} {y1} C {mid} {y1} {mid} {y2} {x2} {y2}"
            out.append(f'<path class="link" d="{d}" fill="none" stroke="#555" '
                       'marker-end="url(#arrow)"/>')
            out.append(f'<text x="{lx}" y="{ly}" text-anchor="middle" font-size="10" '
                       'fill="#555" stroke="#fff" stroke-width="3" paint-order="stroke">'
                       f'{escape(path)}</text>')
        sources = {(ep, param): src for src, ep, param, _path in self.edges}
        for ep, before, param, name in self.chains:  # dashed, inside the box's right edge
            if ep not in pos:
                continue
            x, y, _h = pos[ep]
            rows = [r.split(" [")[0] for r in params[ep]]
            y1 = y + 11 + (rows.index(before) + 1) * row_h
            y2 = y + 11 + (rows.index(param) + 1) * row_h
            xr = x + box_w - 40
            out.append(f'<path class="chain" d="M {xr} {y1} C {xr + 30} {y1} {xr + 30} {y2} '
                       f'{xr} {y2}" fill="none" stroke="#a05a00" stroke-width="1.5" '
                       'stroke-dasharray="4 3" marker-end="url(#arrow)">'
                       f'<title>{escape(sources.get((ep, param), ""))}'
                       f" is called with {escape(name)}={escape(ep)}.{escape(before)}</title>"
                       "</path>")
        out.append("</svg>")
        return "\n".join(out)


def _layers(nodes: list[str], needs: dict[str, set[str]]) -> list[list[str]]:
    depth: dict[str, int] = {}

    def level(node: str, trail: tuple[str, ...] = ()) -> int:
        if node in depth:
            return depth[node]
        if node in trail:  # a circle (refused by the connector): stop here
            return 0
        depth[node] = value = 1 + max((level(n, (*trail, node)) for n in needs.get(node, ())),
                                      default=-1)
        return value

    for node in nodes:
        level(node)
    out: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in nodes:
        out[depth[node]].append(node)
    return out


def _needs(links: Iterable[Link]) -> dict[str, set[str]]:
    needs: dict[str, set[str]] = {}
    for link in links:
        if link.source is not None and link.source != link.endpoint:
            needs.setdefault(link.endpoint, set()).add(link.source)
    return needs


def link_graph(connector: Connector, *, enums: bool = True) -> LinkGraph:
    """The connector's link graph (``enums``: include the lists the spec's enums give)."""
    found = [(lk, origin) for lk, origin in all_links(connector) if enums or origin == "set"]
    dynamic = [lk for lk, _ in found if lk.source is not None]
    order = [e.id for e in connector.endpoints]
    involved = {lk.endpoint for lk, _ in found} | {lk.source for lk in dynamic if lk.source}
    nodes = [i for i in order if i in involved] + sorted(involved - set(order))
    layers = _layers(nodes, _needs(dynamic))
    edges = tuple((lk.source or "", lk.endpoint, lk.param, lk.value_path or "")
                  for lk in dynamic)
    statics = tuple((lk.endpoint, lk.param, len(lk.values or ()), origin)
                    for lk, origin in found if lk.values is not None)
    chains = tuple((lk.endpoint, item.param, lk.param, item.name) for lk in dynamic
                   for item in lk.inputs if item.param is not None)
    return LinkGraph(connector.name, tuple(tuple(x) for x in layers), edges, statics, chains)


def dependency_order(connector: Connector, ids: Iterable[str] | None = None) -> list[str]:
    """``ids`` (default: every endpoint) ordered so each linked endpoint comes before the
    endpoints that take values from it; otherwise the given order is kept."""
    wanted = [e.id for e in connector.endpoints] if ids is None else list(dict.fromkeys(ids))
    needs = _needs(getattr(connector, "links", ()))
    if not needs:
        return wanted
    done: list[str] = []
    placed: set[str] = set()
    wanted_set = set(wanted)

    def place(node: str, trail: tuple[str, ...] = ()) -> None:
        if node in placed or node in trail:
            return
        for dep in sorted(needs.get(node, ()), key=lambda n: wanted.index(n)
                          if n in wanted_set else len(wanted)):
            if dep in wanted_set:
                place(dep, (*trail, node))
        placed.add(node)
        done.append(node)

    for node in wanted:
        place(node)
    return done
