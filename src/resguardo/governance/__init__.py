"""Governance: what a DPO needs from the policy and the audit trail.

    observed      AuditReader port, flows observed per workflow
    ropa, render  records of processing (Art. 30) in HTML, Markdown, CSV, JSON; drift
    datamap       workflows → categories → providers / vault collections, as SVG
    dpia          WP248 / AEPD DPIA criteria (Art. 35); the `dpia-required` lint rule
    transfers     providers outside the EEA and what they received (Art. 44-49)
    incidents     breach register and first-24-hours plan (Art. 33/34); impact, evidence,
                  deadlines (48/66/72 h alerts), incident_docs (AEPD draft, subject notice)
    review        human review of automated decisions (Art. 22(3))
    wiring        build it all once per process

Nothing is imported here: ``resguardo.policy.lint`` imports ``governance.dpia`` and must
stay light.
"""
