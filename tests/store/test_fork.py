"""A process forked from one that used the store (``gunicorn --preload`` forks its workers
so) opens its own database connections: the parent's pooled ones are left to the parent."""

from __future__ import annotations

import os

import sqlalchemy as sa


def test_a_forked_child_uses_its_own_connections_and_the_parent_keeps_its(demo_store):
    with demo_store.read() as conn:
        conn.execute(sa.text("SELECT 1"))
    pool = demo_store.engine.pool
    assert pool.checkedin() == 1                     # the parent holds a pooled connection
    active = demo_store.active_plan()["id"]
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:                                     # the child: report, never return
        try:
            inherited = demo_store.engine.pool.checkedin()
            plan = demo_store.active_plan()["id"]    # on a connection of its own
            os.write(write_end, f"{inherited} {plan}".encode())
        finally:
            os._exit(0)
    os.close(write_end)
    _, status = os.waitpid(pid, 0)
    with os.fdopen(read_end) as pipe:
        inherited, plan = pipe.read().split()
    assert os.waitstatus_to_exitcode(status) == 0
    assert inherited == "0" and int(plan) == active
    assert pool.checkedin() == 1 and demo_store.active_plan()["id"] == active
