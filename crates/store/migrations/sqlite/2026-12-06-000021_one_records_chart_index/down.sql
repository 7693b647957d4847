-- Nothing to restore: SQLite has had no records_by_patient since 000007.
SELECT 1;
