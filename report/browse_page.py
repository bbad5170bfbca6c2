"""The browsing section of report.html: a search box, filters, pages of rows, and ticks that become an
overrides.yaml download. Vanilla JavaScript inside the page; nothing is fetched, every text is inserted as text."""

from __future__ import annotations

import json
from typing import Any

from report.browse import CLIP

CSS = """
#browse .controls{display:flex;gap:.5em;flex-wrap:wrap;margin:.5em 0}#browse input[type=search]{flex:1;min-width:16em}
#browse table{table-layout:fixed}#browse td{overflow-wrap:anywhere}#browse .st{width:6em}#browse .src{width:7em}
#browse .why{width:14em}#browse .loc{width:11em}#browse .tick{width:7.5em;white-space:nowrap}
#browse tr.row{cursor:pointer}#browse tr.more td{background:#fafafa}#browse .rejected{color:#c62828}
"""

SCRIPT = r"""
(function () {
  const data = JSON.parse(document.getElementById('browse-data').textContent);
  const size = 50, ticks = {};
  let rows = data.rows, page = 0, shown = [], typing = null;
  const $ = (id) => document.getElementById(id);
  const options = (id, values) => { $(id).length = 1;
    for (const v of [...new Set(values)].filter(Boolean).sort()) {
      const o = document.createElement('option'); o.value = o.textContent = v; $(id).appendChild(o); } };
  const allOptions = () => { options('b-status', rows.map(r => r.status)); options('b-source', rows.map(r => r.source));
    options('b-stage', rows.map(r => r.stage)); options('b-rule', rows.map(r => r.rule)); };
  allOptions();
  // lower-cased search text, built once per row on the first search that needs it
  const text = (r) => r._t || (r._t = [r.instruction, r.input, r.output, r.detail, r.locator, r.id,
                       ...(r.history || []).flat(), ...r.edits.map(e => e.removed)].join('\n').toLowerCase());
  const CLIP = __CLIP__;  // characters kept of each text, as for the embedded rows
  const clip = (v) => { const t = v == null ? '' : (typeof v === 'string' ? v : JSON.stringify(v));
                        return t.length <= CLIP ? t : t.slice(0, CLIP) + ' …'; };
  function fromReject(j) {  // one line of rejects.jsonl as a browsable row (the same fields as the embedded ones)
    const row = j.row || {}, meta = row.meta || {};
    return {id: j.id, status: 'rejected', source: j.source, stage: j.stage, rule: j.rule, detail: clip(j.detail),
            locator: meta.locator || row.locator || '', instruction: clip(row.instruction ?? row.raw ?? ''),
            input: clip(row.input), output: clip(row.output), edits: []};
  }
  async function loadRejects(file) {  // every rejected row, streamed line by line: the embedded ones are a sample
    const edits = {}, loaded = [], decoder = file.stream().pipeThrough(new TextDecoderStream()).getReader();
    for (const r of rows) if (r.status === 'rejected') edits[r.id] = r.edits;
    let rest = '', done = false, bad = 0;
    const take = (line) => { if (!line.trim()) return;
      try { const r = fromReject(JSON.parse(line)); r.edits = edits[r.id] || []; loaded.push(r); }
      catch (e) { bad++; } };
    while (!done) {
      const chunk = await decoder.read(); done = chunk.done;
      const lines = (rest + (chunk.value || '')).split('\n'); rest = done ? '' : lines.pop();
      lines.forEach(take);
      $('b-loaded').textContent = `reading… ${loaded.length.toLocaleString('en')} rejected rows`;
    }
    take(rest);
    rows = rows.filter(r => r.status !== 'rejected').concat(loaded); allOptions();
    $('b-loaded').textContent = `all ${loaded.length.toLocaleString('en')} rejected rows loaded from ${file.name}` +
                                (bad ? ` (${bad} unreadable lines skipped)` : '');
    filter();
  }
  const cell = (tr, value, cls) => { const td = tr.insertCell(); td.textContent = value; if (cls) td.className = cls;
                                     return td; };
  function filter() {
    const q = $('b-q').value.toLowerCase().trim(), pick = (id) => $(id).value;
    shown = rows.filter(r => (!q || text(r).includes(q)) && (!pick('b-status') || r.status === pick('b-status'))
      && (!pick('b-source') || r.source === pick('b-source')) && (!pick('b-stage') || r.stage === pick('b-stage'))
      && (!pick('b-rule') || r.rule === pick('b-rule')));
    page = 0; render();
  }
  function details(r) {
    const parts = [];
    for (const [u, a] of (r.history || [])) parts.push('user: ' + u, 'assistant: ' + a);
    parts.push('instruction: ' + r.instruction);
    if (r.input) parts.push('input: ' + r.input);
    parts.push('output: ' + r.output);
    if (r.detail) parts.push('why: ' + r.detail);
    for (const e of r.edits) parts.push(`edit ${e.rule} (${e.field}): removed «${e.removed}»` +
                                        (e.added ? ` added «${e.added}»` : ''));
    return parts.join('\n\n');
  }
  function render() {
    const body = $('b-rows'); body.replaceChildren();
    for (const r of shown.slice(page * size, (page + 1) * size)) {
      const tr = body.insertRow(); tr.className = 'row'; tr.dataset.id = r.id;
      cell(tr, r.status, 'st ' + r.status); cell(tr, r.source, 'src');
      cell(tr, r.rule ? `${r.stage}: ${r.rule}` : (r.edits.length ? `${r.edits.length} edit(s)` : ''), 'why');
      cell(tr, r.locator, 'loc'); cell(tr, (r.instruction + ' → ' + r.output).slice(0, 300));
      const tick = tr.insertCell(); tick.className = 'tick';
      const box = document.createElement('input'); box.type = 'checkbox'; box.checked = r.id in ticks;
      box.title = r.status === 'rejected' ? 'keep this row on the next run' : 'drop this row on the next run';
      box.addEventListener('click', (ev) => { ev.stopPropagation();
        if (box.checked) ticks[r.id] = r.status === 'rejected' ? 'keep' : 'drop'; else delete ticks[r.id];
        $('b-ticked').textContent = Object.keys(ticks).length; });
      tick.append(box, ' ' + (r.status === 'rejected' ? 'keep' : 'drop'));
      tr.addEventListener('click', () => {
        const next = tr.nextSibling;
        if (next && next.className === 'more') { next.remove(); return; }
        const more = document.createElement('tr'); more.className = 'more';
        const td = more.insertCell(); td.colSpan = 6; const pre = document.createElement('pre');
        pre.textContent = details(r); td.appendChild(pre); tr.after(more); });
    }
    const pages = Math.max(1, Math.ceil(shown.length / size));
    $('b-count').textContent = `${shown.length.toLocaleString('en')} matching rows · page ${page + 1} of ${pages}`;
  }
  window.overridesYaml = function () {
    const ids = (kind) => Object.keys(ticks).filter(id => ticks[id] === kind).sort();
    const list = (kind) => ids(kind).length ? '\n' + ids(kind).map(id => `  - ${JSON.stringify(id)}`).join('\n')
                                            : ' []';
    return '# made in report.html: ticked rows. Name this file under overrides: in the pipeline config.\n' +
           `keep:${list('keep')}\ndrop:${list('drop')}\n`;
  };
  $('b-download').addEventListener('click', () => {
    const a = document.createElement('a');
    a.href = URL.createObjectURL(new Blob([window.overridesYaml()], {type: 'text/yaml'}));
    a.download = 'overrides.yaml'; a.click(); });
  for (const id of ['b-status', 'b-source', 'b-stage', 'b-rule']) $(id).addEventListener('change', filter);
  $('b-q').addEventListener('input', () => {  // past 20,000 rows, search when the typing pauses
    clearTimeout(typing); if (rows.length > 20000) typing = setTimeout(filter, 150); else filter(); });
  $('b-file').addEventListener('change', (ev) => { if (ev.target.files.length) loadRejects(ev.target.files[0]); });
  $('b-prev').addEventListener('click', () => { if (page > 0) { page--; render(); } });
  $('b-next').addEventListener('click', () => { if ((page + 1) * size < shown.length) { page++; render(); } });
  filter();
  performance.mark('browse-ready');  // the page is usable: bench/report_open.py times this
})();
"""


def browse_section(browse: dict[str, Any]) -> str:
    """The section's HTML; the rows travel as JSON in a script element that is data, not code."""
    payload = json.dumps(browse, ensure_ascii=False).replace("</", "<\\/")
    sampled = "" if browse["embedded"] == browse["total"] else \
        f" (a sample of {browse['embedded']:,} of {browse['total']:,} rows is embedded; to search every rejected " \
        "row, open rejects.jsonl from this folder with the button below)"
    selects = "".join(f'<select id="b-{name}"><option value="">any {name}</option></select>'
                      for name in ("status", "source", "stage", "rule"))
    return (f'<div id="browse"><p>Every kept and rejected row{sampled}: search by any word, filter, click a row for '
            "its texts, reason and edits. Tick rejected rows to keep them, or kept rows to drop them, then download "
            "the overrides file and name it under <code>overrides:</code> in the pipeline config.</p>"
            f'<div class="controls"><input type="search" id="b-q" placeholder="search text, id or locator">{selects}'
            '</div><div class="controls"><button id="b-prev">◀ previous</button><button id="b-next">next ▶</button>'
            '<span id="b-count"></span><span class="muted">ticked: <span id="b-ticked">0</span></span>'
            '<button id="b-download">download overrides.yaml</button></div>'
            '<div class="controls"><label>search every rejected row: open <code>rejects.jsonl</code> '
            '<input type="file" id="b-file" accept=".jsonl,application/json"></label>'
            '<span id="b-loaded" class="muted"></span></div>'
            '<table><thead><tr><th class="st">status</th><th class="src">source</th><th class="why">stage: rule</th>'
            '<th class="loc">locator</th><th>text</th><th class="tick">override</th></tr></thead>'
            f'<tbody id="b-rows"></tbody></table></div>'
            f'<script type="application/json" id="browse-data">{payload}</script>'
            f'<script>{SCRIPT.replace("__CLIP__", str(CLIP))}</script>')
