"""Workflow actions from the Exceptions page, as plain functions (no Streamlit) that say what
happened in words the user can act on.

The role check is ``jobs.workflow.record``'s own; here only what the store cannot know is
refused: acting on an exception the matcher has already resolved automatically.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from app.access import Viewer
from jobs import workflow
from jobs.workflow import Action, Conflict, InvalidAction, NotAllowed

# Reasons a controller picks from when resolving: a closed list keeps resolutions reportable.
RESOLUTION_REASONS = (
    "Corrected in the source system",
    "Booked manually (fee, FX or rounding difference)",
    "Duplicate reversed",
    "Master data fixed (customer, vendor, account)",
    "Timing: cleared in the next period",
    "Written off (below materiality)",
    "Not an exception (explained)",
)
PAST = {Action.ASSIGN: "Assigned", Action.ROUTE: "Routed", Action.COMMENT: "Commented on",
        Action.RESOLVE: "Resolved", Action.REOPEN: "Reopened"}
CHANGES_STATE = {Action.ASSIGN, Action.ROUTE, Action.RESOLVE, Action.REOPEN}


@dataclass(frozen=True)
class Target:
    """An exception as the user saw it when choosing the action."""

    version: int
    status: str


@dataclass(frozen=True)
class Outcome:
    level: str  # success | warning | error
    message: str

    @property
    def ok(self) -> bool:
        return self.level == "success"


def apply(store: workflow.Store, viewer: Viewer, action: Action | str,
          targets: Mapping[str, Target], *, assignee: str | None = None,
          queue: str | None = None, reason: str | None = None,
          comment: str | None = None) -> Outcome:
    """Record ``action`` on every target, all or nothing, checked against what the user saw."""
    try:
        action = Action(action)
    except ValueError:
        return Outcome("error", f"Unknown action {action!r}.")
    automatic = [x for x, t in targets.items() if t.status == "auto_resolved"]
    if action in CHANGES_STATE and automatic:
        return Outcome("error", f"{len(automatic)} of the selected exceptions were resolved "
                                "automatically by a match, so there is nothing to "
                                f"{action.value}; leave them out ({automatic[0]}).")
    try:
        events = workflow.record(
            store, list(targets), action, viewer.actor, viewer.role, assignee=assignee,
            queue=queue, reason=reason, comment=comment,
            expected={x: t.version for x, t in targets.items()})
    except NotAllowed as err:
        return Outcome("error", f"Not allowed: {err}.")
    except Conflict as err:
        return Outcome("warning", f"Nothing was saved: {err}.")
    except InvalidAction as err:
        return Outcome("error", f"Nothing was saved: {err}.")
    n = len(events)
    return Outcome("success", f"{PAST[action]} {n} exception{'s' if n != 1 else ''}.")
