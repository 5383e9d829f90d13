//! Writes every built-in blueprint, rendered with its example parameters in both flavours, to
//! the directory named by `ADOPTBOT_RENDER_OUT`, for `.ci/checkov.sh` to scan:
//! `<out>/<blueprint>/<flavour>/<file>`. The manifest's checkov skips are in the files as inline
//! skip comments, so the scan needs no `--skip-check`.
//!
//! Ignored by default: `cargo test --test render_checkov -- --ignored`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use adoptbot::render::{Catalogue, ExperimentContext, Flavour, render};

#[test]
#[ignore = "writes files for .ci/checkov.sh; run with --ignored and ADOPTBOT_RENDER_OUT"]
fn write_rendered_blueprints() {
    let out = PathBuf::from(
        std::env::var("ADOPTBOT_RENDER_OUT").expect("set ADOPTBOT_RENDER_OUT to a directory"),
    );
    let catalogue = Catalogue::builtin().unwrap_or_else(|d| panic!("built-ins invalid: {d:#?}"));
    let ctx = ExperimentContext {
        id: "checkov-scan".into(),
        team: "platform".into(),
        owner: "platform-lead".into(),
        cost_tag: "cc-platform".into(),
        expiry: chrono::NaiveDate::from_ymd_opt(2030, 6, 30).unwrap(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
        ..adoptbot::render::example_context()
    };
    let mut written = 0;
    for bp in catalogue.blueprints() {
        let params: BTreeMap<_, _> = bp.manifest.example_parameters.clone();
        for flavour in Flavour::ALL {
            let dir = out.join(&bp.manifest.name).join(flavour.as_str());
            std::fs::create_dir_all(&dir).unwrap();
            let files = render(bp, flavour, &ctx, &params)
                .unwrap_or_else(|d| panic!("{} {flavour}: {d:#?}", bp.manifest.name));
            for f in files {
                let path = dir.join(&f.path);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, f.content).unwrap();
                written += 1;
            }
        }
    }
    assert!(
        written >= 2 * catalogue.names().count(),
        "wrote {written} files"
    );
}
