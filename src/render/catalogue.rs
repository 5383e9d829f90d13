//! The catalogue of blueprints: the built-in ones embedded in the binary, plus an
//! organisation's own from its repository's `blueprints/` folder (same layout), which replace
//! built-ins of the same name.

use crate::model::Code;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use include_dir::{Dir, include_dir};

use super::manifest::{Manifest, Parameter, parse_manifest};
use super::params::{check_value, string_hazards, validate_against};
use super::prices::{PriceTable, SkuTable};
use super::security::validate_blueprint;
use super::{Blueprint, Flavour, TemplateFile};
use crate::model::diagnostic::{Diagnostic, Place};

static BUILTIN: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/blueprints");

/// The `source` of a built-in blueprint.
pub const BUILTIN_SOURCE: &str = "built-in";

/// Blueprints by name, with the price and SKU tables used for estimates.
#[derive(Debug, Clone)]
pub struct Catalogue {
    blueprints: BTreeMap<String, Blueprint>,
    prices: PriceTable,
    skus: SkuTable,
    settings: super::RenderSettings,
}

fn collect(dir: &Dir<'_>, out: &mut Vec<(String, Vec<u8>)>) {
    for f in dir.files() {
        out.push((
            f.path().to_string_lossy().replace('\\', "/"),
            f.contents().to_vec(),
        ));
    }
    for d in dir.dirs() {
        collect(d, out);
    }
}

impl Catalogue {
    /// The built-in blueprints. Their manifests are checked like an organisation's own; the
    /// security validation of their rendered output, which cannot change after the build, is
    /// a test. An error here is a bug in adoptbot.
    pub fn builtin() -> Result<Catalogue, Vec<Diagnostic>> {
        static CACHE: OnceLock<Result<Catalogue, Vec<Diagnostic>>> = OnceLock::new();
        CACHE
            .get_or_init(|| {
                let mut files = Vec::new();
                collect(&BUILTIN, &mut files);
                let empty = Catalogue {
                    blueprints: BTreeMap::new(),
                    prices: PriceTable::default(),
                    skus: SkuTable::default(),
                    settings: super::RenderSettings::default(),
                };
                let (cat, diags) = empty.load(&files, "built-in:blueprints", BUILTIN_SOURCE);
                if diags.iter().any(Diagnostic::is_error) {
                    Err(diags)
                } else {
                    Ok(cat)
                }
            })
            .clone()
    }

    /// Add an organisation's blueprints. `files` are `(repo-relative path, bytes)` pairs under
    /// `blueprints/`: `blueprints/<name>/blueprint.yaml`, `blueprints/<name>/bicep/*.tera`,
    /// `blueprints/<name>/terraform/*.tera`, and optionally `blueprints/prices.json` and
    /// `blueprints/skus.json`. A blueprint replaces the built-in one of the same name. A
    /// blueprint with errors (including failed security validation) is left out of the
    /// catalogue, and so is the built-in it meant to replace: the catalogue fails closed.
    pub fn with_overrides(self, files: &[(String, Vec<u8>)]) -> (Catalogue, Vec<Diagnostic>) {
        let mut inside = Vec::new();
        let mut diags = Vec::new();
        for (path, bytes) in files {
            match path.strip_prefix("blueprints/") {
                Some(rest) => inside.push((rest.to_owned(), bytes.clone())),
                None => diags.push(Diagnostic::warning(
                    Place::file(path),
                    Code::BlueprintFileIgnored,
                    "not under blueprints/; ignored",
                )),
            }
        }
        let (cat, more) = self.load(&inside, "blueprints", "repository");
        diags.extend(more);
        (cat, diags)
    }

    fn load(
        mut self,
        files: &[(String, Vec<u8>)],
        prefix: &str,
        source: &str,
    ) -> (Catalogue, Vec<Diagnostic>) {
        let mut diags = Vec::new();
        let mut folders: BTreeMap<String, Vec<(String, &[u8])>> = BTreeMap::new();
        for (rel, bytes) in files {
            let shown = format!("{prefix}/{rel}");
            if let Some(problem) = unsafe_path(rel) {
                diags.push(Diagnostic::error(
                    Place::file(&shown),
                    Code::BlueprintUnsafePath,
                    problem,
                ));
                continue;
            }
            match rel.split_once('/') {
                None if rel == "prices.json" => match PriceTable::from_json(bytes) {
                    Ok(t) => self.prices = t,
                    Err(e) => diags.push(Diagnostic::error(
                        Place::file(&shown),
                        Code::PriceTableInvalid,
                        e,
                    )),
                },
                None if rel == "skus.json" => match SkuTable::from_json(bytes) {
                    Ok(t) => self.skus = t,
                    Err(e) => diags.push(Diagnostic::error(
                        Place::file(&shown),
                        Code::SkuTableInvalid,
                        e,
                    )),
                },
                None => {
                    if !rel.ends_with(".md") {
                        diags.push(Diagnostic::warning(
                            Place::file(&shown),
                            Code::BlueprintFileIgnored,
                            "unexpected file at the top of blueprints/; ignored",
                        ))
                    }
                }
                Some((folder, inner)) => folders
                    .entry(folder.to_owned())
                    .or_default()
                    .push((inner.to_owned(), bytes.as_slice())),
            }
        }
        for (name, files) in folders {
            let dir = format!("{prefix}/{name}");
            self.blueprints.remove(&name);
            match load_blueprint(&name, &dir, source, &files) {
                Ok((bp, warnings)) => {
                    diags.extend(warnings);
                    // The built-in blueprints are part of the binary: their security
                    // validation is the same at every run, so it runs in the tests
                    // (`builtin_blueprints_pass_the_security_validation`), not in every process.
                    let problems = if source == BUILTIN_SOURCE {
                        Vec::new()
                    } else {
                        validate_blueprint(&bp)
                    };
                    let failed = problems.iter().any(Diagnostic::is_error);
                    diags.extend(problems);
                    if failed {
                        diags.push(Diagnostic::error(
                            Place::file(&bp.manifest_path),
                            Code::BlueprintRejected,
                            format!(
                                "blueprint `{name}` is not available until its errors are fixed"
                            ),
                        ));
                    } else {
                        self.blueprints.insert(name, bp);
                    }
                }
                Err(errors) => diags.extend(errors),
            }
        }
        (self, diags)
    }

    pub fn get(&self, name: &str) -> Option<&Blueprint> {
        self.blueprints.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.blueprints.keys().map(String::as_str)
    }

    pub fn blueprints(&self) -> impl Iterator<Item = &Blueprint> {
        self.blueprints.values()
    }

    /// Every Azure region adoptbot knows, sorted: the allowed values of the blueprints' region
    /// parameters (`location`, the GPU quota's and the price lines' region parameters) and the
    /// regions of the dated price table. `adoption.yaml` and team quotas may name only these.
    pub fn regions(&self) -> Vec<String> {
        let mut out = std::collections::BTreeSet::new();
        for bp in self.blueprints.values() {
            let m = &bp.manifest;
            let mut names: Vec<&str> = vec!["location"];
            names.extend(m.gpu.as_ref().map(|g| g.region_parameter.as_str()));
            names.extend(
                m.prices
                    .iter()
                    .filter_map(|p| p.region_parameter.as_deref()),
            );
            for name in names {
                if let Some(Parameter::String(p)) = m.parameters.get(name) {
                    out.extend(p.allowed.iter().flatten().cloned());
                }
            }
        }
        out.extend(
            self.prices
                .items
                .iter()
                .map(|i| i.arm_region_name.clone())
                .filter(|r| !r.is_empty() && !r.eq_ignore_ascii_case("global")),
        );
        out.into_iter().collect()
    }

    pub fn prices(&self) -> &PriceTable {
        &self.prices
    }

    pub fn skus(&self) -> &SkuTable {
        &self.skus
    }

    /// The organisation's settings every render of this catalogue uses (budget thresholds,
    /// regions, Terraform state, budget contacts).
    pub fn settings(&self) -> &super::RenderSettings {
        &self.settings
    }

    /// The same catalogue, rendering with these settings.
    pub fn with_settings(mut self, settings: super::RenderSettings) -> Catalogue {
        self.settings = settings;
        self
    }
}

/// Why a path inside `blueprints/` is refused, if it is.
fn unsafe_path(rel: &str) -> Option<String> {
    if rel.starts_with('/') || rel.contains('\\') || rel.contains(':') {
        return Some(format!("`{rel}` is not a plain relative path"));
    }
    for part in rel.split('/') {
        if part.is_empty() || part == "." || part == ".." {
            return Some(format!("`{rel}` has an empty, `.` or `..` component"));
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
        {
            return Some(format!(
                "`{part}` may only contain letters, digits, `.`, `-` and `_`"
            ));
        }
    }
    None
}

/// The 1-based line of the first `key:` in a YAML text, or 0.
fn line_of_key(text: &str, key: &str) -> u32 {
    text.lines()
        .position(|l| {
            let t = l.trim_start().trim_start_matches("- ");
            t.strip_prefix(key)
                .is_some_and(|r| r.trim_start().starts_with(':'))
        })
        .map_or(0, |i| i as u32 + 1)
}

type Loaded = (Blueprint, Vec<Diagnostic>);

/// Load one blueprint folder. `files` are paths relative to the folder.
fn load_blueprint(
    name: &str,
    dir: &str,
    source: &str,
    files: &[(String, &[u8])],
) -> Result<Loaded, Vec<Diagnostic>> {
    let manifest_path = format!("{dir}/blueprint.yaml");
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let mut manifest_text = None;
    let mut templates: BTreeMap<Flavour, Vec<TemplateFile>> = BTreeMap::new();
    for (rel, bytes) in files {
        let path = format!("{dir}/{rel}");
        let Ok(text) = std::str::from_utf8(bytes) else {
            errors.push(Diagnostic::error(
                Place::file(&path),
                Code::NotUtf8,
                "file is not UTF-8",
            ));
            continue;
        };
        if rel == "blueprint.yaml" {
            manifest_text = Some(text);
            continue;
        }
        let flavour_dir = rel.split_once('/');
        let flavour = match flavour_dir {
            Some(("bicep", _)) => Some(Flavour::Bicep),
            Some(("terraform", _)) => Some(Flavour::Terraform),
            _ => None,
        };
        match (flavour, flavour_dir) {
            (Some(flavour), Some((_, inner))) if inner.ends_with(".tera") => {
                let file_name = inner.rsplit('/').next().unwrap_or(inner);
                let output = if file_name.starts_with('_') {
                    String::new()
                } else {
                    inner.trim_end_matches(".tera").to_owned()
                };
                if !output.is_empty() && !output.ends_with(flavour.extension()) {
                    errors.push(
                        Diagnostic::error(
                            Place::file(&path),
                            Code::TemplateBadName,
                            format!(
                                "a {flavour} template must render to a `{}` file, not `{output}`",
                                flavour.extension()
                            ),
                        )
                        .with_hint("name partials `_<name>.tera` to include them without output"),
                    );
                    continue;
                }
                if let Some(line) = uses_safe_filter(text) {
                    errors.push(
                        Diagnostic::error(
                            Place::new(&path, line, 0),
                            Code::TemplateUnescaped,
                            "templates may not use the `safe` filter: every value is escaped",
                        )
                        .with_hint("put the value inside a string literal instead"),
                    );
                    continue;
                }
                templates.entry(flavour).or_default().push(TemplateFile {
                    path,
                    name: inner.to_owned(),
                    output,
                    text: text.to_owned(),
                });
            }
            _ if rel.ends_with(".md") => {}
            _ => warnings.push(Diagnostic::warning(
                Place::file(&path),
                Code::BlueprintFileIgnored,
                "not blueprint.yaml, a bicep/*.tera or terraform/*.tera template; ignored",
            )),
        }
    }
    let Some(text) = manifest_text else {
        errors.push(Diagnostic::error(
            Place::file(&manifest_path),
            Code::BlueprintMissingManifest,
            format!("blueprint folder `{dir}` has no blueprint.yaml"),
        ));
        return Err(errors);
    };
    let manifest = match parse_manifest(text) {
        Ok(m) => m,
        Err((msg, line, column)) => {
            errors.push(Diagnostic::error(
                Place::new(&manifest_path, line, column),
                Code::ManifestInvalid,
                msg,
            ));
            return Err(errors);
        }
    };
    errors.extend(check_manifest(&manifest, name, &manifest_path, text));
    if templates.is_empty() {
        errors.push(Diagnostic::error(
            Place::file(&manifest_path),
            Code::BlueprintMissingFlavour,
            format!("blueprint `{name}` has no templates"),
        ));
    }
    for flavour in Flavour::ALL {
        if !templates.contains_key(&flavour) {
            warnings.push(Diagnostic::warning(
                Place::file(&manifest_path),
                Code::BlueprintMissingFlavour,
                format!(
                    "blueprint `{name}` has no {flavour} templates; it renders only to the other"
                ),
            ));
        }
    }
    for list in templates.values_mut() {
        list.sort_by(|a, b| a.name.cmp(&b.name));
    }
    if errors.iter().any(Diagnostic::is_error) {
        errors.extend(warnings);
        return Err(errors);
    }
    Ok((
        Blueprint {
            manifest,
            templates,
            source: source.to_owned(),
            manifest_path,
        },
        warnings,
    ))
}

/// The line of a `safe` filter (`| safe`, `filter safe`) in a template, if any.
fn uses_safe_filter(text: &str) -> Option<u32> {
    for (i, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(p) = rest.find("safe") {
            let before = rest[..p].trim_end();
            let after = rest[p + 4..].chars().next();
            let is_word_end = !after.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if is_word_end && (before.ends_with('|') || before.ends_with("filter")) {
                return Some(i as u32 + 1);
            }
            rest = &rest[p + 4..];
        }
    }
    None
}

/// Semantic checks of a manifest that the types cannot express.
pub(crate) fn check_manifest(
    m: &Manifest,
    folder: &str,
    path: &str,
    text: &str,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let at = |key: &str| Place::new(path, line_of_key(text, key), 0);
    let mut err = |place: Place, code: Code, msg: String| {
        out.push(Diagnostic::error(place, code, msg));
    };
    if m.name != folder {
        err(
            at("name"),
            Code::ManifestName,
            format!("name `{}` differs from the folder `{folder}`", m.name),
        );
    }
    if full_match_ok(r"[a-z][a-z0-9-]{1,62}", &m.name).is_none() {
        err(
            at("name"),
            Code::ManifestName,
            format!("name `{}` is not lowercase kebab-case", m.name),
        );
    }
    if full_match_ok(
        r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)",
        &m.version,
    )
    .is_none()
    {
        err(
            at("version"),
            Code::ManifestVersion,
            format!("version `{}` is not MAJOR.MINOR.PATCH", m.version),
        );
    }
    if m.description.trim().is_empty() {
        err(
            at("description"),
            Code::ManifestDescription,
            "description is empty".into(),
        );
    }
    for (name, p) in &m.parameters {
        let place = at(name);
        if full_match_ok(r"[a-z][a-z0-9_]{0,62}", name).is_none() {
            err(
                place.clone(),
                Code::ManifestParameter,
                format!("parameter name `{name}` must match ^[a-z][a-z0-9_]{{0,62}}$"),
            );
        }
        if p.description().trim().is_empty() {
            err(
                place.clone(),
                Code::ManifestParameter,
                format!("parameter `{name}` has no description"),
            );
        }
        if let Some(d) = p.default_value() {
            for (code, msg, _) in check_value(name, p, &d) {
                err(place.clone(), code, format!("default: {msg}"));
            }
        }
        match p {
            Parameter::String(s) => {
                if let Some(pat) = &s.pattern
                    && let Err(e) = super::params::full_match(pat, "")
                {
                    err(
                        place.clone(),
                        Code::ManifestInvalidPattern,
                        format!("parameter `{name}`: {e}"),
                    );
                }
                if s.max_length
                    .is_some_and(|n| n as usize > super::params::MAX_STRING_CHARS)
                {
                    err(
                        place.clone(),
                        Code::ManifestParameter,
                        format!("parameter `{name}`: max_length exceeds 256"),
                    );
                }
                for a in s.allowed.iter().flatten() {
                    for (code, msg) in string_hazards(&format!("parameter `{name}`"), a) {
                        err(place.clone(), code, format!("allowed value: {msg}"));
                    }
                }
                if s.allowed.as_ref().is_some_and(Vec::is_empty) {
                    err(
                        place.clone(),
                        Code::ManifestParameter,
                        format!("parameter `{name}`: allowed is empty"),
                    );
                }
            }
            Parameter::Integer(_) | Parameter::Number(_) => {
                let (min, max) = match p {
                    Parameter::Integer(i) => (i.min.map(|v| v as f64), i.max.map(|v| v as f64)),
                    Parameter::Number(n) => (n.min, n.max),
                    _ => (None, None),
                };
                if let (Some(a), Some(b)) = (min, max)
                    && a > b
                {
                    err(
                        place.clone(),
                        Code::ManifestParameter,
                        format!("parameter `{name}`: min > max"),
                    );
                }
            }
            Parameter::Boolean(_) => {}
        }
    }
    let refer = |field: &str, param: &str, types: &[&str]| -> Option<Diagnostic> {
        match m.parameters.get(param) {
            Some(p) if types.contains(&p.type_name()) => None,
            Some(p) => Some(Diagnostic::error(
                at(field),
                Code::ManifestReference,
                format!(
                    "`{field}: {param}` must name a {} parameter, not {}",
                    types.join(" or "),
                    p.type_name()
                ),
            )),
            None => Some(Diagnostic::error(
                at(field),
                Code::ManifestReference,
                format!("`{field}: {param}` names no parameter"),
            )),
        }
    };
    let mut refs = Vec::new();
    for rule in &m.allowed_by {
        refs.push(refer("parameter", &rule.parameter, &["string"]));
        refs.push(refer("by", &rule.by, &["string"]));
    }
    if let Some(g) = &m.gpu {
        refs.push(refer("sku_parameter", &g.sku_parameter, &["string"]));
        refs.push(refer("count_parameter", &g.count_parameter, &["integer"]));
        refs.push(refer("region_parameter", &g.region_parameter, &["string"]));
    }
    for line in &m.prices {
        let kinds = [
            line.sku.is_some(),
            line.sku_parameter.is_some(),
            line.monthly_usd.is_some(),
            line.monthly_usd_parameter.is_some(),
        ];
        if kinds.iter().filter(|k| **k).count() != 1 {
            refs.push(Some(Diagnostic::error(
                at("prices"),
                Code::ManifestPrice,
                format!("price line `{}` needs exactly one of sku, sku_parameter, monthly_usd, monthly_usd_parameter", line.description),
            )));
        }
        if line.count.is_some() && line.count_parameter.is_some() {
            refs.push(Some(Diagnostic::error(
                at("prices"),
                Code::ManifestPrice,
                format!(
                    "price line `{}` has both count and count_parameter",
                    line.description
                ),
            )));
        }
        if let Some(p) = &line.sku_parameter {
            refs.push(refer("sku_parameter", p, &["string"]));
        }
        if let Some(p) = &line.count_parameter {
            refs.push(refer("count_parameter", p, &["integer"]));
        }
        if let Some(p) = &line.spot_parameter {
            refs.push(refer("spot_parameter", p, &["boolean"]));
        }
        if let Some(p) = &line.monthly_usd_parameter {
            refs.push(refer("monthly_usd_parameter", p, &["integer", "number"]));
        }
        if line.sku.is_some() || line.sku_parameter.is_some() {
            let region = line.region_parameter.as_deref().unwrap_or("location");
            refs.push(refer("region_parameter", region, &["string"]));
        }
        if line.monthly_usd.is_some_and(|v| !(0.0..1e9).contains(&v)) {
            refs.push(Some(Diagnostic::error(
                at("prices"),
                Code::ManifestPrice,
                "monthly_usd must be between 0 and 1e9".to_owned(),
            )));
        }
    }
    out.extend(refs.into_iter().flatten());
    let mut seen = std::collections::BTreeSet::new();
    for skip in &m.checkov_skips {
        let place = at("checkov_skips");
        if full_match_ok(r"CKV2?_[A-Z0-9]+_[0-9]+", &skip.id).is_none() {
            out.push(Diagnostic::error(
                place.clone(),
                Code::ManifestCheckovSkip,
                format!("`{}` is not a checkov check id", skip.id),
            ));
        }
        if skip.reason.trim().chars().count() < 20 {
            out.push(
                Diagnostic::error(
                    place.clone(),
                    Code::ManifestCheckovSkip,
                    format!(
                        "skip of {} needs a written reason (20 characters or more)",
                        skip.id
                    ),
                )
                .with_hint("say why the check does not apply to this blueprint"),
            );
        }
        for (code, msg) in string_hazards(&format!("the reason of skip {}", skip.id), &skip.reason)
        {
            out.push(Diagnostic::error(place.clone(), code, msg));
        }
        for r in skip.resources.iter().flatten() {
            if full_match_ok(
                r"azurerm_[a-z0-9_]{1,80}|Microsoft\.[A-Za-z]{2,40}(/[A-Za-z]{2,60}){1,3}",
                r,
            )
            .is_none()
            {
                out.push(
                    Diagnostic::error(
                        place.clone(),
                        Code::ManifestCheckovSkip,
                        format!("`{r}` in the resources of skip {} is not a resource type", skip.id),
                    )
                    .with_hint("write an azurerm_* type or a Bicep type such as Microsoft.Storage/storageAccounts"),
                );
            }
        }
        if !seen.insert(&skip.id) {
            out.push(Diagnostic::error(
                place,
                Code::ManifestCheckovSkip,
                format!("{} is skipped twice", skip.id),
            ));
        }
    }
    for sku in m.allowed_vm_skus.iter().flatten() {
        if full_match_ok(super::guardrails::VM_SKU, sku).is_none() {
            out.push(
                Diagnostic::error(
                    at("allowed_vm_skus"),
                    Code::ManifestVmSku,
                    format!("`{}` is not a VM size", sku.escape_debug()),
                )
                .with_hint("write ARM VM size names such as Standard_NC24ads_A100_v4"),
            );
        }
    }
    let example_at = at("example_parameters");
    out.extend(validate_against(m, &m.example_parameters, &|_| {
        example_at.clone()
    }));
    out
}

fn full_match_ok(pattern: &str, value: &str) -> Option<()> {
    (super::params::full_match(pattern, value) == Ok(true)).then_some(())
}
