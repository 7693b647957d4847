//! A chart's summary in a few sentences: from the summary service when one is configured and
//! answers well, otherwise built in, saying why the service's was not used.

use medvault_domain::insights::Person;
use medvault_domain::{Actor, AuditAction, PatientId, Sex};
use medvault_store::Outcome;

use super::Summary;
use crate::app::AppState;
use crate::audit::{Event, RequestMeta};
use crate::outside::assistant::{AbnormalResult, SummaryRequest, fallback_in_words};
use crate::outside::service::CallFailed;

/// The summary in prose.
pub struct Narrative {
    /// `service` or `built-in`.
    pub source: &'static str,
    pub text: String,
    pub suggestions: Vec<String>,
    /// Why the service's summary is not shown, when one is configured.
    pub fallback: Option<&'static str>,
}

/// The narrative of `summary`: the service's, or the built-in one.
pub async fn narrative(
    state: &AppState,
    actor: Actor,
    meta: &RequestMeta,
    patient: PatientId,
    summary: &Summary,
) -> Narrative {
    let built_in = |failed: Option<CallFailed>| Narrative {
        source: "built-in",
        text: built_in(summary),
        suggestions: Vec::new(),
        fallback: failed.map(fallback_in_words),
    };
    let Some(assistant) = state.assistant.clone() else {
        return built_in(None);
    };
    if !assistant.service.may_call(state.now()) {
        return built_in(Some(CallFailed::BreakerOpen));
    }
    let request = request_of(summary);
    let answer = assistant.summarise(&request, || state.now()).await;
    // The data left MedVault whatever the answer: a disclosure, audited with its outcome.
    let outcome = if answer.is_ok() {
        Outcome::Success
    } else {
        Outcome::Failure
    };
    let host = assistant.service.host().to_owned();
    let recorded = state
        .write_audited(state.now(), meta, move |_, trail| {
            trail.record(Event {
                actor: Some(&actor),
                ..Event::anonymous(AuditAction::SummaryDisclose, outcome)
                    .patient(patient)
                    .reason(format!("sent to the summary service at {host}"))
            });
            Ok(())
        })
        .await;
    if let Err(error) = recorded {
        tracing::warn!(error = %error.public_message(), "cannot record a disclosure to the summary service");
    }
    match answer {
        Ok(answer) => Narrative {
            source: "service",
            text: answer.summary,
            suggestions: answer.suggestions,
            fallback: None,
        },
        Err(fallback) => built_in(Some(fallback)),
    }
}

/// The least of the summary the service needs: no name, id, date or note.
pub fn request_of(summary: &Summary) -> SummaryRequest {
    SummaryRequest {
        contract: "medvault.summary.v1",
        age_band: age_band(summary.person),
        sex: match summary.person.sex {
            Some(Sex::Female) => "female",
            Some(Sex::Male) => "male",
            Some(Sex::Other) => "other",
            Some(Sex::Unknown) | None => "unknown",
        },
        problems: summary
            .problems
            .iter()
            .map(|p| p.condition.clone())
            .collect(),
        allergies: summary
            .allergies
            .iter()
            .map(|a| a.substance.clone())
            .collect(),
        medications: summary.medications.iter().map(|m| m.drug.clone()).collect(),
        abnormal_results: summary
            .abnormal
            .iter()
            .map(|(latest, previous)| AbnormalResult {
                test: latest.reading.test_name.clone(),
                loinc: latest.reading.code.clone(),
                value: super::shown_value(latest),
                unit: latest.reading.unit.clone(),
                flag: latest.reading.interpretation.map(|i| i.as_str()),
                trend: super::trend(latest, previous.as_ref()),
            })
            .collect(),
    }
}

fn age_band(person: Person) -> String {
    person.age.map_or_else(
        || "unknown".to_owned(),
        |age| {
            let decade = age / 10 * 10;
            format!("{decade}-{}", decade + 9)
        },
    )
}

/// The summary in words, from the chart alone.
pub fn built_in(summary: &Summary) -> String {
    let list = |items: Vec<String>| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let mut text = format!(
        "Active problems: {}. Allergies: {}. Active medications: {}.",
        list(
            summary
                .problems
                .iter()
                .map(|p| p.condition.clone())
                .collect()
        ),
        list(
            summary
                .allergies
                .iter()
                .map(|a| a.substance.clone())
                .collect()
        ),
        list(summary.medications.iter().map(|m| m.drug.clone()).collect()),
    );
    let abnormal: Vec<String> = summary
        .abnormal
        .iter()
        .map(|(latest, previous)| {
            let mut line = format!(
                "{} {}{}",
                latest.reading.test_name,
                super::shown_value(latest),
                latest
                    .reading
                    .unit
                    .as_deref()
                    .map(|u| format!(" {u}"))
                    .unwrap_or_default()
            );
            if let Some(interpretation) = latest.reading.interpretation {
                line.push_str(&format!(" ({}", interpretation.as_str().replace('-', " ")));
                if let Some(trend) = super::trend(latest, previous.as_ref()) {
                    line.push_str(&format!(", {trend}"));
                }
                line.push(')');
            }
            line
        })
        .collect();
    if !abnormal.is_empty() {
        text.push_str(&format!(
            " Latest abnormal results: {}.",
            abnormal.join("; ")
        ));
    }
    text
}
