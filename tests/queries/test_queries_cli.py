"""`hms query`: listing, formats, limits, and one-line errors that say what to run first."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

from click.testing import CliRunner

from cli import cli
from hms.connection import connect
from hms.migrations import Migrator
from tests.support.queries_clinic import APPOINTMENTS, NINE, PATIENTS


def hms(info, *args: str):
    env = {"HMS_DATABASE_URL": info.url(hide_password=False), "HMS_DATABASE": info.database}
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_list_names_the_nine_queries_with_what_they_answer(clinic_db):
    result = hms(clinic_db, "query", "--list")
    assert result.exit_code == 0
    lines = dict(line.split(None, 1) for line in result.output.strip().splitlines())
    assert set(lines) == NINE
    assert lines["frequent_patients"].startswith("Frequent patients")


def test_json_output_is_the_whole_result(clinic_db):
    result = hms(clinic_db, "query", "frequent_patients", "--format", "json")
    assert result.exit_code == 0, result.output
    counts = Counter(p for p, *_ in APPOINTMENTS)
    expected = sorted(((p, n) for p, n in counts.items() if n > 3), key=lambda x: (-x[1], x[0]))
    rows = json.loads(result.stdout)
    assert [(r["patient_id"], r["appointments"]) for r in rows] == expected
    assert rows[0]["first_name"] == PATIENTS[expected[0][0] - 1][0]


def test_csv_output_with_limit(clinic_db):
    result = hms(clinic_db, "query", "total_billing_per_patient", "--format", "csv", "--limit", "2")
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["patient_id", "first_name", "last_name", "email", "phone", "bills", "total_billed"]
    assert [r[0] for r in rows[1:]] == ["1", "2"]
    assert rows[2][3] == ""          # Bob has no e-mail: NULL is an empty field


def test_table_output_has_a_header_and_a_row_count(clinic_db):
    result = hms(clinic_db, "query", "departments_with_multiple_doctors")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["department_id", "department", "doctors"]
    assert [line.split()[1] for line in lines[2:]] == ["Cardiology", "Pediatrics"]
    assert "(2 rows)" in result.stderr


def test_json_with_limit_is_an_array_of_that_many(clinic_db):
    result = hms(clinic_db, "query", "frequent_patients", "--format", "json", "--limit", "1")
    assert len(json.loads(result.stdout)) == 1


def test_empty_result_is_an_empty_json_array_and_a_bare_csv_header():
    from hms.formats import write_rows

    out: list[str] = []
    assert write_rows("json", ["a", "b"], [], out.append) == 0
    assert json.loads("".join(out)) == []
    out.clear()
    write_rows("csv", ["a", "b"], [], out.append)
    assert "".join(out) == "a,b\n"


def test_unknown_query_name_is_one_line_error(clinic_db):
    result = hms(clinic_db, "query", "all_the_things")
    assert result.exit_code == 1
    assert result.stderr == ("Error: there is no query named 'all_the_things'. "
                             "Run `hms query --list` to see the query names.\n")


def test_path_like_name_is_refused_as_unknown(clinic_db):
    result = hms(clinic_db, "query", "../schema/V001__department")
    assert result.exit_code == 1 and "no query named" in result.stderr


def test_zero_limit_is_a_usage_error(clinic_db):
    assert hms(clinic_db, "query", "frequent_patients", "--limit", "0").exit_code == 2


def test_unseeded_database_says_run_seed_first(fresh_database):
    Migrator(fresh_database, include_roles=False).migrate()
    result = hms(fresh_database, "query", "frequent_patients")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: database '{fresh_database.database}' holds no dataset. "
                                    "Run `hms seed --scale")
    assert result.stderr.count("\n") == 1


def test_unmigrated_database_says_run_migrate_first(fresh_database):
    conn = connect(fresh_database, database=None)
    with conn.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{fresh_database.database}`")
    conn.close()
    result = hms(fresh_database, "query", "frequent_patients")
    assert result.exit_code == 1 and "Run `hms db migrate`" in result.stderr


def test_help_ends_with_an_example():
    result = CliRunner().invoke(cli, ["query", "--help"])
    assert result.exit_code == 0 and "Example:" in result.output
