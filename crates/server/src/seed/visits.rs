//! The demo's institutions and visits: a hospital and a clinic in Rome, their staff, the
//! doctors' hours at each, patients registered at the clinic, and visits booked, one cancelled,
//! one whose insurance is pending verification.

use chrono::{Duration, NaiveDateTime};
use medvault_domain::appointments::{
    self as rules, AppointmentStatus, Availability, Eligibility, TimeOff, WeeklyHours,
};
use medvault_domain::institutions::{InstitutionKind, StaffRole, TimeZone};
use medvault_domain::{Actor, AuditAction, InstitutionId, UserId};
use medvault_store::DbConnection;
use medvault_store::repo::appointments::{self as visits, NewAppointment};
use medvault_store::repo::institutions::{self as places, NewInstitution};

use crate::audit::{self, Event, RequestMeta};
use crate::error::AppError;

/// The people the demo's visits name.
pub struct Cast {
    pub admin: Actor,
    pub okafor: Actor,
    pub meyer: Actor,
    pub desk: Actor,
    pub sofia: Actor,
    pub kenji: Actor,
    pub maria: Actor,
}

fn week(
    slot_minutes: u32,
    days: &[chrono::Weekday],
    (starts, ends): (&str, &str),
) -> Result<Availability, AppError> {
    let hours = days
        .iter()
        .map(|&weekday| {
            Ok(WeeklyHours {
                weekday,
                starts: rules::parse_clock("starts", starts)?,
                ends: rules::parse_clock("ends", ends)?,
            })
        })
        .collect::<Result<Vec<_>, medvault_domain::InvalidValue>>()?;
    Ok(Availability::new(slot_minutes, hours)?)
}

pub fn seed(
    conn: &mut DbConnection,
    meta: &RequestMeta,
    now: NaiveDateTime,
    cast: &Cast,
) -> Result<(), AppError> {
    use chrono::Weekday::{Fri, Mon, Thu, Tue, Wed};
    let rome = TimeZone::parse("Europe/Rome")?;
    let record = |conn: &mut DbConnection, event: Event<'_>| audit::record(conn, meta, now, event);
    let open = |conn: &mut DbConnection, name: &str, kind, address| {
        let new = NewInstitution {
            name,
            kind,
            address,
            time_zone: rome,
            phone: Some("+39 06 0000 0000"),
            email: None,
        };
        let id = places::create(conn, &new, cast.admin.user_id, now)?;
        record(
            conn,
            Event::success(&cast.admin, AuditAction::InstitutionCreate).resource(id),
        )?;
        Ok::<InstitutionId, AppError>(id)
    };
    let hospital = open(
        conn,
        "Ospedale San Marco",
        InstitutionKind::Hospital,
        "Via Merulana 10\n00185 Roma",
    )?;
    let clinic = open(
        conn,
        "Studio Medico Trastevere",
        InstitutionKind::Clinic,
        "Viale di Trastevere 60\n00153 Roma",
    )?;
    let places_of: [(InstitutionId, UserId, StaffRole); 5] = [
        (clinic, cast.okafor.user_id, StaffRole::Clinician),
        (hospital, cast.okafor.user_id, StaffRole::Clinician),
        (clinic, cast.meyer.user_id, StaffRole::Clinician),
        (clinic, cast.desk.user_id, StaffRole::Admin),
        (hospital, cast.desk.user_id, StaffRole::Reception),
    ];
    for (place, user, role) in places_of {
        places::put_member(conn, place, user, role, cast.admin.user_id, now)?;
        let event = Event::success(&cast.admin, AuditAction::StaffAdd)
            .resource(place)
            .reason(format!("{user} as {role}"));
        record(conn, event)?;
    }
    let weekdays = [Mon, Tue, Wed, Thu, Fri];
    let next_week = now.date() + Duration::days(7);
    let leave = TimeOff::new(next_week, next_week + Duration::days(1), "conference")?;
    let weeks = [
        (
            cast.okafor,
            clinic,
            week(30, &weekdays, ("09:00", "13:00"))?,
            vec![],
        ),
        (
            cast.okafor,
            hospital,
            week(20, &[Tue, Thu], ("14:00", "18:00"))?,
            vec![],
        ),
        (
            cast.meyer,
            clinic,
            week(20, &weekdays, ("14:00", "17:00"))?,
            vec![leave],
        ),
    ];
    for (doctor, place, hours, days_off) in &weeks {
        places::set_week(
            conn,
            doctor.user_id,
            *place,
            (hours, days_off),
            cast.admin.user_id,
            now,
        )?;
        let event = Event::success(&cast.admin, AuditAction::AvailabilitySet)
            .resource(doctor.user_id)
            .reason(format!("at {place}"));
        record(conn, event)?;
    }
    for patient in [&cast.sofia, &cast.kenji, &cast.maria] {
        let Some(chart) = patient.patient_id else {
            continue;
        };
        places::register(conn, chart, clinic, cast.desk.user_id, now)?;
        let event = Event::success(&cast.desk, AuditAction::RegistrationAdd)
            .resource(clinic)
            .patient(chart);
        record(conn, event)?;
    }
    // Sofia's insurer answered; Kenji's has not yet (no insurer is configured in the demo).
    let covered = [
        (&cast.sofia, ("Cassa Salute", "CS-1987-0412", "Famiglia")),
        (&cast.kenji, ("Mutua Roma", "MR-59-1103", "Senior")),
    ];
    for (patient, coverage) in covered {
        if let Some(chart) = patient.patient_id {
            visits::set_coverage(conn, chart, coverage, cast.desk.user_id, now)?;
            record(
                conn,
                Event::success(&cast.desk, AuditAction::CoverageUpdate).patient(chart),
            )?;
        }
    }
    // The nth slot of a week from tomorrow on.
    let upcoming = |hours: &Availability, nth: usize| {
        rules::slots(
            hours,
            &[],
            rome,
            now + Duration::days(1),
            now + Duration::days(15),
        )
        .get(nth)
        .copied()
    };
    let bookings = [
        (
            &cast.sofia,
            &cast.okafor,
            clinic,
            upcoming(&weeks[0].2, 0),
            Eligibility::Verified,
            false,
        ),
        (
            &cast.kenji,
            &cast.meyer,
            clinic,
            upcoming(&weeks[2].2, 1),
            Eligibility::Pending,
            false,
        ),
        (
            &cast.maria,
            &cast.okafor,
            clinic,
            upcoming(&weeks[0].2, 3),
            Eligibility::NoCoverage,
            true,
        ),
    ];
    for (patient, doctor, place, slot, eligibility, cancelled) in bookings {
        let (Some(chart), Some(slot)) = (patient.patient_id, slot) else {
            continue;
        };
        let new = NewAppointment {
            patient_id: chart,
            doctor_id: doctor.user_id,
            institution_id: place,
            slot,
            booked_by: patient.user_id,
            rescheduled_from: None,
            eligibility,
            check_after: now,
        };
        let id = visits::book(conn, &new, now)?;
        record(
            conn,
            Event::success(patient, AuditAction::AppointmentBook)
                .resource(id)
                .patient(chart),
        )?;
        let visit = visits::find(conn, id)?.ok_or(AppError::NotFound)?;
        if eligibility == Eligibility::Verified {
            let answer = (Eligibility::Verified, Some("active plan"));
            visits::set_eligibility(conn, &visit, answer, now, None)?;
        }
        if cancelled {
            visits::release(
                conn,
                &visit,
                AppointmentStatus::Cancelled,
                patient.user_id,
                now,
            )?;
            let event = Event::success(patient, AuditAction::AppointmentCancel)
                .resource(id)
                .patient(chart);
            record(conn, event)?;
        }
    }
    Ok(())
}
