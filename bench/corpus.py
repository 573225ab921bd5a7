"""Benchmark corpora: the shared 3,000-article Arabic news sample, any JSONL, or a generated one.

The shared data lives outside the repository (`../shared/data`, or NEWS_ENRICHER_DEV_DATA);
when it is absent the benchmarks fall back to a generated corpus and say so in their results.
"""

from __future__ import annotations

import gzip
import os
import random
from pathlib import Path

import orjson

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_NEWS = "news/ar_saudinewsnet_dev.jsonl.gz"


def data_dir() -> Path:
    return Path(os.environ.get("NEWS_ENRICHER_DEV_DATA", ROOT.parent / "shared" / "data"))


def load_corpus(path: str | None = None, limit: int | None = None) -> tuple[list[bytes], str]:
    """Return (articles as JSON bytes, description of the corpus)."""
    source = Path(path) if path else data_dir() / DEFAULT_NEWS
    if not source.exists():
        if path:
            raise SystemExit(f"corpus not found: {path}")
        articles = generated_corpus(limit or 3000)
        return articles, f"generated ({len(articles)} synthetic articles; shared data not found)"
    opener = gzip.open if source.suffix == ".gz" else open
    articles = []
    with opener(source, "rb") as fh:
        for line in fh:
            line = line.strip()
            if line:
                articles.append(line)
            if limit and len(articles) >= limit:
                break
    return articles, f"{source.name} ({len(articles)} articles)"


_SENTENCES = [
    "أعلن وزير الخارجية في مؤتمر صحفي عقده في {city} يوم {weekday} أن المحادثات ستستأنف الأسبوع المقبل.",
    "وبحسب تقرير وكالة الأنباء، التقى الرئيس بنظيره في {city} في {day} {month} {year}.",
    "وقال المتحدث باسم الوزارة إن الاجتماع بحث تطورات الأوضاع في المنطقة والعلاقات الثنائية.",
    "وأشار إلى أن الحكومة ستعمل مع الأمم المتحدة على تقديم المساعدات الإنسانية للسكان.",
    "وكانت الشركة قد أعلنت في {month} الماضي عن ارتفاع أرباحها بنسبة {n} في المئة.",
]
_CITIES = ["الرياض", "القاهرة", "بيروت", "بغداد", "دمشق", "عمان", "الدوحة", "طهران", "أنقرة", "جدة"]
_WEEKDAYS = ["الأحد", "الاثنين", "الثلاثاء", "الأربعاء", "الخميس"]
_MONTHS = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس"]


def generated_corpus(count: int, seed: int = 7) -> list[bytes]:
    """Synthetic Arabic articles of realistic length (about 2 KB), deterministic."""
    rng = random.Random(seed)
    out = []
    for i in range(count):
        sentences = []
        for _ in range(rng.randint(8, 16)):
            sentences.append(rng.choice(_SENTENCES).format(
                city=rng.choice(_CITIES), weekday=rng.choice(_WEEKDAYS), day=rng.randint(1, 28),
                month=rng.choice(_MONTHS), year=rng.choice([2014, 2015]), n=rng.randint(2, 40)))
        out.append(orjson.dumps({"id": f"gen-{i}", "title": sentences[0][:60], "body": " ".join(sentences),
                                 "date_extracted": "2015-07-21 02:51:58"}))
    return out
