import os
import platform
from pathlib import Path


def interpreter() -> str:
    """The CPython build that ran a benchmark.  Builds of one version differ in speed (a PGO+LTO
    build like the image's runs the enrichment in ~0.8x the CPU time of a plain source build:
    BENCHMARKS.md, "Interpreter build"), so results record it and bench.compare warns when two
    runs differ in it."""
    build, date = platform.python_build()
    return f"{platform.python_implementation()} {platform.python_version()} ({build}, {date}; {platform.python_compiler()})"


def huge_pages() -> str:
    """Whether malloc'd memory can be on transparent huge pages: the kernel's THP mode and glibc's
    malloc tunable (the image sets GLIBC_TUNABLES=glibc.malloc.hugetlb=1; with THP mode madvise it
    takes ~0.94x the enrichment's CPU here: BENCHMARKS.md, "Huge pages").  Results record it, so
    bench.compare warns when two runs differ in it."""
    try:
        mode = Path("/sys/kernel/mm/transparent_hugepage/enabled").read_text().split("[", 1)[1].split("]", 1)[0]
    except (OSError, IndexError):
        mode = "unknown"
    tunable = "glibc.malloc.hugetlb=1" in os.environ.get("GLIBC_TUNABLES", "")
    return f"THP {mode}; malloc {'hugetlb=1' if tunable else 'default'}"
