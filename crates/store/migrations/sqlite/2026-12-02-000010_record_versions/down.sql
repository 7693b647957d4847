DROP TABLE record_versions;
UPDATE records SET kind = 'note' WHERE kind = 'progress_note';
ALTER TABLE records DROP COLUMN updated_by;
ALTER TABLE records DROP COLUMN status_reason;
ALTER TABLE records DROP COLUMN status;
