"""How often an edge sentence shares a content word with the rest of its answer (issue 21, round 12;
bench/RESULTS.md): the injected openers and closers of dev splits against the human answers' own first and last
sentences. Content words: English words of 3+ letters outside bench/edge_variants.py's function words, cut to 5
letters; Chinese: character pairs not both function characters.

    python -m bench.edge_overlap heldout5 heldout6 heldout9 heldout10
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter

from bench.edge_train import ROOT
from bench.edge_variants import EN_FUNCTION, ZH_FUNCTION
from formats.text import sentences

_WORD = re.compile(r"[a-z][a-z0-9']+")
_HAN = re.compile(r"[\u4e00-\u9fff]")


def content(text: str, cjk: bool) -> set[str]:
    if cjk:
        han = _HAN.findall(text)
        return {a + b for a, b in zip(han, han[1:], strict=False) if a not in ZH_FUNCTION or b not in ZH_FUNCTION}
    return {w[:5] for w in _WORD.findall(text.lower()) if w not in EN_FUNCTION and len(w) > 2}


def main() -> None:
    shares: Counter = Counter()
    for split in sys.argv[1:]:
        for lang in ("en", "zh"):
            cjk = lang == "zh"
            for line in (ROOT / "bench" / split / f"slop_{lang}.jsonl").read_text(encoding="utf-8").splitlines():
                row = json.loads(line)
                out, original = row["output"], row.get("original") or ""
                at = out.find(original) if row["expected"] == "strip" and original else -1
                if at < 0:
                    continue
                own = sentences(original)
                for edge, injected, human in (("opener", [s for s in sentences(out) if s[1] <= at], own[:1]),
                                              ("closer", [s for s in sentences(out) if s[0] >= at + len(original)],
                                               own[-1:])):
                    for a, b in injected:
                        words = content(out[a:b], cjk)
                        shares[(lang, edge, "boilerplate", bool(words & content(original, cjk)))] += 1
                    for a, b in human:
                        rest = original[:a] + original[b:]
                        if rest.strip():
                            words = content(original[a:b], cjk)
                            shares[(lang, edge, "human", bool(words & content(rest, cjk)))] += 1
    for lang in ("en", "zh"):
        for edge in ("opener", "closer"):
            for kind in ("boilerplate", "human"):
                none, some = shares[(lang, edge, kind, False)], shares[(lang, edge, kind, True)]
                print(f"{lang} {edge} {kind}: {none}/{none + some} ({none / max(1, none + some):.0%}) share no "
                      "content word with the answer")


if __name__ == "__main__":
    main()
