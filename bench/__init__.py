import platform


def interpreter() -> str:
    """The CPython build that ran a benchmark.  Builds of one version differ in speed (a PGO+LTO
    build like the image's runs the enrichment in ~0.8x the CPU time of a plain source build:
    BENCHMARKS.md, "Interpreter build"), so results record it and bench.compare warns when two
    runs differ in it."""
    build, date = platform.python_build()
    return f"{platform.python_implementation()} {platform.python_version()} ({build}, {date}; {platform.python_compiler()})"
