"""The public transparency report: /report (a page in Chinese or English), and each
month's figures as /report/YYYY-MM.json and /report/YYYY-MM.csv.

Off unless COMPLAINTBOT_PUBLIC_REPORT is on (every address answers 404 then). No sign-in:
it holds aggregates only, with small figures withheld (bot.analytics.report).
"""

from __future__ import annotations

from datetime import date
from html import escape
from typing import Any

import anyio
from fastapi import APIRouter, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse

from bot.analytics.report import Month, monthly_report, report_csv
from bot.clock import utcnow

LANGUAGES = ("zh-CN", "en")

TEXT: dict[str, dict[str, str]] = {
    "en": {
        "title": "Complaint handling report",
        "intro": "How we handled the complaints we received in {month}. Figures resting on "
        "fewer than {min} complaints are withheld (—) so that no one can be recognised.",
        "month": "Month",
        "received": "Complaints received",
        "resolved": "Complaints resolved",
        "resolved_in_time_pct": "Resolved within the promised time",
        "first_response_median_minutes": "Median time to first response",
        "resolution_median_minutes": "Median time to resolution",
        "csat": "Customer satisfaction (1–5)",
        "reopen_rate_pct": "Reopened after resolution",
        "top_categories": "Top complaint categories",
        "category": "Category",
        "count": "Complaints",
        "actions": "Improvement actions taken",
        "none": "None yet",
        "no_categories": "No category reached the minimum count.",
        "withheld": "—",
        "minutes": "{n} min",
        "hours": "{n} h",
        "rated": "{avg} ({n} ratings)",
        "downloads": "Download this month's figures",
        "previous": "Previous month",
        "next": "Next month",
        "status.in_progress": "under way",
        "status.done": "done",
        "other_language": "中文",
        "cat.product_quality": "Product quality",
        "cat.service_attitude": "Service attitude",
        "cat.delivery": "Delivery",
        "cat.billing": "Billing",
        "cat.after_sales": "After-sales",
        "cat.safety": "Safety",
        "cat.privacy": "Privacy",
        "cat.suggestion": "Suggestion",
        "cat.other": "Other",
    },
    "zh-CN": {
        "title": "投诉处理情况公示",
        "intro": "{month} 收到的投诉的处理情况。少于 {min} 件投诉的数据不予公布（—），以免识别出个人。",
        "month": "月份",
        "received": "收到投诉",
        "resolved": "已解决投诉",
        "resolved_in_time_pct": "按承诺时限解决",
        "first_response_median_minutes": "首次响应时间（中位数）",
        "resolution_median_minutes": "解决时间（中位数）",
        "csat": "客户满意度（1–5 分）",
        "reopen_rate_pct": "解决后重新打开",
        "top_categories": "主要投诉类别",
        "category": "类别",
        "count": "投诉数",
        "actions": "已采取的改进措施",
        "none": "暂无",
        "no_categories": "没有类别达到最低公布数量。",
        "withheld": "—",
        "minutes": "{n} 分钟",
        "hours": "{n} 小时",
        "rated": "{avg}（{n} 条评价）",
        "downloads": "下载本月数据",
        "previous": "上个月",
        "next": "下个月",
        "status.in_progress": "进行中",
        "status.done": "已完成",
        "other_language": "English",
        "cat.product_quality": "产品质量",
        "cat.service_attitude": "服务态度",
        "cat.delivery": "物流配送",
        "cat.billing": "账单费用",
        "cat.after_sales": "售后服务",
        "cat.safety": "安全问题",
        "cat.privacy": "隐私问题",
        "cat.suggestion": "建议",
        "cat.other": "其他",
    },
}

router = APIRouter(include_in_schema=False)


def _enabled(request: Request) -> None:
    if not request.app.state.settings.public_report:
        raise HTTPException(404, detail="Not Found")


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise HTTPException(422, detail=str(exc)) from None


def _today(request: Request) -> date:
    return getattr(request.app.state, "clock", utcnow)().date()


def pick_language(query: str | None, accept_language: str | None) -> str:
    """`?lang=` first, then the browser's Accept-Language (by its q weights); English when
    neither names Chinese or English."""
    if query:
        found = _language(query)
        if found is not None:
            return found
    weighted: list[tuple[float, int, str]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        language = _language(tag)
        if language is not None and weight > 0:
            weighted.append((-weight, position, language))
    return sorted(weighted)[0][2] if weighted else "en"


def _language(tag: str) -> str | None:
    primary = tag.strip().lower().split("-")[0]
    return {"zh": "zh-CN", "en": "en"}.get(primary)


async def _figures(request: Request, month: Month) -> dict[str, Any]:
    minimum = request.app.state.settings.report_min_count

    def run() -> dict[str, Any]:
        with request.app.state.sessions() as session:
            return monthly_report(session, month, minimum=minimum)

    return await anyio.to_thread.run_sync(run)


def _duration(minutes: float | None, text: dict[str, str]) -> str:
    if minutes is None:
        return text["withheld"]
    if minutes < 120:
        return text["minutes"].format(n=round(minutes))
    return text["hours"].format(n=round(minutes / 60, 1))


def _pct(value: float | None, text: dict[str, str]) -> str:
    return text["withheld"] if value is None else f"{value}%"


def _number(value: int | None, text: dict[str, str]) -> str:
    return text["withheld"] if value is None else str(value)


def render(report: dict[str, Any], language: str, today: date) -> str:
    """The page, every value escaped."""
    text = TEXT[language]
    month = Month.parse(report["month"])
    csat = report["csat"]
    rating = (
        text["withheld"]
        if csat["average"] is None
        else text["rated"].format(avg=csat["average"], n=csat["rated"])
    )
    rows = [
        ("received", _number(report["received"], text)),
        ("resolved", _number(report["resolved"], text)),
        ("resolved_in_time_pct", _pct(report["resolved_in_time_pct"], text)),
        ("first_response_median_minutes",
         _duration(report["first_response_median_minutes"], text)),
        ("resolution_median_minutes", _duration(report["resolution_median_minutes"], text)),
        ("csat", rating),
        ("reopen_rate_pct", _pct(report["reopen_rate_pct"], text)),
    ]  # fmt: skip
    figures = "\n".join(
        f'<tr data-figure="{key}"><th scope="row">{escape(text[key])}</th>'
        f"<td>{escape(value)}</td></tr>"
        for key, value in rows
    )
    categories = "\n".join(
        f'<tr data-category="{escape(entry["category"])}">'
        f"<td>{escape(text.get('cat.' + entry['category'], entry['category']))}</td>"
        f"<td>{entry['count']}</td><td>{_actions(entry['actions'], text)}</td></tr>"
        for entry in report["top_categories"]
    )
    if not categories:
        categories = f'<tr><td colspan="3">{escape(text["no_categories"])}</td></tr>'
    other = "en" if language == "zh-CN" else "zh-CN"
    previous, following = Month.before(month.first_day()), month.next()
    nav = [f'<a id="previous" href="/report?month={previous}&amp;lang={language}">'
           f"{escape(text['previous'])}</a>"]  # fmt: skip
    if following.first_day() <= Month.before(today).first_day():
        nav.append(
            f'<a id="next" href="/report?month={following}&amp;lang={language}">'
            f"{escape(text['next'])}</a>"
        )
    nav.append(
        f'<a id="other-language" href="/report?month={month}&amp;lang={other}" '
        f'hreflang="{other}">{escape(text["other_language"])}</a>'
    )
    intro = text["intro"].format(month=month, min=report["min_count"])
    return f"""<!doctype html>
<html lang="{language}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(text["title"])} · {month}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 48rem; margin: 2rem auto;
  padding: 0 1rem; color: #1f2933; }}
table {{ border-collapse: collapse; width: 100%; margin: 1rem 0; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d9e2ec;
  vertical-align: top; }}
nav a {{ margin-right: 1rem; }}
ul {{ margin: 0; padding-left: 1.2rem; }}
</style>
</head>
<body>
<nav>{" ".join(nav)}</nav>
<h1>{escape(text["title"])} · <span id="month">{month}</span></h1>
<p id="intro">{escape(intro)}</p>
<table id="figures">
{figures}
</table>
<h2>{escape(text["top_categories"])}</h2>
<table id="categories">
<thead><tr><th>{escape(text["category"])}</th><th>{escape(text["count"])}</th>
<th>{escape(text["actions"])}</th></tr></thead>
<tbody>
{categories}
</tbody>
</table>
<p>{escape(text["downloads"])}: <a id="json" href="/report/{month}.json">JSON</a>
<a id="csv" href="/report/{month}.csv">CSV</a></p>
</body>
</html>
"""


def _actions(actions: list[dict[str, Any]], text: dict[str, str]) -> str:
    if not actions:
        return escape(text["none"])
    items = "".join(
        f"<li>{escape(action['title'])} ({escape(text['status.' + action['status']])})</li>"
        for action in actions
    )
    return f"<ul>{items}</ul>"


@router.get("/report", response_class=HTMLResponse)
async def report_page(
    request: Request,
    month: str | None = Query(default=None, description="YYYY-MM; the last whole month"),
    lang: str | None = Query(default=None, description="zh-CN or en"),
) -> Response:
    _enabled(request)
    today = _today(request)
    chosen = _month(month) if month else Month.before(today)
    language = pick_language(lang, request.headers.get("accept-language"))
    report = await _figures(request, chosen)
    return HTMLResponse(
        render(report, language, today),
        headers={"Content-Language": language, "Vary": "Accept-Language"},
    )


@router.get("/report/{month}.json")
async def report_json(request: Request, month: str) -> Response:
    _enabled(request)
    return JSONResponse(await _figures(request, _month(month)))


@router.get("/report/{month}.csv")
async def report_csv_file(request: Request, month: str) -> Response:
    _enabled(request)
    chosen = _month(month)
    return Response(
        content=report_csv(await _figures(request, chosen)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="report-{chosen}.csv"'},
    )
