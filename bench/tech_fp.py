"""Rows changed or dropped on human-written technical prose (issue 21, DEV): the chain on paragraphs of manuals
that no evaluation split used, in English, simplified and traditional Chinese (translated technical text, the kind
on which the round-6 held-out split found false positives that could not be read there).

    python -m bench.tech_fp                 # totals per source and per rule
    python -m bench.tech_fp --show 40       # and the rows changed or dropped (this is a dev set: read them)

Sources (fetched once into ~/.cache/sftcurate-bench/tech with `apt-get download`, from Debian's packages):
- Debian Reference 2.100 (debian-reference-{en,zh-cn,zh-tw}; GPL-2+), the Debian New Maintainers' Guide 1.2.53
  (maint-guide, maint-guide-zh-{cn,tw}; GPL-2+), the Debian FAQ 11.1 (debian-faq, debian-faq-zh-cn; GPL-2+), the
  Developer's Reference 12.18 (developers-reference; MIT-style) and The Debian Administrator's Handbook 11
  (debian-handbook, en-US / zh-CN / zh-TW; GPL-2+ or CC BY-SA 3.0): `<p>` paragraphs of their HTML pages;
- CMake's reference manual (`/usr/share/cmake-*/Help/**/*.rst`, Debian's cmake-data; BSD-3-Clause): prose
  paragraphs of the .rst files, roles such as :command:`x` resolved to x.
Every row is a good row: a change or a drop is a false positive unless reading it shows the text is boilerplate.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import re
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

from bench.heldout_eval import run_chain
from filters.clean import FilterSettings

CACHE = Path.home() / ".cache" / "sftcurate-bench" / "tech"
# (package, HTML pages under the unpacked tree, language)
PACKAGES = (
    ("debian-reference-en", "usr/share/debian-reference/ch*.en.html", "en"),
    ("debian-reference-zh-cn", "usr/share/debian-reference/ch*.zh-cn.html", "zh-cn"),
    ("debian-reference-zh-tw", "usr/share/debian-reference/ch*.zh-tw.html", "zh-tw"),
    ("maint-guide", "usr/share/doc/maint-guide/html/*.en.html", "en"),
    ("maint-guide-zh-cn", "usr/share/doc/maint-guide-zh-cn/html/*.zh-cn.html", "zh-cn"),
    ("maint-guide-zh-tw", "usr/share/doc/maint-guide-zh-tw/html/*.zh-tw.html", "zh-tw"),
    ("debian-faq", "usr/share/doc/debian/FAQ/*.en.html", "en"),
    ("debian-faq-zh-cn", "usr/share/doc/debian/FAQ/zh-cn/*.zh-cn.html", "zh-cn"),
    ("developers-reference", "usr/share/developers-reference/*.html", "en"),
    ("debian-handbook", "usr/share/doc/debian-handbook/html/en-US/*.html", "en"),
    ("debian-handbook", "usr/share/doc/debian-handbook/html/zh-CN/*.html", "zh-cn"),
    ("debian-handbook", "usr/share/doc/debian-handbook/html/zh-TW/*.html", "zh-tw"),
)
_P = re.compile(r"<p(?: class=\"topless\")?>(.*?)</p>|<div class=\"para\">(.*?)</div>", re.S)
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_ROLE = re.compile(r":[a-z:]+:`(?:[^`<]*<)?([^`>]+)>?`")
_INSTRUCTIONS = {
    "en": ("Continue the manual's section \"{title}\" after this paragraph: {lead}",
           "Write the next paragraph of the {title} documentation. Previous paragraph begins: {lead}"),
    "zh-cn": ("接着这一段继续写《{title}》的说明：{lead}", "续写文档“{title}”的下一段。上一段开头：{lead}"),
    "zh-tw": ("接著這一段繼續寫《{title}》的說明：{lead}", "續寫文件「{title}」的下一段。上一段開頭：{lead}"),
}


def fetch(package: str, cache: Path = CACHE) -> Path:
    """Unpacks one Debian documentation package into the cache once; returns the unpacked tree."""
    tree = cache / package
    if not tree.exists():
        debs = cache / "debs"
        debs.mkdir(parents=True, exist_ok=True)
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
        deb = next(debs.glob(f"{package}_*.deb"))
        subprocess.run(["dpkg-deb", "-x", str(deb), str(tree)], check=True)
    return tree


def _prose(text: str, lang: str) -> bool:
    if "http" in text or "{" in text or len(text) > 800:
        return False
    if lang == "en":
        return len(text) >= 60 and len(text.split()) >= 10 and text[0].isupper() and text[-1] in ".!?"
    return len(_CJK.findall(text)) >= 20 and text[-1] in "。！？：" and len(text) >= 25


def html_paragraphs(pages: list[Path], lang: str) -> list[tuple[str, str]]:
    """(page title, paragraph) in page order."""
    out = []
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        title_match = re.search(r"<title[^>]*>(.*?)</title>", raw, re.S)
        title = html.unescape(_TAG.sub("", title_match.group(1))).strip() if title_match else page.stem
        for p_body, div_body in _P.findall(raw):
            body = p_body or div_body
            if "<pre" in body or "<table" in body or "<div" in body:
                continue
            text = _SPACE.sub(" ", html.unescape(_TAG.sub("", body))).strip()
            if lang != "en":
                text = re.sub(r"(?<=[\u3000-\u9fff\uff00-\uffef]) (?=[\u3000-\u9fff\uff00-\uffef])", "", text)
            if _prose(text, lang):
                out.append((title, text))
    return out


def cmake_paragraphs() -> list[tuple[str, str]]:
    out = []
    for help_dir in sorted(Path("/usr/share").glob("cmake-*/Help")):
        for rst in sorted(help_dir.rglob("*.rst")):
            blocks = rst.read_text(encoding="utf-8", errors="replace").split("\n\n")
            for block in blocks:
                lines = block.splitlines()
                if not lines or any(line.startswith((" ", "\t", "..", "*", "-", "#", "=", "+")) for line in lines):
                    continue
                text = _SPACE.sub(" ", _ROLE.sub(r"\1", block).replace("``", "")).strip()
                if _prose(text, "en") and "`" not in text and "|" not in text:
                    out.append((rst.stem, text))
    return out


def build_rows(cache: Path = CACHE) -> dict[str, list[dict[str, Any]]]:
    sources = {f"{package} {lang}": (lang, html_paragraphs(sorted(fetch(package, cache).glob(pages)), lang))
               for package, pages, lang in PACKAGES}
    sources["cmake"] = ("en", cmake_paragraphs())
    rows: dict[str, list[dict[str, Any]]] = {}
    for name, (lang, paragraphs) in sources.items():
        seen: set[str] = set()
        rows[name] = []
        for i, (title, text) in enumerate(paragraphs):
            if text in seen:
                continue
            seen.add(text)
            lead = paragraphs[i - 1][1][:60] if i else title
            template = _INSTRUCTIONS[lang][i % 2]
            rows[name].append({"id": f"{name}-{hashlib.sha256(text.encode()).hexdigest()[:10]}",
                               "instruction": template.format(title=title, lead=lead), "output": text})
    return rows


def evaluate(rows: dict[str, list[dict[str, Any]]], show: int = 0) -> dict[str, Any]:
    settings = FilterSettings()
    report: dict[str, Any] = {}
    for name, part in rows.items():
        kept, ledger = run_chain(part, settings)
        originals = {r["id"]: r["output"] for r in part}
        changed = [k for k, ex in kept.items() if ex.output != originals[k]]
        drops = Counter(r.rule for r in ledger.rejects)
        edits = Counter(e.rule for e in ledger.edits if not e.rule.startswith(("repair.", "pii.")))
        by_slop = {e.id for e in ledger.edits if not e.rule.startswith(("repair.", "pii."))}
        report[name] = {"rows": len(part), "dropped": sum(drops.values()), "changed": len(changed),
                        "rate": round((sum(drops.values()) + len(changed)) / max(len(part), 1), 4),
                        # what the slop and noise rules did (repair and PII masking change rows by design)
                        "slop_noise_rate": round((sum(drops.values()) + len(by_slop)) / max(len(part), 1), 4),
                        "drop_rules": dict(drops), "edit_rules": dict(edits)}
        if show:
            for r in ledger.rejects[:show]:
                print(f"[{name}] DROP {r.rule}: {r.detail[:300]}")
            for e in [e for e in ledger.edits if not e.rule.startswith(("repair.", "pii."))][:show]:
                print(f"[{name}] EDIT {e.rule}: {e.removed[:200]!r}")
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show", type=int, default=0, help="print up to N drops and N edits per source")
    args = parser.parse_args()
    report = evaluate(build_rows(), args.show)
    for name, part in report.items():
        print(f"{name:30} rows {part['rows']:5}  dropped {part['dropped']:3}  changed {part['changed']:3}  "
              f"(slop/noise {part['slop_noise_rate']:.2%}, all {part['rate']:.2%})  drops {part['drop_rules']}  "
              f"slop edits {part['edit_rules']}")


if __name__ == "__main__":
    main()
