"""Language identification on the development sets, without a producer hint: accuracy per
language and text size, and the model's time per call, for several lengths of the text the
fastText model reads (`service.text.language._MODEL_CHARS`).

    .venv/bin/python eval/eval_language.py [--lengths 80,200,400,1000] [--docs 300]

Texts, each with its known language:
- sentence: one sentence of the NER sets (ar: ANERcorp train, AQMAR, Wojood sample; en:
  WikiGold, without its -DOCSTART- markers; fa: ParsTwiNER), tokens joined by spaces;
- passage: 8 consecutive sentences of one set joined (a short article's worth of text);
- article: the SaudiNewsNet development sample (ar), title and body as the worker reads them.
Data: <repo>/../shared/data (or $NEWS_ENRICHER_DEV_DATA). Measurement only: nothing from the data
is written anywhere.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from service.decode import DecodeError, decode  # noqa: E402
from service.document import build_doc  # noqa: E402
from service.text import language  # noqa: E402

NER_SETS = {"ar": ["ar_anercorp_train.jsonl", "ar_aqmar.jsonl", "ar_wojood_sample.jsonl"],
            "en": ["en_wikigold.jsonl"], "fa": ["fa_parstwiner.jsonl"]}
NEWS = "news/ar_saudinewsnet_dev.jsonl.gz"
PASSAGE_SENTENCES = 8


def data_dir() -> Path | None:
    env = os.environ.get("NEWS_ENRICHER_DEV_DATA")
    path = Path(env) if env else REPO.parent / "shared" / "data"
    return path if (path / NEWS).exists() else None


def texts(root: Path, docs: int) -> list[tuple[str, str, str]]:
    """(kind, language, text) for every sentence, passage and article."""
    out = []
    for lang, files in NER_SETS.items():
        for name in files:
            with open(root / "ner" / name, encoding="utf-8") as f:
                rows = [json.loads(line)["tokens"] for line in f if line.strip()]
            sentences = [" ".join(tokens) for tokens in rows if tokens != ["-DOCSTART-"]]
            out += [("sentence", lang, s) for s in sentences]
            step = PASSAGE_SENTENCES
            out += [("passage", lang, " ".join(sentences[i:i + step]))
                    for i in range(0, len(sentences) - step + 1, step)]
    with gzip.open(root / NEWS, "rt", encoding="utf-8") as f:
        for line in f:
            if docs <= 0:
                break
            try:
                doc = build_doc(decode(line.encode()))
            except DecodeError:
                continue
            out.append(("article", "ar", doc.clean))
            docs -= 1
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", default="80,200,1000,80+200",
                        help="characters the model reads; A+B: A, and B when unsure after A")
    parser.add_argument("--docs", type=int, default=1000, help="news articles to read")
    args = parser.parse_args()
    root = data_dir()
    if root is None:
        print("eval_language: development data not found (../shared/data); nothing measured", file=sys.stderr)
        return 2
    items = texts(root, args.docs)
    language.identify("warm up", None)
    print(f"{len(items)} texts; accuracy without a hint (wrong / total), model time per call")
    for spec in args.lengths.split(","):
        # "200": the model reads 200 characters; "80+200": 80, and 200 when unsure at 80
        first, _, length = spec.rpartition("+")
        language._MODEL_CHARS = int(length)
        language._FIRST_READ_CHARS = int(first or length)
        wrong: dict[tuple, Counter] = defaultdict(Counter)
        spent = 0.0
        model = language._model
        for kind, lang, text in items:
            got, _ = language.identify(text, None)
            wrong[kind, lang]["total"] += 1
            if got != lang:
                wrong[kind, lang]["wrong"] += 1
                wrong[kind, lang][got] += 1
            sample = text[:language._SAMPLE_CHARS].replace("\n", " ")
            t0 = time.perf_counter()
            model(sample)
            spent += time.perf_counter() - t0
        cells = []
        for (kind, lang), c in sorted(wrong.items()):
            errors = ", ".join(f"{k} {v}" for k, v in c.most_common() if k not in ("total", "wrong"))
            cells.append(f"{kind}/{lang} {c['wrong']}/{c['total']}" + (f" ({errors})" if errors else ""))
        print(f"model reads {spec:>7s} chars: {spent / len(items) * 1e6:6.1f} us/call | " + "; ".join(cells))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
