"""What a GeoReport v2 client sends beyond the incident itself, keyed by the incident uid.

The incident goes through the ordinary intake; this table keeps the Open311
extras next to it: ``attribute[...]`` answers, ``media_url``, ``address_id``,
the jurisdiction, the token of the spec's asynchronous-creation flow, and the
personal ``email``, ``device_id`` and ``account_id``, which
:func:`purge_personal` blanks once the incident has ended and the retention
period has passed (``geogrid purge-personal`` should call it with the
incidents' own purge).
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from .repo import Store, now

__all__ = ["open311_requests", "save_extras", "extras_for", "uid_for_token", "team_names",
           "purge_personal", "PERSONAL_EXTRAS"]

_meta = sa.MetaData()
TS = sa.DateTime(timezone=True)

#: personal: shown only to staff allowed to read personal data in scope
PERSONAL_EXTRAS = ("email", "device_id", "account_id")

open311_requests = sa.Table(
    "open311_requests", _meta,
    sa.Column("incident_uid", sa.String(40), primary_key=True),
    sa.Column("token", sa.String(40), nullable=False, unique=True),
    sa.Column("jurisdiction_id", sa.String(100)),
    sa.Column("attributes", sa.JSON),
    sa.Column("media_url", sa.String(500)),
    sa.Column("email", sa.String(200)),
    sa.Column("device_id", sa.String(100)),
    sa.Column("account_id", sa.String(100)),
    sa.Column("address_id", sa.String(100)),
    sa.Column("created_at", TS, nullable=False),
)
_COLUMNS = ("jurisdiction_id", "attributes", "media_url", "email", "device_id", "account_id",
            "address_id")


def save_extras(store: Store, uid: str, extras: dict, conn: Connection | None = None) -> str:
    """Record the extras of ``uid`` once (a replayed request keeps the first); returns its token.

    With ``conn``, inside that transaction (the incident's intake), else in a new one."""
    if conn is None:
        with store.write() as own:
            return save_extras(store, uid, extras, own)
    c = open311_requests.c
    token = conn.execute(sa.select(c.token).where(c.incident_uid == uid)).scalar()
    if token is None:
        token = secrets.token_hex(8)
        conn.execute(sa.insert(open311_requests).values(
            incident_uid=uid, token=token, created_at=now(),
            **{k: extras.get(k) for k in _COLUMNS}))
    return token


def extras_for(store: Store, uids: list[str]) -> dict[str, dict]:
    """uid → extras (with ``token``) for the uids that came through Open311."""
    if not uids:
        return {}
    c = open311_requests.c
    out: dict[str, dict] = {}
    with store.read() as conn:
        for i in range(0, len(uids), 500):
            rows = conn.execute(sa.select(open311_requests).where(
                c.incident_uid.in_(uids[i:i + 500])))
            out.update({r.incident_uid: dict(r._mapping) for r in rows})
    return out


def uid_for_token(store: Store, token: str) -> str | None:
    c = open311_requests.c
    with store.read() as conn:
        return conn.execute(sa.select(c.incident_uid).where(c.token == token)).scalar()


def team_names(store: Store) -> dict[str, str]:
    """Area code → team name (public by design: the coverage map shows them)."""
    from . import schema as S

    with store.read() as conn:
        return {str(code): name for code, name in conn.execute(
            sa.select(S.teams.c.area_code, S.teams.c.name))}


def purge_personal(store: Store, *, older_than_days: int, actor: str = "system") -> int:
    """Blank the personal extras (email, device and account ids) of requests whose incident
    ended (closed or rejected, merged ones included) more than ``older_than_days`` ago."""
    from datetime import timedelta

    from . import schema as S

    cutoff = now() - timedelta(days=older_than_days)
    i, o = S.incidents.c, open311_requests.c
    ended = sa.select(i.uid).where(i.status.in_(("closed", "rejected")),
                                   sa.func.coalesce(i.closed_at, i.reported_at) < cutoff)
    with store.write() as conn:
        res = conn.execute(sa.update(open311_requests).where(
            o.incident_uid.in_(ended), sa.or_(*(getattr(o, k).is_not(None)
                                                for k in PERSONAL_EXTRAS)))
            .values(**{k: None for k in PERSONAL_EXTRAS}))
        store.audit(conn, actor=actor, action="open311.purge_personal", entity="incident",
                    entity_id=None, after={"count": res.rowcount, "cutoff": cutoff.isoformat()})
    return res.rowcount
