//! A long-lived process, as `adoptbot serve` runs: one memory per repository kept across its
//! events (snapshots by commit, parsed documents, the bot's account, team members for a few
//! minutes), on the GitHub simulator. Every pull-request event costs at most six reads, and a
//! replay writes nothing; the memory is right: a new commit is read again, a changed file is
//! parsed again and an unchanged one is not, and a membership change counts once the
//! members expire.

use crate::support::gates::{self, AUTHOR};
use crate::support::github::Sim;
use crate::support::world::{Calls, World};
use crate::support::{REQUEST, REQUEST_FILE, changes};
use adoptbot::forge::ReviewState;
use adoptbot::runners::handlers::memory::TEAM_TTL;

/// The most reads any pull-request event may cost once the process is warm.
const READS: u32 = 6;

/// The calls of each delivery, named, for the table.
struct Table {
    rows: Vec<(String, Calls, bool)>,
}

impl Table {
    /// Records the last delivery's calls; `pr` when it is a pull-request event.
    fn row(&mut self, w: &Sim, what: &str, pr: bool) {
        self.rows.push((what.to_string(), w.last_calls(), pr));
    }

    fn print(&self) -> String {
        let mut out = String::from("| event | reads | writes | replay reads | replay writes |\n");
        for (what, (first, again), _) in &self.rows {
            out.push_str(&format!(
                "| {what} | {} | {} | {} | {} |\n",
                first.reads, first.writes, again.reads, again.writes
            ));
        }
        out
    }
}

/// Gate `gate` on contoso: `main` put in the gate's "from" phase (pushed and delivered), then
/// the request opened from `gate/<gate>` by [`AUTHOR`] and delivered. Returns its number.
async fn open_gate(w: &Sim, t: &mut Table, gate: &str) -> u64 {
    let fx = gates::gate(gate);
    if !fx.base.is_empty() {
        w.sim.repo(|r| {
            r.commit(
                "main",
                &format!("Contoso is in phase {}", fx.from),
                "platform@contoso.com",
                &changes(&fx.base),
            )
        });
    }
    w.deliver_main().await;
    t.row(w, "push to `main` (the gate's base)", false);
    let branch = format!("gate/{gate}");
    let n = w.sim.repo(|r| {
        let base = r.head("main");
        r.branches.insert(branch.clone(), base);
        r.commit(
            &branch,
            "Move the adoption to the next phase",
            "elena-rossi@contoso.com",
            &changes(&fx.head),
        );
        r.open_pull(&branch, "main", "Gate request", "", AUTHOR)
    });
    w.deliver_pull(n, "opened").await;
    t.row(w, &format!("gate {gate} request opened"), true);
    n
}

/// Every role of `gate` approves #`n`, then it is merged.
async fn approve_and_merge(w: &Sim, t: &mut Table, gate: &str, n: u64) {
    for role in gates::gate(gate).roles {
        w.review(n, gates::holder(role), ReviewState::Approved)
            .await;
        t.row(w, &format!("gate {gate} approved by the {role}"), true);
    }
    w.merge(n, "akira-kimura").await;
    t.row(
        w,
        &format!("gate {gate} request merged (its audit record)"),
        true,
    );
}

#[tokio::test]
async fn in_a_long_lived_process_a_pull_request_event_costs_at_most_six_reads() {
    let w = Sim::contoso().await.long_lived();
    w.grant_command_roles();
    let mut t = Table { rows: Vec::new() };

    // The process's first event reads everything (the cold cost).
    w.deliver_main().await;
    t.row(
        &w,
        "push to `main`, the first event of the process (cold)",
        false,
    );

    let (n, _) = w.open_request("fraud-distill", REQUEST).await;
    t.row(&w, "request PR opened", true);
    let v2 = REQUEST.replace("Fraud rules distillation", "Fraud rules distillation v2");
    w.push(n, "ivan-novak", &[(REQUEST_FILE, Some(&v2))]).await;
    t.row(&w, "a fix pushed to the request PR", true);
    w.comment(n, "rahul-mehta", "/adoptbot recheck").await;
    t.row(&w, "`/adoptbot recheck` on the request PR", true);
    w.comment(n, "mallory", "/adoptbot recheck").await;
    t.row(&w, "a command from someone without write access", true);
    w.merge(n, "akira-kimura").await;
    t.row(&w, "request PR merged (provisioning PR opened)", true);

    let g = open_gate(&w, &mut t, "4-5").await;
    w.comment(g, "rahul-mehta", "/adoptbot recheck").await;
    t.row(&w, "`/adoptbot recheck` on the gate request", true);
    approve_and_merge(&w, &mut t, "4-5", g).await;
    // The next gate: its record goes on the audit branch the first one started.
    let g = open_gate(&w, &mut t, "5-6").await;
    approve_and_merge(&w, &mut t, "5-6", g).await;

    let table = t.print();
    eprintln!("calls per event in a long-lived process:\n{table}");
    for (what, (first, again), pr) in &t.rows {
        assert_eq!(again.writes, 0, "a replay writes nothing: {what}\n{table}");
        // The first gate record of a repository reads the merge commit's tree to start the
        // audit branch; the merged pull request's commits were kept from its last event.
        let most = READS;
        if *pr {
            assert!(
                first.reads <= most && again.reads <= most,
                "{what}: at most {most} reads\n{table}"
            );
        }
    }
    // The gates judged with what was read once: the base and head snapshots and their
    // analyses came from the memory, and each role team was read once (the first review by
    // someone its role does not name), then kept.
    let stats = w.memory_stats();
    assert!(
        stats.snapshots_kept > 0 && stats.analyses_kept > 0,
        "{stats:?}"
    );
    assert!(stats.teams_read <= 2 && stats.teams_kept > 0, "{stats:?}");
    assert_eq!(
        w.audit_records().iter().filter(|r| r.passed).count(),
        2,
        "both gates passed and were recorded"
    );
    w.finish();
}

#[tokio::test]
async fn the_memory_reads_a_new_head_again_and_parses_only_the_files_that_changed() {
    let w = Sim::contoso().await.long_lived();
    let (n, _) = w.open_request("fraud-distill", REQUEST).await;
    let first = w.memory_stats();
    assert_eq!(first.snapshots_read, 1, "{first:?}");
    assert!(
        first.files_parsed > 10,
        "the whole repository parsed once: {first:?}"
    );

    // The replay: no tarball, no parse, no analysis.
    let replay = w.last_calls().1;
    let after_replay = w.memory_stats();
    assert_eq!(after_replay.snapshots_read, 1, "{after_replay:?}");
    assert_eq!(
        after_replay.files_parsed, first.files_parsed,
        "{after_replay:?}"
    );
    assert_eq!(after_replay.analyses_built, first.analyses_built);
    assert!(replay.reads < w.calls()[0].0.reads, "{:?}", w.calls());

    // A new head: read again, and only the one changed file parsed again.
    let v2 = REQUEST.replace("cost_cap: 1500 USD", "cost_cap: 1400 USD");
    w.push(n, "ivan-novak", &[(REQUEST_FILE, Some(&v2))]).await;
    let pushed = w.memory_stats();
    assert_eq!(
        pushed.snapshots_read, 2,
        "the new head's tarball: {pushed:?}"
    );
    assert_eq!(
        pushed.files_parsed - after_replay.files_parsed,
        1,
        "only the changed request parsed: {pushed:?}"
    );
    assert!(pushed.files_kept > first.files_parsed - 2, "{pushed:?}");
    // What the changed file says is what the bot judged: the comment names the new cap.
    let body = w.bot_comment(n, "experiment/fraud-distill").await;
    assert!(body.contains("1400"), "{body}");
    assert!(!body.contains("1500 USD"), "{body}");
    w.finish();
}

#[tokio::test]
async fn a_cached_analysis_equals_a_fresh_one() {
    // The same events on two worlds, one keeping its memory, one starting empty every time:
    // the same writes, comment for comment.
    let warm = Sim::contoso().await.long_lived();
    let cold = Sim::contoso().await;
    for w in [&warm, &cold] {
        let (n, _) = w.open_request("fraud-distill", REQUEST).await;
        let v2 = REQUEST.replace("time_box: 2w", "time_box: 4w");
        w.push(n, "ivan-novak", &[(REQUEST_FILE, Some(&v2))]).await;
    }
    let bodies = |w: &Sim| {
        w.sim.repo(|r| {
            r.comments
                .iter()
                .map(|c| c.body.clone())
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(bodies(&warm), bodies(&cold));
    let checks = |w: &Sim| {
        w.sim.repo(|r| {
            r.check_runs
                .iter()
                .map(|c| (c.name.clone(), c.conclusion.clone(), c.title.clone()))
                .collect::<Vec<_>>()
        })
    };
    assert_eq!(checks(&warm), checks(&cold));
    warm.finish();
    cold.finish();
}

#[tokio::test]
async fn a_membership_change_counts_once_the_members_expire() {
    // Gate 4-5 needs the security-lead role, which the team `security-architecture` holds
    // besides priya-raman. lena-fischer, a member, approves; then she leaves the team.
    let w = Sim::contoso().await.long_lived();
    let mut t = Table { rows: Vec::new() };
    let g = open_gate(&w, &mut t, "4-5").await;
    assert_eq!(
        w.memory_stats().teams_read,
        0,
        "no review from someone the roles do not name: the team is not needed"
    );
    for role in ["infrastructure-lead", "business-sponsor"] {
        w.review(g, gates::holder(role), ReviewState::Approved)
            .await;
    }
    w.review(g, "lena-fischer", ReviewState::Approved).await;
    assert_eq!(
        w.gate_check(g, "main").await.0,
        Some(adoptbot::forge::Conclusion::Success)
    );
    let read = w.memory_stats().teams_read;
    assert_eq!(
        read, 1,
        "her review needs the team, read once for the delivery and its replay"
    );

    // She leaves the team. Within the time the members are kept, the server still counts her
    // (what docs/deploy.md says); once they expire, it does not.
    w.set_team("contoso", "security-architecture", &["priya-raman"]);
    w.wait(TEAM_TTL - 60);
    w.deliver_pull(g, "edited").await;
    assert_eq!(
        w.gate_check(g, "main").await.0,
        Some(adoptbot::forge::Conclusion::Success)
    );
    w.wait(120);
    w.deliver_pull(g, "edited").await;
    assert!(
        w.memory_stats().teams_read > read,
        "read again after the TTL"
    );
    let (conclusion, title) = w.gate_check(g, "main").await;
    assert_eq!(
        conclusion,
        Some(adoptbot::forge::Conclusion::Failure),
        "{title}"
    );
    assert!(title.contains("security-lead"), "{title}");
    w.finish();
}
