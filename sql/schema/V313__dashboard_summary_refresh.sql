-- When the dashboard's summaries (V310-V312) were last rebuilt from the big tables: one row.
-- hms/dashboard.py rebuild() writes it in the same transaction as the summaries; the console
-- starts a background rebuild when it is older than ten minutes.
CREATE TABLE dashboard_summary_refresh (
    id           TINYINT UNSIGNED NOT NULL,
    refreshed_at DATETIME         NOT NULL,
    PRIMARY KEY (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO dashboard_summary_refresh (id, refreshed_at) VALUES (1, NOW());
