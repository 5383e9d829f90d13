//! Every broken file in tests/corpus/broken yields a precise diagnostic and never a panic.
//! Each file's first line says where it is placed and what is expected:
//! `# path: <repository path> expect: <code> <line>:<column>` (`any 0:0` = some error).

mod common;

use adoptbot::load::{Snapshot, load};

fn cases() -> Vec<(String, String, String, u32, u32, Vec<u8>)> {
    let dir = common::root().join("tests/corpus/broken");
    let mut out = Vec::new();
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for p in entries {
        let bytes = std::fs::read(&p).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        let header = text.lines().next().unwrap();
        let rest = header
            .strip_prefix("# path: ")
            .unwrap_or_else(|| panic!("{}: no header", p.display()));
        let (path, expect) = rest.split_once(" expect: ").unwrap();
        let (code, pos) = expect.split_once(' ').unwrap();
        let (line, col) = pos.split_once(':').unwrap();
        out.push((
            p.file_name().unwrap().to_string_lossy().into_owned(),
            path.to_string(),
            code.to_string(),
            line.parse().unwrap(),
            col.parse().unwrap(),
            bytes,
        ));
    }
    out
}

#[test]
fn every_broken_file_has_a_precise_diagnostic() {
    let cases = cases();
    assert!(cases.len() >= 25, "the corpus has {} files", cases.len());
    let mut failures = Vec::new();
    for (name, path, code, line, col, bytes) in cases {
        let snap = common::snapshot(&[(path.as_str(), &bytes)]);
        let loaded = load(&snap);
        let found = loaded.diagnostics.iter().any(|d| {
            d.place.file == path
                && d.is_error()
                && (code == "any"
                    || (d.code.as_str() == code && d.place.line == line && d.place.column == col))
                && !d.message.is_empty()
        });
        if !found {
            failures.push(format!(
                "{name}: expected {code} at {line}:{col}, got {:#?}",
                loaded
                    .diagnostics
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
            ));
        }
        for d in &loaded.diagnostics {
            assert!(
                !d.hint.is_empty() || d.code == "missing-adoption",
                "{name}: diagnostic without a hint: {d}"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn binary_data_is_reported_with_its_line() {
    let mut bytes = b"title: ok\nteam: search\n".to_vec();
    bytes.extend_from_slice(&[0xff, 0xfe, 0x00, 0x01]);
    let loaded = load(&common::snapshot(&[("experiments/bin.yaml", &bytes)]));
    let d = loaded
        .diagnostics
        .iter()
        .find(|d| d.place.file == "experiments/bin.yaml")
        .expect("a diagnostic");
    assert_eq!((d.code.as_str(), d.place.line), ("not-text", 3));
    assert!(loaded.repo.broken.contains("experiments/bin.yaml"));
}

#[test]
fn huge_files_are_refused_before_parsing() {
    let mut snap = Snapshot::default();
    let mut read = false;
    snap.add("experiments/huge.yaml".into(), 50 * 1024 * 1024, || {
        read = true;
        Ok(Vec::new())
    });
    assert!(!read, "a file over the limit is not read");
    let loaded = load(&snap);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.code == "file-too-large" && d.place.file == "experiments/huge.yaml")
    );
}

#[test]
fn deep_nesting_does_not_crash() {
    let deep = format!("title: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    let loaded = load(&common::snapshot(&[(
        "experiments/deep.yaml",
        deep.as_bytes(),
    )]));
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.place.file == "experiments/deep.yaml" && d.is_error())
    );
    let deep_map = format!("title: x\nparameters: {}\n", "{a: ".repeat(100_000));
    let loaded = load(&common::snapshot(&[(
        "experiments/deep.yaml",
        deep_map.as_bytes(),
    )]));
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.place.file == "experiments/deep.yaml" && d.is_error())
    );
}

#[test]
fn symlinks_are_not_followed() {
    let mut snap = Snapshot::default();
    snap.add_symlink("experiments/link.yaml".into());
    let loaded = load(&snap);
    assert!(
        loaded
            .diagnostics
            .iter()
            .any(|d| d.code == "symlink" && d.place.file == "experiments/link.yaml")
    );
}

#[test]
fn a_file_over_the_limit_is_reported_with_its_real_size() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("experiments")).unwrap();
    let size = 3 * 1024 * 1024 + 5;
    std::fs::write(dir.path().join("experiments/huge.yaml"), vec![b'#'; size]).unwrap();
    let snap = adoptbot::load::dir::read_dir(dir.path()).unwrap();
    let d = snap
        .problems
        .iter()
        .find(|d| d.code == "file-too-large")
        .expect("the file is refused");
    assert!(
        d.message.contains(&format!("the file is {size} bytes")),
        "{}",
        d.message
    );
}
