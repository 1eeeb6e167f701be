"""Who is looking, and in which role (pure, no Streamlit; the session layer feeds it).

Two sources of roles, documented in ``.streamlit/secrets.toml.example``:

* **OIDC login** (``[auth]`` in ``secrets.toml``, Streamlit's ``st.login``): the roles come from a
  claim of the identity token, mapped by ``[recon_roles]`` (claim name, then the claim values
  that grant each role). A signed-in user with no mapped role gets ``default`` if one is set,
  else no access at all.
* **Local demo** (no login configured, so the dashboard only listens on 127.0.0.1): a role picker
  offering the roles in ``RECON_LOCAL_ROLES`` (comma-separated; default all three).

What each role may do is ``jobs.workflow.PERMISSIONS``; the functions that act check it.
"""

from __future__ import annotations

import getpass
from collections.abc import Mapping
from dataclasses import dataclass

from jobs.workflow import RUN_JOBS, SEE_ACCOUNTS, Action, Role, can

LOCAL_ROLES_ENV = "RECON_LOCAL_ROLES"
LOCAL_USER_ENV = "RECON_LOCAL_USER"
DEFAULT_CLAIM = "groups"
ROLE_LABELS = {Role.CONTROLLER: "Controller", Role.IT: "IT", Role.EXECUTIVE: "Executive"}


class AccessError(Exception):
    """The role configuration is wrong; the message says which setting."""


@dataclass(frozen=True)
class Viewer:
    """The person using the dashboard and the role they are acting in."""

    actor: str
    role: Role
    roles: tuple[Role, ...]
    signed_in: bool = False

    @property
    def can_act(self) -> bool:
        """May change exceptions (assign, resolve, ...), not only comment."""
        return can(self.role, Action.RESOLVE)

    @property
    def can_comment(self) -> bool:
        return can(self.role, Action.COMMENT)

    @property
    def can_run_jobs(self) -> bool:
        return can(self.role, RUN_JOBS)

    @property
    def sees_accounts(self) -> bool:
        return can(self.role, SEE_ACCOUNTS)


def local_roles(env: Mapping[str, str]) -> tuple[Role, ...]:
    """Roles offered by the local role picker, from ``RECON_LOCAL_ROLES`` (default: all)."""
    raw = env.get(LOCAL_ROLES_ENV, "").strip()
    if not raw:
        return tuple(Role)
    names = [n.strip().lower() for n in raw.split(",") if n.strip()]
    unknown = [n for n in names if n not in {r.value for r in Role}]
    if unknown or not names:
        raise AccessError(f"{LOCAL_ROLES_ENV}={raw!r}: unknown role(s) {unknown}; use a "
                          f"comma-separated list of {', '.join(r.value for r in Role)}")
    return tuple(dict.fromkeys(Role(n) for n in names))


def local_actor(env: Mapping[str, str]) -> str:
    """Name recorded in the audit trail in local mode: ``RECON_LOCAL_USER`` or the OS user."""
    name = env.get(LOCAL_USER_ENV, "").strip()
    if name:
        return name
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (some containers)
        return "local-user"


def roles_from_claims(claims: Mapping, config: Mapping | None) -> tuple[Role, ...]:
    """Roles granted by the identity token's claims under the ``[recon_roles]`` mapping.

    ``config``: ``claim`` (default ``groups``), then per role a list of claim values, e.g.
    ``controller = ["finance-controllers"]``, and optionally ``default = "executive"``.
    """
    config = config or {}
    claim = str(config.get("claim", DEFAULT_CLAIM))
    values = claims.get(claim)
    held = {values} if isinstance(values, str) else set(values or [])
    granted = []
    for role in Role:
        wanted = config.get(role.value, [])
        wanted = {wanted} if isinstance(wanted, str) else set(wanted)
        if held & wanted:
            granted.append(role)
    if not granted and config.get("default"):
        try:
            granted.append(Role(str(config["default"]).lower()))
        except ValueError:
            raise AccessError(f"[recon_roles] default = {config['default']!r} is not a role; "
                              f"use one of {', '.join(r.value for r in Role)}") from None
    return tuple(granted)


def actor_from_claims(claims: Mapping) -> str:
    """The audit-trail name of a signed-in user: e-mail, else name, else subject."""
    for key in ("email", "preferred_username", "name", "sub"):
        if claims.get(key):
            return str(claims[key])
    return "unknown user"
