//! Experiment requests: what a valid request must have, and where it is in its time box.
//!
//! Required: measurable success criteria, a standard time box (renewals explicit), a cost
//! cap, a unique cost tag, an existing team, an owner. Computed: the expiry date, the days
//! left, and whether it has expired.

use super::{Input, references};
use crate::model::Code;
use crate::model::*;
use crate::render;
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// Where an experiment is, judged from its record and the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lifecycle {
    /// Not provisioned yet.
    Requested,
    /// Running, with more than the warning period left.
    Active,
    /// Running, and the time box ends within the warning period.
    EndingSoon,
    /// The time box has ended, and the request is not closed yet: decommission.
    Expired,
    /// Expired, completed or cancelled, and recorded so.
    Closed,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExperimentState {
    pub id: Id,
    pub path: String,
    pub title: String,
    pub team: Id,
    pub owner: Login,
    pub blueprint: Id,
    pub status: ExperimentStatus,
    pub lifecycle: Lifecycle,
    pub started_on: Option<NaiveDate>,
    /// The first day the experiment is no longer allowed to run.
    pub expires_on: Option<NaiveDate>,
    /// Days from today to `expires_on`; negative once expired.
    pub days_left: Option<i64>,
    pub expired: bool,
    pub renewals: u32,
    pub cost_cap: Money,
    pub spend: Option<Money>,
    /// Spend has reached the cost cap: the resources must be deallocated.
    pub over_budget: bool,
    /// The request has no errors.
    pub valid: bool,
    /// The estimated cost of the time box and its renewals, from the blueprint's price table.
    pub estimate: Option<Money>,
    /// The GPU quota it needs, for blueprints with GPUs.
    pub gpu: Option<GpuUse>,
    /// A request whose GPU quota the team has asked for and not yet been granted: it is not
    /// provisioned until the quota is approved.
    pub waiting_for_quota: bool,
    /// The team's monthly budget left for it once the cost caps of the team's open
    /// experiments ahead of it are set aside (running ones first, oldest first).
    pub team_budget_left: Option<Money>,
}

pub fn evaluate_all(input: &Input, diags: &mut Vec<Diagnostic>) -> Vec<ExperimentState> {
    let repo = input.repo;
    let mut tags: BTreeMap<&str, &Id> = BTreeMap::new();
    let warn_days = repo
        .adoption
        .as_ref()
        .map_or(3, |a| a.notices.expiry_warning_days);
    let mut quota = QuotaLedger::new(repo);
    let mut committed: BTreeMap<Id, i64> = BTreeMap::new();
    // Running experiments hold their quota first, oldest first; requests queue behind them.
    let mut order: Vec<(&Id, &Doc<Experiment>)> = repo.experiments.iter().collect();
    order.sort_by_key(|(id, e)| {
        (
            e.started_on
                .as_ref()
                .map(|s| s.value)
                .unwrap_or(NaiveDate::MAX),
            *id,
        )
    });
    // What each request's blueprint says of it alone, on every core; then the requests in
    // line, one after another, against the quota and the budgets.
    let priced: Vec<Option<std::sync::Arc<Priced>>> = {
        use rayon::prelude::*;
        order
            .par_iter()
            .with_min_len(64)
            .map(|(_, doc)| priced_of(input, doc))
            .collect()
    };
    let mut states: Vec<ExperimentState> = order
        .into_iter()
        .zip(priced)
        .map(|((id, doc), priced)| {
            // Only this request's own diagnostics are looked at: counting every error so far
            // for each of 10,000 requests was quadratic.
            let first = diags.len();
            validate(input, id, doc, diags);
            let mut costing = costing(input, doc, priced.as_deref(), &mut quota, diags);
            costing.team_budget_left =
                team_budget(repo, doc, costing.estimate, &mut committed, diags);
            if let Some(other) = tags.insert(doc.cost_tag.as_str(), id) {
                diags.push(
                    Diagnostic::error(
                        doc.at(&doc.cost_tag),
                        Code::DuplicateCostTag,
                        format!(
                            "the cost tag `{}` is already used by experiment `{other}`",
                            doc.cost_tag.value
                        ),
                    )
                    .with_hint("give every experiment a unique cost tag, e.g. `exp-<id>`"),
                );
            }
            let valid = !diags[first..].iter().any(Diagnostic::is_error);
            state(id, doc, input.today, warn_days, valid, costing)
        })
        .collect();
    states.sort_by(|a, b| a.id.cmp(&b.id));
    states
}

/// The team's monthly budget left for this experiment once the cost caps of the team's
/// open experiments ahead of it in line are set aside; a warning when the estimate exceeds
/// it. Closed experiments hold nothing.
fn team_budget(
    repo: &Repository,
    e: &Doc<Experiment>,
    estimate: Option<Money>,
    committed: &mut BTreeMap<Id, i64>,
    diags: &mut Vec<Diagnostic>,
) -> Option<Money> {
    let team = repo.teams.get(e.team.as_str())?;
    if matches!(
        e.status.value,
        ExperimentStatus::Expired | ExperimentStatus::Completed | ExperimentStatus::Cancelled
    ) {
        return None;
    }
    let held = committed.entry(e.team.value.clone()).or_insert(0);
    let left = Money::new(
        team.monthly_budget.cents - *held,
        team.monthly_budget.currency,
    );
    if let Some(est) = estimate
        && est.currency == left.currency
        && est.cents > left.cents
    {
        diags.push(
            Diagnostic::warning(e.at(&e.cost_cap), Code::OverTeamBudget, format!("the estimate of {est} is more than the {left} left of team `{}`'s monthly budget of {} after its other open experiments", e.team.value, team.monthly_budget))
                .with_hint("ask the team lead to confirm the spend, or end another experiment first"),
        );
    }
    if e.cost_cap.currency == left.currency {
        *held += e.cost_cap.cents;
    }
    Some(left)
}

/// What an experiment costs and holds: its estimate for the time box, and its GPU demand.
#[derive(Debug, Clone, Default)]
struct Costing {
    estimate: Option<Money>,
    gpu: Option<GpuUse>,
    waiting_for_quota: bool,
    team_budget_left: Option<Money>,
}

/// GPU quota an experiment needs, in the units Azure counts quota in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GpuUse {
    pub sku: String,
    pub family: String,
    pub region: String,
    pub vcpus: u32,
}

/// Approved GPU quota per (team, family, region), and what is already held. Family and
/// region names are compared as Azure does, ignoring case.
struct QuotaLedger {
    held: BTreeMap<(Id, String, String), u32>,
    pending: BTreeSet<(Id, String, String)>,
}

fn quota_key(team: &Id, family: &str, region: &str) -> (Id, String, String) {
    (
        team.clone(),
        family.to_ascii_lowercase(),
        region.to_ascii_lowercase(),
    )
}

impl QuotaLedger {
    fn new(repo: &Repository) -> Self {
        let mut held = BTreeMap::new();
        let mut pending = BTreeSet::new();
        for (id, t) in &repo.teams {
            for q in &t.gpu_quota {
                match q.status {
                    QuotaStatus::Approved => {
                        held.insert(quota_key(id, &q.family, &q.region), q.vcpus);
                    }
                    QuotaStatus::Requested => {
                        pending.insert(quota_key(id, &q.family, &q.region));
                    }
                    QuotaStatus::Rejected => {}
                }
            }
        }
        QuotaLedger { held, pending }
    }

    /// Takes `vcpus` from the team's quota; `Err(available)` when it does not fit.
    fn take(
        &mut self,
        team: &Id,
        family: &str,
        region: &str,
        vcpus: u32,
    ) -> Result<(), Option<u32>> {
        match self.held.get_mut(&quota_key(team, family, region)) {
            None => Err(None),
            Some(left) if *left < vcpus => Err(Some(*left)),
            Some(left) => {
                *left -= vcpus;
                Ok(())
            }
        }
    }
}

impl QuotaLedger {
    /// Whether the team has asked for this quota and is waiting for it.
    fn is_pending(&self, team: &Id, family: &str, region: &str) -> bool {
        self.pending.contains(&quota_key(team, family, region))
    }
}

/// The blueprint checks of a request: the blueprint exists, its parameters are valid, the
/// estimate for the time box is within the cap, and the team has quota headroom.
fn costing(
    input: &Input,
    e: &Doc<Experiment>,
    priced: Option<&Priced>,
    quota: &mut QuotaLedger,
    diags: &mut Vec<Diagnostic>,
) -> Costing {
    let Some(catalogue) = &input.blueprints.catalogue else {
        return Costing::default();
    };
    if catalogue.get(e.blueprint.as_str()).is_none() {
        diags.push(
            Diagnostic::error(
                e.at(&e.blueprint),
                Code::UnknownBlueprint,
                format!("there is no blueprint `{}`", e.blueprint.value),
            )
            .with_hint(format!(
                "use one of{}",
                references::listing(catalogue.names().collect::<Vec<_>>().iter())
            )),
        );
        return Costing::default();
    };
    let Some(priced) = priced else {
        return Costing::default();
    };
    diags.extend(priced.problems.iter().cloned());
    let (Some(estimate), Some(gpu)) = (&priced.estimate, &priced.gpu) else {
        return Costing::default();
    };
    let closed = matches!(
        e.status.value,
        ExperimentStatus::Expired | ExperimentStatus::Completed | ExperimentStatus::Cancelled
    );
    let mut costing = Costing::default();

    let days = e.granted_days();
    match estimate {
        Ok((total_cents, currency)) => {
            let money = currency
                .parse::<Currency>()
                .ok()
                .and_then(|c| Some(Money::new(i64::try_from(*total_cents).ok()?, c)));
            match money {
                Some(m) if m.currency != e.cost_cap.currency => diags.push(
                    Diagnostic::warning(e.at(&e.cost_cap), Code::CurrencyMismatch, format!("the price table is in {}, the cap in {}: the estimate cannot be compared", m.currency, e.cost_cap.currency))
                        .with_hint(format!("write the cost cap in {}", m.currency)),
                ),
                Some(m) if m.cents > e.cost_cap.cents && !closed => diags.push(
                    Diagnostic::error(e.at(&e.cost_cap), Code::EstimateOverCap, format!("the estimate for {days} days is {m}, above the cost cap of {}", e.cost_cap.value))
                        .with_hint("raise the cap, shorten the time box, or choose a smaller SKU, fewer instances or spot"),
                ),
                _ => {}
            }
            costing.estimate = money;
        }
        Err(d) => diags.push(Diagnostic {
            place: e.at(&e.blueprint),
            ..d.clone()
        }),
    }

    match gpu {
        Ok(Some(g)) => {
            let waiting = !closed
                && e.started_on.is_none()
                && !quota
                    .held
                    .contains_key(&quota_key(&e.team, &g.family, &g.region))
                && quota.is_pending(&e.team, &g.family, &g.region);
            if waiting {
                costing.waiting_for_quota = true;
                diags.push(
                    Diagnostic::warning(
                        e.at(&e.blueprint),
                        Code::QuotaPending,
                        format!(
                            "waiting for quota: team `{}` has requested {} in {}, not yet approved",
                            e.team.value, g.family, g.region
                        ),
                    )
                    .with_hint(
                        "the provisioning PR opens once the quota is approved in the team's file",
                    ),
                );
            } else if !closed && let Err(left) = quota.take(&e.team, &g.family, &g.region, g.vcpus)
            {
                let msg = match left {
                    None => format!(
                        "team `{}` has no approved quota for {} in {}",
                        e.team.value, g.family, g.region
                    ),
                    Some(n) => format!(
                        "{} x {} needs {} vCPUs of {} in {}, and team `{}` has {n} left",
                        g.instances, g.sku, g.vcpus, g.family, g.region, e.team.value
                    ),
                };
                diags.push(
                        Diagnostic::error(e.at(&e.blueprint), Code::NoQuotaHeadroom, msg)
                            .with_hint(format!("request quota for {} in {} in teams/{}.yaml, or pick another region or SKU", g.family, g.region, e.team.value)),
                    );
            }
            costing.gpu = Some(GpuUse {
                sku: g.sku.clone(),
                family: g.family.clone(),
                region: g.region.clone(),
                vcpus: g.vcpus,
            });
        }
        Ok(None) => {}
        Err(d) => diags.push(Diagnostic {
            place: e.at(&e.blueprint),
            ..d.clone()
        }),
    }
    costing
}

/// A request's [`Priced`]: kept, or worked out now. `None` without its blueprint.
fn priced_of(input: &Input, e: &Doc<Experiment>) -> Option<std::sync::Arc<Priced>> {
    let catalogue = input.blueprints.catalogue.as_ref()?;
    let bp = catalogue.get(e.blueprint.as_str())?;
    Some(match input.priced {
        Some(memo) => memo.get_or_insert(&e.path, || price(bp, e, catalogue)),
        None => std::sync::Arc::new(price(bp, e, catalogue)),
    })
}

/// What a request's blueprint says of the request alone: the parameter check, the estimate
/// for the days granted and the GPU demand. It depends only on the request's document and the
/// blueprint catalogue, so a long-lived process keeps it per file ([`PriceMemo`]).
#[derive(Debug, Clone)]
pub struct Priced {
    /// The parameter check's errors and warnings.
    problems: Vec<Diagnostic>,
    /// The estimate's total in cents and its currency; `None` when a parameter is wrong.
    estimate: Option<Result<(u64, String), Diagnostic>>,
    /// `None` when a parameter is wrong.
    gpu: Option<Result<Option<render::GpuDemand>, Diagnostic>>,
}

fn price(bp: &render::Blueprint, e: &Doc<Experiment>, catalogue: &render::Catalogue) -> Priced {
    let params: BTreeMap<String, serde_json::Value> = e
        .parameters
        .iter()
        .map(|(k, v)| (k.clone(), v.value.clone()))
        .collect();
    let problems = render::validate_parameters(bp, &params, |name| match e.parameters.get(name) {
        Some(v) => e.at(v),
        None => e.at(&e.blueprint),
    });
    if problems.iter().any(Diagnostic::is_error) {
        return Priced {
            problems,
            estimate: None,
            gpu: None,
        };
    }
    let hours = e.granted_days().saturating_mul(24);
    let filled = render::fill_defaults(&bp.manifest, params);
    Priced {
        problems,
        estimate: Some(
            render::estimate_filled(bp, &filled, catalogue.prices(), hours)
                .map(|est| (est.total_cents, est.currency)),
        ),
        gpu: Some(render::gpu_demand_filled(bp, &filled, catalogue.skus())),
    }
}

/// Each request's [`Priced`], by the path of its file, kept by a long-lived process between
/// analyses. Whoever keeps it forgets a path when its file changes, and everything when a
/// blueprint, the price table or the SKU table may have changed: `load::Cache` does both.
#[derive(Debug, Default)]
pub struct PriceMemo(std::sync::Mutex<std::collections::HashMap<String, std::sync::Arc<Priced>>>);

impl Clone for PriceMemo {
    fn clone(&self) -> Self {
        let kept = self.0.lock().map(|m| m.clone()).unwrap_or_default();
        PriceMemo(std::sync::Mutex::new(kept))
    }
}

impl PriceMemo {
    fn get_or_insert(&self, path: &str, price: impl FnOnce() -> Priced) -> std::sync::Arc<Priced> {
        let known = self.0.lock().ok().and_then(|m| m.get(path).cloned());
        if let Some(p) = known {
            return p;
        }
        let p = std::sync::Arc::new(price());
        if let Ok(mut m) = self.0.lock() {
            m.insert(path.to_owned(), p.clone());
        }
        p
    }

    /// Forgets the request of `path`.
    pub fn forget(&mut self, path: &str) {
        if let Ok(m) = self.0.get_mut() {
            m.remove(path);
        }
    }

    /// Forgets every request.
    pub fn clear(&mut self) {
        if let Ok(m) = self.0.get_mut() {
            m.clear();
        }
    }

    /// How many requests are kept.
    pub fn len(&self) -> usize {
        self.0.lock().map(|m| m.len()).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn state(
    id: &Id,
    e: &Doc<Experiment>,
    today: NaiveDate,
    warn_days: u32,
    valid: bool,
    costing: Costing,
) -> ExperimentState {
    let expires = e.expires_on();
    let days_left = expires.map(|x| super::days_between(today, x));
    let expired = days_left.is_some_and(|d| d <= 0);
    let lifecycle = match e.status.value {
        ExperimentStatus::Expired | ExperimentStatus::Completed | ExperimentStatus::Cancelled => {
            Lifecycle::Closed
        }
        _ if e.started_on.is_none() => Lifecycle::Requested,
        _ if expired => Lifecycle::Expired,
        _ if days_left.is_some_and(|d| d <= i64::from(warn_days)) => Lifecycle::EndingSoon,
        _ => Lifecycle::Active,
    };
    let spend = e.spend.as_ref().map(|s| s.to_date);
    let over_budget =
        spend.is_some_and(|s| s.currency == e.cost_cap.currency && s.cents >= e.cost_cap.cents);
    ExperimentState {
        id: id.clone(),
        path: e.path.clone(),
        title: e.title.clone(),
        team: e.team.value.clone(),
        owner: e.owner.value.clone(),
        blueprint: e.blueprint.value.clone(),
        status: e.status.value,
        lifecycle,
        started_on: e.started_on.as_ref().map(|s| s.value),
        expires_on: expires,
        days_left,
        expired,
        renewals: e.renewals.len() as u32,
        cost_cap: e.cost_cap.value,
        spend,
        over_budget,
        valid,
        estimate: costing.estimate,
        gpu: costing.gpu,
        waiting_for_quota: costing.waiting_for_quota,
        team_budget_left: costing.team_budget_left,
    }
}

fn validate(input: &Input, id: &Id, e: &Doc<Experiment>, diags: &mut Vec<Diagnostic>) {
    let repo = input.repo;
    let policies = &input.framework.policies;
    let standard = || {
        policies
            .time_boxes
            .iter()
            .map(|t| format!("`{t}`"))
            .collect::<Vec<_>>()
            .join(" or ")
    };

    if e.success_criteria.is_empty() {
        diags.push(
            Diagnostic::error(e.place(), Code::NoSuccessCriteria, format!("experiment `{id}` has no success criteria"))
                .with_hint("add `success_criteria:` with metric, comparator and target, e.g. `- { metric: answer_accuracy, comparator: \">=\", target: 0.85 }`: experiments without success criteria are hobbies"),
        );
    }
    for c in e.success_criteria.iter() {
        if c.metric.trim().is_empty() || !c.target.is_finite() {
            diags.push(
                Diagnostic::error(
                    e.at(&e.success_criteria),
                    Code::UnmeasurableCriterion,
                    "a success criterion needs a metric name and a finite target",
                )
                .with_hint(
                    "write e.g. `{ metric: p99_latency_ms, comparator: \"<=\", target: 800 }`",
                ),
            );
        }
    }
    for (field, text) in [
        ("hypothesis", &e.hypothesis),
        ("next_step", &e.next_step),
        ("title", &e.title),
    ] {
        if text.trim().is_empty() {
            diags.push(
                Diagnostic::error(e.place(), Code::EmptyField, format!("`{field}` is empty"))
                    .with_hint(format!("say in a sentence what the {field} is")),
            );
        }
    }
    if !policies.time_boxes.contains(&e.time_box.value) {
        diags.push(
            Diagnostic::error(
                e.at(&e.time_box),
                Code::NonStandardTimeBox,
                format!("`{}` is not a standard time box", e.time_box.value),
            )
            .with_hint(format!(
                "use {}; to run longer, add an explicit renewal under `renewals:`",
                standard()
            )),
        );
    }
    if e.renewals.len() as u32 > policies.max_renewals {
        let extra = &e.renewals[policies.max_renewals as usize];
        diags.push(
            Diagnostic::error(
                e.at(extra),
                Code::TooManyRenewals,
                format!(
                    "{} renewals, and at most {} are allowed",
                    e.renewals.len(),
                    policies.max_renewals
                ),
            )
            .with_hint("end the experiment and decide go/no-go, or request a new experiment"),
        );
    }
    for r in &e.renewals {
        if !policies.time_boxes.contains(&r.duration) {
            diags.push(
                Diagnostic::error(
                    e.at(r),
                    Code::NonStandardTimeBox,
                    format!("a renewal of `{}` is not a standard time box", r.duration),
                )
                .with_hint(format!("use {}", standard())),
            );
        }
        if r.reason.trim().is_empty() {
            diags.push(
                Diagnostic::error(e.at(r), Code::EmptyField, "a renewal needs a reason")
                    .with_hint("say what the extra time is for"),
            );
        }
    }
    if e.cost_cap.cents <= 0 {
        diags.push(
            Diagnostic::error(
                e.at(&e.cost_cap),
                Code::NoCostCap,
                "the cost cap must be more than zero",
            )
            .with_hint("write the most the experiment may cost, e.g. `2500 USD`"),
        );
    }
    if let Some(spend) = &e.spend
        && spend.to_date.currency != e.cost_cap.currency
    {
        diags.push(references::currency_mismatch(
            e.at(spend),
            &e.cost_cap,
            &spend.to_date,
        ));
    }
    match repo.teams.get(e.team.as_str()) {
        Some(team) => {
            if team.monthly_budget.currency != e.cost_cap.currency {
                diags.push(references::currency_mismatch(
                    e.at(&e.cost_cap),
                    &team.monthly_budget,
                    &e.cost_cap,
                ));
            }
            if !team.everyone().any(|m| m == &e.owner.value) {
                diags.push(
                    Diagnostic::warning(
                        e.at(&e.owner),
                        Code::OwnerNotInTeam,
                        format!(
                            "`{}` is not a lead or member of team `{}`",
                            e.owner.value, e.team.value
                        ),
                    )
                    .with_hint(format!(
                        "add them to teams/{}.yaml, or name an owner from the team",
                        e.team.value
                    )),
                );
            }
        }
        None if repo.broken_in("teams").next().is_none() => {
            diags.push(references::unknown_team(repo, e.at(&e.team), &e.team))
        }
        None => {}
    }
    if e.outcome.is_some()
        && matches!(
            e.status.value,
            ExperimentStatus::Requested | ExperimentStatus::Active
        )
    {
        diags.push(
            Diagnostic::warning(
                e.at(&e.status),
                Code::StatusBehind,
                "the experiment has an outcome but is still running",
            )
            .with_hint("set `status: completed` once the go/no-go decision is taken"),
        );
    }
    match (e.status.value, &e.started_on) {
        (ExperimentStatus::Active | ExperimentStatus::Expired, None) => diags.push(
            Diagnostic::error(e.at(&e.status), Code::NotStarted, format!("the status is `{}` but there is no `started_on` date", e.status.value.word()))
                .with_hint("the provisioning PR writes started_on; add the day the environment was provisioned"),
        ),
        (ExperimentStatus::Requested, Some(s)) => diags.push(
            Diagnostic::warning(e.at(s), Code::StatusBehind, "the experiment has started but its status is still `requested`").with_hint("set `status: active`"),
        ),
        _ => {}
    }
}
