"""Records of processing, drift, transfers and the data map from a known policy and history."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET

from gov_helpers import T0, gov_policy, seeded_events

from resguardo.audit.log import DbAuditLog
from resguardo.governance.datamap import build_datamap, render_svg
from resguardo.governance.observed import DbAuditReader, MemoryAuditReader, observe
from resguardo.governance.render import CSV_COLUMNS, render_ropa
from resguardo.governance.ropa import build_ropa, find_drift
from resguardo.governance.transfers import international_transfers
from resguardo.policy.schema import Policy
from resguardo.store.db import Database
from resguardo.testing import FrozenClock, MemoryAuditSink


async def test_observe_joins_requests_to_the_provider_that_answered(
        history: MemoryAuditSink) -> None:
    """Categories land on the provider from the response event; blocked requests send nothing."""
    obs = await observe(MemoryAuditReader(history.events))
    sup = obs.of("support-bot")
    assert sup.requests == 2 and sup.blocked == 1
    assert dict(sup.providers["openai-us"]) == {"personal": 2, "financial": 1}
    assert "special" not in sup.categories
    lead = obs.of("lead-scorer")
    assert dict(lead.providers["mistral-eu"]) == {"personal": 1, "financial": 1}
    assert lead.collections["leads"] == 2 and len(lead.subjects) == 2


async def test_db_reader_sees_the_same_flows_as_memory(database: Database,
                                                       clock: FrozenClock) -> None:
    """Events written through the real hash-chained log read back into the same observations."""
    log = DbAuditLog(database, clock)
    for event in seeded_events():
        await log.record(event)
    await log.aclose()
    from_db = await observe(DbAuditReader(database, page=3))
    from_memory = await observe(MemoryAuditReader(seeded_events()))
    for wf in ("support-bot", "lead-scorer"):
        assert from_db.of(wf).providers == from_memory.of(wf).providers
        assert from_db.of(wf).subjects == from_memory.of(wf).subjects


async def test_drift_flags_an_undeclared_category(history: MemoryAuditSink,
                                                  policy: Policy) -> None:
    """The support bot sent financial data its policy does not declare: exactly one drift."""
    drift = find_drift(policy, await observe(MemoryAuditReader(history.events)))
    assert [(d.workflow, d.kind, d.item, d.requests) for d in drift] == [
        ("support-bot", "category", "financial", 1)]


async def test_drift_flags_an_undeclared_provider_and_workflow() -> None:
    """A provider the workflow does not list, and a workflow not in the policy, are drift."""
    policy = gov_policy(**{"support-bot": {"providers": ["mistral-eu"]}})
    events = seeded_events()
    drift = find_drift(policy, await observe(MemoryAuditReader(events)))
    assert ("support-bot", "provider", "openai-us") in [(d.workflow, d.kind, d.item)
                                                        for d in drift]
    stray = [e for e in events if e.kind == "gateway.request"][:1]
    stray = [type(e)(**{**e.__dict__, "workflow": "ghost"}) for e in stray]
    drift = find_drift(policy, await observe(MemoryAuditReader(stray)))
    assert [(d.kind, d.item) for d in drift] == [("workflow", "ghost")]


async def test_ropa_records_hold_every_article_30_item(history: MemoryAuditSink,
                                                       policy: Policy) -> None:
    """Controller, DPO, purpose, basis, subjects, recipients, transfers, retention, measures."""
    ropa = build_ropa(policy, await observe(MemoryAuditReader(history.events)), T0)
    assert ropa.controller["dpo"] == "dpo@acme.example"
    sup = next(r for r in ropa.records if r.workflow == "support-bot")
    assert sup.legal_basis == "contract" and sup.data_subjects == ["customers"]
    assert sup.observed_categories == {"financial": 1, "personal": 2}
    [us] = sup.recipients
    assert (us.provider, us.country, us.in_eea) == ("openai-us", "US", False)
    assert "Data Privacy Framework" in us.mechanism
    assert "workflow data: 30 days" in sup.retention
    assert any("pseudonymization" in m for m in sup.security)
    assert [d.item for d in sup.drift] == ["financial"]
    lead = next(r for r in ropa.records if r.workflow == "lead-scorer")
    assert lead.collections == [{"collection": "leads", "category": "personal",
                                 "access": "read/write", "retention_days": 365}]
    assert any("human review" in m for m in lead.security)


async def test_transfers_list_non_eea_providers_with_what_they_received(
        history: MemoryAuditSink, policy: Policy) -> None:
    """Only openai-us is outside the EEA; it may receive personal data and got financial too."""
    [t] = international_transfers(policy, await observe(MemoryAuditReader(history.events)))
    assert (t.provider, t.mechanism.value) == ("openai-us", "dpf")
    assert t.allowed_categories == ["financial", "personal"]  # via the lead scorer
    assert dict(t.received) == {"personal": 2, "financial": 1}
    assert t.workflows == ["lead-scorer", "support-bot"] and not t.unprotected


async def test_datamap_layers_and_drift_edge(history: MemoryAuditSink, policy: Policy) -> None:
    """Workflows → categories → providers/collections; the drift flow is a red dashed edge."""
    m = build_datamap(policy, await observe(MemoryAuditReader(history.events)))
    assert {n.layer for n in m.nodes if n.kind == "provider"} == {2}
    assert m.node("col:leads") is not None and m.node("cat:personal") is not None
    edge = m.edge("wf:support-bot", "cat:financial")
    assert edge is not None and edge.kind == "drift"
    observed = m.edge("wf:lead-scorer", "cat:financial")
    assert observed is not None and observed.kind == "observed"
    provider = m.node("prov:openai-us")
    assert provider is not None and provider.warn and "DPF" in provider.detail
    svg = render_svg(m)
    root = ET.fromstring(svg)  # noqa: S314 - our own output, checked for well-formedness
    assert root.tag.endswith("svg")
    assert 'stroke-dasharray="6 4"' in svg


async def test_renderers_escape_and_embed_the_map(history: MemoryAuditSink,
                                                  policy: Policy) -> None:
    """HTML escapes policy text and embeds the SVG; CSV, Markdown and JSON carry the same facts."""
    obs = await observe(MemoryAuditReader(history.events))
    ropa = build_ropa(policy, obs, T0)
    dm = build_datamap(policy, obs)
    html = render_ropa(ropa, "html", dm)
    assert "Acme &lt;Servicios&gt; S.L." in html and "<Servicios>" not in html
    assert "&lt;by chat&gt;" in html and "<svg" in html and "<style>" in html
    assert "support-bot" in html and "financial" in html
    rows = list(csv.DictReader(io.StringIO(render_ropa(ropa, "csv"))))
    assert tuple(rows[0].keys()) == CSV_COLUMNS and len(rows) == 3
    assert "openai-us" in rows[1]["international_transfers"]
    md = render_ropa(ropa, "md")
    assert "## support-bot" in md and "Drift" in md
    data = json.loads(render_ropa(ropa, "json", dm))
    assert data["drift"][0]["item"] == "financial" and data["datamap"]["nodes"]


async def test_csv_neutralizes_formulas() -> None:
    """A purpose starting with '=' is written so a spreadsheet shows it as text."""
    policy = gov_policy(**{"hr-assistant": {"purpose": "=HYPERLINK(\"x\")"}})
    ropa = build_ropa(policy, None, T0)
    rows = list(csv.DictReader(io.StringIO(render_ropa(ropa, "csv"))))
    assert rows[2]["purpose"].startswith("'=")
