"""The console's dashboard page: p50/p99 through the Flask app, against the baseline of the same
figures computed by direct queries on appointment and billing.

Ours: GET / as a logged-in console admin through the Flask app (test client: routing,
login check, account cards, the hospital figures from the summary tables of V310-V312, the
SVG charts, rendering). Baseline: `hms.dashboard.baseline_figures`, the same figures grouped
from the big tables, which every page view would run without the summaries; its time alone
is a lower bound for such a page. The figures of both are compared first: a benchmark of a
wrong answer is no benchmark. Target: page p99 <= 200 ms at scale 1.0.

    python benchmarks/dashboard.py --scale 0.1           # after `hms --database hms_bench_0_1 seed --scale 0.1`
    python benchmarks/dashboard.py --scale 1.0 --requests 500 --baseline-runs 5
"""

from __future__ import annotations

import secrets

import harness  # first: puts this checkout on sys.path
from harness import Column, session

from hms import console_admins
from hms.config import Settings
from hms.dashboard import baseline_figures, figures
from hms.databases import console_schema
from hms.passwords import generate
from hms.service_account import service_login

TARGET_P99_MS = 200.0


def timed(fn, runs: int) -> list[float]:
    """Milliseconds of `runs` calls of fn, sorted."""
    samples = []
    for _ in range(runs):
        started = harness.clock()
        fn()
        samples.append((harness.clock() - started) * 1000)
    return sorted(samples)


def stats(samples: list[float]) -> dict:
    return {"runs": len(samples), "p50_ms": round(harness.percentile(samples, 50), 2),
            "p99_ms": round(harness.percentile(samples, 99), 2), "max_ms": round(samples[-1], 2)}


def page_samples(info, requests: int) -> list[float]:
    """GET / through the Flask app as a throwaway console admin, `requests` times after a warm-up."""
    from console import create_app

    settings = Settings.from_env(database=info.database)
    service = service_login(settings)
    schema = console_schema(info.database)
    name, password = f"bench_{secrets.token_hex(4)}", generate()
    with session(service, database=None) as conn:
        console_admins.create(conn, schema, name, password)
    try:
        app = create_app({"TESTING": True, "SECRET_KEY": secrets.token_hex(16), "HMS_SERVICE_LOGIN": service,
                          "HMS_DATABASE": info.database, "HMS_ADMIN_LOGIN": info, "WTF_CSRF_ENABLED": False})
        with app.test_client() as client:
            client.environ_base["REMOTE_ADDR"] = "10.18.0.1"
            client.post("/login", data={"username": name, "password": password})

            def get() -> None:
                response = client.get("/")
                if response.status_code != 200 or b'id="hospital"' not in response.data:
                    harness.fail(f"the dashboard answered {response.status_code} without its charts",
                                 "Run `hms db migrate` on the benchmark database and check the console")
            timed(get, 5)   # warm-up: templates compiled, pages cached
            return timed(get, requests)
    finally:
        with session(service, database=None) as conn:
            console_admins.delete(conn, schema, name)


def main() -> None:
    parser = harness.arguments(__doc__, scale=0.1)
    parser.add_argument("--requests", type=int, default=200, help="timed page views (default 200)")
    parser.add_argument("--baseline-runs", type=int, default=5, help="timed baseline computations (default 5)")
    args = parser.parse_args()
    info = harness.loaded_database(args.scale, args.database)
    facts = harness.machine(info)
    print(f"dashboard on '{info.database}' at scale {args.scale:g}: {harness.describe(facts)}")
    with session(info) as conn:
        ours, base = figures(conn), baseline_figures(conn)
        if ours != base:
            harness.fail("the summaries' figures differ from the big tables' (summaries out of date)",
                         "Rebuild them: `hms seed` does at its end; see docs/console.md")
        summary = stats(timed(lambda: figures(conn), max(20, args.requests // 4)))
        baseline = stats(timed(lambda: baseline_figures(conn), args.baseline_runs))
    page = stats(page_samples(info, args.requests))
    columns = [Column("measure", 44, left=True), Column("runs", 6), Column("p50 ms", 10, ".1f"),
               Column("p99 ms", 10, ".1f"), Column("vs page p99", 12, ".1f", "x")]
    harness.table(columns, [
        ("dashboard page (Flask, summaries): ours", page["runs"], page["p50_ms"], page["p99_ms"], 1.0),
        ("  figures() from the summary tables", summary["runs"], summary["p50_ms"], summary["p99_ms"],
         summary["p99_ms"] / page["p99_ms"]),
        ("baseline_figures() from the big tables", baseline["runs"], baseline["p50_ms"], baseline["p99_ms"],
         baseline["p99_ms"] / page["p99_ms"]),
        f"target: page p99 <= {TARGET_P99_MS:.0f} ms at scale 1.0 -> "
        f"{'met' if page['p99_ms'] <= TARGET_P99_MS else 'NOT met'} here at scale {args.scale:g}",
    ])
    harness.write_results("dashboard", {"scale": args.scale, "database": info.database, "page": page,
                                        "summary_figures": summary, "baseline_figures": baseline,
                                        "target_p99_ms": TARGET_P99_MS}, facts)


if __name__ == "__main__":
    main()
