//! Loading on every core gives exactly what one thread gives, and the document cache of a
//! long-lived process gives exactly what a fresh load gives, whatever changed in between.

mod common;

use adoptbot::load::{Cache, Snapshot, load};
use std::collections::BTreeMap;

/// The contoso example, every file of the broken corpus at its path, and 300 generated
/// requests of which every third is broken in a different way: many files, many diagnostics.
fn files() -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    collect(&common::contoso(), "", &mut files);
    let corpus = common::root().join("tests/corpus/broken");
    let mut entries: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let bytes = std::fs::read(&p).unwrap();
        let header = String::from_utf8_lossy(&bytes)
            .lines()
            .next()
            .unwrap()
            .to_owned();
        let path = header
            .strip_prefix("# path: ")
            .and_then(|r| r.split_once(" expect: "))
            .map(|(p, _)| p.to_owned())
            .unwrap();
        // Several corpus files share a path; give each its own so that all are read.
        let (dir, file) = path.rsplit_once('/').unwrap_or(("", &path));
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        let unique = match file.rsplit_once('.') {
            Some((_, ext)) if !dir.is_empty() && dir != "phases" && dir != "inventory" => {
                format!("{dir}/{stem}.{ext}")
            }
            _ => path.clone(),
        };
        files.insert(unique, bytes);
    }
    for i in 0..300 {
        let mut text = common::experiment(&format!("gen-{i}"), Some("2026-11-01"));
        match i % 9 {
            0 => text.push_str("colour: red\n"),
            3 => text = text.replace("time_box: 2w", "time_box: 3w"),
            6 => text = text.replace("team: search", "team: nobody"),
            _ => {}
        }
        files.insert(format!("experiments/gen-{i}.yaml"), text.into_bytes());
    }
    files
}

fn collect(dir: &std::path::Path, prefix: &str, out: &mut BTreeMap<String, Vec<u8>>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        if e.file_type().unwrap().is_dir() {
            collect(&e.path(), &rel, out);
        } else {
            out.insert(rel, std::fs::read(e.path()).unwrap());
        }
    }
}

fn snap(files: &BTreeMap<String, Vec<u8>>) -> Snapshot {
    let list: Vec<(&str, &[u8])> = files
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    common::snapshot(&list)
}

fn on_threads<T: Send>(n: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(n)
        .build()
        .unwrap()
        .install(f)
}

/// Everything a load gives, documents and diagnostics, as text to compare.
fn shown(loaded: &adoptbot::load::Loaded) -> String {
    format!("{loaded:#?}")
}

#[test]
fn loading_on_many_threads_equals_loading_on_one() {
    let snapshot = snap(&files());
    let one = on_threads(1, || load(&snapshot));
    assert!(
        one.diagnostics.len() > 50 && one.repo.experiments.len() > 250,
        "the repository exercises many files and diagnostics: {} diagnostics, {} experiments",
        one.diagnostics.len(),
        one.repo.experiments.len()
    );
    assert!(!one.repo.broken.is_empty());
    for threads in [2, 3, 8] {
        let many = on_threads(threads, || load(&snapshot));
        assert_eq!(shown(&one), shown(&many), "{threads} threads");
    }
}

#[test]
fn validate_output_on_many_threads_equals_one_thread() {
    let snapshot = snap(&files());
    let today = common::contoso_today();
    let text = |threads| {
        on_threads(threads, || {
            let a = adoptbot::analyse(&snapshot, today).unwrap();
            (
                adoptbot::report::text::diagnostics(&a.evaluation.diagnostics),
                adoptbot::report::json::validate(&a.evaluation.diagnostics),
            )
        })
    };
    let one = text(1);
    assert!(one.0.contains("error["), "{}", one.0);
    assert_eq!(one, text(2));
    assert_eq!(one, text(8));
}

#[test]
fn the_cache_gives_what_a_fresh_load_gives_after_every_change() {
    let mut files = files();
    let mut cache = Cache::new();
    let check = |cache: &mut Cache, files: &BTreeMap<String, Vec<u8>>| {
        let snapshot = snap(files);
        let fresh = load(&snapshot);
        let cached = shown(cache.load(&snapshot));
        assert_eq!(shown(&fresh), cached);
        (cache.last_refresh(), snapshot.contents.len())
    };
    let (first, read) = check(&mut cache, &files);
    assert_eq!((first.parsed, first.kept, first.removed), (read, 0, 0));

    // Nothing changed: nothing parsed.
    let (again, read) = check(&mut cache, &files);
    assert_eq!((again.parsed, again.kept, again.removed), (0, read, 0));

    // One request edited, one broken, one fixed, one added, one removed.
    files.insert(
        "experiments/gen-1.yaml".into(),
        common::experiment("gen-1", Some("2026-11-20")).into_bytes(),
    );
    files.insert(
        "experiments/gen-2.yaml".into(),
        b"title: [unclosed\n".to_vec(),
    );
    files.insert(
        "experiments/gen-0.yaml".into(),
        common::experiment("gen-0", None).into_bytes(),
    );
    files.insert(
        "experiments/gen-new.yaml".into(),
        common::experiment("gen-new", None).into_bytes(),
    );
    files.remove("experiments/gen-4.yaml");
    let (changed, _) = check(&mut cache, &files);
    assert_eq!((changed.parsed, changed.removed), (4, 1));

    // Documents that are not keyed by id: the adoption file, a scorecard, a runbook, an
    // organisation's blueprint file, and the adoption file removed altogether.
    let runbook = files
        .keys()
        .find(|p| p.starts_with("runbooks/"))
        .unwrap()
        .clone();
    files.insert(runbook, b"no front matter\n".to_vec());
    files.insert(
        "runbooks/aaa-first.md".into(),
        b"---\ntitle: First\nowner: alice\ncovers: [scaling]\nlast_tested: 2026-10-01\n---\n"
            .to_vec(),
    );
    files.insert(
        "scorecards/2020-01-01.yaml".into(),
        b"assessed_on: 2020-01-01\nareas: {}\n".to_vec(),
    );
    files.insert(
        "blueprints/own/blueprint.yaml".into(),
        b"name: own\n".to_vec(),
    );
    check(&mut cache, &files);
    files.remove("adoption.yaml");
    files.remove("blueprints/own/blueprint.yaml");
    check(&mut cache, &files);
}

#[test]
fn cached_analysis_equals_a_fresh_one() {
    let mut files = files();
    let today = common::contoso_today();
    let mut cache = Cache::new();
    let json = |e: &adoptbot::evaluate::Evaluation| {
        (
            serde_json::to_string(e).unwrap(),
            adoptbot::report::json::validate(&e.diagnostics),
        )
    };
    for step in 0..3 {
        if step > 0 {
            files.insert(
                format!("experiments/step-{step}.yaml"),
                common::experiment(&format!("step-{step}"), None).into_bytes(),
            );
        }
        let snapshot = snap(&files);
        let fresh = adoptbot::analyse(&snapshot, today).unwrap();
        let (_, cached) = adoptbot::analyse_cached(&mut cache, &snapshot, today).unwrap();
        assert_eq!(
            json(&fresh.evaluation),
            json(&cached.evaluation),
            "step {step}"
        );
    }
}

/// A long-lived process keeps each request's pricing (its parameter check, estimate and GPU
/// demand) between analyses. What it keeps is forgotten with the request's file, and
/// altogether when a blueprint changes; the settings of adoption.yaml (the regions, the phase),
/// which pricing does not read, keep it. After each edit below, the cached
/// analysis is the fresh one, and the edits do move the estimates.
#[test]
fn kept_pricing_follows_every_edit_that_moves_an_estimate() {
    let mut files = BTreeMap::new();
    collect(&common::contoso(), "", &mut files);
    let today = common::contoso_today();
    let mut cache = Cache::new();
    let request = "experiments/care-call-summarisation.yaml";
    let untouched = "experiments/search-query-rewrite.yaml";
    assert!(files.contains_key(untouched), "the sample has {untouched}");
    let estimates = |e: &adoptbot::evaluate::Evaluation| -> BTreeMap<String, String> {
        e.experiments
            .iter()
            .map(|s| (s.path.clone(), format!("{:?}", s.estimate)))
            .collect()
    };
    // A copy of the built-in `azure-openai` blueprint in the repository, with the private
    // endpoint priced ten times higher: every request on it costs more.
    let builtin = common::root().join("blueprints/azure-openai");
    let mut blueprint = BTreeMap::new();
    collect(&builtin, "blueprints/azure-openai", &mut blueprint);
    let manifest = "blueprints/azure-openai/blueprint.yaml";
    let text = String::from_utf8(blueprint[manifest].clone()).unwrap();
    assert!(text.contains("monthly_usd: 7.30"));
    blueprint.insert(
        manifest.into(),
        text.replace("monthly_usd: 7.30", "monthly_usd: 73.00")
            .into_bytes(),
    );
    type Edit = Box<dyn Fn(&mut BTreeMap<String, Vec<u8>>)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("nothing", Box::new(|_| {})),
        (
            "one request's token spend",
            Box::new(|f| {
                let t = String::from_utf8(f[request].clone()).unwrap();
                assert!(t.contains("expected_monthly_token_spend_usd: 2800"));
                let t = t.replace(
                    "expected_monthly_token_spend_usd: 2800",
                    "expected_monthly_token_spend_usd: 3400",
                );
                f.insert(request.into(), t.into_bytes());
            }),
        ),
        (
            "the settings and the phase",
            Box::new(|f| {
                let t = String::from_utf8(f["adoption.yaml"].clone()).unwrap();
                assert!(t.contains("regions: [westeurope, swedencentral, eastus]"));
                let t = t
                    .replace(
                        "regions: [westeurope, swedencentral, eastus]",
                        "regions: [westeurope, swedencentral]",
                    )
                    .replace("phase: experimentation", "phase: scale-and-governance");
                f.insert("adoption.yaml".into(), t.into_bytes());
            }),
        ),
        (
            "the blueprint's prices",
            Box::new(move |f| f.extend(blueprint.clone())),
        ),
        ("the same again", Box::new(|_| {})),
    ];
    let mut before: Option<BTreeMap<String, String>> = None;
    for (what, edit) in edits {
        edit(&mut files);
        let snapshot = snap(&files);
        let fresh = adoptbot::analyse(&snapshot, today).unwrap();
        let (_, cached) = adoptbot::analyse_cached(&mut cache, &snapshot, today).unwrap();
        assert_eq!(
            serde_json::to_string(&fresh.evaluation).unwrap(),
            serde_json::to_string(&cached.evaluation).unwrap(),
            "after {what}"
        );
        let now = estimates(&cached.evaluation);
        if let Some(b) = &before {
            let moved = |p: &str| b.get(p) != now.get(p);
            match what {
                "one request's token spend" => assert!(
                    moved(request) && !moved(untouched),
                    "{what}: {b:?} -> {now:?}"
                ),
                "the blueprint's prices" => assert!(
                    moved(request) && moved(untouched),
                    "{what}: {b:?} -> {now:?}"
                ),
                _ => assert_eq!(b, &now, "{what}"),
            }
        }
        before = Some(now);
    }
}
