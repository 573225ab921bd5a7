"""Evaluate the dates stage (and dateparser's search_dates as a baseline, in the same run).

Data: <repo>/../shared/data/temporal/recognizers_text_datetime.jsonl (Microsoft Recognizers-Text
DateTime specs, Arabic and English), or $NEWS_ENRICHER_DEV_DATA/temporal/...  Exits cleanly when
the file is absent.

Scores, per language and per spec file:
- extraction: precision = predicted mentions overlapping a reference span / predicted mentions;
  recall = reference spans overlapped by a prediction / reference spans (cases whose reference
  list is empty count their predictions as false positives);
- normalization accuracy over the reference mentions that carry a resolved value (date,
  daterange, datetime, time, timerange, datetimerange with ISO values; durations, sets and
  "not resolved" are left out and counted as `norm_excluded`): the overlapping prediction's value
  must equal the reference at the reference's granularity (a date equals the date, a range its
  first day and exclusive end, a time the clock, a time range its clocks).  Our `end` is
  inclusive; it may also equal the reference end when the reference is a range between two named
  days (TIMEX "(..,..,PnD)": the specs end "from 4 to 22" on the 22nd); likewise our last year may
  equal the end year of a range between two named years ("(2014-01-01,2018-01-01,P4Y)"), and our last month
  the end month of a range between two named months ("(XXXX-03-01,XXXX-05-01,P2M)").  A reference
  with empty text has no span and is skipped.  A part of day spelled as
  the specs' clock range (MO 08-12, AF 12-16, EV 16-20, NI 20-23:59:59) or as a TIMEX3 value
  ("2016-11-07TNI") equals our day with that `part_of_day`, unless the reference has a modifier.
  The reference gives a "future" and a "past" resolution for underspecified text ("15 أكتوبر");
  either counts. A missed mention counts as wrong.
  `norm_acc_validated` leaves out the cases upstream marks IgnoreResolution (hand-written,
  never validated).  Every rule is documented in docs/dates.md.

Usage: .venv/bin/python eval/eval_dates.py [--json out.json] [--no-baseline] [--limit N] [--errors N]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.dates import extract_dates  # noqa: E402
from service.document import build_doc  # noqa: E402
from service.model import RawArticle  # noqa: E402

DEFAULT_REF = datetime(2016, 11, 7)  # the specs' usual reference time, for cases that give none
RESOLVED_TYPES = {"date", "daterange", "datetime", "time", "timerange", "datetimerange"}


def data_file() -> Path:
    base = Path(os.environ.get("NEWS_ENRICHER_DEV_DATA") or ROOT.parent / "shared" / "data")
    return base / "temporal" / "recognizers_text_datetime.jsonl"


# ----------------------------------------------------------------- reference

def gold_mentions(case: dict) -> list[dict]:
    """[{span, type, expected: [candidate dicts]}] from a spec case's `results`."""
    text = case["input"]
    out = []
    for r in case.get("results") or []:
        if not (r.get("Text") or "").strip():
            continue  # an empty reference (one Arabic case: Start 56, End 55) has no span to compare
        s = r.get("Start", -1)
        if "End" in r:
            e = r["End"] + 1
        else:
            e = s + r.get("Length", len(r.get("Text", "")))
        if s is None or s < 0 or text[s:e].strip().lower() != r.get("Text", "").strip().lower():
            found = text.lower().find(r.get("Text", "").strip().lower())
            if found >= 0:
                s, e = found, found + len(r["Text"].strip())
            elif s is None or s < 0:
                continue
        typ = (r.get("Type") or r.get("TypeName") or "").replace("datetimeV2.", "")
        out.append({"span": (s, e), "type": typ, "expected": _expected(r, typ)})
    return out


def _expected(r: dict, typ: str) -> list[dict]:
    """Candidate resolved values (each {'type', 'date'|'start'/'end'|'datetime'|'time'})."""
    cands = []
    value = r.get("Value") or {}
    res = r.get("Resolution") if isinstance(r.get("Resolution"), dict) else {}
    timex = value.get("Timex") if isinstance(value, dict) else None
    for key in ("FutureResolution", "PastResolution"):
        v = value.get(key) if isinstance(value, dict) else None
        if v:
            cands.append(_cand(typ, v, timex, value.get("Mod")))
    vals = (value.get("values") if isinstance(value, dict) else None) or res.get("values") or []
    for v in vals:
        t = v.get("type", typ)
        if "value" in v or "start" in v:
            cands.append(_cand(t, v, v.get("timex"), v.get("Mod") or v.get("mod")))
    return [c for c in cands if c]


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_ok(*vals: str) -> bool:
    """A real resolved value: ISO date/time text, not 'not resolved' and not the 0001 placeholder."""
    return all(v and not v.startswith("0001") and (_ISO_DAY.match(v) or re.match(r"\d{2}:\d{2}", v)) for v in vals)


def _cand(typ: str, v: dict, timex: str | None, mod: str | None) -> dict | None:
    out = _cand_value(typ, v)
    if out is not None:
        out["timex"], out["mod"] = timex or "", mod or ""
    return out


def _cand_value(typ: str, v: dict) -> dict | None:
    if typ not in RESOLVED_TYPES:
        return None
    if typ == "date":
        d = v.get("date") or v.get("value")
        return {"type": "date", "date": d} if _iso_ok(d) else None
    if typ == "daterange":
        s, e = v.get("startDate") or v.get("start"), v.get("endDate") or v.get("end")
        return {"type": "daterange", "start": s, "end": e} if _iso_ok(s, e) else None
    if typ == "datetime":
        d = v.get("dateTime") or v.get("value")
        return {"type": "datetime", "datetime": d[:19]} if _iso_ok(d) else None
    if typ == "time":
        t = v.get("time") or v.get("value")
        return {"type": "time", "time": t[:8]} if _iso_ok(t) else None
    if typ in ("timerange", "datetimerange"):
        s = v.get("startTime") or v.get("startDateTime") or v.get("start")
        e = v.get("endTime") or v.get("endDateTime") or v.get("end")
        return {"type": typ, "start": s, "end": e} if _iso_ok(s, e) else None
    return None


# ----------------------------------------------------------------- systems

def run_ours(text: str, lang: str, ref: datetime, conventions: str = "news") -> list[dict]:
    doc = build_doc(RawArticle(body=text))
    doc.language = lang
    doc.received_at = doc.published_at = ref.replace(tzinfo=timezone.utc)
    doc.published_from = "metadata"
    out = []
    for m in extract_dates(doc, conventions=conventions):
        out.append({"span": tuple(m["span"]), "kind": m["granularity"], "start": m["start"], "end": m["end"],
                    "value": m["value"], "timex": m["timex"], "part": m["part_of_day"]})
    return out


def run_dateparser(search_dates, text: str, lang: str, ref: datetime) -> list[dict]:
    try:
        found = search_dates(text, languages=[lang], settings={"RELATIVE_BASE": ref}) or []
    except Exception:  # dateparser raises on some inputs; count as nothing found
        found = []
    out, pos = [], 0
    for sub, dt in found:
        s = text.find(sub, pos)
        if s < 0:
            s = text.find(sub)
        if s < 0:
            continue
        pos = s + len(sub)
        out.append({"span": (s, s + len(sub)), "kind": "datetime_any", "dt": dt})
    return out


# ----------------------------------------------------------------- matching

def _overlap(a, b) -> int:
    return max(0, min(a[1], b[1]) - max(a[0], b[0]))


def _plus1(d: str) -> str:
    return (date.fromisoformat(d) + timedelta(days=1)).isoformat()


# Recognizers-Text resolves a part of day to these clock ranges (its TIMEX3 codes MO/AF/EV/NI).
_PART_CLOCKS = {("08:00:00", "12:00:00"): "MO", ("12:00:00", "16:00:00"): "AF",
                ("16:00:00", "20:00:00"): "EV", ("20:00:00", "23:59:59"): "NI"}
_PART_TIMEX = re.compile(r"\d{4}-\d{2}-\d{2}T(?:MO|MI|AF|EV|NI)")
_DAY_RANGE_TIMEX = re.compile(r",P\d+D\)")
_YEAR_RANGE_TIMEX = re.compile(r"\(\d{4}(?:-01-01)?,\d{4}(?:-01-01)?,P\d+Y\)")
_MONTH_RANGE_TIMEX = re.compile(r"\((?:\d{4}|XXXX)-\d\d-01,(?:\d{4}|XXXX)-\d\d-01,P\d+M\)")


def correct_ours(pred: dict, cand: dict) -> bool:
    t = cand["type"]
    kind, start, end, value = pred["kind"], pred["start"], pred["end"], pred["value"] or ""
    # The same fully specified TIMEX3 part of day ("2016-11-07TNI" = tonight), whatever clock range
    # the reference spells it out as; only without a modifier ("late this evening" is not all of it).
    tx = cand.get("timex") or ""
    if not cand.get("mod") and _PART_TIMEX.fullmatch(tx) and pred.get("timex") == tx:
        return True
    if t == "date":
        return kind in ("day", "datetime") and start == cand["date"]
    if t == "daterange":
        if kind in ("day", "datetime", "time") or start != cand["start"][:10] or end is None:
            return False
        # Our `end` is inclusive; the reference end of a period is exclusive (September = 09-01/10-01).
        # A range between two named days ("from 4 to 22", timex "(..,..,P18D)") ends on the named day.
        # So does a range between two named years ("من 2014 إلى 2018", timex "(2014-01-01,2018-01-01,P4Y)"):
        # our last year equal to its end year counts (we read the named end year as included).
        # Likewise a range ending on a named month ("from March to May", "(XXXX-03-01,XXXX-05-01,P2M)"): our
        # last month equal to the reference's end month counts.
        return (_plus1(end) == cand["end"][:10] or (end == cand["end"][:10] and bool(_DAY_RANGE_TIMEX.search(tx)))
                or (end == cand["end"][:4] + "-12-31" and cand["end"][4:10] == "-01-01"
                    and bool(_YEAR_RANGE_TIMEX.fullmatch(tx)))
                or (end[:7] == cand["end"][:7] and cand["end"][7:10] == "-01" and _plus1(end)[8:10] == "01"
                    and bool(_MONTH_RANGE_TIMEX.fullmatch(tx))))
    if t == "datetime":
        return kind == "datetime" and value[:19].replace("T", " ") == cand["datetime"]
    if t == "time":
        clock = value.split("T")[-1][:8] if kind in ("time", "datetime") else ""
        return len(clock) >= 5 and (clock + ":00")[:8] == cand["time"]
    if t == "datetimerange" and kind == "day" and pred.get("part") and not cand.get("mod"):
        # A part of day at the expected granularity: same date, same part ("مساء الثلاثاء").
        part = _PART_CLOCKS.get((cand["start"][-8:], cand["end"][-8:]))
        return part == pred["part"] and start == cand["start"][:10] and cand["start"][:10] == cand["end"][:10]
    if t in ("timerange", "datetimerange") and kind == "interval" and value.count("/") == 1:
        a, b = value.split("/")
        if t == "timerange":  # clock times; a range on a named day is compared by its clocks
            clocks = tuple((x.split("T")[-1][:8] + ":00")[:8] for x in (a, b))
            return "T" in a and clocks == (cand["start"][-8:], cand["end"][-8:])
        if t == "datetimerange" and len(a) >= 19:
            return (a[:19].replace("T", " "), b[:19].replace("T", " ")) == (cand["start"][:19], cand["end"][:19])
    return False


def correct_dateparser(pred: dict, cand: dict) -> bool:
    dt, t = pred["dt"], cand["type"]
    if t == "date":
        return dt.date().isoformat() == cand["date"]
    if t == "datetime":
        return dt.strftime("%Y-%m-%d %H:%M:%S") == cand["datetime"]
    if t == "time":
        return dt.strftime("%H:%M:%S") == cand["time"]
    return False  # search_dates returns points, never ranges


# ----------------------------------------------------------------- scoring

class Score:
    def __init__(self) -> None:
        self.pred = self.pred_ok = self.gold = self.gold_found = 0
        self.norm_n = self.norm_ok = self.val_n = self.val_ok = 0
        self.excluded = 0  # reference mentions without a resolved value (durations, sets, "not resolved")

    def row(self) -> dict:
        p = self.pred_ok / self.pred if self.pred else 0.0
        r = self.gold_found / self.gold if self.gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "pred": self.pred,
                "gold": self.gold, "norm_n": self.norm_n, "norm_excluded": self.excluded,
                "norm_acc": round(self.norm_ok / self.norm_n, 3) if self.norm_n else None,
                "norm_n_validated": self.val_n,
                "norm_acc_validated": round(self.val_ok / self.val_n, 3) if self.val_n else None}


def score_case(sc: Score, golds: list[dict], preds: list[dict], correct, ignore_resolution: bool) -> None:
    sc.pred += len(preds)
    sc.pred_ok += sum(1 for p in preds if any(_overlap(p["span"], g["span"]) for g in golds))
    sc.gold += len(golds)
    for g in golds:
        over = [p for p in preds if _overlap(p["span"], g["span"])]
        if over:
            sc.gold_found += 1
        if not g["expected"]:
            sc.excluded += 1
            continue
        ok = any(correct(p, c) for p in over for c in g["expected"])
        sc.norm_n += 1
        sc.norm_ok += ok
        if not ignore_resolution:
            sc.val_n += 1
            sc.val_ok += ok


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--no-baseline", action="store_true", help="skip dateparser")
    ap.add_argument("--limit", type=int, default=0, help="first N cases only (smoke test)")
    ap.add_argument("--errors", type=int, default=0, help="print up to N normalization errors of ours")
    ap.add_argument("--conventions", choices=("news", "recognizers"), default="news",
                    help="reading conventions of our dates stage (docs/dates.md); dateparser is unaffected")
    args = ap.parse_args(argv)

    path = data_file()
    if not path.exists():
        print(f"eval_dates: data file not found: {path}\n(set NEWS_ENRICHER_DEV_DATA to the shared data dir)")
        return 0
    cases = [json.loads(line) for line in path.open(encoding="utf-8")]
    if args.limit:
        cases = cases[: args.limit]
    search_dates = None
    if not args.no_baseline:
        try:
            from dateparser.search import search_dates
        except ImportError:
            print("dateparser not installed (pip install '.[eval]'): baseline skipped")

    systems = ["ours"] + (["dateparser"] if search_dates else [])
    scores = {s: defaultdict(Score) for s in systems}
    timing = {s: 0.0 for s in systems}
    errors = []
    for case in cases:
        lang = case["lang"]
        ref = datetime.fromisoformat(case["reference_datetime"][:19]) if case.get("reference_datetime") else DEFAULT_REF
        golds = gold_mentions(case)
        spec = case["spec_file"].rsplit("/", 1)[-1].replace(".json", "")
        keys = [(lang, "ALL"), (lang, spec)]
        t = time.perf_counter()
        ours = run_ours(case["input"], lang, ref, args.conventions)
        timing["ours"] += time.perf_counter() - t
        for k in keys:
            score_case(scores["ours"][k], golds, ours, correct_ours, bool(case.get("ignore_resolution")))
        if args.errors and len(errors) < args.errors:
            for g in golds:
                if g["expected"]:
                    over = [p for p in ours if _overlap(p["span"], g["span"])]
                    if not any(correct_ours(p, c) for p in over for c in g["expected"]):
                        errors.append((spec, case["input"], g["expected"][:2], over))
        if search_dates:
            t = time.perf_counter()
            dp = run_dateparser(search_dates, case["input"], lang, ref)
            timing["dateparser"] += time.perf_counter() - t
            for k in keys:
                score_case(scores["dateparser"][k], golds, dp, correct_dateparser, bool(case.get("ignore_resolution")))

    results = {"data": path.name, "conventions": args.conventions, "cases": len(cases), "seconds": {k: round(v, 2) for k, v in timing.items()},
               "systems": {s: {f"{k[0]}/{k[1]}": v.row() for k, v in sorted(scores[s].items())} for s in systems}}
    _print(results, systems)
    for spec, text, exp, over in errors:
        print(f"ERR {spec}: {text!r} expected {exp} got {over}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
        print(f"wrote {args.json}")
    return 0


def _fmt(v) -> str:
    return "  -  " if v is None else f"{v:.3f}"


def _print(results: dict, systems: list[str]) -> None:
    rows = results["systems"]["ours"]
    head = f"{'lang/spec':42} {'gold':>5} {'n_val':>5} {'excl':>5}"
    for s in systems:
        head += f" | {s[:10]:>10} P     R     F1   norm  n.val"
    print(head)
    print("-" * len(head))
    order = sorted(rows, key=lambda k: (k.split("/")[0], k.split("/")[1] != "ALL", k))
    for k in order:
        r = rows[k]
        line = f"{k:42} {r['gold']:5d} {r['norm_n']:5d} {r['norm_excluded']:5d}"
        for s in systems:
            x = results["systems"][s][k]
            line += (f" | {'':10} {_fmt(x['precision'])} {_fmt(x['recall'])} {_fmt(x['f1'])} "
                     f"{_fmt(x['norm_acc'])} {_fmt(x['norm_acc_validated'])}")
        print(line)
    print(f"cases: {results['cases']}; conventions: {results['conventions']}; seconds: {results['seconds']}")


if __name__ == "__main__":
    sys.exit(main())
