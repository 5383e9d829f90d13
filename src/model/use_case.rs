//! `use-cases/<id>.yaml`: a use case validated in Phase 4, technically, operationally and
//! economically, with its production infrastructure estimate.

use super::{Id, Located, Login, Money};
use chrono::NaiveDate;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UseCase {
    pub title: String,
    pub team: Located<Id>,
    /// The experiments that validated it.
    #[serde(default)]
    pub experiments: Vec<Located<Id>>,
    pub validation: Validation,
    /// Compute, storage, networking and projected monthly cost in production.
    #[serde(default)]
    pub production_estimate: Option<ProductionEstimate>,
    /// Who reviewed the costs, and when.
    #[serde(default)]
    pub cost_review: Option<CostReview>,
    /// The monthly cost observed in production, once it runs there.
    #[serde(default)]
    pub actual_monthly_cost: Option<Located<Money>>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Validation {
    /// The model works.
    #[serde(default)]
    pub technical: bool,
    /// The infrastructure supports it.
    #[serde(default)]
    pub operational: bool,
    /// The cost is justifiable.
    #[serde(default)]
    pub economic: bool,
    #[serde(default)]
    pub validated_on: Option<NaiveDate>,
}

impl Validation {
    pub fn is_complete(&self) -> bool {
        self.technical && self.operational && self.economic && self.validated_on.is_some()
    }
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductionEstimate {
    pub compute: String,
    pub storage: String,
    pub networking: String,
    pub monthly_cost: Located<Money>,
}

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CostReview {
    pub reviewed_by: Login,
    pub reviewed_on: NaiveDate,
    #[serde(default)]
    pub notes: Option<String>,
}
