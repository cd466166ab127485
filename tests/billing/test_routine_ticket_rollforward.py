"""The routine ticket in the binary log: every payment and stock routine logs an insert and a delete
of its row in hms_ticket.routine_ticket, another database. A roll-forward of one database
(`hms backup restore --into --until-gtid`) must leave those events out and apply the rest, on a
MariaDB server of this module's own (as tests/backup/test_pitr.py)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from hms.backup import create_backup
from hms.backup.restore_account import account_name
from hms.connection import connect
from tests.sql.billing_support import call
from tests.support import Clinic, query
from tests.support.databases import drop_database, make_database
from tests.support.pitr import binlog_server, execute, gtid_position, run_hms

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server():
    with binlog_server("ticket-pitr") as running:
        yield running


def test_a_roll_forward_through_payments_and_stock_routines_applies_them(server, tmp_path):
    source = make_database(server.info, "hms_ticket_src", patients=20)
    target = "hms_ticket_copy"
    try:
        made = create_backup(source, tmp_path, key_file=server.key_file)
        conn = connect(source)
        try:
            bill_id, = query(conn, "SELECT MIN(bill_id) FROM billing WHERE payment_status = 'Pending'")[0]
            call(conn, "record_payment", bill_id, "1.00", "Cash", "pitr", None)
            setup = Clinic(conn).prescribing_setup(stock=0)
            call(conn, "stock_receive", setup["department"], setup["medication"], "P-1",
                 date.today() + timedelta(days=90), 6, "delivery")
        finally:
            conn.close()
        last = gtid_position(server.info)

        result = run_hms(server, tmp_path, source.database, "backup", "restore", str(made.path), "--into", target,
                         "--until-gtid", last)

        assert result.exit_code == 0, result.output
        copy = connect(server.info.with_database(target))
        try:
            assert query(copy, "SELECT amount FROM payment WHERE bill_id = %s AND reference = 'pitr'",
                         (bill_id,)) == [(Decimal("1.00"),)]
            assert query(copy, "SELECT quantity FROM stock_lot WHERE lot_number = 'P-1'") == [(6,)]
            assert query(copy, "SELECT COUNT(*) FROM hms_ticket.routine_ticket") == [(0,)]
        finally:
            copy.close()
    finally:
        drop_database(server.info, target)
        drop_database(server.info, source.database)
        execute(server.info, f"DROP USER IF EXISTS '{account_name(target)}'@'localhost'")
