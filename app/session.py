"""What every page needs, resolved once per rerun by the entrypoint: who is looking and in which
role, the published run, and the shared sidebar filters.

Drawn in the entrypoint (not in each page) so the role and the filters stay as they are, in the
widgets and in the URL, when the reader moves between pages. Pages read it with ``context()``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import streamlit as st

from app import access, data, filters
from app.access import ROLE_LABELS, Viewer
from app.data import Published
from app.queries import Filters
from jobs.settings import Settings
from jobs.workflow import Role

ROLE_KEY = "role"
_CONTEXT_KEY = "_recon_context"


@dataclass(frozen=True)
class Context:
    """The rerun's shared state, as pages see it."""

    settings: Settings
    viewer: Viewer
    pub: Published | None = None
    filters: Filters = Filters()
    names: dict[str, str] = field(default_factory=dict)


def auth_configured() -> bool:
    """True when ``[auth]`` is in ``secrets.toml``: then only signed-in users get in."""
    try:
        return "auth" in st.secrets
    except Exception:  # by choice: no secrets file (or an unreadable one) means no login
        return False


def resolve_viewer() -> Viewer:
    """The viewer, after the login gate (OIDC) or from the local role picker; may stop the run."""
    if auth_configured():
        return _signed_in()
    roles = access.local_roles(os.environ)
    return Viewer(actor=access.local_actor(os.environ), role=_pick(roles), roles=roles)


def build(settings: Settings, viewer: Viewer) -> Context:
    """Read the published run and draw the shared filters; remember the result for the pages."""
    pub = data.current(settings)
    ctx = Context(settings=settings, viewer=viewer, pub=pub)
    if pub is not None:
        names = data.entity_names(pub)
        ctx = Context(settings=settings, viewer=viewer, pub=pub, names=names,
                      filters=filters.sidebar(data.filter_options(pub), names))
    st.session_state[_CONTEXT_KEY] = ctx
    return ctx


def context() -> Context:
    """The current rerun's context (set by the entrypoint before the page runs)."""
    return st.session_state[_CONTEXT_KEY]


def _signed_in() -> Viewer:
    if not st.user.is_logged_in:
        _login_screen()
        st.stop()
    claims: Mapping[str, Any] = st.user.to_dict()
    actor = access.actor_from_claims(claims)
    roles = access.roles_from_claims(claims, _secret("recon_roles"))
    if not roles:
        st.error(f"You are signed in as **{actor}**, but no recon role is granted to you. Ask "
                 "your administrator to add you to a controller, IT or executive group.",
                 icon=":material/lock:")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    with st.sidebar:
        st.caption(f"Signed in as **{actor}**")
        st.button("Sign out", on_click=st.logout, type="tertiary",
                  icon=":material/logout:")
    return Viewer(actor=actor, role=_pick(roles), roles=roles, signed_in=True)


def _login_screen() -> None:
    st.title("recon")
    st.write("Reconciliation observability. Sign in with your company account to continue.")
    try:
        import authlib  # noqa: F401  (st.login needs it: pip install "streamlit[auth]")
    except ImportError:
        st.error("Login is configured, but the server lacks Authlib (`pip install "
                 "'streamlit[auth]'`). Ask the administrator.", icon=":material/error:")
        return
    st.button("Sign in", on_click=st.login, type="primary", icon=":material/login:")


def _pick(roles: tuple[Role, ...]) -> Role:
    """The role to act in: the only one, or the reader's pick among those granted."""
    if len(roles) == 1:
        st.sidebar.caption(f"Role: **{ROLE_LABELS[roles[0]]}**")
        return roles[0]
    chosen = st.sidebar.segmented_control(
        "Acting as", roles, format_func=lambda r: ROLE_LABELS[Role(r)], key=ROLE_KEY,
        default=roles[0], required=True,
        help="Controllers work the exception queue; IT engineers trace feeds and run jobs; "
             "executives read. Every action is checked against this role on the server.")
    # Never trust the widget alone: a role outside the granted ones falls back to the first.
    return Role(chosen) if chosen in roles else roles[0]


def _secret(name: str) -> Mapping | None:
    try:
        value = st.secrets.get(name)
    except Exception:  # by choice: no secrets file means no mapping
        return None
    return value if isinstance(value, Mapping) else None
