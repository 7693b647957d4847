//! MedVault's domain: typed ids, roles, validated values and the access policy.
//!
//! Everything here is pure: no I/O, no clock, no database. The server and the store depend on this
//! crate; it depends on neither, so the rules it holds can be tested as plain functions.

pub mod audit;
pub mod ids;
pub mod policy;
pub mod role;
#[macro_use]
pub mod values;
#[macro_use]
pub mod clinical;
pub mod appointments;
pub mod files;
pub mod insights;
pub mod institutions;
pub mod labs;
pub mod medication;
pub mod profile;
pub mod record;

pub use audit::{AuditAction, Reader};
pub use ids::{
    AlertId, AllergyId, AppointmentId, EmergencyAccessId, FileId, GrantId, InstitutionId,
    LabReportId, LabResultId, PatientId, PrescriptionId, ProblemId, RecordId, SessionId, UserId,
};
pub use policy::{Action, Actor, Decision, Relation, Ties};
pub use profile::{Change, ContactEdit, LanguageTag, Mrn, ProfileEdit};
pub use record::{ErrorReason, RecordKind, RecordStatus};
pub use role::{Role, UserStatus};
pub use values::{
    BirthDate, Email, InvalidValue, Password, PersonName, Phone, RecordNotes, RecordTitle, Sex,
};
