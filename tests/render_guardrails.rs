//! The hard cost cap and the guardrails every blueprint renders, in both flavours: the budget
//! at the request's cost cap with the policies' thresholds and an action at 100%, the cap
//! runbook's custom role, the policy assignments, the Terraform backend and `main.bicepparam`,
//! the inline checkov skips, the `terraform fmt` layout, and hostile settings.

use std::collections::{BTreeMap, BTreeSet};

use adoptbot::model::{Diagnostic, Money};
use adoptbot::render::{
    CAP_LINES, CAP_ROLE_ACTIONS, Catalogue, ExperimentContext, Flavour, POLICY_TAGS,
    RenderSettings, RenderedFile, StateBackend, check_rendered, estimate, render, scan,
    validate_blueprint,
};

fn catalogue() -> Catalogue {
    Catalogue::builtin().unwrap_or_else(|d| panic!("{d:#?}"))
}

fn ctx() -> ExperimentContext {
    ExperimentContext {
        id: "cap-test".into(),
        team: "ml-platform".into(),
        owner: "alice".into(),
        cost_tag: "cc-cap".into(),
        starts_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 17).unwrap(),
        expiry: chrono::NaiveDate::from_ymd_opt(2027, 1, 12).unwrap(),
        cost_cap: "1250.50 USD".parse::<Money>().unwrap(),
        contact_emails: vec!["alice@contoso.com".into(), "ml@contoso.com".into()],
        settings: RenderSettings {
            budget_alerts_percent: vec![40, 60, 80],
            allowed_locations: vec!["westeurope".into(), "eastus".into()],
            terraform_state: Some(StateBackend {
                resource_group: "rg-tfstate".into(),
                storage_account: "sttfstate01".into(),
                container: "tfstate".into(),
            }),
            budget_contacts: BTreeMap::new(),
        },
    }
}

fn files(bp: &str, flavour: Flavour, ctx: &ExperimentContext) -> Vec<RenderedFile> {
    let cat = catalogue();
    let b = cat.get(bp).unwrap();
    render(b, flavour, ctx, &b.manifest.example_parameters)
        .unwrap_or_else(|d| panic!("{bp} {flavour}: {d:#?}"))
}

fn file<'a>(files: &'a [RenderedFile], name: &str) -> &'a str {
    &files
        .iter()
        .find(|f| f.path == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .content
}

fn lang(flavour: Flavour) -> scan::Lang {
    match flavour {
        Flavour::Bicep => scan::Lang::Bicep,
        Flavour::Terraform => scan::Lang::Hcl,
    }
}

fn resources(flavour: Flavour, text: &str) -> Vec<scan::Resource> {
    scan::parse(lang(flavour), text).unwrap().resources
}

fn texts(r: &scan::Resource, key: &str) -> Vec<String> {
    let mut out = Vec::new();
    for e in r.find(key) {
        scan::texts(&e.value, &mut out);
    }
    out
}

#[test]
fn every_blueprint_caps_its_cost_in_both_flavours() {
    let c = ctx();
    for bp in catalogue().blueprints() {
        let name = &bp.manifest.name;
        for flavour in Flavour::ALL {
            let out = files(name, flavour, &c);
            let (guard, budget_kind, group_kind, assignment_kind, role_kind) = match flavour {
                Flavour::Terraform => (
                    "guardrails.tf",
                    "azurerm_consumption_budget_resource_group",
                    "azurerm_monitor_action_group",
                    "azurerm_resource_group_policy_assignment",
                    "azurerm_role_definition",
                ),
                Flavour::Bicep => (
                    "guardrails.bicep",
                    "Microsoft.Consumption/budgets",
                    "Microsoft.Insights/actionGroups",
                    "Microsoft.Authorization/policyAssignments",
                    "Microsoft.Authorization/roleDefinitions",
                ),
            };
            let rs = resources(flavour, file(&out, guard));
            let budget = rs.iter().find(|r| r.kind == budget_kind).unwrap();
            // The amount is the cap, exactly.
            let amount = budget.find("amount")[0].scalar().unwrap_or_else(|| {
                let mut t = Vec::new();
                scan::texts(&budget.find("amount")[0].value, &mut t);
                t.join(" ")
            });
            assert!(
                amount == "1250.50" || amount.contains("1250.50"),
                "{name} {flavour}: amount {amount}"
            );
            // Over the whole time box: from the first of the start month to the expiry.
            let period = texts(budget, "start_date")
                .into_iter()
                .chain(texts(budget, "startDate"))
                .chain(texts(budget, "end_date"))
                .chain(texts(budget, "endDate"))
                .collect::<Vec<_>>();
            assert_eq!(
                period,
                ["2026-11-01T00:00:00Z", "2027-01-12T00:00:00Z"],
                "{name} {flavour}"
            );
            // Notifications at the policies' thresholds, then at 100% with the action group.
            let thresholds: Vec<String> = budget
                .find("threshold")
                .iter()
                .filter_map(|e| e.scalar())
                .collect();
            assert_eq!(thresholds, ["40", "60", "80", "100"], "{name} {flavour}");
            let groups = rs
                .iter()
                .filter(|r| r.kind == group_kind)
                .collect::<Vec<_>>();
            assert_eq!(groups.len(), 1);
            let contact_groups = match flavour {
                Flavour::Terraform => "contact_groups",
                Flavour::Bicep => "contactGroups",
            };
            assert_eq!(
                budget.find(contact_groups).len(),
                1,
                "only the 100% notification acts"
            );
            assert!(budget.find(contact_groups)[0].value.iter().any(|_| true));
            let text = file(&out, guard);
            assert!(text.contains("alice@contoso.com") && text.contains("ml@contoso.com"));
            // The runbook's role: exactly the stop actions, on the resource group, no delete.
            let role = rs.iter().find(|r| r.kind == role_kind).unwrap();
            let actions: BTreeSet<String> = texts(role, "actions").into_iter().collect();
            let want: BTreeSet<String> = CAP_ROLE_ACTIONS.iter().map(|s| s.to_string()).collect();
            assert_eq!(actions, want, "{name} {flavour}");
            assert!(
                actions
                    .iter()
                    .all(|a| !a.contains("delete") && !a.contains('*'))
            );
            // The policy assignments, by built-in definition id, with their parameters.
            let assignments: Vec<&scan::Resource> =
                rs.iter().filter(|r| r.kind == assignment_kind).collect();
            let ids: BTreeSet<String> = assignments
                .iter()
                .flat_map(|a| {
                    texts(a, "policy_definition_id")
                        .into_iter()
                        .chain(texts(a, "policyDefinitionId"))
                })
                .collect();
            for id in [
                "cccc23c7-8427-4f53-ad12-b6a63eb452b3",
                "83a86a26-fd1f-447c-b59d-e51f44264114",
                "6c112d4e-5bc7-47ae-a041-ea2d9dccd749",
                "871b6d14-10aa-478d-b590-94f262ecfa99",
                "ea3f2387-9b95-492a-a190-fcdc54f7b070",
                "e56962a6-4747-49cd-b67b-bf8b01975c4c",
            ] {
                assert!(ids.iter().any(|x| x.contains(id)), "{name} {flavour}: {id}");
            }
            for tag in POLICY_TAGS {
                assert!(text.contains(&format!("\"{tag}\"")) || text.contains(&format!("'{tag}'")));
            }
            // Allowed locations: the organisation's regions plus the experiment's own.
            let own = bp.manifest.example_parameters["location"].as_str().unwrap();
            for l in ["westeurope", "eastus", own] {
                assert!(text.contains(&format!("\"{l}\"")) || text.contains(&format!("'{l}'")));
            }
            // Allowed VM sizes: every size the blueprint offers.
            for p in bp.manifest.parameters.values() {
                if let adoptbot::render::Parameter::String(s) = p
                    && let Some(allowed) = &s.allowed
                    && allowed.iter().all(|v| v.starts_with("Standard_"))
                {
                    for v in allowed {
                        assert!(text.contains(v), "{name} {flavour}: {v}");
                    }
                }
            }
        }
    }
}

#[test]
fn bicep_deploys_the_guardrails_and_binds_its_parameters_file() {
    for bp in catalogue().blueprints() {
        let out = files(&bp.manifest.name, Flavour::Bicep, &ctx());
        let main = file(&out, "main.bicep");
        assert!(main.contains("module guardrails 'guardrails.bicep' = {"));
        assert!(main.contains("  scope: rg\n"));
        assert!(main.contains("main.bicepparam"));
        let param = file(&out, "main.bicepparam");
        assert!(param.starts_with("// Generated by adoptbot."));
        assert!(param.trim_end().ends_with("using 'main.bicep'"));
        assert!(check_rendered(param).unwrap().content_matches);
        let guard = file(&out, "guardrails.bicep");
        assert!(
            guard.contains("--content @adoptbot-cap.py"),
            "the upload is spelled out"
        );
        assert!(!out.iter().any(|f| f.path.ends_with(".tf")));
    }
}

#[test]
fn terraform_state_has_a_key_per_experiment_and_the_account_from_adoption() {
    let out = files("gpu-training-cluster", Flavour::Terraform, &ctx());
    let backend = file(&out, "backend.tf");
    for line in [
        "  backend \"azurerm\" {",
        "    resource_group_name  = \"rg-tfstate\"",
        "    storage_account_name = \"sttfstate01\"",
        "    container_name       = \"tfstate\"",
        "    key                  = \"experiments/cap-test.tfstate\"",
        "    use_azuread_auth     = true",
    ] {
        assert!(backend.contains(line), "{line}\n{backend}");
    }
    let mut c = ctx();
    c.settings.terraform_state = None;
    c.id = "other-one".into();
    let out = files("gpu-training-cluster", Flavour::Terraform, &c);
    let backend = file(&out, "backend.tf");
    assert!(backend.contains("    key              = \"experiments/other-one.tfstate\""));
    assert!(!backend.contains("storage_account_name ="), "{backend}");
    assert!(backend.contains("-backend-config"), "says what init needs");
    // The header of the runbook script, rendered for either flavour, reads back.
    for flavour in Flavour::ALL {
        let out = files("azure-openai", flavour, &ctx());
        let h = check_rendered(file(&out, "adoptbot-cap.py")).unwrap();
        assert!(h.content_matches);
        assert_eq!(h.flavour, flavour);
    }
}

#[test]
fn manifest_skips_are_inline_skip_comments_on_their_resources() {
    let out = files("aks-gpu-inference", Flavour::Terraform, &ctx());
    let main = file(&out, "main.tf");
    let skip = "#checkov:skip=CKV_AZURE_117:Node disks are encrypted at rest";
    assert_eq!(main.matches(skip).count(), 1, "{main}");
    let at = main.find(skip).unwrap();
    let before = &main[..at];
    let decl = before.rfind("resource \"").unwrap();
    assert!(before[decl..].starts_with("resource \"azurerm_kubernetes_cluster\""));
    assert!(before.ends_with("{\n  "), "right after the opening line");
    assert!(
        !main.contains("CKV_AZURE_6:"),
        "bicep-only skips stay out of Terraform"
    );

    let out = files("aks-gpu-inference", Flavour::Bicep, &ctx());
    let res = file(&out, "resources.bicep");
    for id in ["CKV_AZURE_117", "CKV_AZURE_6", "CKV_AZURE_172"] {
        let needle = format!("  // checkov:skip={id}:");
        assert_eq!(res.matches(&needle).count(), 1, "{id}");
        let at = res.find(&needle).unwrap();
        let decl = res[..at].rfind("\nresource ").unwrap();
        assert!(res[decl..at].contains("'Microsoft.ContainerService/managedClusters@"));
    }
    // A skip without resources goes on every resource, with its reason on one line.
    let cat = catalogue();
    let mut bp = cat.get("experiment-sandbox").unwrap().clone();
    bp.manifest
        .checkov_skips
        .push(adoptbot::render::manifest::CheckovSkip {
            id: "CKV_AZURE_999".into(),
            reason: "a reason\nwritten on two lines".into(),
            flavours: None,
            resources: None,
        });
    let out = render(
        &bp,
        Flavour::Terraform,
        &ctx(),
        &bp.manifest.example_parameters,
    )
    .unwrap();
    let main = file(&out, "main.tf");
    let n = resources(Flavour::Terraform, main).len();
    assert_eq!(
        main.matches("#checkov:skip=CKV_AZURE_999:a reason written on two lines\n")
            .count(),
        n
    );
}

/// The bracket level at the start of each line, by `terraform fmt`'s rule: a line that opens
/// brackets opens one level; a line that closes them closes as many levels as it closes.
fn levels(text: &str) -> Vec<usize> {
    let mut stack: Vec<i32> = Vec::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let mut net = 0;
        let mut in_str = false;
        let mut prev = ' ';
        for c in line.chars() {
            match c {
                '"' if prev != '\\' => in_str = !in_str,
                '#' if !in_str => break,
                '{' | '[' | '(' if !in_str => net += 1,
                '}' | ']' | ')' if !in_str => net -= 1,
                _ => {}
            }
            prev = c;
        }
        if net < 0 {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = stack.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    stack.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
        }
        out.push(stack.len());
        if net > 0 {
            stack.push(net);
        }
    }
    out
}

/// Lines that are single-line attributes: `name = value` with the value's brackets closed.
fn attribute_eq(line: &str) -> Option<usize> {
    let t = line.trim_start();
    if t.starts_with('#') {
        return None;
    }
    let eq = line.find(" = ")? + 1;
    let name = line[..eq].trim();
    let simple = name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        || (name.starts_with('"') && name.ends_with('"') && name.len() >= 2);
    if !simple {
        return None;
    }
    let value = &line[eq + 1..];
    let mut net = 0;
    let mut in_str = false;
    let mut prev = ' ';
    for c in value.chars() {
        match c {
            '"' if prev != '\\' => in_str = !in_str,
            '{' | '[' | '(' if !in_str => net += 1,
            '}' | ']' | ')' if !in_str => net -= 1,
            _ => {}
        }
        prev = c;
    }
    (net == 0).then_some(eq)
}

#[test]
fn rendered_terraform_is_laid_out_as_terraform_fmt_lays_it_out() {
    let mut checked = 0;
    for bp in catalogue().blueprints() {
        for f in files(&bp.manifest.name, Flavour::Terraform, &ctx()) {
            if !f.path.ends_with(".tf") {
                continue;
            }
            let text = f.content.as_str();
            let lines: Vec<&str> = text.lines().collect();
            // Two spaces per bracket level, no tabs, no trailing spaces.
            for (line, level) in lines.iter().zip(levels(text)) {
                if line.is_empty() {
                    continue;
                }
                let indent = line.len() - line.trim_start_matches(' ').len();
                assert_eq!(indent, 2 * level, "{}: {line:?}", f.path);
                assert!(!line.contains('\t') && !line.ends_with(' '), "{line:?}");
            }
            // `=` aligned within each run of consecutive single-line attributes, one space
            // after the longest name, one space after `=`.
            let mut i = 0;
            while i < lines.len() {
                let Some(_) = attribute_eq(lines[i]) else {
                    i += 1;
                    continue;
                };
                let start = i;
                while i < lines.len() && attribute_eq(lines[i]).is_some() {
                    i += 1;
                }
                let run = &lines[start..i];
                let cols: BTreeSet<usize> = run.iter().filter_map(|l| attribute_eq(l)).collect();
                assert_eq!(
                    cols.len(),
                    1,
                    "{}: misaligned run:\n{}",
                    f.path,
                    run.join("\n")
                );
                let col = *cols.iter().next().unwrap();
                assert!(
                    run.iter().any(|l| l[..col].ends_with(|c: char| c != ' ')
                        || l[..col - 1].ends_with(|c: char| c != ' ')),
                    "{}: the longest name has one space before `=`:\n{}",
                    f.path,
                    run.join("\n")
                );
                assert!(
                    run.iter()
                        .all(|l| &l[col..col + 2] == "= " || l.len() == col + 1)
                );
            }
            // And the formatter leaves formatted output alone.
            let (_, body) = text.split_once("\n\n").unwrap();
            assert_eq!(adoptbot::render::hclfmt::format(body), body, "{}", f.path);
            checked += 1;
        }
    }
    assert!(checked >= 15, "{checked} files");
    // The tags map is aligned, whatever the lengths of its keys.
    let out = files("gpu-training-cluster", Flavour::Terraform, &ctx());
    let main = file(&out, "main.tf");
    assert!(main.contains("    \"cost-tag\"   = \"cc-cap\"\n"), "{main}");
    assert!(main.contains("    \"managed-by\" = \"adoptbot\"\n"));
}

#[test]
fn the_estimate_includes_the_caps_fixed_costs() {
    let cat = catalogue();
    for bp in cat.blueprints() {
        let e = estimate(bp, &bp.manifest.example_parameters, cat.prices(), 24 * 14)
            .unwrap_or_else(|d| panic!("{d}"));
        for (service, meter, unit, quantity, _) in CAP_LINES {
            let line = e
                .lines
                .iter()
                .find(|l| l.meter == meter)
                .unwrap_or_else(|| panic!("{}: no {service} line", bp.manifest.name));
            assert_eq!(line.unit, unit);
            assert_eq!(line.quantity, quantity);
            assert_eq!(
                line.cents,
                (line.unit_price * f64::from(quantity) * 100.0).round() as u64
            );
        }
        assert_eq!(e.total_cents, e.lines.iter().map(|l| l.cents).sum::<u64>());
    }
    // A price table without the rows is an error that says what to add.
    let mut prices = cat.prices().clone();
    prices
        .items
        .retain(|i| i.service_name.as_deref() != Some("Automation"));
    let bp = cat.get("azure-openai").unwrap();
    let err = estimate(bp, &bp.manifest.example_parameters, &prices, 24).unwrap_err();
    assert_eq!(err.code, "price-missing");
    assert!(err.message.contains("Basic Runtime"), "{}", err.message);
}

fn codes(d: &[Diagnostic]) -> BTreeSet<String> {
    d.iter().map(|d| d.code.to_string()).collect()
}

#[test]
fn hostile_settings_and_contacts_are_refused_before_rendering() {
    let cat = catalogue();
    let bp = cat.get("gpu-training-cluster").unwrap();
    let p = &bp.manifest.example_parameters;
    let hostile_emails = [
        "a@b.co\"\n}",
        "x${y}@e.com",
        "x%{y}@e.com",
        "'; drop@e.com",
        "a@b.co\u{202e}",
        "*/ a@b.co",
        "",
    ];
    for email in hostile_emails {
        let mut c = ctx();
        c.contact_emails = vec![email.into()];
        for flavour in Flavour::ALL {
            let err = render(bp, flavour, &c, p).unwrap_err();
            assert!(!err.is_empty(), "{email:?}");
            assert!(
                err.iter()
                    .all(|d| d.place.file == "experiments/cap-test.yaml"),
                "{err:#?}"
            );
        }
    }
    let mut c = ctx();
    c.settings
        .budget_contacts
        .insert("alice".into(), "bad\naddress".into());
    assert!(codes(&render(bp, Flavour::Bicep, &c, p).unwrap_err()).contains("setting-invalid"));
    for region in ["westeurope\"", "west europe", "${x}", "WestEurope", "a"] {
        let mut c = ctx();
        c.settings.allowed_locations.push(region.into());
        let err = render(bp, Flavour::Terraform, &c, p).unwrap_err();
        assert!(
            codes(&err).contains("setting-invalid"),
            "{region:?}: {err:#?}"
        );
        assert!(err[0].hint.contains("region"), "{}", err[0].hint);
    }
    let states = [
        ("rg/..", "sttf", "tfstate"),
        ("rg", "St-Tf", "tfstate"),
        ("rg", "sttf", "a--b"),
        ("rg", "sttf", "x\"}"),
        ("rg.", "sttf", "tfstate"),
    ];
    for (rg, sa, ct) in states {
        let mut c = ctx();
        c.settings.terraform_state = Some(StateBackend {
            resource_group: rg.into(),
            storage_account: sa.into(),
            container: ct.into(),
        });
        let err = render(bp, Flavour::Terraform, &c, p).unwrap_err();
        assert!(codes(&err).contains("setting-invalid"), "{rg} {sa} {ct}");
    }
    for t in [vec![], vec![0], vec![100], vec![10, 20, 30, 40, 50]] {
        let mut c = ctx();
        c.settings.budget_alerts_percent = t.clone();
        let err = render(bp, Flavour::Bicep, &c, p).unwrap_err();
        assert!(
            err.iter()
                .any(|d| d.message.contains("budget_alerts_percent")),
            "{t:?}"
        );
    }
    let mut c = ctx();
    c.cost_cap = "0 USD".parse().unwrap();
    assert!(render(bp, Flavour::Bicep, &c, p).is_err());
    let mut c = ctx();
    c.starts_on = chrono::NaiveDate::from_ymd_opt(2027, 2, 1).unwrap();
    assert!(render(bp, Flavour::Terraform, &c, p).is_err());
    // A quote is not part of an address we accept; a valid but unusual one stays inside its
    // string literal.
    let mut c = ctx();
    c.contact_emails = vec!["o'neil@contoso.com".into()];
    assert!(render(bp, Flavour::Bicep, &c, p).is_err());
    c.contact_emails = vec!["o.neil+cap%x@contoso.com".into()];
    let out = render(bp, Flavour::Bicep, &c, p).unwrap();
    assert!(file(&out, "guardrails.bicep").contains("  'o.neil+cap%x@contoso.com'\n"));
    let out = render(bp, Flavour::Terraform, &c, p).unwrap();
    assert!(file(&out, "guardrails.tf").contains("[\"o.neil+cap%x@contoso.com\"]"));
}

#[test]
fn manifests_with_hostile_guardrail_values_are_rejected() {
    let base = catalogue();
    let manifest = |extra: &str| {
        let text = String::from_utf8(
            std::fs::read(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/blueprints/azure-openai/blueprint.yaml"
            ))
            .unwrap(),
        )
        .unwrap();
        format!("{text}\n{extra}\n")
    };
    let tf = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/blueprints/azure-openai/terraform/main.tf.tera"
    ))
    .unwrap();
    let cases = [
        (
            "allowed_vm_skus: [\"Standard_D2ds_v5\\\"]\"]",
            "manifest-vm-sku",
        ),
        ("allowed_vm_skus: [\"${x}\"]", "manifest-vm-sku"),
    ];
    for (extra, code) in cases {
        let files = vec![
            (
                "blueprints/my-sandbox/blueprint.yaml".to_string(),
                manifest(extra)
                    .replace("name: azure-openai", "name: my-sandbox")
                    .into_bytes(),
            ),
            (
                "blueprints/my-sandbox/terraform/main.tf.tera".to_string(),
                tf.clone(),
            ),
        ];
        let (cat, diags) = base.clone().with_overrides(&files);
        assert!(cat.get("my-sandbox").is_none(), "{extra}");
        assert!(codes(&diags).contains(code), "{extra}: {diags:#?}");
    }
    // An organisation's template may not write the files adoptbot adds to every render.
    let files = vec![
        (
            "blueprints/my-sandbox/blueprint.yaml".to_string(),
            manifest("")
                .replace("name: azure-openai", "name: my-sandbox")
                .into_bytes(),
        ),
        (
            "blueprints/my-sandbox/terraform/main.tf.tera".to_string(),
            tf.clone(),
        ),
        (
            "blueprints/my-sandbox/terraform/guardrails.tf.tera".to_string(),
            b"locals {}\n".to_vec(),
        ),
    ];
    let (_, diags) = base.clone().with_overrides(&files);
    assert!(
        codes(&diags).contains("template-reserved-name"),
        "{diags:#?}"
    );
}

#[test]
fn the_scan_finds_a_blueprint_that_loses_its_cap() {
    let cat = catalogue();
    // Terraform: a resource group named otherwise leaves the budget without its scope.
    let mut bp = cat.get("experiment-sandbox").unwrap().clone();
    for t in bp.templates.get_mut(&Flavour::Terraform).unwrap() {
        t.text = t
            .text
            .replace(
                "azurerm_resource_group\" \"rg\"",
                "azurerm_resource_group\" \"main\"",
            )
            .replace("azurerm_resource_group.rg.", "azurerm_resource_group.main.");
    }
    let diags = validate_blueprint(&bp);
    assert!(
        codes(&diags).contains("blueprint-no-cost-cap"),
        "{diags:#?}"
    );
    // Bicep: a main.bicep that does not deploy the guardrails module.
    let mut bp = cat.get("gpu-training-cluster").unwrap().clone();
    for t in bp.templates.get_mut(&Flavour::Bicep).unwrap() {
        if let Some(at) = t.text.find("// The hard cost cap") {
            t.text.truncate(at);
        }
    }
    let diags = validate_blueprint(&bp);
    let cap: Vec<&Diagnostic> = diags
        .iter()
        .filter(|d| d.code == "blueprint-no-cost-cap")
        .collect();
    assert_eq!(cap.len(), 1, "{diags:#?}");
    assert!(cap[0].message.contains("guardrails.bicep"));
    assert!(cap[0].hint.contains("module guardrails"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn validate_reports_settings_that_cannot_be_rendered_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    copy_dir(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contoso")),
        &repo,
    );
    let path = repo.join("adoption.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text
        .replace(
            "mei-lin: mei.lin@contoso.com",
            "mei-lin: \"mei.lin@contoso.com\\\"}\"",
        )
        .replace(
            "storage_account: stcontosotfstate01",
            "storage_account: St-Contoso",
        );
    std::fs::write(&path, &text).unwrap();
    let line_of = |needle: &str| text.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .arg("validate")
        .arg(&repo)
        .output()
        .unwrap();
    let stdout =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stdout}");
    assert!(
        stdout.contains(&format!("adoption.yaml:{}", line_of("mei-lin: ")))
            && stdout.contains("budget contact of `mei-lin`"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "adoption.yaml:{}",
            line_of("terraform_state:") + 1
        )) || stdout.contains(&format!("adoption.yaml:{}", line_of("terraform_state:"))),
        "{stdout}"
    );
    assert!(
        stdout.contains("terraform_state.storage_account `St-Contoso` is not valid"),
        "{stdout}"
    );
    // The sample itself is clean.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_adoptbot"))
        .arg("validate")
        .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/examples/contoso"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn allowed_vm_sizes_follow_the_blueprint() {
    let sandbox = files("experiment-sandbox", Flavour::Terraform, &ctx());
    let g = file(&sandbox, "guardrails.tf");
    for size in [
        "Standard_D2ds_v5",
        "Standard_NC4as_T4_v3",
        "Standard_ND96asr_v4",
    ] {
        assert!(
            g.contains(&format!("\"{size}\"")),
            "the sandbox allows {size}"
        );
    }
    // Azure OpenAI runs no VM, so the policy allows none.
    let openai = files("azure-openai", Flavour::Terraform, &ctx());
    assert!(file(&openai, "guardrails.tf").contains("  cap_allowed_vm_skus   = []\n"));
    let openai = files("azure-openai", Flavour::Bicep, &ctx());
    assert!(file(&openai, "guardrails.bicep").contains("var allowedVmSkus = [\n]\n"));
}

/// The built-in blueprints are not security-validated at run time (they are part of the
/// binary, and their validation cannot change after the build): this test is that check.
#[test]
fn builtin_blueprints_pass_the_security_validation() {
    let cat = catalogue();
    let names: Vec<&str> = cat.names().collect();
    assert_eq!(names.len(), 5, "{names:?}");
    for bp in cat.blueprints() {
        let problems = validate_blueprint(bp);
        assert!(problems.is_empty(), "{}: {problems:#?}", bp.manifest.name);
        // The validator does judge this blueprint: without its claims, it is refused.
        let mut unclaimed = bp.clone();
        unclaimed.manifest.security_controls.clear();
        assert!(
            validate_blueprint(&unclaimed)
                .iter()
                .any(Diagnostic::is_error),
            "{}",
            bp.manifest.name
        );
    }
}
