//! Every diagnostic code, with what it means and how to fix it. Codes are stable and
//! kebab-case: scripts and editors match on them (`validate --format json`), and
//! `docs/framework.md` lists them all, generated from this table (a test keeps it true).

use serde::{Serialize, Serializer};
use std::fmt;

macro_rules! codes {
    ($( $variant:ident = $name:literal : $meaning:literal $(, fix $fix:literal)? ;)*) => {
        /// A diagnostic's code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code {
            $(
                #[doc = $meaning]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in the order of this table.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as diagnostics print it, e.g. `unknown-field`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// What the code means.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(Code::$variant => $meaning,)*
                }
            }

            /// How to fix it, where one fix serves every case (a diagnostic's own hint is
            /// more precise).
            pub const fn fix(self) -> Option<&'static str> {
                match self {
                    $(Code::$variant => codes!(@fix $($fix)?),)*
                }
            }
        }
    };
    (@fix $fix:literal) => { Some($fix) };
    (@fix) => { None };
}

codes! {
    BadDate = "bad-date" : "a date is not written as YYYY-MM-DD, or is not a day of the calendar", fix "write YYYY-MM-DD, for example 2026-12-01";
    BadFileName = "bad-file-name" : "a file name is not a valid id: the file name is the id (lowercase letters, digits and hyphens)";
    BadGuid = "bad-guid" : "… `…` is not a GUID", fix "write it as 00000000-0000-0000-0000-000000000000";
    BadPath = "bad-path" : "`…` is not a path inside the repository";
    BadSchedule = "bad-schedule" : "`…` is not a cron schedule: …", fix "write five fields in UTC: minute hour day-of-month month day-of-week, e.g. `0 6 * * 1-5`";
    BadValue = "bad-value" : "a value is not written the way its field needs: an id, a duration, an amount, a login, a team", fix "write it as the field's description says (the hint quotes it)";
    BlueprintCapRole = "blueprint-cap-role" : "the cap runbook's role allows `…`";
    BlueprintClaimMissing = "blueprint-claim-missing" : "blueprint `…` does not claim the mandatory control `…`";
    BlueprintClaimUnsupported = "blueprint-claim-unsupported" : "a blueprint claims a security control the scan cannot check";
    BlueprintFileIgnored = "blueprint-file-ignored" : "a file outside blueprints/ looks like a blueprint and is ignored";
    BlueprintLocalAuth = "blueprint-local-auth" : "a rendered resource leaves local (key) authentication on";
    BlueprintMissingFlavour = "blueprint-missing-flavour" : "blueprint `…` has no templates";
    BlueprintMissingManifest = "blueprint-missing-manifest" : "blueprint folder `…` has no blueprint.yaml";
    BlueprintMissingTags = "blueprint-missing-tags" : "a rendered taggable resource lacks the required tags";
    BlueprintNoAutoShutdown = "blueprint-no-auto-shutdown" : "a rendered VM has no auto-shutdown schedule";
    BlueprintNoCapAction = "blueprint-no-cap-action" : "a blueprint has no action group that starts the cap runbook at 100% of the cost cap";
    BlueprintNoCostCap = "blueprint-no-cost-cap" : "a blueprint has no budget on the experiment's resource group with an action at 100% of the cost cap";
    BlueprintNoDiagnostics = "blueprint-no-diagnostics" : "a rendered resource sends no diagnostics to a Log Analytics workspace";
    BlueprintNoGuardrailPolicy = "blueprint-no-guardrail-policy" : "a blueprint lacks a guardrail policy assignment (allowed SKUs, no public IPs, required tags, allowed locations)";
    BlueprintNoIdentity = "blueprint-no-identity" : "a rendered resource has no managed identity";
    BlueprintNoPrivateEndpoint = "blueprint-no-private-endpoint" : "a rendered resource that needs a private endpoint has none";
    BlueprintPublicNetwork = "blueprint-public-network" : "a rendered resource is reachable from the internet (a public IP, public network access on)";
    BlueprintRejected = "blueprint-rejected" : "blueprint `…` is not available until its errors are fixed";
    BlueprintUnsafePath = "blueprint-unsafe-path" : "a blueprint file path leaves the blueprint folder (.., absolute, a symlink)";
    ContextInvalid = "context-invalid" : "a value given to a template is empty or not what the template needs";
    CurrencyMismatch = "currency-mismatch" : "… is in …, but it is compared with …";
    DateInFuture = "date-in-future" : "phase_entered_on is …, after today (…)";
    DateMismatch = "date-mismatch" : "the file is named for … but assessed_on is …";
    DuplicateCostTag = "duplicate-cost-tag" : "the cost tag `…` is already used by experiment `…`";
    DuplicateId = "duplicate-id" : "two findings have the id `…`";
    DuplicateKey = "duplicate-key" : "the key `…` appears twice";
    DuplicateQuota = "duplicate-quota" : "… in … is listed twice";
    EmptyDocument = "empty-document" : "the file holds no document";
    EmptyField = "empty-field" : "`…` is empty", fix "say in a sentence what the … is";
    EstimateCurrency = "estimate-currency" : "monthly_usd lines need a USD price table, not …";
    EstimateOverCap = "estimate-over-cap" : "the estimate for … days is …, above the cost cap of …", fix "raise the cap, shorten the time box, or choose a smaller SKU, fewer instances or spot";
    EstimateParameter = "estimate-parameter" : "parameter `…` is not set to a string";
    FileTooLarge = "file-too-large" : "the file is … bytes, more than the … bytes adoptbot reads";
    FrameworkOrder = "framework-order" : "the built-in phases are not the six phases in order";
    InvalidDocument = "invalid-document" : "a document does not match its JSON Schema in a way no other code names";
    InvalidYaml = "invalid-yaml" : "the file is not valid YAML";
    ManifestCheckovSkip = "manifest-checkov-skip" : "`…` is not a checkov check id";
    ManifestDescription = "manifest-description" : "a blueprint or parameter description is empty";
    ManifestInvalid = "manifest-invalid" : "a blueprint.yaml does not match the manifest format";
    ManifestInvalidPattern = "manifest-invalid-pattern" : "parameter `…`: …";
    ManifestName = "manifest-name" : "name `…` differs from the folder `…`";
    ManifestParameter = "manifest-parameter" : "parameter name `…` must match ^[a-z][a-z0-9_]…}$";
    ManifestPrice = "manifest-price" : "price line `…` needs exactly one of sku, sku_parameter, monthly_usd, monthly_usd_parameter";
    ManifestReference = "manifest-reference" : "`…: …` must name a … parameter, not …";
    ManifestVersion = "manifest-version" : "version `…` is not MAJOR.MINOR.PATCH";
    ManifestVmSku = "manifest-vm-sku" : "`…` is not a VM size";
    MissingAdoption = "missing-adoption" : "the repository has no adoption.yaml", fix "create adoption.yaml with the organisation, its phase and its roles; see .adoptbot/schema/adoption.schema.json (written by `adoptbot init` or `adoptbot schema`)";
    MissingArea = "missing-area" : "the scorecard does not rate `…` (…)", fix "add `…: …}` under `areas:`; all six areas are required";
    MissingField = "missing-field" : "missing field …";
    MissingParameter = "missing-parameter" : "blueprint `…` requires parameter `…` (…), which has no default";
    MultipleDocuments = "multiple-documents" : "the file holds more than one YAML document";
    NoCostCap = "no-cost-cap" : "the cost cap must be more than zero";
    NoEvidence = "no-evidence" : "`…` is rated without evidence";
    NoFrontMatter = "no-front-matter" : "the runbook has no front matter", fix "start the file with a `---` line, then title, owner, covers and last_tested, then `---`";
    NoLeads = "no-leads" : "team `…` has no leads";
    NoQuotaHeadroom = "no-quota-headroom" : "the team's approved GPU quota for the SKU's family in that region has no room for the request", fix "request quota for … in … in teams/….yaml, or pick another region or SKU";
    NoSuccessCriteria = "no-success-criteria" : "experiment `…` has no success criteria", fix "add `success_criteria:` with metric, comparator and target, e.g. `- …`: experiments without success criteria are hobbies";
    NonStandardTimeBox = "non-standard-time-box" : "`…` is not a standard time box";
    NotAMember = "not-a-member" : "`…` has skills or training recorded but is not a lead or member";
    NotRead = "not-read" : "only phases/overrides.yaml is read from phases/", fix "put threshold overrides in phases/overrides.yaml; the phases themselves are the framework's";
    NotStarted = "not-started" : "the status is `…` but there is no `started_on` date", fix "the provisioning PR writes started_on; add the day the environment was provisioned";
    NotText = "not-text" : "the file is not UTF-8 text", fix "adoption documents are YAML text; save the file as UTF-8, or remove binary content";
    NotUtf8 = "not-utf8" : "a file is not UTF-8 text";
    OutOfRange = "out-of-range" : "a value is outside the range it may take (a percentage, a rating, a threshold)";
    OverTeamBudget = "over-team-budget" : "the estimate of … is more than the … left of team `…`'s monthly budget of … after its other open experiments", fix "ask the team lead to confirm the spend, or end another experiment first";
    OverrideChangesCheck = "override-changes-check" : "`…` of gate … is checked by `…`; an override may change its thresholds only, not make it `…`", fix "write `…` with the thresholds you want";
    OwnerNotInTeam = "owner-not-in-team" : "`…` is not a lead or member of team `…`";
    ParameterCombination = "parameter-combination" : "two parameters do not go together, e.g. a model version that the chosen model is not offered at";
    ParameterForbiddenCharacter = "parameter-forbidden-character" : "… contains the forbidden character U+… at position …";
    ParameterNotAllowed = "parameter-not-allowed" : "parameter `…` is …, which is not one of the allowed values: …";
    ParameterPattern = "parameter-pattern" : "parameter `…` is …, which does not match the pattern `…`";
    ParameterRange = "parameter-range" : "parameter `…` has … characters; at least … are required";
    ParameterTooLong = "parameter-too-long" : "… is … characters long; the limit is …";
    ParameterType = "parameter-type" : "parameter `…` must be …, not … (…)";
    PriceMissing = "price-missing" : "the price table (as of …) has no … Linux price for … in …";
    PriceTableInvalid = "price-table-invalid" : "blueprints/prices.json does not match the price table format";
    PublicNetworkAccess = "public-network-access" : "a resource has public network access enabled";
    QuotaPending = "quota-pending" : "waiting for quota: team `…` has requested … in …, not yet approved";
    RenderFailed = "render-failed" : "template failed to render: …";
    RenderUnbalanced = "render-unbalanced" : "rendered … does not scan: …";
    RoleUnassigned = "role-unassigned" : "the role `…` approves the current gate and nobody holds it";
    SettingInvalid = "setting-invalid" : "a setting in adoption.yaml is not valid";
    SkuTableInvalid = "sku-table-invalid" : "blueprints/skus.json does not match the SKU table format";
    SkuUnknown = "sku-unknown" : "blueprints/skus.json has no entry for …";
    SloInconsistent = "slo-inconsistent" : "met_since is … but a violation is recorded on …";
    StatusBehind = "status-behind" : "the experiment has an outcome but is still running";
    Symlink = "symlink" : "symbolic links are not followed", fix "replace the link with the file itself; a link could point outside the repository";
    TabIndentation = "tab-indentation" : "a tab where YAML allows only spaces (…)";
    TemplateBadName = "template-bad-name" : "a … template must render to a `…` file, not `…`";
    TemplateReservedName = "template-reserved-name" : "`…` is written by adoptbot for every blueprint";
    TemplateSyntax = "template-syntax" : "template does not parse: …";
    TemplateUnescaped = "template-unescaped" : "templates may not use the `safe` filter: every value is escaped";
    TemplateUnquotedValue = "template-unquoted-value" : "blueprint `…` (…): with a hostile value in …, …";
    TooComplex = "too-complex" : "the document is too complex to read: …";
    TooManyRenewals = "too-many-renewals" : "… renewals, and at most … are allowed";
    UndatedApproval = "undated-approval" : "an approved quota has no approved_on date";
    UnknownBlueprint = "unknown-blueprint" : "there is no blueprint `…`";
    UnknownDeliverable = "unknown-deliverable" : "gate … has no … `…`";
    UnknownExperiment = "unknown-experiment" : "there is no experiment `…`";
    UnknownField = "unknown-field" : "unknown field …";
    UnknownGate = "unknown-gate" : "there is no gate `…`";
    UnknownParameter = "unknown-parameter" : "blueprint `…` has no parameter `…`";
    UnknownRole = "unknown-role" : "no gate has the role `…`";
    UnknownTeam = "unknown-team" : "a document names a team that has no file in teams/";
    UnknownUseCase = "unknown-use-case" : "there is no use case `…`";
    UnknownValue = "unknown-value" : "unknown value …";
    UnmeasurableCriterion = "unmeasurable-criterion" : "a success criterion needs a metric name and a finite target";
    Unreadable = "unreadable" : "could not read the file: …";
    WrongExtension = "wrong-extension" : "adoptbot reads adoption.yaml, not adoption.yml";
    WrongType = "wrong-type" : "a value has the wrong type, e.g. a word where a number belongs";
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<Code> for &str {
    fn eq(&self, other: &Code) -> bool {
        *self == other.as_str()
    }
}

/// The table of every code, as `docs/framework.md` shows it.
pub fn markdown_table() -> String {
    let mut out = String::from("| code | what it means | how to fix it |\n|---|---|---|\n");
    for c in Code::ALL {
        out.push_str(&format!(
            "| `{}` | {} | {} |\n",
            c.as_str(),
            c.meaning().replace('|', "\\|"),
            c.fix()
                .unwrap_or("see the diagnostic's hint")
                .replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case_and_documented() {
        let mut seen = std::collections::BTreeSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.split('-').all(|w| !w.is_empty()
                    && w.chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit())),
                "{s}"
            );
            assert!(!c.meaning().trim().is_empty(), "{s}");
        }
    }
}
