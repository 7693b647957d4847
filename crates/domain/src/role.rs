//! Roles and account states.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::values::InvalidValue;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Doctor,
    /// Reads the charts of patients they are linked to; writes nothing.
    Trainee,
    /// Sees demographics (never clinical notes) of patients in an active grant, for a shift.
    Intern,
    Patient,
    /// Works at institutions without treating anyone: the front desk, an institution's
    /// administration. What they may do comes from their memberships (`institutions`).
    Staff,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Doctor,
        Role::Trainee,
        Role::Intern,
        Role::Patient,
        Role::Staff,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Doctor => "doctor",
            Role::Trainee => "trainee",
            Role::Intern => "intern",
            Role::Patient => "patient",
            Role::Staff => "staff",
        }
    }

    /// Roles a person may give themselves through public registration. Every other role is
    /// granted by an admin.
    pub fn self_registrable(self) -> bool {
        matches!(self, Role::Doctor | Role::Patient)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str() == s)
            .ok_or(InvalidValue::new(
                "role",
                "must be one of admin, doctor, trainee, intern, patient, staff",
            ))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// May sign in.
    Active,
    /// Registered, waiting for an admin's approval (self-registered doctors).
    Pending,
    /// Switched off by an admin; every session ended.
    Deactivated,
}

impl UserStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Active => "active",
            UserStatus::Pending => "pending",
            UserStatus::Deactivated => "deactivated",
        }
    }
}

impl FromStr for UserStatus {
    type Err = InvalidValue;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [
            UserStatus::Active,
            UserStatus::Pending,
            UserStatus::Deactivated,
        ]
        .into_iter()
        .find(|status| status.as_str() == s)
        .ok_or(InvalidValue::new("status", "unknown account status"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_parse_from_their_names_only() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().ok(), Some(role));
        }
        assert!("Admin".parse::<Role>().is_err());
        assert!("superuser".parse::<Role>().is_err());
    }

    #[test]
    fn only_doctors_and_patients_register_themselves() {
        assert!(Role::Doctor.self_registrable());
        assert!(Role::Patient.self_registrable());
        assert!(!Role::Admin.self_registrable());
        assert!(!Role::Trainee.self_registrable());
        assert!(!Role::Intern.self_registrable());
        assert!(!Role::Staff.self_registrable());
    }
}
