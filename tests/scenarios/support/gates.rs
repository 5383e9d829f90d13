//! The five decision gates on the contoso example, as fixtures for the gate tests on either
//! forge: the roles that approve each gate (the framework's decision matrix, typed in from
//! the seed, not read from `phases/`), who holds each role in `examples/contoso`, the
//! change that puts the base branch in the gate's "from" phase, and the gate request that
//! moves to the next phase with every deliverable holding at its head.

use super::common::contoso;

/// One gate of the framework on contoso.
pub struct GateFixture {
    pub gate: &'static str,
    /// `phase` at the base, and at the head of the gate request.
    pub from: &'static str,
    pub to: &'static str,
    /// Who approves, in the matrix's order.
    pub roles: &'static [&'static str],
    /// What the base branch needs to be in phase `from` (empty for contoso's own phase).
    pub base: Vec<(String, String)>,
    /// The gate request: `phase` moved on and the gate's deliverables made to hold.
    pub head: Vec<(String, String)>,
}

/// The decision matrix of "Chapter 14 — The AI Adoption Framework": gate, approval authority.
pub const MATRIX: [(&str, &[&str]); 5] = [
    ("1-2", &["infrastructure-lead", "security-lead"]),
    ("2-3", &["infrastructure-lead", "management-sponsor"]),
    ("3-4", &["platform-team-lead"]),
    (
        "4-5",
        &["infrastructure-lead", "business-sponsor", "security-lead"],
    ),
    ("5-6", &["infrastructure-lead", "compliance"]),
];

/// Every role of `examples/contoso/adoption.yaml` and the user who holds it.
pub const HOLDERS: [(&str, &str); 6] = [
    ("infrastructure-lead", "maria-hernandez"),
    ("security-lead", "priya-raman"),
    ("management-sponsor", "daniel-kowalski"),
    ("platform-team-lead", "akira-kimura"),
    ("business-sponsor", "sofia-lindqvist"),
    ("compliance", "tom-okafor"),
];

/// The teams that hold a role besides their users, with their members.
pub const TEAMS: [(&str, &[&str]); 2] = [
    ("security-architecture", &["priya-raman", "lena-fischer"]),
    ("compliance", &["tom-okafor"]),
];

/// Opens gate requests in the happy paths: a team lead who holds no role.
pub const AUTHOR: &str = "elena-rossi";

pub fn holder(role: &str) -> &'static str {
    HOLDERS
        .iter()
        .find(|(r, _)| *r == role)
        .map(|(_, u)| *u)
        .unwrap_or_else(|| panic!("contoso has no role {role}"))
}

const PHASES: [&str; 6] = [
    "diagnostic",
    "enablement",
    "infrastructure-preparation",
    "experimentation",
    "scale-and-governance",
    "continuous-adoption",
];

/// A file of the contoso example.
pub fn read(path: &str) -> String {
    std::fs::read_to_string(contoso().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn with_phase(adoption: &str, phase: &str) -> String {
    assert!(adoption.contains("\nphase: experimentation\n"));
    adoption.replace("\nphase: experimentation\n", &format!("\nphase: {phase}\n"))
}

fn replaced(path: &str, from: &str, to: &str) -> (String, String) {
    let text = read(path);
    assert!(text.contains(from), "{path} no longer has {from:?}");
    (path.to_string(), text.replacen(from, to, 1))
}

/// The fixture of gate `gate` ("1-2" .. "5-6").
pub fn gate(gate: &str) -> GateFixture {
    let (i, (id, roles)) = MATRIX
        .iter()
        .enumerate()
        .find(|(_, (g, _))| *g == gate)
        .unwrap_or_else(|| panic!("no gate {gate}"));
    let (from, to) = (PHASES[i], PHASES[i + 1]);
    let base = if from == "experimentation" {
        Vec::new()
    } else {
        vec![(
            "adoption.yaml".into(),
            with_phase(&read("adoption.yaml"), from),
        )]
    };
    let mut adoption = with_phase(&read("adoption.yaml"), to);
    let mut head = Vec::new();
    match *id {
        // The scorecard, the inventory and the stakeholders of contoso already hold; so do its
        // blueprints, CI workflows and monitoring for 3-4.
        "1-2" | "3-4" => {}
        // The last GPU quota request is approved.
        "2-3" => head.push(replaced(
            "teams/ml-platform.yaml",
            "    vcpus: 80\n    status: requested\n",
            "    vcpus: 80\n    status: approved\n    approved_on: 2026-11-20\n",
        )),
        // The missing cost review of a validated use case.
        "4-5" => head.push((
            "use-cases/search-semantic-ranking.yaml".into(),
            read("use-cases/search-semantic-ranking.yaml")
                + "cost_review: { reviewed_by: sofia-lindqvist, reviewed_on: 2026-11-20 }\n",
        )),
        // SLOs met for 30 days, every runbook tested in the quarter, an audit passed.
        "5-6" => {
            head.push(replaced(
                "slos/care-rag-assistant-api.yaml",
                "met_since: 2026-11-04",
                "met_since: 2026-10-26",
            ));
            head.push(replaced(
                "runbooks/model-rotation.md",
                "last_tested: 2026-07-15",
                "last_tested: 2026-11-12",
            ));
            adoption.push_str(
                "  - date: 2026-11-18\n    auditor: Contoso Internal Audit\n    result: passed\n    findings: 0\n",
            );
        }
        _ => unreachable!(),
    }
    head.insert(0, ("adoption.yaml".into(), adoption));
    GateFixture {
        gate: id,
        from,
        to,
        roles,
        base,
        head,
    }
}
