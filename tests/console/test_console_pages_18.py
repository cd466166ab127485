"""The privilege matrix and the accounts list's filters and sorting (issue 18), through the test client."""

from __future__ import annotations

import re

from hms.privilege_matrix import build, split_privileges
from hms.roles import ROLES


class _Summary:
    def __init__(self, name, privileges):
        self.role, self.privileges = ROLES[name], privileges


def test_matrix_sorts_objects_and_groups_kinds_held_by_the_same_roles():
    matrix = build([
        _Summary("analyst", ["SELECT ON `hms`.*", "EXECUTE ON PROCEDURE `hms`.`search_patients`"]),
        _Summary("developer", ["SELECT, INSERT, UPDATE, DELETE ON `hms`.*", "SELECT (a, b) ON `hms`.`room`"]),
        _Summary("dba", ["ALL PRIVILEGES ON *.* WITH GRANT OPTION", "`hms_analyst` TO `hms_dba`"]),
    ])
    assert [target for target, _ in matrix.objects] == ["*.*", "`hms`.*", "`hms`.`room`",
                                                        "PROCEDURE `hms`.`search_patients`"]
    rows = dict(matrix.objects)
    assert [(r.kind, r.cells) for r in rows["`hms`.*"]] == [
        ("DELETE, INSERT, UPDATE", {"developer": "yes"}), ("SELECT", {"analyst": "yes", "developer": "yes"})]
    assert rows["*.*"][0].cells == {"dba": "grant"}
    assert rows["`hms`.`room`"][0].kind == "SELECT (a, b)"
    assert matrix.other == {"dba": ["`hms_analyst` TO `hms_dba`"]}
    assert split_privileges("SELECT (a, b), INSERT") == ["SELECT (a, b)", "INSERT"]


def test_privileges_page_is_a_matrix_with_a_column_per_role(auth):
    auth.login()
    page = auth.client.get("/privileges").get_data(as_text=True)
    assert len(re.findall(r'<th class="role-col"', page)) == len(ROLES)
    targets = re.findall(r'<tr class="matrix-object"><th colspan="\d+"><code>([^<]+)</code>', page)
    assert targets[0] == "*.*" and any("hms_test" in t for t in targets)


def test_accounts_list_filters_by_role_state_and_host_and_sorts(auth, account, db):
    analyst, developer = account("hms_analyst"), account("hms_developer")
    locked = account("hms_analyst")
    db.cursor().execute("ALTER USER %s@'%%' ACCOUNT LOCK", (locked.user,))
    auth.login()

    def names(query: str) -> list[str]:
        page = auth.client.get(f"/accounts/?{query}").get_data(as_text=True)
        return re.findall(r'<td class="wrap-any"><a href="/accounts/[^"]+">([^<]+)</a>', page)

    assert set(names("role=analyst")) == {analyst.user, locked.user}
    assert set(names("role=analyst&state=locked")) == {locked.user}
    assert developer.user in names("state=active&host=%25") and locked.user not in names("state=active")
    assert names("host=nowhere.example") == []
    assert names("sort=name&order=desc") == sorted(names("sort=name"), key=str.lower, reverse=True)
    assert names("role=bogus&state=bogus&sort=bogus") == names("")  # unknown values mean "all", by name


def test_dashboard_shows_the_pharmacy_views_when_the_database_has_them(auth, db, clinic):
    """Before the billing and pharmacy views exist the dashboard leaves them out; with one, it lists its rows."""
    exists = query_one(db, "SELECT COUNT(*) FROM information_schema.VIEWS WHERE TABLE_SCHEMA = DATABASE() "
                           "AND TABLE_NAME = 'stock_below_reorder'")
    auth.login()
    department, medication = clinic.department(), clinic.medication()
    clinic.stock(department, medication, 0)
    made = not exists
    if made:  # stands in for the pharmacy migration's view, with the same name
        db.cursor().execute("CREATE VIEW stock_below_reorder AS SELECT department_id, medication_id, stock_quantity "
                            "FROM department_medication WHERE stock_quantity <= 5")
    try:
        page = auth.client.get("/").get_data(as_text=True)
        assert 'id="stock-stock_below_reorder"' in page and "Stock at or below reorder level" in page
    finally:
        if made:
            db.cursor().execute("DROP VIEW stock_below_reorder")
    if made:
        assert 'id="stock-stock_below_reorder"' not in auth.client.get("/").get_data(as_text=True)


def query_one(db, sql):
    with db.cursor() as cur:
        cur.execute(sql)
        return cur.fetchone()[0]
