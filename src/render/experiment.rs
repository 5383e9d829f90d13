//! An experiment request of the adoption repository, rendered: its context (id, team, owner,
//! cost tag, expiry) and parameters, through its blueprint, into the files of
//! `infra/experiments/<id>/`.

use super::{
    Catalogue, ExperimentContext, Flavour, RenderSettings, RenderedFile, output_dir, render,
};
use crate::model::Code;
use crate::model::{Diagnostic, Doc, Experiment, Id};
use chrono::NaiveDate;
use std::collections::BTreeMap;

/// The render context of a request. A request not started yet is taken to start `today`,
/// as its provisioning PR would record.
pub fn context(
    id: &Id,
    e: &Experiment,
    today: NaiveDate,
    settings: &RenderSettings,
) -> ExperimentContext {
    let starts_on = e.started_on.as_ref().map_or(today, |s| s.value);
    let expiry = e.expires_on().unwrap_or_else(|| {
        today
            .checked_add_days(chrono::Days::new(u64::from(e.granted_days())))
            .unwrap_or(today)
    });
    let mut contact_emails: Vec<String> = Vec::new();
    for who in [e.owner.to_string(), e.team.to_string()] {
        if let Some(email) = settings.budget_contacts.get(&who)
            && !contact_emails.contains(email)
        {
            contact_emails.push(email.clone());
        }
    }
    ExperimentContext {
        id: id.to_string(),
        team: e.team.to_string(),
        owner: e.owner.to_string(),
        cost_tag: e.cost_tag.to_string(),
        expiry,
        starts_on,
        cost_cap: e.cost_cap.value,
        contact_emails,
        settings: settings.clone(),
    }
}

/// Renders one experiment; every file's path is relative to the repository root.
pub fn render_experiment(
    catalogue: &Catalogue,
    id: &Id,
    e: &Doc<Experiment>,
    flavour: Flavour,
    today: NaiveDate,
) -> Result<Vec<RenderedFile>, Vec<Diagnostic>> {
    let Some(bp) = catalogue.get(e.blueprint.as_str()) else {
        return Err(vec![
            Diagnostic::error(
                e.at(&e.blueprint),
                Code::UnknownBlueprint,
                format!("there is no blueprint `{}`", e.blueprint.value),
            )
            .with_hint(format!(
                "use one of: {}",
                catalogue.names().collect::<Vec<_>>().join(", ")
            )),
        ]);
    };
    let params: BTreeMap<String, serde_json::Value> = e
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let dir = output_dir(id.as_str());
    let files = render(
        bp,
        flavour,
        &context(id, e, today, catalogue.settings()),
        &params,
    )
    .map_err(|ds| {
        ds.into_iter()
            .map(|d| {
                if d.place.file.is_empty() {
                    Diagnostic {
                        place: e.place(),
                        ..d
                    }
                } else {
                    d
                }
            })
            .collect::<Vec<_>>()
    })?;
    Ok(files
        .into_iter()
        .map(|f| RenderedFile {
            path: format!("{dir}/{}", f.path),
            content: f.content,
        })
        .collect())
}
