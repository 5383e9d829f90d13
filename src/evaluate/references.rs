//! Consistency across documents: every reference names something that exists, every role a
//! gate needs is held by someone, and values that parse but make no sense are caught.

use super::Input;
use crate::model::Code;
use crate::model::*;
use std::collections::{BTreeMap, BTreeSet};

pub fn check(input: &Input, diags: &mut Vec<Diagnostic>) {
    let repo = input.repo;
    if let Some(a) = &repo.adoption {
        adoption(a, input.framework, diags);
        if let Some(d) = &a.phase_entered_on
            && d.value > input.today
        {
            diags.push(
                Diagnostic::warning(
                    a.at(d),
                    Code::DateInFuture,
                    format!(
                        "phase_entered_on is {}, after today ({})",
                        d.value, input.today
                    ),
                )
                .with_hint("write the day the gate request into this phase merged"),
            );
        }
    }
    for (id, team) in &repo.teams {
        team_doc(id, team, diags);
    }
    for uc in repo.use_cases.values() {
        team_ref(repo, uc, &uc.team, diags);
        for e in &uc.experiments {
            if !repo.experiments.contains_key(e.as_str())
                && !repo.broken_in("experiments").any(|_| true)
            {
                diags.push(
                    Diagnostic::error(
                        uc.at(e),
                        Code::UnknownExperiment,
                        format!("there is no experiment `{}`", e.value),
                    )
                    .with_hint(format!(
                        "name a file of experiments/ without `.yaml`{}",
                        listing(repo.experiments.keys())
                    )),
                );
            }
        }
        if let (Some(est), Some(actual)) = (&uc.production_estimate, &uc.actual_monthly_cost)
            && est.monthly_cost.currency != actual.currency
        {
            diags.push(currency_mismatch(uc.at(actual), &est.monthly_cost, actual));
        }
    }
    for slo in repo.slos.values() {
        team_ref(repo, slo, &slo.team, diags);
        if let Some(uc) = &slo.use_case
            && !repo.use_cases.contains_key(uc.as_str())
        {
            diags.push(
                Diagnostic::error(
                    slo.at(uc),
                    Code::UnknownUseCase,
                    format!("there is no use case `{}`", uc.value),
                )
                .with_hint(format!(
                    "name a file of use-cases/ without `.yaml`{}",
                    listing(repo.use_cases.keys())
                )),
            );
        }
        if let (Some(since), Some(last)) =
            (&slo.met_since, slo.violations.iter().map(|v| v.date).max())
            && last >= since.value
        {
            diags.push(
                Diagnostic::error(
                    slo.at(since),
                    Code::SloInconsistent,
                    format!(
                        "met_since is {} but a violation is recorded on {last}",
                        since.value
                    ),
                )
                .with_hint("met_since is the day after the last violation; correct one of them"),
            );
        }
        let o = &slo.objectives;
        if !(o.availability_percent > 0.0 && o.availability_percent <= 100.0) {
            diags.push(
                Diagnostic::error(
                    slo.place(),
                    Code::OutOfRange,
                    format!(
                        "availability_percent is {}, not a percentage",
                        o.availability_percent
                    ),
                )
                .with_hint("write e.g. 99.9"),
            );
        }
    }
    for card in &repo.scorecards {
        let stem = card
            .path
            .rsplit('/')
            .next()
            .and_then(|f| f.strip_suffix(".yaml"))
            .unwrap_or_default();
        if let Ok(d) = chrono::NaiveDate::parse_from_str(stem, "%Y-%m-%d")
            && d != card.assessed_on
        {
            diags.push(
                Diagnostic::warning(
                    card.place(),
                    Code::DateMismatch,
                    format!(
                        "the file is named for {d} but assessed_on is {}",
                        card.assessed_on
                    ),
                )
                .with_hint("name the file for the day of the assessment"),
            );
        }
    }
    if let Some(inv) = &repo.inventory {
        let mut seen = BTreeSet::new();
        for f in &inv.findings {
            if !seen.insert(&f.id) {
                diags.push(
                    Diagnostic::error(
                        inv.place(),
                        Code::DuplicateId,
                        format!("two findings have the id `{}`", f.id),
                    )
                    .with_hint("give each finding its own id"),
                );
            }
            if let Some(t) = &f.team
                && !repo.teams.contains_key(t.as_str())
                && repo.broken_in("teams").next().is_none()
            {
                diags.push(
                    Diagnostic::warning(
                        inv.place(),
                        Code::UnknownTeam,
                        format!(
                            "finding `{}` names the team `{t}`, which has no file in teams/",
                            f.id
                        ),
                    )
                    .with_hint(format!("use a team id{}", listing(repo.teams.keys()))),
                );
            }
        }
    }
}

fn adoption(a: &Doc<Adoption>, fw: &Framework, diags: &mut Vec<Diagnostic>) {
    if let Some(s) = &a.schedule
        && let Err(e) = parse_schedule(s)
    {
        diags.push(
                Diagnostic::error(a.at(s), Code::BadSchedule, format!("`{}` is not a cron schedule: {e}", s.value))
                    .with_hint("write five fields in UTC: minute hour day-of-month month day-of-week, e.g. `0 6 * * 1-5`"),
            );
    }
    let used: BTreeSet<&Id> = fw.gates().flat_map(|(_, g)| g.approvers.iter()).collect();
    let current = fw.exit_gate(a.phase.value);
    for role in &used {
        let needed_now = current.is_some_and(|g| g.approvers.contains(role));
        match a.roles.get(*role) {
            Some(h) if !h.is_empty() => {}
            _ if needed_now => diags.push(
                Diagnostic::error(
                    a.at(&a.phase),
                    Code::RoleUnassigned,
                    format!("the role `{role}` approves the current gate and nobody holds it"),
                )
                .with_hint(format!(
                    "add `{role}: {{ users: [...], teams: [...] }}` under `roles:`"
                )),
            ),
            Some(h) => diags.push(
                Diagnostic::warning(
                    a.at(h),
                    Code::RoleUnassigned,
                    format!("nobody holds the role `{role}`"),
                )
                .with_hint("add users or teams to it"),
            ),
            None => {
                // Which gates need it, ahead of the current phase or behind it (a rollback
                // through an earlier gate is judged by that gate's roles).
                let now = a.phase.value.number();
                let gates: Vec<String> = fw
                    .gates()
                    .filter(|(_, g)| g.approvers.contains(role))
                    .map(|(p, g)| {
                        let when = if p.number() >= now {
                            "ahead"
                        } else {
                            "behind, for a rollback through it"
                        };
                        format!("gate {} ({when})", g.id)
                    })
                    .collect();
                // The `roles:` block, found from its first entry; the file's start without one.
                let place = a
                    .roles
                    .values()
                    .map(|h| (h.line, h.column))
                    .min()
                    .map(|(line, _)| Place::new(a.path.clone(), line.saturating_sub(1).max(1), 1))
                    .unwrap_or_else(|| a.place());
                diags.push(
                    Diagnostic::warning(
                        place,
                        Code::RoleUnassigned,
                        format!(
                            "the role `{role}` approves {} and is not in `roles:`",
                            gates.join(" and ")
                        ),
                    )
                    .with_hint(format!(
                        "add `{role}: {{ users: [...], teams: [...] }}` under `roles:` before that gate is requested"
                    )),
                )
            }
        }
    }
    for (role, h) in &a.roles {
        if !used.contains(role) {
            diags.push(
                Diagnostic::error(
                    a.at(h),
                    Code::UnknownRole,
                    format!("no gate has the role `{role}`"),
                )
                .with_hint(format!(
                    "the framework's roles are {}",
                    used.iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )),
            );
        }
    }
    if let Some(az) = &a.azure {
        for (what, v) in std::iter::once(("tenant_id", &az.tenant_id))
            .chain(az.subscriptions.iter().map(|s| ("subscription", s)))
        {
            if !is_guid(v) {
                diags.push(
                    Diagnostic::error(
                        a.place(),
                        Code::BadGuid,
                        format!("{what} `{v}` is not a GUID"),
                    )
                    .with_hint("write it as 00000000-0000-0000-0000-000000000000"),
                );
            }
        }
    }
    for w in &a.platform.ci_workflows {
        if w.starts_with('/') || w.split('/').any(|p| p == "..") {
            diags.push(
                Diagnostic::error(
                    a.at(w),
                    Code::BadPath,
                    format!("`{}` is not a path inside the repository", w.value),
                )
                .with_hint("write a relative path such as .github/workflows/deploy.yml"),
            );
        }
    }
}

/// Parses a five-field cron expression (the GitHub Actions form) with the `cron` crate,
/// which wants seconds first.
pub fn parse_schedule(expr: &str) -> Result<cron::Schedule, String> {
    let fields = expr.split_whitespace().count();
    if fields != 5 {
        return Err(format!("it has {fields} fields, not 5"));
    }
    const FIELDS: [(&str, u32, u32, &str); 5] = [
        ("minute", 0, 59, "0-59"),
        ("hour", 0, 23, "0-23"),
        ("day-of-month", 1, 31, "1-31"),
        ("month", 1, 12, "1-12 or JAN-DEC"),
        ("day-of-week", 0, 7, "0-7 or SUN-SAT"),
    ];
    for (field, (name, lo, hi, allowed)) in expr.split_whitespace().zip(FIELDS) {
        for item in field.split(',') {
            let (range, step) = item.split_once('/').unwrap_or((item, ""));
            if !step.is_empty() && step.parse::<u32>().map_or(true, |n| n == 0) {
                return Err(format!(
                    "the {name} field `{field}` has the step `/{step}`: write a whole number above 0"
                ));
            }
            for n in range.split('-').filter(|p| *p != "*") {
                match n.parse::<u32>() {
                    Ok(v) if v < lo || v > hi => {
                        return Err(format!(
                            "the {name} field `{field}` has {v}, outside {allowed}"
                        ));
                    }
                    Ok(_) => {}
                    // Names (MON, JAN) are left to the parser below.
                    Err(_) if n.chars().all(|c| c.is_ascii_alphabetic()) => {}
                    Err(_) => {
                        return Err(format!(
                            "the {name} field `{field}` is not a number, a range, a list or `*` ({allowed})"
                        ));
                    }
                }
            }
        }
    }
    let mut fields: Vec<String> = expr.split_whitespace().map(str::to_owned).collect();
    fields[4] = day_names(&fields[4]);
    format!("0 {}", fields.join(" "))
        .parse::<cron::Schedule>()
        .map_err(|e| e.to_string().trim_start_matches("0 ").to_string())
}

/// GitHub's day-of-week numbers (0 or 7 is Sunday, 1 Monday) as names, because the `cron`
/// crate counts from 1 = Sunday: `1-5` must stay Monday to Friday. A range ending on 7 is
/// split, so that `5-7` is `FRI-SAT,SUN`.
fn day_names(field: &str) -> String {
    const NAMES: [&str; 8] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];
    let name = |n: &str| match n.parse::<usize>() {
        Ok(i) if i < NAMES.len() => NAMES[i].to_string(),
        _ => n.to_string(),
    };
    field
        .split(',')
        .map(|item| {
            let (range, step) = match item.split_once('/') {
                Some((r, s)) => (r, format!("/{s}")),
                None => (item, String::new()),
            };
            match range.split_once('-') {
                Some((a, "7")) if a != "0" && a != "7" && step.is_empty() => {
                    format!("{}-SAT,SUN", name(a))
                }
                Some((a, b)) => format!("{}-{}{step}", name(a), name(b)),
                None => format!("{}{step}", name(range)),
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn is_guid(s: &str) -> bool {
    let parts: Vec<_> = s.split('-').collect();
    parts.iter().map(|p| p.len()).eq([8, 4, 4, 4, 12])
        && parts
            .iter()
            .all(|p| p.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn team_doc(id: &Id, team: &Doc<Team>, diags: &mut Vec<Diagnostic>) {
    if team.leads.is_empty() {
        diags.push(
            Diagnostic::error(
                team.at(&team.leads),
                Code::NoLeads,
                format!("team `{id}` has no leads"),
            )
            .with_hint("name at least one lead: leads review the team's requests"),
        );
    }
    let everyone: BTreeSet<&Login> = team.everyone().collect();
    let mut quotas: BTreeMap<(&str, &str), ()> = BTreeMap::new();
    for q in &team.gpu_quota {
        if quotas
            .insert((q.family.as_str(), q.region.as_str()), ())
            .is_some()
        {
            diags.push(
                Diagnostic::error(
                    team.at(q),
                    Code::DuplicateQuota,
                    format!("{} in {} is listed twice", q.family, q.region),
                )
                .with_hint("keep one entry per VM family and region"),
            );
        }
        if q.status == QuotaStatus::Approved && q.approved_on.is_none() {
            diags.push(
                Diagnostic::warning(
                    team.at(q),
                    Code::UndatedApproval,
                    "an approved quota has no approved_on date",
                )
                .with_hint("add approved_on: YYYY-MM-DD"),
            );
        }
    }
    for who in team.skills.keys().chain(team.training.keys()) {
        if !everyone.contains(who) {
            diags.push(
                Diagnostic::warning(
                    team.place(),
                    Code::NotAMember,
                    format!("`{who}` has skills or training recorded but is not a lead or member"),
                )
                .with_hint("add them to members, or remove their record"),
            );
        }
    }
}

fn team_ref<T>(repo: &Repository, doc: &Doc<T>, team: &Located<Id>, diags: &mut Vec<Diagnostic>) {
    if !repo.teams.contains_key(team.as_str()) && repo.broken_in("teams").next().is_none() {
        diags.push(unknown_team(repo, doc.at(team), team));
    }
}

pub fn unknown_team(repo: &Repository, place: Place, team: &Id) -> Diagnostic {
    Diagnostic::error(
        place,
        Code::UnknownTeam,
        format!("there is no team `{team}`"),
    )
    .with_hint(format!(
        "name a file of teams/ without `.yaml`{}",
        listing(repo.teams.keys())
    ))
}

pub fn currency_mismatch(place: Place, a: &Money, b: &Money) -> Diagnostic {
    Diagnostic::error(
        place,
        Code::CurrencyMismatch,
        format!("{b} is in {}, but it is compared with {a}", b.currency),
    )
    .with_hint(format!("write the amount in {}", a.currency))
}

/// `: a, b, c` (at most ten), or nothing when the list is empty.
pub fn listing<'a, T: std::fmt::Display + 'a>(items: impl Iterator<Item = &'a T>) -> String {
    let items: Vec<String> = items.map(|i| i.to_string()).collect();
    match items.len() {
        0 => String::new(),
        n if n > 10 => format!(": {}, ...", items[..10].join(", ")),
        _ => format!(": {}", items.join(", ")),
    }
}
