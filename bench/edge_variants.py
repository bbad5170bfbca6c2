"""Do other sentence features make the edge model (filters/edge_model.py) generalise to voices it never saw?
(issue 21, round 12; bench/RESULTS.md)

    python -m bench.edge_variants base skel char skel+char+shape

Each variant trains on every dev group but heldout10 and the phrase sets in its voices (6, 7), exactly as
`bench.edge_train --hold-out heldout10 --without phrases6 phrases7` does, then scores heldout10's sentences and the
sentences of phrase sets 8 and 9 (never trained on) at the shipped thresholds: recall on boilerplate, false
positives on content. Scoring here is the plain sum of the weights of a sentence's distinct features (the shipped
scorer counts a repeated token twice: the same up to that). Variants, added to the shipped features:
- skel: the sentence's function-word skeleton (content words as W, digits as D), its pairs and triples;
- char: character 4-grams of English words of 5+ letters (morphology: "apologise" / "apologies");
- shape: how many content words the sentence has, and their share of its words.
"""

from __future__ import annotations

import math
import sys
from collections import Counter
from collections.abc import Callable

import bench.edge_train as et
from filters import edge_model as em

EN_FUNCTION = frozenset("""a an the this that these those some any each every no all both either neither
i me my mine myself you your yours yourself we us our ours they them their he him his she her it its
is am are was were be been being do does did done have has had having will would shall should can could may might
must ought not n't nor and or but so yet if then than as because since while when where what which who whom whose
why how whether of to in on at by for with from about into onto over under up down out off through between among
after before during without within upon via per just only also too very really quite rather still even already
here there now again ever never always there's it's that's i'm i've i'd i'll you're you've you'd you'll we're
let's let ok okay oh ah hey yes yeah""".split())
ZH_FUNCTION = frozenset("的了吧呢啊哦呀么吗嘛您你我们他她它这那是有在就也都还很和与及或"
                        "如果要会能可以不没对给把被让得地着过")
Example = tuple[str, str, int, str]


def _skeleton(tokens: list[str], cjk: bool) -> list[str]:
    keep = ZH_FUNCTION if cjk else EN_FUNCTION
    return [t if t in keep or not t[0].isalnum() else "D" if t.isdigit() else "W" for t in tokens]


def featurizer(variant: str) -> Callable[[str], list[str]]:
    def features(sentence: str) -> list[str]:
        out = em.features(sentence)
        cjk, tokens, _specials = em._parts(sentence)
        if "skel" in variant:
            sk = ["^", *_skeleton(tokens, cjk), "$"]
            out += ["s2:" + " ".join(p) for p in zip(sk, sk[1:], strict=False)]
            out += ["s3:" + " ".join(p) for p in zip(sk, sk[1:], sk[2:], strict=False)]
        if "char" in variant and not cjk:
            for token in tokens:
                if len(token) >= 5 and token.isalpha():
                    word = f"<{token}>"
                    out += ["c4:" + word[i:i + 4] for i in range(len(word) - 3)]
        if "shape" in variant:
            words = [t for t in tokens if t[0].isalnum()]
            content = sum(t not in (ZH_FUNCTION if cjk else EN_FUNCTION) for t in words)
            out += [f"content:{min(content, 6)}", f"cshare:{int(4 * content / max(1, len(words)))}"]
        return out
    return features


def fit(train: list[Example], features: Callable[[str], list[str]]) -> dict[str, tuple[float, dict[str, float]]]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    model = {}
    for edge in (*em.EDGES, "whole", "clause"):
        rows = [(label, s) for _g, e, label, s in train if e == edge]
        vec = DictVectorizer()
        x = vec.fit_transform([dict.fromkeys(features(s), 1.0) for _label, s in rows])
        clf = LogisticRegression(C=4.0, max_iter=2000, solver="lbfgs", class_weight="balanced")
        clf.fit(x, [label for label, _s in rows])
        weights = {str(n): float(w) for n, w in zip(vec.get_feature_names_out(), clf.coef_[0], strict=True)
                   if abs(w) >= et.PRUNE}
        model[edge] = (float(clf.intercept_[0]), weights)
    return model


def main() -> None:
    variants = sys.argv[1:] or ["base"]
    train = et.examples(tuple(g for g in et.GROUPS if g not in ("heldout10", "phrases6", "phrases7")))
    tests = {"heldout10": et.examples(("heldout10",)), "phrases8": et.phrase_examples("phrases8"),
             "phrases9": et.phrase_examples("phrases9")}
    thresholds = {"opener": et.THRESHOLDS, "closer": et.THRESHOLDS, "whole": et.THRESHOLDS,
                  "clause": et.CLAUSE_THRESHOLDS}
    for variant in variants:
        features = featurizer(variant)
        model = fit(train, features)
        print(f"## {variant}")
        for name, test in tests.items():
            counts: dict[tuple[str, str], Counter] = {}
            for _g, edge, label, sentence in test:
                cjk = em._is_cjk(sentence)
                bias, weights = model[edge]
                total = bias + sum(weights.get(f, 0.0) for f in set(features(sentence)))
                score = 1 / (1 + math.exp(-max(-30.0, min(30.0, total))))
                too_long = edge in em.EDGES and len(sentence.strip()) > em.MAX_CHARS[cjk]
                hit = not too_long and score >= thresholds[edge]["zh" if cjk else "en"]
                counts.setdefault((edge, "zh" if cjk else "en"), Counter())[(label, hit)] += 1
            for (edge, lang), c in sorted(counts.items()):
                pos, neg = c[(1, True)] + c[(1, False)], c[(0, True)] + c[(0, False)]
                print(f"{name:9} {edge:6} {lang}: recall {c[(1, True)]}/{pos} ({c[(1, True)] / max(1, pos):.1%}), "
                      f"false pos {c[(0, True)]}/{neg} ({c[(0, True)] / max(1, neg):.2%})")


if __name__ == "__main__":
    main()
