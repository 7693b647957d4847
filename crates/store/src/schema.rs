//! The one schema both backends share. Written by hand to match `migrations/{postgres,sqlite}`;
//! only types both backends support appear here.

diesel::table! {
    users (id) {
        id -> Text,
        email -> Text,
        email_key -> Text,
        name -> Text,
        role -> Text,
        status -> Text,
        password_hash -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The chart this user signs in to, if any.
        patient_id -> Nullable<Text>,
    }
}

diesel::table! {
    patients (id) {
        id -> Text,
        user_id -> Nullable<Text>,
        name -> Text,
        birth_date -> Nullable<Date>,
        sex -> Text,
        phone -> Nullable<Text>,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// The medical record number, as `MV-000123`; unique through `patient_mrns`.
        mrn -> Text,
        email -> Nullable<Text>,
        address_line -> Nullable<Text>,
        city -> Nullable<Text>,
        region -> Nullable<Text>,
        postal_code -> Nullable<Text>,
        country -> Nullable<Text>,
        emergency_contact_name -> Nullable<Text>,
        emergency_contact_relationship -> Nullable<Text>,
        emergency_contact_phone -> Nullable<Text>,
        /// A BCP 47 tag.
        preferred_language -> Nullable<Text>,
        /// Counts the profile's edits: what `If-Match` names.
        version -> BigInt,
    }
}

diesel::table! {
    /// Every medical record number ever given out, never deleted: what keeps them unique.
    patient_mrns (mrn) {
        mrn -> Text,
        number -> BigInt,
        patient_id -> Text,
    }
}

diesel::table! {
    care_team (patient_id, doctor_id) {
        patient_id -> Text,
        doctor_id -> Text,
        added_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    records (id) {
        id -> Text,
        patient_id -> Text,
        author_id -> Text,
        kind -> Text,
        title -> Text,
        notes -> Text,
        version -> BigInt,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        /// `final`, `amended` or `entered-in-error`.
        status -> Text,
        status_reason -> Nullable<Text>,
        /// Who wrote the current version, when it is not the first.
        updated_by -> Nullable<Text>,
    }
}

diesel::table! {
    allergies (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        substance -> Text,
        reaction -> Nullable<Text>,
        /// `mild`, `moderate` or `severe`.
        severity -> Nullable<Text>,
        /// `active`, `inactive` or `resolved`.
        status -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        updated_by -> Text,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    problems (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        condition -> Text,
        onset -> Nullable<Date>,
        /// `active` or `resolved`.
        status -> Text,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        updated_by -> Text,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    /// Every version of a record that a later one replaced, whole.
    record_versions (patient_id, record_id, version) {
        patient_id -> Text,
        record_id -> Text,
        version -> BigInt,
        kind -> Text,
        title -> Text,
        notes -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        written_by -> Text,
        written_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        user_id -> Text,
        kind -> Text,
        secret_hash -> Nullable<Text>,
        created_at -> Timestamp,
        last_seen_at -> Timestamp,
        expires_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        actor_role -> Nullable<Text>,
        action -> Text,
        resource_type -> Text,
        resource_id -> Nullable<Text>,
        patient_id -> Nullable<Text>,
        outcome -> Text,
        client_addr -> Nullable<Text>,
        correlation_id -> Nullable<Text>,
        reason -> Nullable<Text>,
        emergency -> Bool,
        prev_hash -> Text,
        hash -> Text,
        lane -> Integer,
    }
}

diesel::table! {
    audit_chain (id) {
        id -> Integer,
        last_id -> BigInt,
        last_hash -> Text,
    }
}

diesel::table! {
    trainee_links (patient_id, trainee_id) {
        patient_id -> Text,
        trainee_id -> Text,
        linked_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    prescriptions (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        drug -> Text,
        strength -> Nullable<Text>,
        dose -> Text,
        route -> Text,
        frequency -> Text,
        duration -> Nullable<Text>,
        quantity -> Nullable<Text>,
        instructions -> Nullable<Text>,
        status -> Text,
        status_reason -> Nullable<Text>,
        acknowledged_warnings -> Nullable<Text>,
        prescribed_by -> Text,
        prescribed_at -> Timestamp,
        updated_by -> Text,
        updated_at -> Timestamp,
        version -> BigInt,
    }
}

diesel::table! {
    lab_results (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        code -> Nullable<Text>,
        test_name -> Text,
        value_num -> Nullable<Double>,
        value_text -> Nullable<Text>,
        unit -> Nullable<Text>,
        ref_low -> Nullable<Double>,
        ref_high -> Nullable<Double>,
        interpretation -> Nullable<Text>,
        collected_at -> Timestamp,
        source -> Text,
        status -> Text,
        status_reason -> Nullable<Text>,
        recorded_by -> Text,
        recorded_at -> Timestamp,
        report_id -> Nullable<Text>,
    }
}

diesel::table! {
    lab_reports (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        file_id -> Text,
        uploaded_by -> Text,
        patient_provided -> Bool,
        status -> Text,
        attempts -> Integer,
        run_after -> Timestamp,
        claimed_by -> Nullable<Text>,
        lease_until -> Nullable<Timestamp>,
        error_code -> Nullable<Text>,
        error_message -> Nullable<Text>,
        pages -> Nullable<Integer>,
        text_source -> Nullable<Text>,
        document_kind -> Nullable<Text>,
        kind_confidence -> Nullable<Double>,
        created_at -> Timestamp,
        read_at -> Nullable<Timestamp>,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    lab_report_rows (patient_id, report_id, n) {
        patient_id -> Text,
        report_id -> Text,
        n -> Integer,
        draft -> Text,
        decision -> Nullable<Text>,
        lab_result_id -> Nullable<Text>,
        decided_by -> Nullable<Text>,
        decided_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    critical_alerts (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        lab_result_id -> Text,
        rule -> Text,
        title -> Text,
        raised_at -> Timestamp,
        acknowledged_by -> Nullable<Text>,
        acknowledged_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    idempotency_keys (user_id, key) {
        user_id -> Text,
        key -> Text,
        fingerprint -> Text,
        created_at -> Timestamp,
        response_status -> Nullable<Integer>,
        response_type -> Nullable<Text>,
        response_etag -> Nullable<Text>,
        response_body -> Nullable<Text>,
    }
}

diesel::table! {
    files (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        record_id -> Nullable<Text>,
        name -> Text,
        content_type -> Text,
        size_bytes -> BigInt,
        sha256 -> Text,
        key_id -> Text,
        nonce -> Text,
        object_path -> Text,
        uploaded_by -> Text,
        uploaded_at -> Timestamp,
        deleted_at -> Nullable<Timestamp>,
        deleted_by -> Nullable<Text>,
    }
}

diesel::table! {
    guardians (patient_id, guardian_id) {
        patient_id -> Text,
        guardian_id -> Text,
        added_by -> Text,
        added_at -> Timestamp,
    }
}

diesel::table! {
    intern_grants (id) {
        id -> Text,
        intern_id -> Text,
        patient_id -> Text,
        issued_by -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
        ended_by -> Nullable<Text>,
    }
}

diesel::table! {
    emergency_accesses (id) {
        id -> Text,
        doctor_id -> Text,
        patient_id -> Text,
        reason -> Text,
        started_at -> Timestamp,
        ends_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_throttle (key) {
        key -> Text,
        failures -> BigInt,
        window_start -> Timestamp,
        blocked_until -> Nullable<Timestamp>,
        pending -> BigInt,
        pending_until -> Nullable<Timestamp>,
    }
}

diesel::table! {
    login_known_places (key) {
        key -> Text,
        seen_at -> Timestamp,
    }
}

diesel::table! {
    /// SQLite only: how many times sessions changed (see `watch`).
    session_changes (id) {
        id -> Integer,
        counter -> BigInt,
    }
}

diesel::table! {
    institutions (id) {
        id -> Text,
        name -> Text,
        kind -> Text,
        address -> Text,
        time_zone -> Text,
        phone -> Nullable<Text>,
        email -> Nullable<Text>,
        created_by -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    institution_staff (institution_id, user_id) {
        institution_id -> Text,
        user_id -> Text,
        role -> Text,
        added_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// A doctor's week at one institution; `hours` and `time_off` are JSON.
    availability (doctor_id, institution_id) {
        doctor_id -> Text,
        institution_id -> Text,
        slot_minutes -> Integer,
        hours -> Text,
        time_off -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    patient_registrations (patient_id, institution_id) {
        patient_id -> Text,
        institution_id -> Text,
        registered_by -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    coverages (patient_id) {
        patient_id -> Text,
        payer -> Text,
        member_id -> Text,
        plan -> Text,
        updated_by -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    appointments (patient_id, id) {
        patient_id -> Text,
        id -> Text,
        doctor_id -> Text,
        institution_id -> Text,
        starts_at -> Timestamp,
        ends_at -> Timestamp,
        status -> Text,
        booked_by -> Text,
        created_at -> Timestamp,
        changed_by -> Nullable<Text>,
        changed_at -> Nullable<Timestamp>,
        rescheduled_from -> Nullable<Text>,
        eligibility -> Text,
        eligibility_reason -> Nullable<Text>,
        eligibility_checked_at -> Nullable<Timestamp>,
        eligibility_attempts -> Integer,
        eligibility_after -> Nullable<Timestamp>,
    }
}

diesel::table! {
    /// The 5-minute marks a booked visit holds: one doctor, one visit per mark.
    appointment_claims (doctor_id, at) {
        doctor_id -> Text,
        at -> Timestamp,
        patient_id -> Text,
        appointment_id -> Text,
    }
}

diesel::joinable!(patients -> users (user_id));
diesel::joinable!(care_team -> patients (patient_id));
diesel::joinable!(records -> patients (patient_id));
diesel::joinable!(trainee_links -> patients (patient_id));
diesel::joinable!(guardians -> patients (patient_id));
diesel::joinable!(prescriptions -> patients (patient_id));
diesel::joinable!(lab_results -> patients (patient_id));
diesel::joinable!(files -> patients (patient_id));
diesel::joinable!(lab_reports -> patients (patient_id));
diesel::joinable!(intern_grants -> patients (patient_id));
diesel::joinable!(emergency_accesses -> patients (patient_id));
diesel::joinable!(sessions -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    users,
    patients,
    care_team,
    records,
    record_versions,
    allergies,
    problems,
    sessions,
    audit_log,
    audit_chain,
    trainee_links,
    guardians,
    prescriptions,
    lab_results,
    lab_reports,
    lab_report_rows,
    critical_alerts,
    idempotency_keys,
    files,
    intern_grants,
    emergency_accesses,
    login_throttle,
    login_known_places,
    institutions,
    institution_staff,
    availability,
    patient_registrations,
    coverages,
    appointments,
    appointment_claims,
);
