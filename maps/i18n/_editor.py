"""Strings of the editor's drawing tools, balance chart, export and comparison (``editor.``)."""

from __future__ import annotations

EDITOR_TOOLS: dict[str, dict[str, str]] = {
    # tools
    "editor.tools": {"zh": "工具", "en": "Tools"},
    "editor.tool.pick": {"zh": "点选", "en": "Pick"},
    "editor.tool.brush": {"zh": "刷选", "en": "Brush"},
    "editor.tool.lasso": {"zh": "套索", "en": "Lasso"},
    "editor.tool.line": {"zh": "画线拆分", "en": "Split along a line"},
    "editor.tool.boundary": {"zh": "拖动边界", "en": "Drag a boundary"},
    "editor.tool.brush_hint": {"zh": "按住鼠标在楼栋上拖动即可选中, 再次刷过则取消; 选中的对象一次调整",
                               "en": "Hold the mouse button and paint over buildings; paint "
                                     "again to drop them. The selection moves as one edit"},
    "editor.tool.lasso_hint": {"zh": "按住鼠标圈出楼栋, 松开即选中",
                               "en": "Hold the mouse button and draw round the buildings"},
    "editor.tool.line_hint": {"zh": "先选一个微网格, 再在地图上依次点击画线 (从边界外画到边界外), "
                                    "双击或点“完成”结束; 拆分线会吸附到道路与单元边界",
                              "en": "Pick a microgrid, then click points across it (from outside "
                                    "to outside); double-click or Finish. The cut snaps to roads "
                                    "and cell edges"},
    "editor.tool.boundary_hint": {"zh": "先选一个微网格和相邻微网格, 拖动共用边界上的圆点, 松开即提交",
                                  "en": "Pick a microgrid and a neighbour, drag the dots on their "
                                        "shared boundary; releasing commits the change"},
    "editor.tool.finish": {"zh": "完成", "en": "Finish"},
    "editor.tool.clear": {"zh": "清除选择", "en": "Clear selection"},
    "editor.brushed_n": {"zh": "已选 {n} 个对象", "en": "{n} objects selected"},
    "editor.move_selection": {"zh": "整体调整到", "en": "Move all to"},
    "editor.target_off.split": {"zh": "不可选: 会把 {mg} 分成不相连的几块",
                                "en": "not offered: it would cut {mg} in pieces"},
    "editor.target_off.mates": {"zh": "不可选: 需一并调整同单元对象 {n} 个",
                                "en": "not offered: {n} cellmates would have to move too"},
    "editor.target_off.grid": {"zh": "不可选: 不在同一网格", "en": "not offered: another grid"},
    "editor.target_off.locked": {"zh": "不可选: 已锁定", "en": "not offered: locked"},
    "editor.target_off.far": {"zh": "不可选: 与所选对象不相邻", "en": "not offered: not adjacent"},
    "editor.boundary_with": {"zh": "与相邻微网格的边界", "en": "Boundary with the neighbour"},
    "editor.line_points": {"zh": "已画 {n} 个点", "en": "{n} points drawn"},
    "editor.cut_done": {"zh": "已沿线调整, {n} 个对象换了微网格", "en": "Cut along the line; {n} objects changed microgrid"},
    # balance chart
    "editor.chart": {"zh": "工作量均衡图", "en": "Workload balance chart"},
    "editor.chart_legend": {"zh": "柱: 各微网格工作量; 虚线: 目标 (网格平均 {target}); 阴影: 允许偏差 ±{tol}%",
                            "en": "Bars: workload per microgrid; dashed line: target (grid mean "
                                  "{target}); band: tolerance ±{tol}%"},
    "editor.formula": {"zh": "工作量 = 户数 + Σ 对象权重", "en": "Workload = households + Σ object weights"},
    "editor.formula_households": {"zh": "户数", "en": "households"},
    "editor.out_of_band": {"zh": "超出允许偏差", "en": "outside the tolerance"},
    # export and comparison
    "editor.export": {"zh": "导出", "en": "Export"},
    "editor.export.geojson": {"zh": "GeoJSON", "en": "GeoJSON"},
    "editor.export.gpkg": {"zh": "GeoPackage", "en": "GeoPackage"},
    "editor.export.pdf": {"zh": "PDF 打印", "en": "PDF"},
    "editor.swipe": {"zh": "卷帘对比启用方案", "en": "Swipe against the active plan"},
    "editor.swipe_left": {"zh": "左: 启用方案", "en": "Left: active plan"},
    "editor.swipe_right": {"zh": "右: 本草稿", "en": "Right: this draft"},
}
