"""bench.compare: the regression check over two benchmark result files."""

import orjson

from bench.compare import compare, main

MACHINE = {"python": "3.11.7", "interpreter": "CPython 3.11.7 (main; GCC)", "cores": 2}


def enrich_result(per_s: float, cpu_mean: float, entities: float = 9.4, ratio: float = 9.0) -> dict:
    return {
        "benchmark": "enrich", "when": "2026-11-30T00:00:00+00:00", "machine": dict(MACHINE),
        "corpus": "news (3000 articles)",
        "pipeline": {"articles_per_s": per_s, "cpu_ms": {"mean": cpu_mean, "p50": cpu_mean * 0.8},
                     "stage_cpu_ms": {"dates": {"mean": 0.4, "p50": 0.3}},
                     "entities_per_article": entities, "peak_rss_mb": 200.0},
        "ratios": {"pipeline_vs_dateparser_throughput": ratio, "subset_articles": 1000},
    }


def verdicts(old: dict, new: dict, tolerance: float = 0.10) -> dict:
    rows, _ = compare(old, new, tolerance)
    return {key: mark for key, _, _, _, mark in rows}


def test_slower_run_is_worse_and_faster_run_better():
    base = enrich_result(400.0, 2.5)
    slower = verdicts(base, enrich_result(300.0, 3.3, ratio=7.0))
    assert slower["pipeline.articles_per_s"] == "WORSE"
    assert slower["pipeline.cpu_ms.mean"] == "WORSE"  # time up is worse
    assert slower["ratios.pipeline_vs_dateparser_throughput"] == "WORSE"
    faster = verdicts(base, enrich_result(500.0, 2.0, ratio=11.0))
    assert faster["pipeline.articles_per_s"] == "better"
    assert faster["pipeline.cpu_ms.mean"] == "better"


def test_changes_within_the_tolerance_are_the_same():
    marks = verdicts(enrich_result(400.0, 2.5), enrich_result(380.0, 2.6))
    assert marks["pipeline.articles_per_s"] == "same"
    assert marks["pipeline.cpu_ms.mean"] == "same"
    # the same change fails a tighter tolerance
    assert verdicts(enrich_result(400.0, 2.5), enrich_result(380.0, 2.6), 0.02)["pipeline.articles_per_s"] == "WORSE"


def test_output_counts_are_changed_not_judged_and_unjudged_figures_hidden():
    marks = verdicts(enrich_result(400.0, 2.5), enrich_result(400.0, 2.5, entities=9.1))
    assert marks["pipeline.entities_per_article"] == "CHANGED"
    assert "ratios.subset_articles" not in marks  # an input size, not a figure to judge
    assert not any(key.startswith("machine.") for key in marks)


def test_e2e_figures_are_judged():
    def e2e(capacity, p99, worker_cpu):
        shell = worker_cpu - 3.5
        return {"benchmark": "e2e", "machine": dict(MACHINE), "corpus": "c",
                "capacity": {"enrich_1": {"articles_per_s": capacity, "cpu_ms_per_article": {"0:worker": worker_cpu}}},
                "latency": {"enrich_1_50pct": {"offered_per_s": capacity / 2, "latency_ms": {"p99": p99}}},
                "ratios": {"enrich_1_vs_enrichment_alone": capacity / 350},
                "shell_cpu_ms_per_article": shell, "cpu_ratio_expected_from_shell": 3.5 / (3.5 + shell)}
    marks = verdicts(e2e(200.0, 100.0, 4.6), e2e(150.0, 150.0, 6.0))
    assert marks["shell_cpu_ms_per_article"] == "WORSE"
    assert "cpu_ratio_expected_from_shell" not in marks  # derived: a slower enrichment raises it
    assert marks["capacity.enrich_1.articles_per_s"] == "WORSE"
    assert marks["capacity.enrich_1.cpu_ms_per_article.0:worker"] == "WORSE"
    assert marks["latency.enrich_1_50pct.latency_ms.p99"] == "WORSE"
    assert marks["ratios.enrich_1_vs_enrichment_alone"] == "WORSE"
    assert "latency.enrich_1_50pct.offered_per_s" not in marks


def test_different_interpreters_are_warned_about():
    other = enrich_result(400.0, 2.5)
    other["machine"]["interpreter"] = "CPython 3.11.2 (main; GCC)"
    _, warnings = compare(enrich_result(400.0, 2.5), other, 0.1)
    assert any("machine" in w for w in warnings)


def test_exit_status_says_whether_anything_got_worse(tmp_path, capsys):
    old, worse, same = (tmp_path / f"{n}.json" for n in ("old", "worse", "same"))
    old.write_bytes(orjson.dumps(enrich_result(400.0, 2.5)))
    worse.write_bytes(orjson.dumps(enrich_result(300.0, 3.4)))
    same.write_bytes(orjson.dumps(enrich_result(401.0, 2.5, entities=9.0)))
    assert main([str(old), str(worse)]) == 1
    assert "pipeline.articles_per_s" in capsys.readouterr().out.splitlines()[-1]
    assert main([str(old), str(same)]) == 0  # an output count that changed is reported, not failed
    assert "output counts changed: pipeline.entities_per_article" in capsys.readouterr().out


def test_runs_with_and_without_huge_pages_are_flagged(monkeypatch):
    from bench import huge_pages

    monkeypatch.setenv("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
    with_tunable = huge_pages()
    monkeypatch.delenv("GLIBC_TUNABLES")
    without = huge_pages()
    assert with_tunable.endswith("malloc hugetlb=1") and without.endswith("malloc default")
    old, new = enrich_result(400.0, 2.5), enrich_result(400.0, 2.5)
    old["machine"]["huge_pages"], new["machine"]["huge_pages"] = without, with_tunable
    _, warnings = compare(old, new, 0.10)
    assert any("machine" in w for w in warnings), warnings
