//! Property tests over the loader: no input makes it panic or hang, and every diagnostic
//! points into the file it is about.

mod common;

use adoptbot::load::load;
use proptest::prelude::*;

const PATHS: [&str; 10] = [
    "adoption.yaml",
    "experiments/x.yaml",
    "teams/search.yaml",
    "scorecards/2026-01-01.yaml",
    "inventory/shadow-ai.yaml",
    "use-cases/u.yaml",
    "slos/s.yaml",
    "runbooks/r.md",
    "radar/r.yaml",
    "phases/overrides.yaml",
];

fn check(path: &str, bytes: &[u8]) -> Result<(), TestCaseError> {
    let loaded = load(&common::snapshot(&[(path, bytes)]));
    let lines = bytes.iter().filter(|b| **b == b'\n').count() as u32 + 2;
    for d in loaded.diagnostics.iter().filter(|d| d.place.file == path) {
        prop_assert!(
            d.place.line <= lines,
            "{d} is past the end of a {lines}-line file"
        );
        prop_assert!(!d.message.is_empty());
    }
    // Whatever loads must also evaluate without panicking.
    let _ = adoptbot::analyse(
        &common::snapshot(&[(path, bytes)]),
        common::date("2026-11-27"),
    );
    Ok(())
}

/// A valid document of each kind, to mutate.
fn seeds() -> Vec<(&'static str, String)> {
    let mut v: Vec<(&'static str, String)> = vec![(
        "experiments/x.yaml",
        common::experiment("x", Some("2026-11-01")),
    )];
    for (p, t) in common::minimal() {
        let p: &'static str = if p == "adoption.yaml" {
            "adoption.yaml"
        } else {
            "teams/search.yaml"
        };
        v.push((p, t));
    }
    v.push(("radar/r.yaml", "name: vLLM\nquadrant: tools\nring: trial\nowner: alice\nlast_reviewed: 2026-10-01\nrationale: fast\n".into()));
    v.push(("runbooks/r.md", "---\ntitle: Scale\nowner: alice\ncovers: [scaling]\nlast_tested: 2026-10-01\n---\n# Body\n".into()));
    v
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(path in proptest::sample::select(PATHS.to_vec()), bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(path, &bytes)?;
    }

    #[test]
    fn yaml_like_text_never_panics(path in proptest::sample::select(PATHS.to_vec()), text in "([a-z_]{1,8}: ?(\\[|\\{|&a |\\*a|'|\"|-|[0-9]{1,4}|\\n  |\\t|\\n|---|#|: |[a-z]{1,5}|\\]|\\}|,)){0,40}") {
        check(path, text.as_bytes())?;
    }

    #[test]
    fn mutated_valid_documents_never_panic(seed in 0usize..5, at in any::<prop::sample::Index>(), cut in 0usize..40, insert in "[\\[\\]{}:,'\"&*!|>%@` \\t\\n#-]{0,6}") {
        let seeds = seeds();
        let (path, text) = &seeds[seed % seeds.len()];
        let bytes = text.as_bytes();
        let i = at.index(bytes.len() + 1);
        let mut m = bytes[..i].to_vec();
        m.extend_from_slice(insert.as_bytes());
        m.extend_from_slice(&bytes[(i + cut).min(bytes.len())..]);
        check(path, &m)?;
    }
}

#[test]
fn seeds_are_valid() {
    for (path, text) in seeds() {
        let loaded = load(&common::snapshot(&[(path, text.as_bytes())]));
        let own: Vec<_> = loaded
            .diagnostics
            .iter()
            .filter(|d| d.place.file == path)
            .collect();
        assert!(own.is_empty(), "{path}: {own:?}");
    }
}
