-- Ready to spread over several database servers (Citus), and the same on one.
--
-- Per-patient tables are to be split by patient: every one carries patient_id, leads its primary
-- key with it, and its foreign keys to other per-patient tables include it, so that a chart's rows
-- all live on one node. Small tables every request needs (users, sessions) are copied to every
-- node (reference tables). The audit trail is split by lane: a lane's chain, its end and the
-- entries it orders stay together, and every server appends to lanes of its own. No unique rule
-- may span patients: the chart a user signs in to is found through users.patient_id (a reference
-- table may hold unique rules) instead of a unique patients.user_id. (It has no foreign key: Citus
-- refuses one from a copied table to a split one; the chart and the pointer are written together.)
--
-- Foreign keys come off, the tables are distributed where Citus is installed, and the keys go
-- back on: Citus distributes only tables whose keys it can keep. Sequential mode keeps the DDL on
-- reference tables and distributed tables in one transaction.
SET LOCAL citus.multi_shard_modify_mode TO 'sequential';

ALTER TABLE users ADD COLUMN patient_id TEXT UNIQUE;
UPDATE users SET patient_id = patients.id FROM patients WHERE patients.user_id = users.id;

ALTER TABLE patients DROP CONSTRAINT patients_user_id_key,
    DROP CONSTRAINT patients_user_id_fkey, DROP CONSTRAINT patients_created_by_fkey;
CREATE INDEX patients_by_user ON patients (user_id);
ALTER TABLE care_team DROP CONSTRAINT care_team_patient_id_fkey,
    DROP CONSTRAINT care_team_doctor_id_fkey, DROP CONSTRAINT care_team_added_by_fkey;
ALTER TABLE records DROP CONSTRAINT records_patient_id_fkey,
    DROP CONSTRAINT records_author_id_fkey, DROP CONSTRAINT records_pkey;
ALTER TABLE records ADD PRIMARY KEY (patient_id, id);
CREATE INDEX records_by_id ON records (id);
ALTER TABLE sessions DROP CONSTRAINT sessions_user_id_fkey;
ALTER TABLE trainee_links DROP CONSTRAINT trainee_links_patient_id_fkey,
    DROP CONSTRAINT trainee_links_trainee_id_fkey, DROP CONSTRAINT trainee_links_linked_by_fkey;
ALTER TABLE intern_grants DROP CONSTRAINT intern_grants_patient_id_fkey,
    DROP CONSTRAINT intern_grants_intern_id_fkey, DROP CONSTRAINT intern_grants_issued_by_fkey,
    DROP CONSTRAINT intern_grants_ended_by_fkey, DROP CONSTRAINT intern_grants_pkey;
ALTER TABLE intern_grants ADD PRIMARY KEY (patient_id, id);
CREATE INDEX intern_grants_by_id ON intern_grants (id);
ALTER TABLE emergency_accesses DROP CONSTRAINT emergency_accesses_patient_id_fkey,
    DROP CONSTRAINT emergency_accesses_doctor_id_fkey, DROP CONSTRAINT emergency_accesses_pkey;
ALTER TABLE emergency_accesses ADD PRIMARY KEY (patient_id, id);
ALTER TABLE audit_log DROP CONSTRAINT audit_log_pkey;
ALTER TABLE audit_log ADD PRIMARY KEY (lane, id);
CREATE INDEX audit_by_id ON audit_log (id);
DROP INDEX audit_by_lane;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
        -- Citus refuses triggers on distributed tables: there the trail is kept append-only by
        -- privileges (the application's role may only INSERT and SELECT it; see
        -- docs/operations.md), and its hash chains show any change made behind them.
        DROP TRIGGER audit_log_append_only ON audit_log;
        DROP TRIGGER audit_log_no_truncate ON audit_log;
        PERFORM create_reference_table('users');
        PERFORM create_reference_table('sessions');
        PERFORM create_distributed_table('patients', 'id');
        PERFORM create_distributed_table('care_team', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('records', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('trainee_links', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('intern_grants', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('emergency_accesses', 'patient_id', colocate_with => 'patients');
        PERFORM create_distributed_table('audit_chain', 'id');
        PERFORM create_distributed_table('audit_log', 'lane', colocate_with => 'audit_chain');
        PERFORM create_distributed_table('login_throttle', 'key');
        PERFORM create_distributed_table('login_known_places', 'key', colocate_with => 'login_throttle');
    END IF;
END
$$;

-- One constraint per statement: Citus takes no more on a distributed table.
ALTER TABLE patients ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE patients ADD FOREIGN KEY (created_by) REFERENCES users (id);
ALTER TABLE care_team ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE care_team ADD FOREIGN KEY (doctor_id) REFERENCES users (id);
ALTER TABLE care_team ADD FOREIGN KEY (added_by) REFERENCES users (id);
ALTER TABLE records ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE records ADD FOREIGN KEY (author_id) REFERENCES users (id);
ALTER TABLE sessions ADD FOREIGN KEY (user_id) REFERENCES users (id);
ALTER TABLE trainee_links ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE trainee_links ADD FOREIGN KEY (trainee_id) REFERENCES users (id);
ALTER TABLE trainee_links ADD FOREIGN KEY (linked_by) REFERENCES users (id);
ALTER TABLE intern_grants ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE intern_grants ADD FOREIGN KEY (intern_id) REFERENCES users (id);
ALTER TABLE intern_grants ADD FOREIGN KEY (issued_by) REFERENCES users (id);
ALTER TABLE intern_grants ADD FOREIGN KEY (ended_by) REFERENCES users (id);
ALTER TABLE emergency_accesses ADD FOREIGN KEY (patient_id) REFERENCES patients (id);
ALTER TABLE emergency_accesses ADD FOREIGN KEY (doctor_id) REFERENCES users (id);
