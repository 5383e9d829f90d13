//! The pure evaluations, with the clock injected: readiness, the current gate's checklist,
//! experiment requirements and time boxes, staleness and coverage, overrides.

mod common;

use adoptbot::evaluate::{Lifecycle, RollbackStatus, Status};
use adoptbot::model::*;
use common::{date, experiment, minimal, snapshot_of};

fn with(mut files: Vec<(String, String)>, extra: &[(&str, &str)]) -> Vec<(String, String)> {
    for (p, t) in extra {
        files.retain(|(q, _)| q != p);
        files.push((p.to_string(), t.to_string()));
    }
    files
}

fn analyse(files: &[(String, String)], today: &str) -> adoptbot::Analysis {
    adoptbot::analyse(&snapshot_of(files), date(today)).expect("the built-in framework loads")
}

/// What `adoptbot plan` lists for `files` on `today`.
fn plan_of(files: &[(String, String)], today: &str) -> Vec<adoptbot::plan::Action> {
    let snap = snapshot_of(files);
    let a = adoptbot::analyse(&snap, date(today)).expect("the built-in framework loads");
    adoptbot::plan::offline(&snap, &a, adoptbot::model::Clock::at(date(today)))
}

fn codes(a: &adoptbot::Analysis) -> Vec<(&'static str, String, u32)> {
    a.evaluation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str(), d.place.file.clone(), d.place.line))
        .collect()
}

const CARD: &str = "assessed_on: 2026-10-01\nareas:\n  team-skills: { rating: 4, evidence: survey }\n  gpu-readiness: { rating: 2, evidence: no quota in swedencentral }\n  networking: { rating: 3, evidence: private DNS }\n  security: { rating: 5, evidence: MI everywhere }\n  automation: { rating: 1, evidence: click-ops }\n  shadow-ai: { rating: 3, evidence: inventory }\n";

#[test]
fn scorecard_areas_below_three_are_phase_two_focus_items() {
    let a = analyse(
        &with(minimal(), &[("scorecards/2026-10-01.yaml", CARD)]),
        "2026-11-01",
    );
    let r = a.evaluation.readiness.clone().expect("a readiness result");
    let focus: Vec<_> = r.focus.iter().map(|f| (f.area, f.rating)).collect();
    assert_eq!(focus, vec![(Area::GpuReadiness, 2), (Area::Automation, 1)]);
    assert!(r.missing.is_empty());
    assert!(codes(&a).is_empty(), "{:?}", codes(&a));
}

#[test]
fn a_missing_area_is_an_error() {
    let card = CARD.replace("  networking: { rating: 3, evidence: private DNS }\n", "");
    let a = analyse(
        &with(minimal(), &[("scorecards/2026-10-01.yaml", &card)]),
        "2026-11-01",
    );
    assert!(codes(&a).contains(&("missing-area", "scorecards/2026-10-01.yaml".into(), 1)));
    assert_eq!(
        a.evaluation.readiness.clone().unwrap().missing,
        vec![Area::Networking]
    );
}

#[test]
fn the_newest_scorecard_decides() {
    let newer = CARD
        .replace("2026-10-01", "2026-11-01")
        .replace("rating: 1", "rating: 3")
        .replace("rating: 2", "rating: 4");
    let a = analyse(
        &with(
            minimal(),
            &[
                ("scorecards/2026-10-01.yaml", CARD),
                ("scorecards/a-newer.yaml", &newer),
            ],
        ),
        "2026-11-20",
    );
    let r = a.evaluation.readiness.unwrap();
    assert_eq!(r.scorecard, "scorecards/a-newer.yaml");
    assert!(r.focus.is_empty());
}

#[test]
fn experiment_expiry_is_computed_from_start_time_box_and_renewals() {
    let renewed = experiment("r", Some("2026-10-01"))
        + "renewals:\n  - { duration: 2w, reason: more data }\n";
    let files = with(
        minimal(),
        &[
            ("experiments/a.yaml", &experiment("a", Some("2026-11-01"))),
            ("experiments/b.yaml", &experiment("b", Some("2026-11-10"))),
            ("experiments/c.yaml", &experiment("c", None)),
            ("experiments/r.yaml", &renewed),
        ],
    );
    let a = analyse(&files, "2026-11-20");
    let by_id = |id: &str| {
        a.evaluation
            .experiments
            .iter()
            .find(|e| e.id.as_str() == id)
            .unwrap()
            .clone()
    };
    let ea = by_id("a");
    assert_eq!(
        (ea.expires_on, ea.days_left, ea.expired, ea.lifecycle),
        (Some(date("2026-11-15")), Some(-5), true, Lifecycle::Expired)
    );
    let eb = by_id("b");
    assert_eq!(
        (eb.expires_on, eb.days_left, eb.lifecycle),
        (Some(date("2026-11-24")), Some(4), Lifecycle::Active)
    );
    let a2 = analyse(&files, "2026-11-21");
    assert_eq!(
        a2.evaluation
            .experiments
            .iter()
            .find(|e| e.id.as_str() == "b")
            .unwrap()
            .lifecycle,
        Lifecycle::EndingSoon
    );
    assert_eq!(by_id("c").lifecycle, Lifecycle::Requested);
    let er = by_id("r");
    assert_eq!((er.expires_on, er.renewals), (Some(date("2026-10-29")), 1));
    assert!(codes(&a).is_empty(), "{:?}", codes(&a));
}

#[test]
fn the_warning_window_comes_from_adoption_notices() {
    let adoption = minimal()[0].1.clone() + "notices: { expiry_warning_days: 7 }\n";
    let files = with(
        minimal(),
        &[
            ("adoption.yaml", &adoption),
            ("experiments/b.yaml", &experiment("b", Some("2026-11-10"))),
        ],
    );
    let a = analyse(&files, "2026-11-18");
    assert_eq!(a.evaluation.experiments[0].lifecycle, Lifecycle::EndingSoon);
}

#[test]
fn experiment_requirements_each_have_a_diagnostic_on_their_line() {
    let bad = "title: Bad\nteam: nosuchteam\nowner: dave\nhypothesis: h\nnext_step: n\ntime_box: 3w\ncost_cap: 0 USD\ncost_tag: exp-a\nblueprint: azure-openai\n";
    let files = with(
        minimal(),
        &[
            ("experiments/a.yaml", &experiment("a", None)),
            ("experiments/bad.yaml", bad),
        ],
    );
    let a = analyse(&files, "2026-11-20");
    let c = codes(&a);
    let f = "experiments/bad.yaml".to_string();
    for expected in [
        ("unknown-team", f.clone(), 2),
        ("non-standard-time-box", f.clone(), 6),
        ("no-cost-cap", f.clone(), 7),
        ("duplicate-cost-tag", f.clone(), 8),
        ("no-success-criteria", f.clone(), 1),
    ] {
        assert!(c.contains(&expected), "missing {expected:?} in {c:?}");
    }
    let bad_state = a
        .evaluation
        .experiments
        .iter()
        .find(|e| e.id.as_str() == "bad")
        .unwrap();
    assert!(!bad_state.valid);
}

#[test]
fn too_many_renewals_and_non_standard_renewals_fail() {
    let e = experiment("a", Some("2026-09-01"))
        + "renewals:\n  - { duration: 2w, reason: one }\n  - { duration: 4w, reason: two }\n  - { duration: 3w, reason: three }\n";
    let a = analyse(
        &with(minimal(), &[("experiments/a.yaml", &e)]),
        "2026-11-20",
    );
    let c = codes(&a);
    assert!(
        c.iter().any(|x| x.0 == "too-many-renewals" && x.2 == 17),
        "{c:?}"
    );
    assert!(
        c.iter()
            .any(|x| x.0 == "non-standard-time-box" && x.2 == 17),
        "{c:?}"
    );
}

#[test]
fn over_budget_is_flagged() {
    let e =
        experiment("a", Some("2026-11-10")) + "spend: { to_date: 1000 USD, as_of: 2026-11-19 }\n";
    let files = with(minimal(), &[("experiments/a.yaml", &e)]);
    let a = analyse(&files, "2026-11-20");
    assert!(a.evaluation.experiments[0].over_budget);
    let plan = plan_of(&files, "2026-11-20");
    assert!(
        plan.iter().any(|x| x.key() == "pr:adoptbot/decommission/a"),
        "{plan:?}"
    );
}

fn gate(a: &adoptbot::Analysis) -> Vec<(String, Status)> {
    a.evaluation
        .gate
        .as_ref()
        .unwrap()
        .deliverables
        .iter()
        .map(|d| (d.id.to_string(), d.status))
        .collect()
}

const USE_CASE: &str = "title: T\nteam: search\nvalidation: { technical: true, operational: true, economic: true, validated_on: 2026-10-01 }\nproduction_estimate: { compute: 2 x NC A100, storage: 1 TB, networking: private, monthly_cost: 9000 USD }\ncost_review: { reviewed_by: bob, reviewed_on: 2026-10-10 }\n";

#[test]
fn gate_four_to_five_passes_with_two_reviewed_use_cases() {
    let a = analyse(
        &with(
            minimal(),
            &[
                ("use-cases/one.yaml", USE_CASE),
                ("use-cases/two.yaml", USE_CASE),
            ],
        ),
        "2026-11-20",
    );
    assert_eq!(
        gate(&a),
        vec![
            ("validated-use-cases".into(), Status::Pass),
            ("costs-reviewed".into(), Status::Pass)
        ]
    );
    assert!(a.evaluation.gate.as_ref().unwrap().deliverables_met);
    let unreviewed = USE_CASE
        .lines()
        .filter(|l| !l.starts_with("cost_review"))
        .collect::<Vec<_>>()
        .join("\n");
    let a = analyse(
        &with(
            minimal(),
            &[
                ("use-cases/one.yaml", USE_CASE),
                ("use-cases/two.yaml", &unreviewed),
            ],
        ),
        "2026-11-20",
    );
    assert_eq!(
        gate(&a),
        vec![
            ("validated-use-cases".into(), Status::Pass),
            ("costs-reviewed".into(), Status::Fail)
        ]
    );
    let ev = &a.evaluation.gate.as_ref().unwrap().deliverables[1].evidence;
    assert!(
        ev.iter()
            .any(|e| e.file == "use-cases/two.yaml" && e.value == "no cost_review"),
        "{ev:?}"
    );
}

#[test]
fn an_unreadable_deliverable_is_unknown_not_failed() {
    let a = analyse(
        &with(
            minimal(),
            &[
                ("use-cases/one.yaml", USE_CASE),
                ("use-cases/two.yaml", "title: [broken"),
            ],
        ),
        "2026-11-20",
    );
    assert_eq!(
        gate(&a),
        vec![
            ("validated-use-cases".into(), Status::Unknown),
            ("costs-reviewed".into(), Status::Unknown)
        ]
    );
}

fn at_phase(phase: &str, roles: &str) -> Vec<(String, String)> {
    let adoption = format!("organisation: Test\nphase: {phase}\nroles:\n{roles}");
    with(minimal(), &[("adoption.yaml", &adoption)])
}

#[test]
fn gate_one_to_two_checks_scorecard_inventory_and_stakeholders() {
    let roles = "  infrastructure-lead: { users: [alice] }\n  security-lead: { users: [carol] }\nstakeholders:\n  - { name: Ann, represents: CFO office, aligned_on: 2026-01-10 }\n";
    let files = with(
        at_phase("1", roles),
        &[
            ("scorecards/2026-10-01.yaml", CARD),
            (
                "inventory/shadow-ai.yaml",
                "surveyed_on: 2026-10-15\nfindings: []\n",
            ),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    assert_eq!(
        gate(&a).iter().map(|g| g.1).collect::<Vec<_>>(),
        vec![Status::Pass; 3]
    );
    let a = analyse(&files, "2027-03-01");
    assert_eq!(
        gate(&a)[1],
        ("shadow-ai-inventory".into(), Status::Fail),
        "an inventory older than its threshold fails"
    );
}

#[test]
fn gate_two_to_three_checks_training_quotas_and_baseline() {
    let roles =
        "  infrastructure-lead: { users: [alice] }\n  management-sponsor: { users: [erin] }\n";
    let team = "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [dave]\nmonthly_budget: 10000 USD\ngpu_quota:\n  - { family: standardNCADSA100v4Family, region: westeurope, vcpus: 96, status: approved, approved_on: 2026-05-01 }\ntraining:\n  alice: { foundational: completed, operational: completed }\n  dave: { foundational: completed, operational: completed, advanced: in-progress }\n";
    let files = with(
        at_phase("enablement", roles),
        &[
            ("teams/search.yaml", team),
            ("policies/security-baseline.md", "# baseline\n"),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    assert_eq!(
        gate(&a),
        vec![
            ("training".into(), Status::Pass),
            ("gpu-quotas".into(), Status::Pass),
            ("security-baseline".into(), Status::Pass)
        ]
    );
    let t = &a.evaluation.training[0];
    assert_eq!((t.completed, t.total), (4, 5));
    let requested = team
        .replace("status: approved", "status: requested")
        .replace(
            "dave: { foundational: completed, operational: completed, advanced: in-progress }",
            "dave: { foundational: in-progress }",
        );
    let files = with(
        at_phase("enablement", roles),
        &[("teams/search.yaml", &requested)],
    );
    let a = analyse(&files, "2026-11-01");
    assert_eq!(
        gate(&a),
        vec![
            ("training".into(), Status::Fail),
            ("gpu-quotas".into(), Status::Fail),
            ("security-baseline".into(), Status::Fail)
        ]
    );
}

#[test]
fn gate_three_to_four_checks_ci_and_monitoring() {
    let roles = "  platform-team-lead: { users: [alice] }\nplatform:\n  ci_workflows: [.github/workflows/deploy.yml]\n  monitoring: { log_analytics_workspace: /subscriptions/x/law, alert_action_group: /subscriptions/x/ag, alert_rules: [gpu-idle] }\n";
    let files = with(
        at_phase("3", roles),
        &[(".github/workflows/deploy.yml", "on: push\n")],
    );
    let a = analyse(&files, "2026-11-01");
    assert_eq!(
        gate(&a),
        vec![
            ("iac-templates".into(), Status::Pass),
            ("ci-cd".into(), Status::Pass),
            ("monitoring".into(), Status::Pass)
        ]
    );
    let a = analyse(&at_phase("3", roles), "2026-11-01");
    assert_eq!(gate(&a)[1], ("ci-cd".into(), Status::Fail));
}

#[test]
fn gate_five_to_six_checks_slos_runbooks_and_audit() {
    let roles = "  infrastructure-lead: { users: [alice] }\n  compliance: { users: [frank] }\ncompliance_audits:\n  - { date: 2026-09-01, auditor: Fabrikam, result: passed, findings: 0 }\n";
    let mut files = at_phase("scale-and-governance", roles);
    files.push(("slos/chat.yaml".into(), "endpoint: chat\nteam: search\nobjectives: { availability_percent: 99.9, latency_p99_ms: 800 }\nmet_since: 2026-09-15\n".into()));
    files.push(("runbooks/all.md".into(), "---\ntitle: All\nowner: alice\ncovers: [scaling, model-rotation, gpu-failure, rate-limiting, cost-overrun]\nlast_tested: 2026-10-20\n---\n# Steps\n".into()));
    let a = analyse(&files, "2026-11-01");
    assert_eq!(
        gate(&a),
        vec![
            ("slos-met".into(), Status::Pass),
            ("runbooks-tested".into(), Status::Pass),
            ("compliance-audit".into(), Status::Pass)
        ]
    );
    let a = analyse(&files, "2026-09-30");
    assert_eq!(
        gate(&a)[0],
        ("slos-met".into(), Status::Fail),
        "15 days is not 30"
    );
}

#[test]
fn the_last_phase_has_no_gate() {
    let a = analyse(
        &at_phase("6", "  infrastructure-lead: { users: [alice] }\n"),
        "2026-11-01",
    );
    assert!(a.evaluation.gate.is_none());
}

#[test]
fn roles_must_be_known_and_the_current_gate_roles_held() {
    let a = analyse(
        &at_phase(
            "4",
            "  infrastructure-lead: { users: [alice] }\n  security-laed: { users: [carol] }\n",
        ),
        "2026-11-01",
    );
    let c = codes(&a);
    assert!(c.iter().any(|x| x.0 == "unknown-role" && x.2 == 5), "{c:?}");
    assert!(
        c.iter().filter(|x| x.0 == "role-unassigned").count() == 2,
        "business-sponsor and security-lead: {c:?}"
    );
}

#[test]
fn a_bad_schedule_is_reported_at_its_line() {
    let adoption = minimal()[0].1.clone() + "schedule: \"every monday\"\n";
    let a = analyse(
        &with(minimal(), &[("adoption.yaml", &adoption)]),
        "2026-11-01",
    );
    assert!(
        codes(&a).contains(&("bad-schedule", "adoption.yaml".into(), 7)),
        "{:?}",
        codes(&a)
    );
}

#[test]
fn stale_radar_and_scorecards_older_than_a_quarter() {
    let radar = |d: &str| {
        format!(
            "name: X\nquadrant: tools\nring: trial\nowner: alice\nlast_reviewed: {d}\nrationale: r\n"
        )
    };
    let files = with(
        minimal(),
        &[
            ("radar/old.yaml", &radar("2026-08-26")),
            ("radar/fresh.yaml", &radar("2026-08-27")),
            (
                "scorecards/2026-05-01.yaml",
                &CARD.replace("2026-10-01", "2026-05-01"),
            ),
        ],
    );
    let a = analyse(&files, "2026-11-27");
    let stale: Vec<_> = a
        .evaluation
        .stale
        .iter()
        .map(|s| (s.path.as_str(), s.line))
        .collect();
    assert_eq!(
        stale,
        vec![("radar/old.yaml", 5), ("scorecards/2026-05-01.yaml", 1)]
    );
    assert!(!a.evaluation.inventory.present);
}

#[test]
fn overrides_change_thresholds_only() {
    let overrides = "policies:\n  max_renewals: 0\ngates:\n  4-5:\n    validated-use-cases:\n      use-cases-validated: { min: 3 }\n";
    let files = with(
        minimal(),
        &[
            ("phases/overrides.yaml", overrides),
            ("use-cases/one.yaml", USE_CASE),
            ("use-cases/two.yaml", USE_CASE),
        ],
    );
    let a = analyse(&files, "2026-11-20");
    assert_eq!(a.framework.policies.max_renewals, 0);
    assert_eq!(gate(&a)[0], ("validated-use-cases".into(), Status::Fail));

    let swap =
        "gates:\n  4-5:\n    validated-use-cases: costs-reviewed\n  9-10:\n    x: costs-reviewed\n";
    let a = analyse(
        &with(minimal(), &[("phases/overrides.yaml", swap)]),
        "2026-11-20",
    );
    let c = codes(&a);
    assert!(
        c.iter()
            .any(|x| x.0 == "override-changes-check" && x.2 == 3),
        "{c:?}"
    );
    assert!(c.iter().any(|x| x.0 == "unknown-gate"), "{c:?}");
    assert_eq!(
        gate(&a)[0],
        ("validated-use-cases".into(), Status::Fail),
        "the built-in check stays"
    );
}

#[test]
fn every_problem_is_a_diagnostic() {
    let mut files = minimal();
    for i in 0..25 {
        files.push((
            format!("experiments/typo-{i}.yaml"),
            format!("title: T\ncolour{i}: blue\n"),
        ));
        files.push((format!("radar/bad-{i}.yaml"), "name: X\nquadrant: tools\nring: soon\nowner: a\nlast_reviewed: 2026-01-01\nrationale: r\n".into()));
    }
    let a = analyse(&files, "2026-11-20");
    let errors: Vec<_> = a
        .evaluation
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .collect();
    // Each experiment has two problems, an unknown field and its missing fields, both
    // reported in the same run; each radar entry has one.
    assert_eq!(errors.len(), 75, "{errors:#?}");
    assert!(errors.iter().all(|d| d.place.line > 0));
}

fn insecure_blueprint_files() -> Vec<(String, String)> {
    let root = common::root().join("tests/render_fixtures");
    [
        "blueprints/insecure-vm/blueprint.yaml",
        "blueprints/insecure-vm/terraform/main.tf.tera",
        "blueprints/insecure-vm/bicep/main.bicep.tera",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            std::fs::read_to_string(root.join(p)).unwrap(),
        )
    })
    .collect()
}

#[test]
fn an_insecure_organisation_blueprint_fails_the_template_gate() {
    let roles = "  platform-team-lead: { users: [alice] }\n";
    let mut files = at_phase("3", roles);
    files.extend(insecure_blueprint_files());
    let a = analyse(&files, "2026-11-01");
    assert_eq!(gate(&a)[0], ("iac-templates".into(), Status::Fail));
    assert!(
        a.evaluation
            .diagnostics
            .iter()
            .any(|d| d.is_error() && d.place.file.starts_with("blueprints/insecure-vm/")),
        "{:#?}",
        a.evaluation.diagnostics
    );
}

fn request(id: &str, blueprint: &str, params: &str, cap: &str) -> String {
    experiment(id, None)
        .replace(
            "blueprint: azure-openai\n",
            &format!("blueprint: {blueprint}\nparameters:\n{params}"),
        )
        .replace("cost_cap: 1000 USD", &format!("cost_cap: {cap}"))
}

const GPU_PARAMS: &str = "  location: westeurope\n  vm_sku: Standard_NC24ads_A100_v4\n  instance_count: 1\n  ssh_public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE1pXHhZ5m7b2YtW8k3yQ0vUqGm5r9cJ1dLxq2sT3uVw dave@contoso\n";

fn team_with_quota(vcpus: u32, status: &str) -> String {
    format!(
        "name: Search\ngithub_team: test/search\nleads: [alice]\nmembers: [dave]\nmonthly_budget: 10000 USD\ngpu_quota:\n  - {{ family: standardNCADSA100v4Family, region: westeurope, vcpus: {vcpus}, status: {status}, approved_on: 2026-05-01 }}\n"
    )
}

#[test]
fn a_request_is_checked_against_its_blueprint_price_and_quota() {
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "approved")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "5000 USD"),
            ),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    assert!(codes(&a).is_empty(), "{:?}", codes(&a));
    let e = &a.evaluation.experiments[0];
    let est = e.estimate.expect("an estimate");
    assert!(est.cents > 0 && est.cents < 500_000, "{est}");
    assert_eq!(
        e.gpu.as_ref().map(|g| (g.family.as_str(), g.vcpus)),
        Some(("standardNCADSA100v4Family", 24))
    );

    // Over the cap.
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "approved")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "100 USD"),
            ),
        ],
    );
    assert!(
        codes(&analyse(&files, "2026-11-01"))
            .iter()
            .any(|c| c.0 == "estimate-over-cap" && c.2 == 9)
    );

    // No approved quota, then not enough left for a second request.
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "rejected")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "5000 USD"),
            ),
        ],
    );
    assert!(
        codes(&analyse(&files, "2026-11-01"))
            .iter()
            .any(|c| c.0 == "no-quota-headroom")
    );
    let two = GPU_PARAMS.replace("instance_count: 1", "instance_count: 2");
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "approved")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "9000 USD"),
            ),
            (
                "experiments/b.yaml",
                &request("b", "gpu-training-cluster", &two, "9000 USD")
                    .replace("cost_tag: exp-b", "cost_tag: exp-bb"),
            ),
        ],
    );
    let c = codes(&analyse(&files, "2026-11-01"));
    assert_eq!(
        c.iter().filter(|c| c.0 == "no-quota-headroom").count(),
        1,
        "only the second request in line is short: {c:?}"
    );
}

#[test]
fn unknown_blueprints_and_bad_parameters_point_at_their_lines() {
    let files = with(
        minimal(),
        &[(
            "experiments/a.yaml",
            &request("a", "quantum-annealer", "  x: 1\n", "5000 USD"),
        )],
    );
    assert!(codes(&analyse(&files, "2026-11-01")).contains(&(
        "unknown-blueprint",
        "experiments/a.yaml".into(),
        11
    )));
    let bad = GPU_PARAMS.replace(
        "vm_sku: Standard_NC24ads_A100_v4",
        "vm_sku: Standard_D2s_v5",
    );
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "approved")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", &bad, "5000 USD"),
            ),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    let d = a
        .evaluation
        .diagnostics
        .iter()
        .find(|d| d.is_error() && d.place.file == "experiments/a.yaml")
        .expect("a parameter error");
    assert_eq!(d.place.line, 14, "{d}");
    assert!(
        d.hint.contains("Standard_NC24ads_A100_v4")
            || d.message.contains("Standard_NC24ads_A100_v4"),
        "the allowed values are named: {d}"
    );
}

#[test]
fn a_request_waiting_for_quota_is_a_warning_and_is_not_provisioned() {
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(48, "requested")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "5000 USD"),
            ),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    let d: Vec<_> = a
        .evaluation
        .diagnostics
        .iter()
        .filter(|d| d.place.file == "experiments/a.yaml")
        .map(|d| (d.code.as_str(), d.severity))
        .collect();
    assert_eq!(d, vec![("quota-pending", Severity::Warning)]);
    assert!(a.evaluation.experiments[0].waiting_for_quota);
    assert!(
        !plan_of(&files, "2026-11-01")
            .iter()
            .any(|x| x.key() == "pr:adoptbot/provision/a")
    );
}

#[test]
fn quota_families_and_regions_match_ignoring_case() {
    let team = team_with_quota(48, "approved").replace(
        "standardNCADSA100v4Family, region: westeurope",
        "StandardNCADSA100V4Family, region: WestEurope",
    );
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "5000 USD"),
            ),
        ],
    );
    assert!(codes(&analyse(&files, "2026-11-01")).is_empty());
}

#[test]
fn an_estimate_above_the_team_budget_left_is_a_warning() {
    let files = with(
        minimal(),
        &[
            ("teams/search.yaml", &team_with_quota(96, "approved")),
            (
                "experiments/a.yaml",
                &request("a", "gpu-training-cluster", GPU_PARAMS, "9500 USD")
                    .replace("status: active\n", "")
                    .replace("title:", "started_on: 2026-10-25\nstatus: active\ntitle:"),
            ),
            (
                "experiments/b.yaml",
                &request("b", "gpu-training-cluster", GPU_PARAMS, "5000 USD"),
            ),
        ],
    );
    let a = analyse(&files, "2026-11-01");
    let b = a
        .evaluation
        .experiments
        .iter()
        .find(|e| e.id.as_str() == "b")
        .unwrap();
    assert_eq!(
        b.team_budget_left.map(|m| m.to_string()),
        Some("500 USD".to_string())
    );
    let w: Vec<_> = a
        .evaluation
        .diagnostics
        .iter()
        .filter(|d| d.code == "over-team-budget")
        .map(|d| (d.place.file.as_str(), d.severity))
        .collect();
    assert_eq!(w, vec![("experiments/b.yaml", Severity::Warning)]);
}

fn rollback(a: &adoptbot::Analysis) -> Vec<(String, RollbackStatus)> {
    a.evaluation
        .rollback
        .as_ref()
        .expect("rollback criteria")
        .criteria
        .iter()
        .map(|c| (c.id.to_string(), c.status))
        .collect()
}

#[test]
fn contoso_rollback_criteria_on_the_reference_day() {
    let snap = adoptbot::load::dir::read_dir(&common::contoso()).unwrap();
    let a = adoptbot::analyse(&snap, common::contoso_today()).unwrap();
    let r = a.evaluation.rollback.as_ref().unwrap();
    assert_eq!(
        (r.gate.as_str(), r.phase, r.to, r.entered_on),
        (
            "3-4",
            Phase::Experimentation,
            Phase::InfrastructurePreparation,
            None
        )
    );
    assert_eq!(
        rollback(&a),
        vec![
            ("templates-fail".into(), RollbackStatus::Clear),
            ("monitoring-gaps".into(), RollbackStatus::NeedsCloud),
        ]
    );
    assert!(!r.triggered);
    assert!(r.criteria.iter().all(|c| c.cloud.is_some()));
    let plan = adoptbot::plan::offline(
        &snap,
        &a,
        adoptbot::model::Clock::at(common::contoso_today()),
    );
    assert!(
        !plan.iter().any(|x| x.key() == "recommendation:rollback"),
        "{plan:?}"
    );
}

/// Phase 5, entered through gate 4-5, with a use case in production at `actual` a month
/// against an estimate of 9000 USD.
fn in_production(actual: &str, overrides: Option<&str>) -> Vec<(String, String)> {
    let adoption = "organisation: Test\nphase: scale-and-governance\nphase_entered_on: 2026-10-01\nroles:\n  infrastructure-lead: { users: [alice] }\n  compliance: { users: [frank] }\n  business-sponsor: { users: [bob] }\n  security-lead: { users: [carol] }\n";
    let uc = format!("{USE_CASE}actual_monthly_cost: {actual}\n");
    let mut files = with(
        minimal(),
        &[("adoption.yaml", adoption), ("use-cases/chat.yaml", &uc)],
    );
    if let Some(o) = overrides {
        files.push(("phases/overrides.yaml".into(), o.into()));
    }
    files
}

#[test]
fn a_cost_overrun_is_a_rollback_the_plan_recommends_without_opening_a_pr() {
    let a = analyse(&in_production("14000 USD", None), "2026-11-20");
    assert_eq!(
        rollback(&a),
        vec![("cost-overrun".into(), RollbackStatus::Triggered)]
    );
    let plan = plan_of(&in_production("14000 USD", None), "2026-11-20");
    let rec: Vec<_> = plan
        .iter()
        .filter_map(|x| match x {
            adoptbot::plan::Action::Recommendation {
                topic,
                title,
                reason,
            } => Some((topic.as_str(), title.as_str(), reason.as_str())),
            _ => None,
        })
        .collect();
    assert_eq!(rec.len(), 1, "{plan:?}");
    assert_eq!(rec[0].0, "rollback");
    assert_eq!(rec[0].1, "Roll back to phase 4 (Experimentation)");
    assert!(
        rec[0].2.contains("`phase: experimentation`"),
        "{}",
        rec[0].2
    );
    assert!(
        rec[0].2.contains("`Rollback reason: Use cases exceed cost projections by more than 50% (use-cases/chat.yaml:6: T: 14000 USD/month actual, 9000 USD/month estimated (1.56x))`"),
        "{}",
        rec[0].2
    );
    assert!(
        !plan
            .iter()
            .any(|x| matches!(x, adoptbot::plan::Action::PullRequest { .. })),
        "a rollback is for people to request: {plan:?}"
    );
    let summary = adoptbot::plan::summary(&a.evaluation);
    assert!(
        summary.contains("gate 4-5 rollback criteria triggered: cost-overrun"),
        "{summary}"
    );

    let text = adoptbot::report::text::plan(&a.evaluation, &plan);
    for needle in [
        "Rollback criteria of gate 4-5, entered 2026-10-01, back to phase 4 if triggered: 1 triggered, 0 clear, 0 unknown, 0 needs cloud\n",
        "  TRIGGERED  cost-overrun  Use cases exceed cost projections by more than 50%\n",
        "                           use-cases/chat.yaml:6: T: 14000 USD/month actual, 9000 USD/month estimated (1.56x) (needs <= 1.5x the estimate)\n",
        "  recommended  rollback  Roll back to phase 4 (Experimentation): ",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }

    let a = analyse(&in_production("13000 USD", None), "2026-11-20");
    assert_eq!(
        rollback(&a),
        vec![("cost-overrun".into(), RollbackStatus::Clear)]
    );
}

#[test]
fn an_override_changes_a_rollback_threshold() {
    let stricter =
        "rollback:\n  4-5:\n    cost-overrun:\n      use-case-cost-overrun: { max_ratio: 1.3 }\n";
    let a = analyse(&in_production("13000 USD", Some(stricter)), "2026-11-20");
    assert!(codes(&a).is_empty(), "{:?}", codes(&a));
    assert_eq!(
        rollback(&a),
        vec![("cost-overrun".into(), RollbackStatus::Triggered)]
    );
    let c = &a.evaluation.rollback.as_ref().unwrap().criteria[0];
    assert_eq!(
        c.evidence[0].threshold.as_deref(),
        Some("<= 1.3x the estimate")
    );
}

#[test]
fn a_phase_entered_in_the_future_is_a_warning_at_its_line() {
    let a = analyse(&in_production("100 USD", None), "2026-09-01");
    let d: Vec<_> = a
        .evaluation
        .diagnostics
        .iter()
        .filter(|d| d.code == "date-in-future")
        .map(|d| (d.place.file.as_str(), d.place.line, d.is_error()))
        .collect();
    assert_eq!(d, vec![("adoption.yaml", 3, false)]);
}

#[test]
fn a_schedule_field_out_of_range_is_named_with_what_it_allows() {
    use adoptbot::evaluate::references::parse_schedule;
    let e = parse_schedule("0 6 * * 8").unwrap_err();
    assert_eq!(e, "the day-of-week field `8` has 8, outside 0-7 or SUN-SAT");
    let e = parse_schedule("61 6 * * 1-5").unwrap_err();
    assert!(e.starts_with("the minute field `61`"), "{e}");
    let e = parse_schedule("0 6 */0 * *").unwrap_err();
    assert!(
        e.contains("the day-of-month field `*/0` has the step `/0`"),
        "{e}"
    );
    let e = parse_schedule("0 6 * 13 *").unwrap_err();
    assert!(e.contains("month field `13` has 13, outside 1-12"), "{e}");
    assert!(parse_schedule("0 6 * * MON-FRI").is_ok());
    assert!(parse_schedule("*/15 6-18 1,15 * *").is_ok());
    // The message a person sees names the field, not the parser's internals.
    let adoption = minimal()[0].1.clone() + "schedule: \"0 6 * * 8\"\n";
    let a = analyse(
        &with(minimal(), &[("adoption.yaml", &adoption)]),
        "2026-11-01",
    );
    let d = a
        .evaluation
        .diagnostics
        .iter()
        .find(|d| d.code == "bad-schedule")
        .expect("a bad schedule");
    assert!(d.message.contains("day-of-week field `8`"), "{}", d.message);
    assert!(!d.message.contains("0 0 6"), "{}", d.message);
}

#[test]
fn a_missing_role_names_its_gate_and_points_at_roles() {
    // Phase 4; `management-sponsor` approves gate 2-3, behind it.
    let a = analyse(&minimal(), "2026-11-01");
    let d = a
        .evaluation
        .diagnostics
        .iter()
        .find(|d| d.code == "role-unassigned" && d.message.contains("management-sponsor"))
        .expect("a warning about management-sponsor");
    assert!(
        d.message
            .contains("approves gate 2-3 (behind, for a rollback through it)"),
        "{}",
        d.message
    );
    assert_eq!(
        (d.place.file.as_str(), d.place.line),
        ("adoption.yaml", 3),
        "the `roles:` line, not the file's start"
    );
}
