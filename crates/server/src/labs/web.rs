//! The chart page's lab results: each test's newest value with its trend drawn inline, the form
//! that enters a result, and the button that marks one entered in error.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::sync::LazyLock;

use axum::extract::{Path, State};
use axum::response::Response;
use medvault_domain::labs::CATALOGUE;
use medvault_store::repo::lab_results::{LabReading, StoredValue};
use serde::Deserialize;

use super::{LabInput, LabPanel};
use crate::api::path_id;
use crate::app::AppState;
use crate::audit::RequestMeta;
use crate::auth::WebCaller;
use crate::auth::csrf::Csrf;
use crate::web::WebForm;
use crate::web::dates::Minute;
use crate::web::kept::Kept;
use crate::web::refused::{Context, after_chart_form, back_to_section};

/// A chart's lab tests as its page shows them.
pub struct LabPanels {
    pub tests: Vec<LabTestRow>,
    /// The tests whose newest result is outside what is expected.
    pub abnormal: Vec<String>,
}

/// The known tests as the lab form's options, `name (unit)` each, written once: every chart page
/// offers the same hundred-odd, and only a refused form shown again has one chosen.
static KNOWN_OPTIONS: LazyLock<String> = LazyLock::new(|| {
    let mut options = String::new();
    for known in CATALOGUE {
        let name = super::plot::escape(known.name);
        let _ = match known.unit {
            "" => write!(options, r#"<option value="{}">{name}</option>"#, known.code),
            unit => write!(
                options,
                r#"<option value="{}">{name} ({})</option>"#,
                known.code,
                super::plot::escape(unit)
            ),
        };
    }
    options
});

/// The known tests' options with the one whose code is `chosen` (if any) selected.
pub fn known_options(chosen: &str) -> Cow<'static, str> {
    let options = KNOWN_OPTIONS.as_str();
    if !CATALOGUE.iter().any(|known| known.code == chosen) {
        return Cow::Borrowed(options);
    }
    let opening = format!(r#"<option value="{chosen}""#);
    Cow::Owned(options.replacen(&opening, &format!("{opening} selected"), 1))
}

pub struct LabTestRow {
    pub id: String,
    pub test: String,
    pub code: String,
    /// The newest value with its unit: "7.2 %".
    pub newest: String,
    /// Its interpretation in words, or empty.
    pub flag: &'static str,
    pub abnormal: bool,
    pub collected: String,
    pub count: usize,
    /// The trend, as inline SVG markup made by `labs::plot` (its text escaped there).
    pub svg: Option<String>,
}

fn value_text(result: &LabReading) -> String {
    let value = match &result.value {
        StoredValue::Number(number) => super::plot::label(*number).to_string(),
        StoredValue::Text(text) => text.clone(),
    };
    match &result.unit {
        Some(unit) => format!("{value} {unit}"),
        None => value,
    }
}

impl LabPanels {
    pub fn new(panels: &[LabPanel]) -> Self {
        let tests: Vec<LabTestRow> = panels
            .iter()
            .map(|panel| {
                let newest = &panel.newest;
                LabTestRow {
                    id: newest.id.to_string(),
                    test: newest.test_name.clone(),
                    code: newest.code.clone().unwrap_or_default(),
                    newest: value_text(newest),
                    flag: newest.interpretation.map_or("", |i| i.as_str()),
                    abnormal: newest.interpretation.is_some_and(|i| i.is_abnormal()),
                    collected: Minute(newest.collected_at).to_string(),
                    count: panel.count,
                    svg: panel.trend.as_ref().map(super::Trend::svg),
                }
            })
            .collect();
        let abnormal = tests
            .iter()
            .filter(|t| t.abnormal)
            .map(|t| format!("{} {} ({})", t.test, t.newest, t.flag))
            .collect();
        LabPanels { tests, abnormal }
    }
}

#[derive(Deserialize)]
pub struct LabForm {
    code: Option<String>,
    test_name: Option<String>,
    value: String,
    unit: Option<String>,
    reference_low: Option<String>,
    reference_high: Option<String>,
    interpretation: Option<String>,
    collected_at: String,
}

impl From<LabForm> for LabInput {
    fn from(form: LabForm) -> Self {
        LabInput {
            code: form.code,
            test_name: form.test_name,
            value: form.value,
            unit: form.unit,
            reference_low: form.reference_low,
            reference_high: form.reference_high,
            interpretation: form.interpretation,
            collected_at: form.collected_at,
        }
    }
}

pub async fn record(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    csrf: Csrf,
    kept: Kept,
    Path(id): Path<String>,
    WebForm(form): WebForm<LabForm>,
) -> Response {
    let outcome = async {
        super::record(&state, caller.actor, &meta, path_id(&id)?, form.into())
            .await
            .map(|_| ())
    };
    let context = Context::new(&state, &meta, &caller, &csrf);
    after_chart_form(context, kept, &id, outcome.await, "lab_recorded", "labs").await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    reason: String,
}

pub async fn entered_in_error(
    State(state): State<AppState>,
    meta: RequestMeta,
    WebCaller(caller): WebCaller,
    Path(id): Path<String>,
    WebForm(form): WebForm<ReasonForm>,
) -> Response {
    let marked = async {
        let id = path_id(&id)?;
        let result = super::entered_in_error(&state, caller.actor, &meta, id, &form.reason).await?;
        Ok(result.patient_id)
    };
    back_to_section(marked.await, "status_changed", "labs")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_tests_are_offered_with_the_one_chosen_selected() {
        let offered = known_options("");
        assert_eq!(offered.matches("<option ").count(), CATALOGUE.len());
        assert!(!offered.contains("selected"));
        assert!(offered.contains(r#"<option value="2085-9">HDL cholesterol (mg/dL)</option>"#));

        let chosen = known_options("2085-9");
        assert_eq!(chosen.matches(" selected").count(), 1);
        assert!(chosen.contains(r#"<option value="2085-9" selected>HDL cholesterol"#));
        // Only a known code is chosen: not the start of one, nor one with markup after it.
        assert!(!known_options("2085").contains("selected"));
        assert!(!known_options(r#"2085-9"><script>"#).contains("selected"));
    }
}
