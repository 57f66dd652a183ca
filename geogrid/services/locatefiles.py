"""Plan locators stored beside the store: built once per plan version, opened by every worker.

Only drafts can be edited, so the areas of an active (or retired) plan version never
change: its locator is built by the first process that needs it (the one that activates
the plan, see :func:`prepare`) and saved under
``<directory>/plan-<id>-v<version>-<store key>``; every other process opens that
directory in milliseconds (:meth:`PlanLocator.open`) without reading the plan's areas
from the store. Drafts, whose areas may still change under one version number, are
built in memory as before. A directory that cannot be written or read is logged and
the locator built in memory: the server still answers.

A directory is saved only after a build that checked every polygon, and a plan
version's areas never change: when one exists but cannot be opened (saved by an
earlier layout), the rebuild skips GEOS's validity test, the costliest check.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from collections.abc import Callable
from pathlib import Path

from .._errors import GeoGridError
from ..model import PlanLevels
from .locating import open_plan_locator, plan_locator

__all__ = ["stored_locator", "locator_path", "prepare", "keep_for_workers"]

log = logging.getLogger("geogrid.locate")

#: locators a parent process opened for the workers it forks (see :func:`keep_for_workers`),
#: and, per locator, where the process using it reads the plan's areas from
_KEPT: dict[Path, object] = {}
_AREAS: dict[Path, Callable[[], object]] = {}


def locator_path(directory: Path, store, plan: dict) -> Path:
    """Where the locator of ``plan`` (a plan row of ``store``: a store, or the reader of its
    plans) is kept."""
    key = hashlib.blake2b(_store_url(store).encode(), digest_size=6).hexdigest()
    return Path(directory) / f"plan-{int(plan['id'])}-v{int(plan['version'])}-{key}"


def _store_url(store) -> str:
    """The store's URL without its password: a :class:`~geogrid.store.Store`'s engine URL,
    or the URL a :class:`~geogrid.store.quick.PlanRows` was opened with (a SpatiaLite
    file's URL has no password, and renders as it is written)."""
    engine = getattr(store, "engine", None)
    if engine is None:
        return store.url
    return engine.url.render_as_string(hide_password=True)


def stored_locator(directory: Path | None, store, data):
    """The locator of ``data`` (a :class:`~.plancache.PlanData`): opened from
    ``directory`` when saved there, else built (and saved, unless it is a draft's)."""
    levels = PlanLevels.from_list(data.plan.get("levels"))
    if directory is None or data.plan.get("status") == "draft":
        return plan_locator(data.areas, levels)
    path = locator_path(directory, store, data.plan)
    checked = path.is_dir()        # saved after a checked build of these very areas
    if (path / "locator.json").exists():
        kept = _KEPT.get(path)
        if kept is not None:            # opened by the parent this worker was forked from
            _AREAS[path] = lambda: data.areas
            return kept
        try:
            return open_plan_locator(path, levels, lambda: data.areas)
        except (GeoGridError, OSError, ValueError, KeyError) as exc:
            log.warning("定位文件 %s 无法打开，重新构建 / cannot open the stored locator %s "
                        "(%s); rebuilding it", path, path, exc)
    locator = plan_locator(data.areas, levels, known_valid=checked)
    try:
        locator.save(path)
        _prune(path)
    except OSError as exc:
        log.warning("定位文件 %s 无法写入，本进程内存中使用 / cannot store the locator at %s "
                    "(%s); using it in memory", path, path, exc)
    return locator


def prepare(cache, plan_id: int) -> None:
    """Build and store the locator of ``plan_id`` now (call it when a plan is activated
    or imported), so that no worker pays for it on a request."""
    cache.invalidate(plan_id)
    try:
        cache.locator(plan_id)
    except GeoGridError as exc:      # the plan is active either way; /locate will say why
        log.warning("方案 %s 的定位器未能构建 / the locator of plan %s was not built: %s",
                    plan_id, plan_id, exc.message)


def keep_for_workers(store, directory: Path) -> None:
    """Open (or build and store) the active plan's locator in this process, with its
    tree for snapping, and keep it: processes forked from this one use it as it is
    (its files memory-mapped, shared) instead of opening their own. Call it in a
    parent before it forks workers; it starts no thread and leaves no connection open."""
    from .plancache import PlanData

    plan = store.active_plan()
    if plan is None or plan.get("status") == "draft":
        return
    data = PlanData(plan=plan, load=lambda: store.areas(int(plan["id"])))
    stored_locator(directory, store, data)          # builds and stores it when missing
    path = locator_path(directory, store, plan)
    if not (path / "locator.json").exists():
        return
    _AREAS[path] = lambda: data.areas
    locator = open_plan_locator(path, PlanLevels.from_list(plan.get("levels")),
                                lambda: _AREAS[path]())
    index = getattr(locator, "index", None)
    if index is not None and hasattr(index, "warm"):
        index.warm()
    _KEPT[path] = locator


def _prune(keep: Path) -> None:
    """Remove the stored locators of the same plan's earlier versions on the same store."""
    plan, _, rest = keep.name.partition("-v")
    store_key = rest.rsplit("-", 1)[-1]
    for other in keep.parent.glob(f"{plan}-v*-{store_key}"):
        if other != keep and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)
