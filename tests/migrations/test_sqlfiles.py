"""Reading sql/: names, checksums and DELIMITER-aware statement splitting."""

from __future__ import annotations

import pytest

from hms.errors import SqlFileError
from hms.migrations import discover, split_statements


def sqls(text: str) -> list[str]:
    return [s.sql for s in split_statements(text)]


def test_plain_statements_split_on_semicolons():
    assert sqls("SELECT 1;\nSELECT 2;\n") == ["SELECT 1", "SELECT 2"]


def test_delimiter_blocks_keep_inner_semicolons():
    text = "DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END$$\nDELIMITER ;\nSELECT 3;"
    assert sqls(text) == ["CREATE PROCEDURE p() BEGIN SELECT 1; SELECT 2; END", "SELECT 3"]


def test_delimiter_is_case_insensitive_and_any_token():
    assert sqls("delimiter //\nSELECT 1; SELECT 2//\ndelimiter ;\n") == ["SELECT 1; SELECT 2"]


def test_quotes_hide_delimiters_and_comment_markers():
    text = "SELECT 'a;b', \"c;d\", `e;f`, 'it''s', 'back\\'slash;', '-- x', '#y';"
    assert sqls(text) == [text[:-1]]


def test_comments_are_dropped_but_hints_kept():
    text = "-- leading\n# hash\n/* block; */ SELECT /*+ MAX_EXECUTION_TIME(5) */ 1; -- trailing\n/*!40101 SET @x = 1 */;"
    assert sqls(text) == ["SELECT /*+ MAX_EXECUTION_TIME(5) */ 1", "/*!40101 SET @x = 1 */"]


def test_double_dash_without_space_is_not_a_comment():
    assert sqls("SELECT 5--2;") == ["SELECT 5--2"]


def test_statement_lines_are_reported():
    statements = split_statements("-- one\n\nSELECT 1;\n\nDELIMITER $$\nCREATE x\nBEGIN END$$\n")
    assert [s.line for s in statements] == [3, 6]


def test_unterminated_block_is_an_error():
    with pytest.raises(SqlFileError) as excinfo:
        split_statements("DELIMITER $$\nCREATE PROCEDURE p() BEGIN SELECT 1; END\n", "sql/routines/p.sql")
    assert "never reaches its delimiter '$$'" in excinfo.value.message


def test_unterminated_quote_is_an_error():
    with pytest.raises(SqlFileError) as excinfo:
        split_statements("SELECT 'open;\n", "x.sql")
    assert "unterminated ' quote" in excinfo.value.message


def test_project_files_are_well_formed():
    files = discover()
    versioned = [f for f in files if f.kind == "versioned"]
    assert [f.version for f in versioned] == sorted(f.version for f in versioned)
    assert {f.group for f in files} == {"schema", "indexes", "routines", "triggers", "roles"}
    # V001-V013 are the thirteen tables of the model; V014-V029 scheduling, V030-V049 invoices,
    # payments and stock lots; the rest are the tools' bookkeeping (V201 hms_seed_chunk) and
    # summaries kept by triggers (V301 patient_billing_summary, V310-V312 the dashboard's).
    assert sum(1 for f in files if f.group == "schema" and f.version < 14) == 13
    for f in files:
        assert f.statements(), f.relpath
        if f.group in ("routines", "triggers"):
            assert f.object_name in f.text, f"{f.relpath} should create the object it is named after"


def test_badly_named_file_is_refused(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "schema" / "create_stuff.sql").write_text("SELECT 1;")
    with pytest.raises(SqlFileError) as excinfo:
        discover(tmp_path)
    assert "is not named V<number>__<object>.sql" in excinfo.value.message


def test_duplicate_versions_are_refused(tmp_path):
    (tmp_path / "schema").mkdir()
    (tmp_path / "indexes").mkdir()
    (tmp_path / "schema" / "V001__a.sql").write_text("SELECT 1;")
    (tmp_path / "indexes" / "V1__b.sql").write_text("SELECT 1;")
    with pytest.raises(SqlFileError) as excinfo:
        discover(tmp_path)
    assert "share version 1" in excinfo.value.message
