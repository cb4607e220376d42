"""The data map: workflows → data categories → providers and vault collections, as SVG.

Three layers laid out left to right; within a layer nodes are ordered by the mean position
of their parents (one barycentre pass), which is enough to keep SME-sized maps readable.
Edges are declared (grey), observed (blue) or drift (red, dashed: observed, not declared).
The SVG is self-contained and every label is escaped, so the console can inline it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import Any

from resguardo.governance.observed import Observations
from resguardo.governance.transfers import allowed_flows
from resguardo.policy.schema import Policy, TransferMechanism

__all__ = ["DataMap", "Edge", "Node", "build_datamap", "render_svg"]

_COL_X = (20, 330, 640)
_NODE_W, _NODE_H, _GAP, _TOP = 230, 40, 14, 56
_EDGE_STYLE = {
    "declared": 'stroke="#9aa4b2" stroke-width="1.4"',
    "observed": 'stroke="#1f6feb" stroke-width="2.4"',
    "drift": 'stroke="#d1242f" stroke-width="2.4" stroke-dasharray="6 4"',
}


@dataclass
class Node:
    """A box on the map."""

    id: str
    layer: int  # 0 workflow, 1 category, 2 provider or collection
    label: str
    detail: str = ""
    kind: str = "workflow"  # workflow | category | provider | collection
    warn: bool = False  # special category, or a provider outside the EEA

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class Edge:
    """A flow between two nodes; ``kind`` is declared, observed or drift."""

    source: str
    target: str
    kind: str
    requests: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass
class DataMap:
    """Nodes and edges; ``to_dict`` for the console, ``render_svg`` for reports."""

    nodes: list[Node] = field(default_factory=list)
    edges: list[Edge] = field(default_factory=list)

    def node(self, node_id: str) -> Node | None:
        """The node with this id."""
        return next((n for n in self.nodes if n.id == node_id), None)

    def edge(self, source: str, target: str) -> Edge | None:
        """The edge between two nodes."""
        return next((e for e in self.edges if e.source == source and e.target == target), None)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"nodes": [n.to_dict() for n in self.nodes],
                "edges": [e.to_dict() for e in self.edges]}


class _Builder:
    def __init__(self) -> None:
        self.map = DataMap()
        self._edges: dict[tuple[str, str], Edge] = {}

    def node(self, node: Node) -> None:
        if self.map.node(node.id) is None:
            self.map.nodes.append(node)

    def edge(self, source: str, target: str, kind: str, requests: int = 0) -> None:
        found = self._edges.get((source, target))
        if found is None:
            found = self._edges[(source, target)] = Edge(source, target, kind, requests)
            self.map.edges.append(found)
            return
        found.requests += requests
        # observed beats declared; drift beats both (it is what a reviewer must see).
        rank = {"declared": 0, "observed": 1, "drift": 2}
        if rank[kind] > rank[found.kind]:
            found.kind = kind


def _provider_node(policy: Policy, pid: str) -> Node:
    p = policy.provider(pid)
    if p is None:
        return Node(f"prov:{pid}", 2, pid, "not in the policy", "provider", True)
    where = p.country.upper() + (f" / {p.region}" if p.region else "")
    mech = "" if p.in_eea or p.transfer_mechanism is TransferMechanism.NONE \
        else f" · {p.transfer_mechanism.value.upper()}"
    return Node(f"prov:{pid}", 2, pid, f"{p.tier.value} · {where}{mech}", "provider",
                not p.in_eea)


def build_datamap(policy: Policy, observations: Observations | None = None) -> DataMap:
    """The map of declared flows, overlaid with observed ones and drift."""
    b = _Builder()

    def category(cat: str) -> str:
        c = policy.category(cat)
        b.node(Node(f"cat:{cat}", 1, cat, f"risk {c.risk.value}" if c else "undeclared",
                    "category", bool(c is None or c.special)))
        return f"cat:{cat}"

    for wf in policy.workflows:
        b.node(Node(f"wf:{wf.id}", 0, wf.id, wf.legal_basis.value if wf.legal_basis
                    else "no legal basis", "workflow", wf.legal_basis is None))
    flows = allowed_flows(policy)
    for (wf_id, cat), providers in flows.items():
        cid = category(cat)
        b.edge(f"wf:{wf_id}", cid, "declared")
        for pid in providers:
            b.node(_provider_node(policy, pid))
            b.edge(cid, f"prov:{pid}", "declared")
    for wf in policy.workflows:
        for access in wf.collections:
            col = policy.collection(access.collection)
            if col is None:
                continue
            cid = category(col.category)
            b.node(Node(f"col:{col.id}", 2, f"vault: {col.id}", f"{col.retention_days} days",
                        "collection"))
            b.edge(f"wf:{wf.id}", cid, "declared")
            b.edge(cid, f"col:{col.id}", "declared")
    if observations is not None:
        for wf_id, obs in observations.workflows.items():
            known = policy.workflow(wf_id)
            b.node(Node(f"wf:{wf_id}", 0, wf_id, "not in the policy" if known is None else "",
                        "workflow", known is None))
            for cat, n in obs.categories.items():
                declared = known is not None and cat in known.categories
                b.edge(f"wf:{wf_id}", category(cat), "observed" if declared else "drift", n)
            for pid, cats in obs.providers.items():
                b.node(_provider_node(policy, pid))
                for cat, n in cats.items():
                    ok = pid in flows.get((wf_id, cat), [])
                    b.edge(category(cat), f"prov:{pid}", "observed" if ok else "drift", n)
    _order(b.map)
    return b.map


def _order(m: DataMap) -> None:
    index = {n.id: i for i, n in enumerate(m.nodes)}
    position: dict[str, float] = {}
    layers: list[list[Node]] = [[n for n in m.nodes if n.layer == k] for k in range(3)]
    for k, layer in enumerate(layers):
        if k:
            def centre(n: Node) -> tuple[float, int]:
                parents = [position[e.source] for e in m.edges
                           if e.target == n.id and e.source in position]
                mean = sum(parents) / len(parents) if parents else float("inf")
                return (mean, index[n.id])

            layer.sort(key=centre)
        for i, n in enumerate(layer):
            position[n.id] = float(i)
    m.nodes[:] = [n for layer in layers for n in layer]


def _centres(m: DataMap) -> dict[str, tuple[float, float]]:
    out: dict[str, tuple[float, float]] = {}
    counts = [0, 0, 0]
    for n in m.nodes:
        y = _TOP + counts[n.layer] * (_NODE_H + _GAP)
        counts[n.layer] += 1
        out[n.id] = (_COL_X[n.layer], y)
    return out


def render_svg(m: DataMap, title: str = "Data map") -> str:
    """A self-contained SVG of the map."""
    boxes = _centres(m)
    rows = max([sum(1 for n in m.nodes if n.layer == k) for k in range(3)] + [1])
    height = _TOP + rows * (_NODE_H + _GAP) + 30
    width = _COL_X[2] + _NODE_W + 20
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="system-ui, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    for k, head in enumerate(("Workflows", "Data categories", "Providers and vault")):
        out.append(f'<text x="{_COL_X[k]}" y="30" font-weight="bold" font-size="14">'
                   f"{head}</text>")
    for e in m.edges:
        if e.source not in boxes or e.target not in boxes:
            continue
        x1, y1 = boxes[e.source][0] + _NODE_W, boxes[e.source][1] + _NODE_H / 2
        x2, y2 = boxes[e.target][0], boxes[e.target][1] + _NODE_H / 2
        mid = (x1 + x2) / 2
        tip = f"{e.source[e.source.index(':') + 1:]} → {e.target[e.target.index(':') + 1:]}"
        tip += f" ({e.kind}{f', {e.requests} requests' if e.requests else ''})"
        out.append(f'<path class="edge {e.kind}" d="M{x1:.0f},{y1:.0f} C{mid:.0f},{y1:.0f} '
                   f'{mid:.0f},{y2:.0f} {x2:.0f},{y2:.0f}" fill="none" {_EDGE_STYLE[e.kind]}>'
                   f"<title>{escape(tip)}</title></path>")
    fills = {"workflow": "#eef4ff", "category": "#f3f0ff", "provider": "#eefbf3",
             "collection": "#fff8e6"}
    for n in m.nodes:
        x, y = boxes[n.id]
        stroke = "#d1242f" if n.warn else "#57606a"
        out.append(f'<g class="node {n.kind}"><rect x="{x}" y="{y}" width="{_NODE_W}" '
                   f'height="{_NODE_H}" rx="6" fill="{fills[n.kind]}" stroke="{stroke}" '
                   f'stroke-width="{2 if n.warn else 1}"/>'
                   f'<text x="{x + 8}" y="{y + 16}" font-weight="bold">{escape(n.label)}</text>'
                   f'<text x="{x + 8}" y="{y + 32}" fill="#57606a">{escape(n.detail)}</text></g>')
    legend_y = height - 12
    out.append(f'<text x="{_COL_X[0]}" y="{legend_y}" fill="#57606a">grey: declared · '
               "blue: observed · red dashed: drift (observed, not declared) · red border: "
               "special category or outside the EEA</text>")
    out.append("</svg>")
    return "\n".join(out)
