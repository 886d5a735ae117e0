"""Presets: known file shapes, so a file from another tool imports without a ``--map`` each.

A preset names, for each deal field, the headers it may have (first one present
wins and, when several are present, the first non-empty value in a row), the
values of the stage and status columns, and the date format.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .fields import FIELDS


@dataclass(frozen=True)
class Preset:
    """A known file shape: for each field, the headers it may have (first one present wins
    and, when several are present, the first non-empty value in a row)."""

    name: str
    description: str
    columns: Mapping[str, tuple[str, ...]]
    date_format: str | None = None
    stage_map: Mapping[str, str] = field(default_factory=dict)
    status_map: Mapping[str, str] = field(default_factory=dict)
    zero_value_unknown: bool = False
    # `pipe export` files: every `entered_STAGE` column is the date the deal entered STAGE
    entered_columns: bool = False


def _pipe_columns() -> dict[str, tuple[str, ...]]:
    return {f: (f.replace(".", "_"),) for f in FIELDS}


PRESETS: dict[str, Preset] = {
    "pipe": Preset(
        name="pipe",
        description="a `pipe export --format csv` file: columns named like the fields",
        columns=_pipe_columns(),
        entered_columns=True,
    ),
    "crm-sales-opportunities": Preset(
        name="crm-sales-opportunities",
        description="Maven Analytics' public CRM Sales Opportunities sample (sales_pipeline.csv)",
        columns={
            "external_id": ("opportunity_id",),
            "title": ("{account} – {product}",),
            "company": ("account",),
            "owner": ("sales_agent",),
            "tags": ("product",),
            "stage": ("deal_stage",),
            "status": ("deal_stage",),
            "entered.Engaging": ("engage_date",),
            "closed_at": ("close_date",),
            "close_date": ("close_date",),
            "value": ("close_value",),
        },
        date_format="%m/%d/%Y",
        stage_map={"Prospecting": "prospecting", "Engaging": "engaging", "Won": "", "Lost": ""},
        status_map={"Prospecting": "open", "Engaging": "open", "Won": "won", "Lost": "lost"},
        zero_value_unknown=True,
    ),
    "pipedrive": Preset(
        name="pipedrive",
        description="a Pipedrive deals export (Deals list > Export, CSV)",
        columns={
            "external_id": ("Deal - ID", "ID"),
            "title": ("Deal - Title", "Title"),
            "company": ("Deal - Organization", "Organization"),
            "contact.name": ("Deal - Contact person", "Contact person"),
            "value": ("Deal - Value", "Value"),
            "currency": ("Deal - Currency", "Currency"),
            "stage": ("Deal - Stage", "Stage"),
            "status": ("Deal - Status", "Status"),
            "owner": ("Deal - Owner", "Owner"),
            "source": ("Deal - Source channel", "Source channel"),
            "tags": ("Deal - Label", "Label"),
            "created": ("Deal - Deal created", "Deal created"),
            "close_date": ("Deal - Expected close date", "Expected close date"),
            "closed_at": ("Deal - Won time", "Deal - Lost time", "Won time", "Lost time", "Deal - Deal closed on"),
            "lost_reason": ("Deal - Lost reason", "Lost reason"),
        },
        stage_map={
            "Lead In": "lead",
            "Contact Made": "qualified",
            "Needs Defined": "meeting",
            "Demo Scheduled": "meeting",
            "Proposal Made": "proposal",
            "Negotiations Started": "negotiation",
        },
        status_map={"Open": "open", "Won": "won", "Lost": "lost"},
    ),
    "hubspot": Preset(
        name="hubspot",
        description="a HubSpot deals export (Deals index > Export, CSV)",
        columns={
            "external_id": ("Record ID", "Deal ID"),
            "title": ("Deal Name",),
            "company": ("Associated Company", "Associated Company (Primary)", "Company name"),
            "value": ("Amount",),
            "currency": ("Currency",),
            "stage": ("Deal Stage",),
            "status": ("Deal Stage",),
            "owner": ("Deal owner", "Deal Owner"),
            "source": ("Original Source Type", "Original Traffic Source"),
            "tags": ("Deal Type",),
            "created": ("Create Date",),
            "close_date": ("Close Date",),
            "closed_at": ("Close Date",),
            "lost_reason": ("Closed Lost Reason",),
            "next_step": ("Next step", "Next Step"),
        },
        stage_map={
            "Appointment Scheduled": "lead",
            "appointmentscheduled": "lead",
            "Qualified To Buy": "qualified",
            "qualifiedtobuy": "qualified",
            "Presentation Scheduled": "meeting",
            "presentationscheduled": "meeting",
            "Decision Maker Bought-In": "proposal",
            "decisionmakerboughtin": "proposal",
            "Contract Sent": "negotiation",
            "contractsent": "negotiation",
            "Closed Won": "",
            "closedwon": "",
            "Closed Lost": "",
            "closedlost": "",
        },
        status_map={"Closed Won": "won", "closedwon": "won", "Closed Lost": "lost", "closedlost": "lost", "*": "open"},
    ),
}
