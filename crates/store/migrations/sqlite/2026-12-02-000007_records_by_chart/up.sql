-- A chart's records kept together: the table is clustered by (patient_id, id), so a chart's
-- newest records are a few neighbouring pages instead of one page per record scattered over
-- the whole table (at a hospital's size, the difference between reading 3 pages and 21).
-- PostgreSQL keys the table the same way (2026-12-02-000006).
CREATE TABLE records_by_chart (
    patient_id TEXT NOT NULL REFERENCES patients (id),
    id         TEXT NOT NULL,
    author_id  TEXT NOT NULL REFERENCES users (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    notes      TEXT NOT NULL,
    version    BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (patient_id, id)
) WITHOUT ROWID;
INSERT INTO records_by_chart (patient_id, id, author_id, kind, title, notes, version, created_at, updated_at)
SELECT patient_id, id, author_id, kind, title, notes, version, created_at, updated_at FROM records;
DROP TABLE records;
ALTER TABLE records_by_chart RENAME TO records;
CREATE UNIQUE INDEX records_by_id ON records (id);
CREATE INDEX records_by_author ON records (author_id, id);
