"""report.html: the run's report as one self-contained page (inline CSS and script, nothing fetched).

A person reads it before training: where rows went per source, what each rule did with real examples, every row
to search (report/browse_page.py), and the dataset's size and diversity. Every value from the data is escaped.
"""

from __future__ import annotations

from html import escape
from typing import Any

from formats.example import FIELDS
from report.browse_page import CSS as BROWSE_CSS
from report.browse_page import browse_section

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:.5em 0}td,th{border:1px solid #ddd;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f5f5f5}td.n{text-align:right;font-variant-numeric:tabular-nums}
.ok{color:#1a7f37}.bad{color:#c62828;font-weight:600}del{background:#ffd7d5;text-decoration:none}
ins{background:#d2f5d6;text-decoration:none}pre{white-space:pre-wrap;margin:.2em 0;background:#fafafa;padding:4px}
details{margin:.2em 0}summary{cursor:pointer}.bar{fill:#4a78c2}.muted{color:#777}
.before{fill:#b8b8b8}.after{fill:#4a78c2}.hist{display:inline-block;margin:0 1em 1em 0}.hist text{font-size:11px}
"""


def _number(value: Any) -> str:
    """Big numbers with thousands separators; other values as they are."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _n(value: Any) -> str:
    return f'<td class="n">{escape(_number(value))}</td>'


def _funnel_svg(funnel: list[dict[str, Any]]) -> str:
    top = max((f["rows"] for f in funnel), default=0) or 1
    rows = []
    for i, stage in enumerate(funnel):
        width = 600 * stage["rows"] / top
        y = i * 26
        rows.append(f'<rect class="bar" x="200" y="{y}" width="{width:.1f}" height="20"/>'
                    f'<text x="0" y="{y + 15}">{escape(stage["stage"])}</text>'
                    f'<text x="{205 + width:.1f}" y="{y + 15}">{stage["rows"]:,} ({stage["share_of_read"]:.0%})</text>')
    return f'<svg width="900" height="{26 * len(funnel)}" role="img" aria-label="funnel">{"".join(rows)}</svg>'


def _sources(report: dict[str, Any]) -> str:
    head = "<tr><th>source</th><th>read</th><th>kept</th><th>rejected</th><th>by stage</th><th>new</th>" \
           "<th>read = kept + rejected</th><th>status</th></tr>"
    body = []
    for name, c in report["sources"].items():
        holds = c["read"] == c["kept"] + c["rejected"]
        stages = ", ".join(f"{k} {v}" for k, v in c.get("rejected_by_stage", {}).items())
        status = escape(c["status"]) + (f': {escape(c["error"])}' if c.get("error") else "")
        body.append(f"<tr><td>{escape(name)}</td>{_n(c['read'])}{_n(c['kept'])}{_n(c['rejected'])}"
                    f"<td>{escape(stages)}</td>{_n(c.get('new_rows', ''))}"
                    f"<td class=\"{'ok' if holds else 'bad'}\">{'holds' if holds else 'BROKEN'}</td>"
                    f"<td class=\"{'ok' if c['status'] == 'ok' else 'bad'}\">{status}</td></tr>")
    return f"<table>{head}{''.join(body)}</table>"


def _example(item: dict[str, Any]) -> str:
    if "removed" in item:
        kept = f"<pre>{escape(item['kept_text'])}</pre>" if item.get("kept_text") else \
            '<p class="muted">(row dropped later)</p>'
        added = f" → <ins>{escape(item['added'])}</ins>" if item.get("added") else ""
        return (f"<p><b>{escape(item['id'])}</b> · {escape(item['field'])}: removed "
                f"<del>{escape(item['removed'])}</del>{added}</p>{kept}")
    return (f"<p><b>{escape(item['id'])}</b>: {escape(item['detail'])}</p>"
            f"<pre>{escape(item.get('instruction', ''))}\n→ {escape(item.get('output', ''))}</pre>")


def _rules(report: dict[str, Any], total_rows: int) -> str:
    examples = report.get("examples", {})
    head = "<tr><th>rule</th><th>stage</th><th>category</th><th>action</th><th>hits</th><th>dropped</th>" \
           "<th>stripped</th><th>flagged</th><th>chars removed</th></tr>"
    body, loud = [], []
    ranked = sorted(report["rules"].items(), key=lambda kv: (-(kv[1]["dropped"] + kv[1]["stripped"]), kv[0]))
    for rule, c in ranked:
        shown = "".join(_example(e) for e in examples.get(rule, []))
        cell = f"<details><summary>{escape(rule)}</summary>{shown}</details>" if shown else escape(rule)
        body.append(f"<tr><td>{cell}</td><td>{escape(c['stage'])}</td><td>{escape(c['category'])}</td>"
                    f"<td>{escape(c['action'])}</td>{_n(c['hits'])}{_n(c['dropped'])}{_n(c['stripped'])}"
                    f"{_n(c.get('flagged', 0))}{_n(c['chars_removed'])}</tr>")
        if total_rows and c["hits"] / total_rows > 0.05:
            loud.append(f"{rule} ({c['hits'] / total_rows:.0%} of rows)")
    warning = (f'<p class="bad">Rules that fired on more than 5% of rows (check them): {escape(", ".join(loud))}</p>'
               if loud else '<p class="ok">No rule fired on more than 5% of rows.</p>')
    silent = report.get("rules_with_no_hits", [])
    quiet = (f"<details><summary>{len(silent)} enabled rules fired on nothing (normal on small or clean data; only a "
             f"rule that stays silent on data that should trigger it needs a look)</summary>"
             f"<p>{escape(', '.join(silent))}</p></details>") if silent else ""
    return f"{warning}{quiet}<table>{head}{''.join(body)}</table>"


def _table(rows: dict[str, dict[str, Any]], first: str) -> str:
    columns = list(dict.fromkeys(k for row in rows.values() for k in row))
    head = "".join(f"<th>{escape(c)}</th>" for c in [first, *columns])
    body = "".join(f"<tr><td>{escape(name)}</td>{''.join(_n(row.get(c, '')) for c in columns)}</tr>"
                   for name, row in rows.items())
    return f"<table><tr>{head}</tr>{body}</table>"


def _stats(stats: dict[str, Any]) -> str:
    rows = []
    for key, value in stats.items():
        if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
            rows.append(f"<tr><td>{escape(str(key))}</td><td>{_table(value, '')}</td></tr>")
            continue
        shown = _number(value) if not isinstance(value, dict | list) else ", ".join(
            f"{k}: {_number(v)}" for k, v in (value.items() if isinstance(value, dict) else value))
        rows.append(f"<tr><td>{escape(str(key))}</td><td>{escape(str(shown))}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def _edge(value: int) -> str:
    return f"{value // 1000}k" if value >= 1000 else str(value)


def _histogram_svg(title: str, edges: list[int], before: list[int], after: list[int]) -> str:
    """Before (grey) and after (blue) counts per bucket, side by side, on one scale, with a labelled row axis."""
    top, step, height, left, pad = max([*before, *after, 1]), 34, 110, 62, 26
    bars = [f'<line x1="{left - 4}" y1="{pad}" x2="{left - 4}" y2="{height + pad}" stroke="#999"/>',
            f'<line x1="{left - 4}" y1="{height + pad}" x2="{left + step * len(edges)}" y2="{height + pad}" '
            'stroke="#999"/>']
    for value in (top, top // 2, 0):  # row-count ticks on the left axis
        y = height - height * value / top + pad
        bars.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end">{value:,}</text>')
    for i, (b, a) in enumerate(zip(before, after, strict=True)):
        x = left + i * step
        last = edges[i + 1] - 1 if i + 1 < len(edges) else None
        label = f"{edges[i]:,}+" if last is None else f"{edges[i]:,}" + (f"–{last:,}" if last > edges[i] else "")
        for dx, cls, value in ((0, "before", b), (14, "after", a)):
            h = height * value / top
            bars.append(f'<rect class="{cls}" x="{x + dx}" y="{height - h + pad:.1f}" width="13" height="{h:.1f}">'
                        f"<title>{escape(label)}: {cls} {value:,} rows</title></rect>")
        bars.append(f'<text x="{x}" y="{height + pad + 13}">{escape(_edge(edges[i]))}</text>')
    return (f'<svg class="hist" width="{left + 10 + step * len(edges)}" height="{height + pad + 20}" role="img" '
            f'aria-label="{escape(title)}"><text x="0" y="11"><tspan font-weight="600">{escape(title)}</tspan> '
            f"(rows per bucket; hover a bar for its count)</text>{''.join(bars)}</svg>")


def _lengths(lengths: dict[str, Any]) -> str:
    if not lengths:
        return '<p class="muted">(no length histograms in this report)</p>'
    before, after, edges = lengths["before"], lengths["after"], lengths["edges"]
    charts = [_histogram_svg(f"{field} · {'characters' if unit == 'chars' else 'tokens'}", edges,
                             before[unit][field], after[unit][field])
              for unit in ("chars", "tokens") for field in FIELDS]
    return (f'<p><svg width="12" height="12"><rect class="before" width="12" height="12"/></svg> before filtering '
            f'({before["rows"]:,} rows as ingested) <svg width="12" height="12"><rect class="after" width="12" '
            f'height="12"/></svg> after ({after["rows"]:,} kept rows). Buckets start at the value shown; tokens: '
            f'{escape(lengths["tokens_method"])}.</p>{"".join(charts)}')


def _diff(ops: list[list[str]]) -> str:
    tag = {"=": "{}", "-": "<del>{}</del>", "+": "<ins>{}</ins>"}
    return "<pre>" + "".join(tag[op].format(escape(text)) for op, text in ops) + "</pre>"


def _duplicates(dup: dict[str, Any]) -> str:
    if not dup:
        return ""
    rates = _table({name: {"reached dedup": r["reached_dedup"], "exact copies": r["exact"], "near copies": r["near"],
                           "duplicate rate": f"{r['rate']:.1%}"}
                    for name, r in {**dup["by_source"], "all sources": dup["overall"]}.items()}, "source")
    kinds = {"exact": "exact duplicates (same normalised text)",
             "near": "near duplicates (verified against the kept row: Jaccard, or edit similarity / containment for "
                     "short answers to the same question)"}
    sizes = _table({label: {f"size {k}": v for k, v in dup[kind]["sizes"].items()} for kind, label in kinds.items()},
                   "clusters of")
    shown = []
    for kind in kinds:
        for c in dup[kind]["largest"]:
            shown.append(f"<details><summary>{kind} · {escape(c['cluster'])}: {c['size']} rows, "
                         f"similarity {c['similarity']}</summary><p>kept <b>{escape(c['kept']['id'])}</b> "
                         f"({escape(c['kept']['source'])}, {escape(c['kept']['status'])}) vs dropped "
                         f"<b>{escape(c['dropped']['id'])}</b> ({escape(c['dropped']['source'])}): "
                         f"<del>only in the kept row</del> <ins>only in the dropped row</ins></p>"
                         f"{_diff(c['diff'])}<p>each dropped row against the kept one: "
                         + ", ".join(f"{escape(m['id'])} {escape(m['measure'])} {m['similarity']}"
                                     for m in c.get("members", [])) + "</p></details>")
    return (f"<p>Duplicate rate = copies dropped / rows that reached dedup.</p>{rates}{sizes}"
            f"<h3>Largest clusters</h3>{''.join(shown) or '<p class=muted>none</p>'}")


def _pii(pii: dict[str, Any]) -> str:
    if not pii:
        return ""
    if not pii["values_found"]:
        return "<p class=muted>none found</p>"
    found = _table(pii["values_found"], "type (values found per source)")
    actions = _table(pii["by_rule"], "detector")
    shown = "".join(f"<details><summary>{escape(t)}: {len(items)} example(s), masked</summary>"
                    + "".join(f"<p><b>{escape(i['id'])}</b> · {escape(i['source'])} · {escape(i['field'])} · "
                              f"{escape(i['status'])}</p><pre>{escape(i['masked'])}</pre>" for i in items)
                    + "</details>" for t, items in pii["examples"].items())
    return (f"<p>Values are never shown: rows and the ledger hold typed placeholders (&lt;EMAIL&gt;), edits a "
            f"salted hash.</p>{found}{actions}{shown}")



def _what_if(tables: dict[str, Any]) -> str:
    """One row per threshold-based check: rows it would drop at each value, the configured one in bold."""
    rows = []
    for name, table in tables.items():
        current = table["current"]
        cells = " · ".join((f"<b>{escape(value)}: {count:,}</b>" if value in (f"{current:,}", f"{current:g}")
                            else f"{escape(value)}: {count:,}") for value, count in table["would_drop"].items())
        note = f' <span class="muted">({escape(table["note"])})</span>' if table.get("note") else ""
        sampled = f' <span class="muted">(from a sample of {table["sampled_rows"]:,})</span>' \
            if table.get("sampled_rows") else ""
        rows.append(f"<tr><td>{escape(name)}</td><td>{cells}{note}{sampled}</td></tr>")
    return ("<p>Rows each check would drop at other values of its setting (the configured value in bold), from "
            "scores computed in this run: change the setting in the config if a value suits the data better.</p>"
            f"<table><tr><th>check (setting)</th><th>value: rows dropped</th></tr>{''.join(rows)}</table>")


def render_report_html(report: dict[str, Any], title: str = "Curation report",
                       browse: dict[str, Any] | None = None) -> str:
    totals = report["totals"]
    t = (f"read <b>{totals['read']:,}</b> · kept <b>{totals['kept']:,}</b> (train {totals['train']:,}, val "
         f"{totals['val']:,}) · rejected <b>{totals['rejected']:,}</b> · edited rows {totals['edited_rows']:,}")
    failed = "".join(f'<p class="bad">source {escape(n)} failed: {escape(e)}</p>'
                     for n, e in report.get("failed_sources", {}).items())
    return (f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title)}</title>"
            f"<style>{CSS}{BROWSE_CSS if browse else ''}</style></head><body><h1>{escape(title)}</h1><p>{t}</p>{failed}"
            f"<h2>Funnel</h2>{_funnel_svg(report['funnel'])}<h2>Sources</h2>{_sources(report)}"
            f"<h2>Rules (click a rule for real examples)</h2>{_rules(report, totals['read'])}"
            f"<h2>Duplicates</h2>{_duplicates(report.get('duplicates', {}))}"
            f"<h2>Personal data</h2>{_pii(report.get('pii', {}))}"
            + (f"<h2>Source mix (after filters and dedup)</h2>{_table(report['mix'], 'source')}"
               if report.get("mix") else "")
            + (f"<h2>Conversations</h2>{_stats(report['conversations'])}" if report.get("conversations") else "") +
            f"<h2>Lengths before and after filtering</h2>{_lengths(report.get('lengths', {}))}"
            + (f"<h2>What other thresholds would drop</h2>{_what_if(report['what_if'])}" if report.get("what_if")
               else "") +
            f"<h2>Dataset stats</h2>{_stats(report.get('stats', {}))}"
            + (f"<h2>Browse rows</h2>{browse_section(browse)}" if browse else "") + "</body></html>\n")
