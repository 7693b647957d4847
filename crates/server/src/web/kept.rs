//! A refused form is shown again on its page, as it was typed, with the refusal beside it: the
//! user's work is never lost to an error page. The CSRF layer keeps each submitted form in the
//! request; pages read it back through [`Kept`].

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use crate::error::AppError;

/// A form body as submitted, put in the request by the CSRF layer, which reads it first.
#[derive(Clone)]
pub struct SubmittedForm(pub Bytes);

/// The form a request submitted (its action and fields), and why it was refused.
#[derive(Clone, Debug, Default)]
pub struct Kept {
    action: String,
    fields: Vec<(String, String)>,
    error: Option<String>,
    /// The refusal's machine-readable code, which a form may answer (an allergy warning, say).
    code: Option<&'static str>,
}

/// Passwords are never sent back to the browser.
fn is_secret(name: &str) -> bool {
    name.contains("password") || name == "csrf"
}

impl Kept {
    /// The same form, refused for `error`.
    pub fn refused(mut self, error: &AppError) -> Self {
        self.error = Some(error.public_message());
        self.code = Some(error.code());
        self
    }

    /// Whether this is the form that posts to an action ending in `/{form}`.
    fn is(&self, form: &str) -> bool {
        self.action
            .strip_suffix(form)
            .is_some_and(|rest| rest.ends_with('/'))
    }

    /// What was typed into `field` of the form ending in `form`, if that form was refused.
    pub fn value(&self, form: &str, field: &str) -> &str {
        if !self.is(form) || self.error.is_none() {
            return "";
        }
        self.fields
            .iter()
            .find(|(name, _)| name == field)
            .map_or("", |(_, value)| value.as_str())
    }

    /// What was typed into `field`, as [`Kept::value`], or `default` when the form is fresh.
    pub fn value_or<'a>(&'a self, form: &str, field: &str, default: &'a str) -> &'a str {
        match self.error(form) {
            Some(_) => self.value(form, field),
            None => default,
        }
    }

    /// Whether `option` was chosen in `field` of the refused form ending in `form`.
    pub fn chose(&self, form: &str, field: &str, option: &str) -> bool {
        self.value(form, field) == option
    }

    /// Why the form was refused, whichever it was: said at the top of the page.
    pub fn refusal(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Whether the form ending in `form` was refused with the error code `code`.
    pub fn refused_with(&self, form: &str, code: &str) -> bool {
        self.is(form) && self.code == Some(code)
    }

    /// Why the form ending in `form` was refused, if it was.
    pub fn error(&self, form: &str) -> Option<&str> {
        self.error.as_deref().filter(|_| self.is(form))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Kept {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let fields = parts
            .extensions
            .get::<SubmittedForm>()
            .map(|form| {
                form_urlencoded::parse(&form.0)
                    .filter(|(name, _)| !is_secret(name))
                    .map(|(name, value)| (name.into_owned(), value.into_owned()))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Kept {
            action: parts.uri.path().to_owned(),
            fields,
            error: None,
            code: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(action: &str, fields: &[(&str, &str)]) -> Kept {
        Kept {
            action: action.to_owned(),
            fields: fields
                .iter()
                .filter(|(name, _)| !is_secret(name))
                .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
                .collect(),
            error: None,
            code: None,
        }
    }

    #[test]
    fn a_refused_form_gives_back_what_was_typed_to_itself_only() {
        let form = kept(
            "/patients/abc/care-team",
            &[("email", "dr@example.org"), ("password", "secret")],
        );
        assert_eq!(form.value("care-team", "email"), "", "not refused yet");
        let refused = form.refused(&AppError::NotFound);
        assert_eq!(refused.value("care-team", "email"), "dr@example.org");
        assert_eq!(refused.value("care-team", "password"), "");
        assert_eq!(refused.value("trainees", "email"), "");
        assert_eq!(
            refused.value("team", "email"),
            "",
            "whole path segments only"
        );
        assert_eq!(refused.error("care-team"), Some("not found"));
        assert_eq!(refused.error("emergency"), None);
    }
}
