"""UI strings: Chinese by default, English available (``?lang=en``).

Pages get the strings they need as a JSON bundle (:func:`bundle`) so the
JavaScript modules never carry their own copies. Keys are grouped by prefix:
``level.``, ``status.``, ``action.`` and so on.
"""

from __future__ import annotations

__all__ = ["t", "bundle", "LANGS", "STRINGS"]

LANGS = ("zh", "en")
STRINGS: dict[str, dict[str, str]] = {
    # levels of the hierarchy
    "level.street": {"zh": "街道", "en": "Sub-district"},
    "level.grid": {"zh": "网格", "en": "Grids"},
    "level.community": {"zh": "居民区/商务区", "en": "Communities"},
    "level.microgrid": {"zh": "微网格", "en": "Microgrids"},
    "level.building_group": {"zh": "楼组/楼宇", "en": "Building groups"},
    # fields
    "field.name": {"zh": "名称", "en": "Name"},
    "field.code": {"zh": "编码", "en": "Code"},
    "field.workload": {"zh": "工作量 (户)", "en": "Workload (households)"},
    "field.estimated": {"zh": "含估算", "en": "includes estimates"},
    "field.status": {"zh": "状态", "en": "Status"},
    "field.category": {"zh": "类别", "en": "Category"},
    "field.address": {"zh": "地址", "en": "Address"},
    "field.description": {"zh": "描述", "en": "Description"},
    "field.reporter": {"zh": "上报人", "en": "Reporter"},
    "field.reported_at": {"zh": "上报时间", "en": "Reported"},
    "field.deadline_at": {"zh": "处置时限", "en": "Deadline"},
    "field.handler": {"zh": "处置单位", "en": "Handler"},
    "field.timer": {"zh": "计时", "en": "Timer"},
    "field.chain": {"zh": "所属网格", "en": "Areas"},
    "field.timeline": {"zh": "处置过程", "en": "Timeline"},
    "field.team": {"zh": "网格团队", "en": "Team"},
    "field.role": {"zh": "岗位", "en": "Role"},
    "field.office_phone": {"zh": "办公电话", "en": "Office phone"},
    "field.hours": {"zh": "服务时间", "en": "Hours"},
    "field.incidents": {"zh": "事件数", "en": "Incidents"},
    "field.total": {"zh": "合计", "en": "Total"},
    "field.other": {"zh": "其他", "en": "Other"},
    "field.days": {"zh": "近 {days} 天", "en": "last {days} days"},
    # layers
    "layer.problems": {"zh": "校验问题", "en": "Validation problems"},
    "layer.incidents": {"zh": "事件", "en": "Incidents"},
    "layer.heat": {"zh": "事件热力图", "en": "Incident heatmap"},
    "layer.areas": {"zh": "网格边界", "en": "Area boundaries"},
    "layer.route": {"zh": "路线", "en": "Route"},
    "layer.stats": {"zh": "事件统计", "en": "Incident counts"},
    # legends and titles
    "legend.title": {"zh": "网格覆盖", "en": "Grid coverage"},
    "legend.by_grid": {"zh": "按网格着色", "en": "Colour by grid"},
    "legend.by_workload": {"zh": "按工作量着色", "en": "Colour by workload"},
    "legend.workload": {"zh": "微网格工作量 (户)", "en": "Microgrid workload (households)"},
    "legend.estimated": {"zh": "户数为估算值 (OSM 无户数)",
                         "en": "Household counts are estimates (OSM has none)"},
    "legend.problems": {"zh": "校验问题 {n} 处", "en": "{n} validation problems"},
    "legend.counts": {"zh": "事件数 (少于 3 件显示为 <3)",
                      "en": "Incidents (fewer than 3 shown as <3)"},
    "title.coverage": {"zh": "网格覆盖图", "en": "Coverage map"},
    "title.editor": {"zh": "微网格规划编辑", "en": "Microgrid planner"},
    "title.console": {"zh": "派单指挥台", "en": "Dispatch console"},
    "title.embed": {"zh": "社区网格公示", "en": "Community grid map"},
    "title.snippet": {"zh": "嵌入社区网站", "en": "Embed on a community website"},
    # search
    "search.placeholder": {"zh": "搜索名称、编码或地址", "en": "Search name, code or address"},
    "search.placeholder_public": {"zh": "搜索名称或编码", "en": "Search name or code"},
    "search.none": {"zh": "无结果", "en": "No match"},
    "search.address": {"zh": "地址", "en": "Address"},
    "search.not_found": {"zh": "未找到该地址", "en": "Address not found"},
    # embed snippet
    "embed.summary": {"zh": "嵌入地图", "en": "Embed this map"},
    "embed.help": {"zh": "将以下代码粘贴到社区网站页面中:",
                   "en": "Paste this code into a page of the community website:"},
    "embed.more": {"zh": "嵌入说明", "en": "Embedding help"},
    "embed.note": {"zh": "公示页只显示网格范围、岗位与办公电话和事件汇总数, 不含任何个人信息。",
                   "en": "The public map shows coverage, team roles with office phones and "
                         "aggregate incident counts only; no personal data."},
    "embed.click": {"zh": "点击网格查看联系方式", "en": "Click an area for its contact point"},
    "embed.no_contact": {"zh": "暂无公开联系方式", "en": "No public contact yet"},
    "embed.inherited": {"zh": "由上级网格负责", "en": "Covered by the parent grid"},
    # console
    "console.signin": {"zh": "登录", "en": "Sign in"},
    "console.signout": {"zh": "退出", "en": "Sign out"},
    "console.username": {"zh": "用户名", "en": "Username"},
    "console.password": {"zh": "密码", "en": "Password"},
    "console.signed_in": {"zh": "当前用户", "en": "Signed in as"},
    "console.signin_failed": {"zh": "登录失败", "en": "Sign-in failed"},
    "console.expired": {"zh": "登录已过期, 请重新登录", "en": "Session expired; sign in again"},
    "console.filters": {"zh": "筛选", "en": "Filters"},
    "console.all": {"zh": "全部", "en": "All"},
    "console.area": {"zh": "网格/微网格", "en": "Grid / microgrid"},
    "console.since": {"zh": "起", "en": "From"},
    "console.until": {"zh": "止", "en": "Until"},
    "console.overdue_only": {"zh": "只看超时", "en": "Overdue only"},
    "console.refresh": {"zh": "刷新", "en": "Refresh"},
    "console.overdue": {"zh": "超时", "en": "Overdue"},
    "console.count": {"zh": "共 {n} 件", "en": "{n} incidents"},
    "console.empty": {"zh": "没有符合条件的事件", "en": "No incidents match"},
    "console.route": {"zh": "最近处置人员与路线", "en": "Nearest responder and route"},
    "console.route_info": {"zh": "{name} ({role}), 路程 {km} 公里, 约 {min} 分钟",
                           "en": "{name} ({role}), {km} km, about {min} min"},
    "console.route_fallback": {"zh": "无道路连通, 显示直线", "en": "No road link; straight line shown"},
    "console.reason": {"zh": "原因", "en": "Reason"},
    "console.extra": {"zh": "延长时限 (如 2 working_days)", "en": "Extension (e.g. 2 working_days)"},
    "console.satisfaction": {"zh": "满意度 (1-5)", "en": "Satisfaction (1-5)"},
    "console.department": {"zh": "部门", "en": "Department"},
    "console.confirm": {"zh": "确定", "en": "Confirm"},
    "console.cancel": {"zh": "取消", "en": "Cancel"},
    "console.conflict": {"zh": "事件已被他人更新, 已刷新", "en": "Someone else updated it; reloaded"},
    "console.close": {"zh": "关闭", "en": "Close"},
    "console.no_actions": {"zh": "当前无可执行操作", "en": "No actions available"},
    "console.remaining": {"zh": "剩余", "en": "remaining"},
    "console.minutes": {"zh": "分钟", "en": "min"},
    # planner editor
    "editor.plans": {"zh": "方案", "en": "Plans"},
    "editor.active": {"zh": "现行方案", "en": "Active plan"},
    "editor.drafts": {"zh": "草稿", "en": "Drafts"},
    "editor.no_drafts": {"zh": "暂无草稿", "en": "No drafts yet"},
    "editor.view": {"zh": "查看", "en": "View"},
    "editor.open": {"zh": "继续编辑", "en": "Continue"},
    "editor.create_draft": {"zh": "新建草稿", "en": "Create draft"},
    "editor.draft_name": {"zh": "草稿名称 (可选)", "en": "Draft name (optional)"},
    "editor.switch_plan": {"zh": "切换方案", "en": "Change plan"},
    "editor.version": {"zh": "版本 {v}", "en": "version {v}"},
    "editor.status.draft": {"zh": "草稿", "en": "draft"},
    "editor.status.active": {"zh": "现行", "en": "active"},
    "editor.status.retired": {"zh": "已停用", "en": "retired"},
    "editor.read_only": {"zh": "现行方案只读: 新建草稿后再调整", "en":
                         "The active plan is read-only: create a draft to change it"},
    "editor.no_rights": {"zh": "当前账号 ({role}) 只能查看方案", "en":
                         "This account ({role}) may only view plans"},
    "editor.out_of_scope": {"zh": "不在您的管辖范围 ({scope}) 内", "en":
                            "Outside your scope ({scope})"},
    "editor.undo": {"zh": "撤销", "en": "Undo"},
    "editor.redo": {"zh": "重做", "en": "Redo"},
    "editor.validate": {"zh": "校验", "en": "Validate"},
    "editor.compare": {"zh": "对比现行方案", "en": "Compare with active"},
    "editor.activate": {"zh": "启用方案", "en": "Activate"},
    "editor.activate_confirm": {"zh": "启用草稿“{name}”(版本 {v})? 现行方案将同时停用。",
                                "en": "Activate the draft “{name}” (version {v})? The active "
                                      "plan is retired at the same moment."},
    "editor.activated": {"zh": "方案已启用", "en": "Plan activated"},
    "editor.confirm": {"zh": "确定", "en": "Confirm"},
    "editor.cancel": {"zh": "取消", "en": "Cancel"},
    "editor.close": {"zh": "关闭", "en": "Close"},
    "editor.saved": {"zh": "已保存 · 版本 {v}", "en": "Saved · version {v}"},
    "editor.conflict": {"zh": "方案已被他人修改, 已重新加载最新版本, 请确认后重新操作",
                        "en": "Someone else changed the plan; the latest version is loaded. "
                              "Check it and redo your change"},
    "editor.hint": {"zh": "点击地图上的建筑、商铺等对象或微网格", "en":
                    "Click a building, shop or other object, or a microgrid, on the map"},
    "editor.object": {"zh": "管理对象", "en": "Object"},
    "editor.type": {"zh": "类型", "en": "Type"},
    "editor.type.building": {"zh": "楼栋/楼宇", "en": "Building"},
    "editor.type.shop": {"zh": "沿街商铺", "en": "Shop"},
    "editor.type.institution": {"zh": "独立单位机构", "en": "Institution"},
    "editor.type.plaza": {"zh": "街角广场", "en": "Plaza"},
    "editor.type.address": {"zh": "门牌", "en": "Address point"},
    "editor.type.compound": {"zh": "小区", "en": "Compound"},
    "editor.households": {"zh": "户数", "en": "Households"},
    "editor.estimated": {"zh": "估算", "en": "estimated"},
    "editor.business_type": {"zh": "业态", "en": "Business type"},
    "editor.microgrid": {"zh": "所属微网格", "en": "Microgrid"},
    "editor.unassigned": {"zh": "未归属", "en": "Unassigned"},
    "editor.move_to": {"zh": "调整到相邻微网格", "en": "Move to a neighbouring microgrid"},
    "editor.pick_hint": {"zh": "从列表选择, 或在地图上点击目标微网格", "en":
                         "Pick one from the list, or click the target microgrid on the map"},
    "editor.no_neighbours": {"zh": "同一网格内无相邻微网格", "en":
                             "No neighbouring microgrid in this grid"},
    "editor.other_grid": {"zh": "只能调整到同一网格内的微网格", "en":
                          "Only microgrids of the same grid can be chosen"},
    "editor.move": {"zh": "调整", "en": "Move"},
    "editor.moved_n": {"zh": "已调整 {n} 个对象", "en": "{n} objects moved"},
    "editor.cellmates": {"zh": "以下对象与它位于同一单元, 须一并调整:", "en":
                         "These objects share its cell and must move with it:"},
    "editor.move_together": {"zh": "一并调整", "en": "Move together"},
    "editor.split": {"zh": "拆分", "en": "Split"},
    "editor.merge": {"zh": "合并", "en": "Merge"},
    "editor.merge_with": {"zh": "与相邻微网格合并 (并入本网格)", "en":
                          "Merge a neighbour into this one"},
    "editor.lock": {"zh": "锁定", "en": "Lock"},
    "editor.unlock": {"zh": "解锁", "en": "Unlock"},
    "editor.locked": {"zh": "已锁定", "en": "Locked"},
    "editor.locked_hint": {"zh": "已锁定的微网格不能调整, 先解锁", "en":
                           "A locked microgrid cannot change; unlock it first"},
    "editor.stats": {"zh": "统计", "en": "Statistics"},
    "editor.grid": {"zh": "网格", "en": "Grid"},
    "editor.code": {"zh": "编码", "en": "Code"},
    "editor.objects": {"zh": "对象", "en": "Objects"},
    "editor.buildings": {"zh": "建筑", "en": "Buildings"},
    "editor.groups": {"zh": "楼组", "en": "Building groups"},
    "editor.workload": {"zh": "工作量", "en": "Workload"},
    "editor.n_microgrids": {"zh": "微网格", "en": "Microgrids"},
    "editor.cv": {"zh": "CV", "en": "CV"},
    "editor.max_min": {"zh": "最大/最小", "en": "Max/min"},
    "editor.balance": {"zh": "工作量均衡 (变异系数 CV, 最大/最小)", "en":
                       "Workload balance (coefficient of variation, max/min)"},
    "editor.diff": {"zh": "与现行方案的差异", "en": "Differences from the active plan"},
    "editor.diff_n": {"zh": "调整了 {n} 个对象的归属", "en": "{n} objects change microgrid"},
    "editor.diff_none": {"zh": "与现行方案相同", "en": "Same as the active plan"},
    "editor.problems": {"zh": "校验结果", "en": "Validation"},
    "editor.problems_summary": {"zh": "{errors} 个错误, {warnings} 个提示", "en":
                                "{errors} errors, {warnings} warnings"},
    "editor.valid": {"zh": "无错误", "en": "No errors"},
    "editor.severity.error": {"zh": "错误", "en": "Error"},
    "editor.severity.warning": {"zh": "提示", "en": "Warning"},
    "editor.problems_stale": {"zh": "方案已修改, 请重新校验", "en":
                              "The plan changed; validate again"},
    "editor.layer.objects": {"zh": "管理对象", "en": "Objects"},
    "editor.layer.groups": {"zh": "楼组", "en": "Building groups"},
    "editor.layer.microgrids": {"zh": "微网格", "en": "Microgrids"},
    "editor.layer.grids": {"zh": "网格", "en": "Grids"},
    "editor.layer.diff": {"zh": "调整的对象", "en": "Moved objects"},
    # statuses (the closed loop)
    "status.reported": {"zh": "发现", "en": "Reported"},
    "status.accepted": {"zh": "受理", "en": "Accepted"},
    "status.dispatched": {"zh": "已派遣", "en": "Dispatched"},
    "status.handling": {"zh": "处置中", "en": "Handling"},
    "status.verifying": {"zh": "核查", "en": "Verifying"},
    "status.evaluating": {"zh": "评价", "en": "Evaluating"},
    "status.closed": {"zh": "结案", "en": "Closed"},
    "status.rejected": {"zh": "不予受理", "en": "Rejected"},
    # actions
    "action.report": {"zh": "上报", "en": "Report"},
    "action.accept": {"zh": "受理", "en": "Accept"},
    "action.reject": {"zh": "不予受理", "en": "Reject"},
    "action.dispatch": {"zh": "派遣", "en": "Dispatch"},
    "action.start": {"zh": "签收", "en": "Start"},
    "action.return": {"zh": "退回", "en": "Return"},
    "action.raise_hand": {"zh": "举手", "en": "Raise hand"},
    "action.extend": {"zh": "延期", "en": "Extend"},
    "action.escalate": {"zh": "升级", "en": "Escalate"},
    "action.complete": {"zh": "处置反馈", "en": "Complete"},
    "action.approve": {"zh": "核查通过", "en": "Approve"},
    "action.rework": {"zh": "返工", "en": "Rework"},
    "action.evaluate": {"zh": "评价", "en": "Evaluate"},
    "action.reopen": {"zh": "重新受理", "en": "Reopen"},
    "action.recategorise": {"zh": "改类", "en": "Recategorise"},
    "action.relocate": {"zh": "更正位置", "en": "Relocate"},
    # misc
    "lang.switch": {"zh": "English", "en": "中文"},
    # API documentation pages
    "docs.title": {"zh": "geogrid 接口文档", "en": "geogrid API documentation"},
    "docs.swagger": {"zh": "交互式文档 (Swagger UI)", "en": "Interactive docs (Swagger UI)"},
    "docs.redoc": {"zh": "参考文档 (ReDoc)", "en": "Reference (ReDoc)"},
    "docs.openapi": {"zh": "OpenAPI 描述文件", "en": "OpenAPI document"},
    "docs.home": {"zh": "返回地图", "en": "Back to the map"},
    "docs.intro": {"zh": "坐标一律为经度/纬度 (CRS84), 每个传入坐标须注明坐标系 (datum)。"
                         "页面资源全部由本服务提供, 内网可用。",
                   "en": "Coordinates are lon/lat (CRS84); every incoming coordinate names its "
                         "datum. Every asset is served locally, so the pages work offline."},
    "basemap.label": {"zh": "底图", "en": "Basemap"},
    "error.load": {"zh": "数据加载失败", "en": "Could not load data"},
}


def t(key: str, lang: str = "zh", **values) -> str:
    """The string ``key`` in ``lang`` (Chinese when missing), ``{name}`` placeholders filled."""
    entry = STRINGS.get(key)
    if entry is None:
        return key
    text = entry.get(lang if lang in LANGS else "zh", entry["zh"])
    return text.format(**values) if values else text


def bundle(lang: str, *prefixes: str) -> dict[str, str]:
    """All strings whose key starts with one of ``prefixes``, in ``lang`` (for a page's JS)."""
    return {k: t(k, lang) for k in STRINGS if k.startswith(prefixes)}
