"""Chinese (and English) for what the API returns as codes: error codes, validation finding
kinds, timer stages and units, dispatch rules. The pages turn codes into sentences with these;
:mod:`api.i18n` uses the error table for ``Accept-Language``."""

from __future__ import annotations

__all__ = ["ERRORS", "DOMAIN"]

ERRORS: dict[str, dict[str, str]] = {
    "error.code.geogrid_error": {"zh": "操作失败", "en": "The operation failed"},
    "error.code.invalid_input": {"zh": "输入有误, 请检查后重试", "en": "The input is not valid"},
    "error.code.crs_error": {"zh": "坐标参照系有误", "en": "The coordinate reference system is wrong"},
    "error.code.datum_error": {"zh": "坐标系 (datum) 有误或坐标超出范围",
                               "en": "Unknown datum, or a coordinate outside it"},
    "error.code.validation_failed": {"zh": "数据校验未通过", "en": "The data did not validate"},
    "error.code.not_found": {"zh": "未找到", "en": "Not found"},
    "error.code.conflict": {"zh": "数据已被他人修改, 请刷新后重试",
                            "en": "Someone else changed it; reload and try again"},
    "error.code.illegal_state": {"zh": "当前状态下不能执行此操作",
                                 "en": "Not possible in the current state"},
    "error.code.out_of_coverage": {"zh": "该位置不在任何网格内",
                                   "en": "The location is in no grid"},
    "error.code.store_unavailable": {"zh": "数据库暂时不可用, 请稍后重试",
                                     "en": "The store is unavailable; try again shortly"},
    "error.code.unauthenticated": {"zh": "用户名或密码错误, 或登录已过期",
                                   "en": "Wrong username or password, or the session expired"},
    "error.code.forbidden": {"zh": "当前账号无权执行此操作", "en": "This account may not do that"},
    "error.code.limit_exceeded": {"zh": "请求过多或过大, 请稍后重试",
                                  "en": "Too many or too large requests; try again later"},
    "error.code.internal_error": {"zh": "服务器内部错误", "en": "Internal server error"},
    "error.code.http_error": {"zh": "请求失败", "en": "The request failed"},
}

DOMAIN: dict[str, dict[str, str]] = {
    # validation findings: {names} are area names, {value} the measure
    "issue.empty_geometry": {"zh": "{names}: 图形为空", "en": "{names}: empty geometry"},
    "issue.invalid_geometry": {"zh": "{names}: 图形无效 (自相交等)",
                               "en": "{names}: invalid geometry"},
    "issue.gap": {"zh": "{names} 附近有 {value} 平方米未被任何微网格覆盖",
                  "en": "{value} m² near {names} is in no microgrid"},
    "issue.outside_parent": {"zh": "{names} 有 {value} 平方米超出上级网格",
                             "en": "{value} m² of {names} lies outside the parent"},
    "issue.overlap": {"zh": "{names} 重叠 {value} 平方米", "en": "{names} overlap by {value} m²"},
    "issue.multipart": {"zh": "{names} 分成 {value} 块不相连的部分",
                        "en": "{names} is in {value} separate pieces"},
    "issue.sliver": {"zh": "{names} 有狭长碎片 (平均宽 {value} 米)",
                     "en": "{names} has a sliver (mean width {value} m)"},
    "issue.low_compactness": {"zh": "{names} 形状过于狭长 (紧凑度 {value})",
                              "en": "{names} is not compact (Polsby–Popper {value})"},
    "issue.imbalance": {"zh": "工作量不均衡: 最重 {first}, 最轻 {second} (变异系数 {value})",
                        "en": "Workload imbalance: heaviest {first}, lightest {second} "
                              "(CV {value})"},
    "issue.orphan_object": {"zh": "{names} 不在任何微网格内", "en": "{names} is in no microgrid"},
    "issue.double_covered_object": {"zh": "{first} 同时位于多个微网格: {rest}",
                                    "en": "{first} is inside several microgrids: {rest}"},
    "issue.object_on_boundary": {"zh": "{first} 位于微网格分界线上: {rest}",
                                 "en": "{first} is on the edge between {rest}"},
    "issue.misassigned_object": {"zh": "{first} 的归属与位置不符", "en":
                                 "{first} is assigned to a microgrid it does not lie in"},
    "issue.cut_compound": {"zh": "小区 {first} 被划入多个微网格: {rest}",
                           "en": "Compound {first} is divided between {rest}"},
    "issue.cut_building": {"zh": "楼栋 {first} 被划入多个微网格: {rest}",
                           "en": "Building {first} is divided between {rest}"},
    "issue.kind.other": {"zh": "{names}: 校验问题", "en": "{names}: validation problem"},
    "issue.none": {"zh": "校验通过: 没有发现问题", "en": "Validation passed: no problems found"},
    "issue.count": {"zh": "发现 {n} 个问题 ({errors} 个错误, {warnings} 个提示)",
                    "en": "{n} problems ({errors} errors, {warnings} warnings)"},
    "issue.go": {"zh": "定位", "en": "Show"},
    "issue.unlocated": {"zh": "无位置", "en": "no location"},
    # timers
    "timer.stage.ok": {"zh": "正常", "en": "on time"},
    "timer.stage.warn": {"zh": "临近时限", "en": "due soon"},
    "timer.stage.overdue": {"zh": "已超时", "en": "overdue"},
    "timer.stage.escalated": {"zh": "已升级", "en": "escalated"},
    "timer.remaining": {"zh": "剩余 {n} {unit}", "en": "{n} {unit} left"},
    "timer.over": {"zh": "超时 {n} {unit}", "en": "{n} {unit} over"},
    "unit.working_hours": {"zh": "个工作时", "en": "working hours"},
    "unit.working_days": {"zh": "个工作日", "en": "working days"},
    "unit.hours": {"zh": "小时", "en": "hours"},
    "unit.days": {"zh": "天", "en": "days"},
    "unit.minutes": {"zh": "分钟", "en": "minutes"},
    # people and roles
    "common.system": {"zh": "系统", "en": "system"},
    "role.admin": {"zh": "管理员", "en": "admin"},
    "role.planner": {"zh": "规划员", "en": "planner"},
    "role.dispatcher": {"zh": "调度员", "en": "dispatcher"},
    "role.responder": {"zh": "处置人员", "en": "responder"},
    "role.public": {"zh": "公众", "en": "public"},
    # dispatch rules (why an incident went where it went)
    "rule.microgrid": {"zh": "派单到微网格: {category}由微网格团队处置 ({handler})",
                       "en": "Sent to the microgrid: {category} goes to its team ({handler})"},
    "rule.department": {"zh": "网格出题、部门答题: {category}需由{handler}处置",
                        "en": "The grid asks, the department answers: {category} needs {handler}"},
    "rule.raise_hand": {"zh": "举手: 请{handler}接手", "en": "Raised hand: {handler} takes over"},
    "rule.territorial": {"zh": "属地兜底: 由{handler}负责", "en": "Territorial: {handler} takes it"},
}
