"""Chinese for the vendored API documentation UIs, which ship English only.

Swagger UI has no translation support: :data:`SWAGGER_LABELS` (its English label → Chinese)
is applied in the page by ``static/js/swagger-i18n.js``, which replaces exactly these
texts as Swagger UI renders them. ReDoc takes its labels as an option: :data:`REDOC_LABELS`
(option key → (Chinese, English)). Operation names and descriptions come from the OpenAPI
document itself.
"""

from __future__ import annotations

__all__ = ["SWAGGER_LABELS", "REDOC_LABELS", "redoc_labels"]

SWAGGER_LABELS: dict[str, str] = {
    "Parameters": "参数", "Try it out": "试一试", "Cancel": "取消", "Execute": "执行",
    "Clear": "清除", "Responses": "响应", "Response body": "响应内容",
    "Response headers": "响应头", "Request URL": "请求地址", "Request body": "请求体",
    "Server response": "服务器响应", "Code": "状态码", "Description": "说明", "Links": "链接",
    "No links": "无链接", "Name": "名称", "Schemas": "数据模型", "Schema": "模型",
    "Example Value": "示例值", "Media type": "媒体类型", "Controls Accept header.": "设置 Accept 请求头。",
    "Authorize": "授权", "Available authorizations": "可用授权", "Close": "关闭",
    "Logout": "退出", "Download": "下载", "Details": "详情", "No parameters": "无参数",
    "required": "必填", "Send empty value": "发送空值", "Filter by tag": "按标签筛选",
    "Servers": "服务器", "Loading...": "加载中…", "Expand all": "全部展开",
    "Collapse all": "全部折叠", "Undocumented": "未说明", "Value": "值",
    "Example": "示例", "Examples": "示例", "Default value": "默认值",
}

REDOC_LABELS: dict[str, tuple[str, str]] = {
    "enum": ("可选值", "Enum"), "enumSingleValue": ("取值", "Value"),
    "enumArray": ("元素", "Items"), "default": ("默认", "Default"),
    "deprecated": ("已弃用", "Deprecated"), "example": ("示例", "Example"),
    "examples": ("示例", "Examples"), "recursive": ("递归", "Recursive"),
    "arrayOf": ("数组, 元素为 ", "Array of "), "webhook": ("事件", "Event"),
    "const": ("取值", "Value"), "noResultsFound": ("没有结果", "No results found"),
    "download": ("下载", "Download"),
    "downloadSpecification": ("下载 OpenAPI 文档", "Download OpenAPI specification"),
    "responses": ("响应", "Responses"), "callbackResponses": ("回调响应", "Callback responses"),
    "requestSamples": ("请求示例", "Request samples"),
    "responseSamples": ("响应示例", "Response samples"),
}


def redoc_labels(lang: str) -> dict[str, str]:
    """ReDoc's ``labels`` option in ``lang`` (Chinese unless ``"en"``)."""
    return {k: (en if lang == "en" else zh) for k, (zh, en) in REDOC_LABELS.items()}
