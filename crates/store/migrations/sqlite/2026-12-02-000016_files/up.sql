-- Files kept with a chart (PDFs, images, text), optionally attached to one of its records. The
-- bytes live in the object store under a name the server made (object_path), encrypted with
-- AES-256-GCM under the key named by key_id with this nonce; sha256 is the plaintext's, checked
-- on every read. A deleted file keeps its row and object (deleted_at, deleted_by) until an admin
-- restores it or it is purged 30 days on.
CREATE TABLE files (
    patient_id    TEXT NOT NULL,
    id            TEXT NOT NULL,
    record_id     TEXT,
    name          TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    size_bytes    BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    key_id        TEXT NOT NULL,
    nonce         TEXT NOT NULL,
    object_path   TEXT NOT NULL,
    uploaded_by   TEXT NOT NULL,
    uploaded_at   TIMESTAMP NOT NULL,
    deleted_at    TIMESTAMP,
    deleted_by    TEXT,
    PRIMARY KEY (patient_id, id),
    FOREIGN KEY (patient_id) REFERENCES patients (id),
    FOREIGN KEY (patient_id, record_id) REFERENCES records (patient_id, id),
    FOREIGN KEY (uploaded_by) REFERENCES users (id),
    FOREIGN KEY (deleted_by) REFERENCES users (id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX files_by_id ON files (id);
