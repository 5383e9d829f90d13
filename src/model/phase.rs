//! The six phases of the framework, in order.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Diagnostic,
    Enablement,
    InfrastructurePreparation,
    Experimentation,
    ScaleAndGovernance,
    ContinuousAdoption,
}

impl Phase {
    pub const ALL: [Phase; 6] = [
        Phase::Diagnostic,
        Phase::Enablement,
        Phase::InfrastructurePreparation,
        Phase::Experimentation,
        Phase::ScaleAndGovernance,
        Phase::ContinuousAdoption,
    ];

    /// 1 to 6.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    pub fn from_number(n: u8) -> Option<Phase> {
        Phase::ALL.get(usize::from(n).checked_sub(1)?).copied()
    }

    /// The kebab-case name used in YAML, e.g. `infrastructure-preparation`.
    pub fn slug(self) -> &'static str {
        match self {
            Phase::Diagnostic => "diagnostic",
            Phase::Enablement => "enablement",
            Phase::InfrastructurePreparation => "infrastructure-preparation",
            Phase::Experimentation => "experimentation",
            Phase::ScaleAndGovernance => "scale-and-governance",
            Phase::ContinuousAdoption => "continuous-adoption",
        }
    }

    /// The title the framework gives the phase.
    pub fn title(self) -> &'static str {
        match self {
            Phase::Diagnostic => "Diagnostic",
            Phase::Enablement => "Enablement",
            Phase::InfrastructurePreparation => "Infrastructure Preparation",
            Phase::Experimentation => "Experimentation",
            Phase::ScaleAndGovernance => "Scale and Governance",
            Phase::ContinuousAdoption => "Continuous Adoption",
        }
    }

    pub fn next(self) -> Option<Phase> {
        Phase::from_number(self.number() + 1)
    }

    pub fn previous(self) -> Option<Phase> {
        Phase::from_number(self.number().checked_sub(1)?)
    }

    pub fn from_slug(s: &str) -> Option<Phase> {
        Phase::ALL.into_iter().find(|p| p.slug() == s)
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.number(), self.title())
    }
}

fn expected() -> String {
    let names: Vec<_> = Phase::ALL
        .iter()
        .map(|p| format!("{} ({})", p.number(), p.slug()))
        .collect();
    format!("write a phase number or name: {}", names.join(", "))
}

impl<'de> Deserialize<'de> for Phase {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Phase;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a phase number 1-6 or a phase name")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Phase, E> {
                u8::try_from(v)
                    .ok()
                    .and_then(Phase::from_number)
                    .ok_or_else(|| E::custom(format!("there is no phase {v}: {}", expected())))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Phase, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("there is no phase {v}: {}", expected())))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Phase, E> {
                Phase::from_slug(v)
                    .or_else(|| v.parse::<u8>().ok().and_then(Phase::from_number))
                    .ok_or_else(|| E::custom(format!("unknown phase `{v}`: {}", expected())))
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Phase {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.slug())
    }
}

impl JsonSchema for Phase {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Phase")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let names: Vec<_> = Phase::ALL.iter().map(|p| p.slug()).collect();
        json_schema!({
            "description": "The adoption phase: its number (1-6) or its name: 1 `diagnostic`, 2 `enablement`, 3 `infrastructure-preparation`, 4 `experimentation`, 5 `scale-and-governance`, 6 `continuous-adoption`.",
            "oneOf": [
                { "type": "integer", "minimum": 1, "maximum": 6 },
                { "type": "string", "enum": names }
            ]
        })
    }
}
