//! Docs generated from the code stay true: the table of diagnostic codes in
//! `docs/framework.md` is `adoptbot::model::codes::markdown_table()`.

mod common;

const START: &str = "<!-- codes:start -->\n";
const END: &str = "<!-- codes:end -->";

#[test]
fn the_framework_doc_lists_every_diagnostic_code() {
    let path = common::root().join("docs/framework.md");
    let text = std::fs::read_to_string(&path).expect("docs/framework.md");
    let (before, rest) = text.split_once(START).expect("the codes:start marker");
    let (current, after) = rest.split_once(END).expect("the codes:end marker");
    let want = adoptbot::model::codes::markdown_table();
    if std::env::var_os("ADOPTBOT_WRITE_DOCS").is_some() {
        std::fs::write(&path, format!("{before}{START}{want}{END}{after}")).expect("write");
        return;
    }
    assert_eq!(
        current, want,
        "docs/framework.md's code table is stale: run `ADOPTBOT_WRITE_DOCS=1 cargo test --test docs`"
    );
    for code in adoptbot::model::Code::ALL {
        assert!(
            current.contains(&format!("| `{}` |", code.as_str())),
            "{code}"
        );
    }
}
