//! Value types with meaning: time spans such as `2w`, money with its currency, identifiers
//! and GitHub logins. Each parses from the string people write in YAML and refuses anything
//! else with a message that says what to write instead.

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::fmt;
use std::str::FromStr;

/// Implements `Deserialize` through `FromStr`, `Serialize` through `Display`, and a JSON
/// Schema of a string with a pattern and a description.
macro_rules! string_type {
    ($ty:ident, $name:literal, $pattern:expr, $desc:literal) => {
        string_type!(@impl $ty, $name, { "type": "string", "pattern": $pattern, "description": $desc });
    };
    ($ty:ident, $name:literal, $pattern:expr, $desc:literal, $max:literal) => {
        string_type!(@impl $ty, $name, { "type": "string", "pattern": $pattern, "maxLength": $max, "description": $desc });
    };
    (@impl $ty:ident, $name:literal, $schema:tt) => {
        impl<'de> Deserialize<'de> for $ty {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = <Cow<'de, str>>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl Serialize for $ty {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }
        impl JsonSchema for $ty {
            fn schema_name() -> Cow<'static, str> {
                Cow::Borrowed($name)
            }
            fn json_schema(_: &mut SchemaGenerator) -> Schema {
                json_schema!($schema)
            }
        }
    };
}

/// A length of time in whole days, written `14d` or `2w`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    days: u32,
}

impl Span {
    pub const fn days(days: u32) -> Span {
        Span { days }
    }
    pub const fn weeks(weeks: u32) -> Span {
        Span { days: weeks * 7 }
    }
    pub fn in_days(self) -> u32 {
        self.days
    }
}

impl FromStr for Span {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not a duration: write a whole number of days or weeks, such as `14d` or `2w`"
            )
        };
        let s = s.trim();
        let (num, unit) = s.split_at(s.len().saturating_sub(1));
        let n: u32 = num.parse().map_err(|_| bad())?;
        if n == 0 || num.starts_with('+') {
            return Err(bad());
        }
        match unit {
            "d" => Ok(Span::days(n)),
            "w" => n.checked_mul(7).map(Span::days).ok_or_else(bad),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.days.is_multiple_of(7) {
            write!(f, "{}w", self.days / 7)
        } else {
            write!(f, "{}d", self.days)
        }
    }
}

string_type!(
    Span,
    "Span",
    "^[1-9][0-9]*[dw]$",
    "A duration in days or weeks, e.g. `14d` or `2w`."
);

/// An amount of money in minor units (cents) with its ISO 4217 currency, written `3000 USD`
/// or `1250.50 EUR`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    pub cents: i64,
    pub currency: Currency,
}

/// A three-letter ISO 4217 currency code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Currency([u8; 3]);

impl Currency {
    pub fn as_str(&self) -> &str {
        // Constructed only from ASCII uppercase letters.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl FromStr for Currency {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let b = s.as_bytes();
        if b.len() == 3 && b.iter().all(u8::is_ascii_uppercase) {
            Ok(Currency([b[0], b[1], b[2]]))
        } else {
            Err(format!(
                "`{s}` is not a currency: write a three-letter ISO 4217 code such as USD or EUR"
            ))
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Money {
    pub fn new(cents: i64, currency: Currency) -> Money {
        Money { cents, currency }
    }

    /// The sum, or `None` when the currencies differ or it overflows.
    pub fn checked_add(self, other: Money) -> Option<Money> {
        (self.currency == other.currency)
            .then(|| self.cents.checked_add(other.cents))
            .flatten()
            .map(|cents| Money {
                cents,
                currency: self.currency,
            })
    }

    /// `self / other` as a ratio, or `None` when the currencies differ or `other` is zero.
    pub fn ratio(self, other: Money) -> Option<f64> {
        (self.currency == other.currency && other.cents != 0)
            .then(|| self.cents as f64 / other.cents as f64)
    }
}

impl FromStr for Money {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{s}` is not an amount of money: write a number with at most two decimals and a currency, such as `3000 USD` or `1250.50 EUR`"
            )
        };
        let mut parts = s.split_whitespace();
        let (Some(amount), Some(cur), None) = (parts.next(), parts.next(), parts.next()) else {
            return Err(bad());
        };
        let currency: Currency = cur.parse()?;
        let (whole, frac) = amount.split_once('.').unwrap_or((amount, ""));
        if whole.is_empty()
            || !whole.bytes().all(|b| b.is_ascii_digit())
            || frac.len() > 2
            || !frac.bytes().all(|b| b.is_ascii_digit())
            || (amount.contains('.') && frac.is_empty())
        {
            return Err(bad());
        }
        let whole: i64 = whole.parse().map_err(|_| bad())?;
        let frac: i64 = if frac.is_empty() {
            0
        } else {
            format!("{frac:0<2}").parse().map_err(|_| bad())?
        };
        let cents = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(frac))
            .ok_or_else(bad)?;
        Ok(Money { cents, currency })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.cents < 0 { "-" } else { "" };
        let abs = self.cents.unsigned_abs();
        if abs.is_multiple_of(100) {
            write!(f, "{sign}{} {}", abs / 100, self.currency)
        } else {
            write!(f, "{sign}{}.{:02} {}", abs / 100, abs % 100, self.currency)
        }
    }
}

string_type!(
    Money,
    "Money",
    "^[0-9]+(\\.[0-9]{1,2})? [A-Z]{3}$",
    "An amount and an ISO 4217 currency, e.g. `3000 USD`."
);

/// A kebab-case identifier: file names of experiments, teams, use cases, radar entries.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Id(String);

pub const ID_PATTERN: &str = "^[a-z](?:-?[a-z0-9])*$";

impl Id {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Id {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let ok = !s.is_empty()
            && s.len() <= 63
            && s.as_bytes()[0].is_ascii_lowercase()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Id(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a valid identifier: use 1 to 63 lowercase letters, digits and single hyphens, starting with a letter (e.g. `rag-support-bot`)"
            ))
        }
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Id {
    fn borrow(&self) -> &str {
        &self.0
    }
}

string_type!(
    Id,
    "Id",
    "^[a-z](?:-?[a-z0-9])*$",
    "A kebab-case identifier, e.g. `rag-support-bot`: 1 to 63 lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen.",
    63
);

/// A GitHub user login, e.g. `octocat`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Login(String);

impl Login {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Login {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.strip_prefix('@').unwrap_or(s);
        let ok = !s.is_empty()
            && s.len() <= 39
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-')
            && !s.contains("--");
        if ok {
            Ok(Login(s.to_string()))
        } else {
            Err(format!(
                "`{s}` is not a GitHub login: use up to 39 letters, digits and single hyphens (e.g. `octocat`)"
            ))
        }
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::borrow::Borrow<str> for Login {
    fn borrow(&self) -> &str {
        &self.0
    }
}

string_type!(
    Login,
    "Login",
    "^@?[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38}$",
    "A GitHub login, e.g. `octocat`."
);

/// A GitHub team, written `org/team-slug`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TeamRef {
    pub org: String,
    pub slug: String,
}

impl FromStr for TeamRef {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || {
            format!("`{s}` is not a GitHub team: write `org/team-slug`, e.g. `contoso/ml-platform`")
        };
        let t = s.strip_prefix('@').unwrap_or(s);
        let (org, slug) = t.split_once('/').ok_or_else(bad)?;
        let part_ok = |p: &str| {
            !p.is_empty()
                && p.len() <= 100
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        };
        if part_ok(org) && part_ok(slug) {
            Ok(TeamRef {
                org: org.to_string(),
                slug: slug.to_string(),
            })
        } else {
            Err(bad())
        }
    }
}

impl fmt::Display for TeamRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.org, self.slug)
    }
}

string_type!(
    TeamRef,
    "TeamRef",
    "^@?[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$",
    "A GitHub team, `org/team-slug`."
);

/// A rating from 1 to 5, as in the readiness scorecard and the skills matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Rating(u8);

impl Rating {
    pub fn new(v: u8) -> Option<Rating> {
        (1..=5).contains(&v).then_some(Rating(v))
    }
    pub fn get(self) -> u8 {
        self.0
    }
}

impl<'de> Deserialize<'de> for Rating {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = i64::deserialize(d)?;
        u8::try_from(v).ok().and_then(Rating::new).ok_or_else(|| {
            serde::de::Error::custom(format!(
                "rating {v} is out of range: rate from 1 (absent) to 5 (excellent)"
            ))
        })
    }
}

impl JsonSchema for Rating {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Rating")
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({ "type": "integer", "minimum": 1, "maximum": 5, "description": "1 (absent) to 5 (excellent)." })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_parse_and_print() {
        assert_eq!("2w".parse::<Span>().unwrap().in_days(), 14);
        assert_eq!("10d".parse::<Span>().unwrap().to_string(), "10d");
        assert_eq!("14d".parse::<Span>().unwrap().to_string(), "2w");
        for bad in ["", "w", "0w", "2", "2 weeks", "-1d", "+2w", "99999999999w"] {
            assert!(bad.parse::<Span>().is_err(), "{bad} should not parse");
        }
    }

    #[test]
    fn money_parses_exactly() {
        let m: Money = "1250.5 EUR".parse().unwrap();
        assert_eq!(m.cents, 125050);
        assert_eq!(m.to_string(), "1250.50 EUR");
        assert_eq!("3000 USD".parse::<Money>().unwrap().to_string(), "3000 USD");
        for bad in [
            "3000",
            "USD 3000",
            "3000 usd",
            "3.123 USD",
            "3. USD",
            "-1 USD",
            "1e3 USD",
            "99999999999999999999 USD",
        ] {
            assert!(bad.parse::<Money>().is_err(), "{bad} should not parse");
        }
        let usd: Money = "1 USD".parse().unwrap();
        assert!(usd.checked_add("1 EUR".parse().unwrap()).is_none());
    }

    #[test]
    fn ids_and_logins() {
        assert!("rag-bot".parse::<Id>().is_ok());
        for bad in ["Rag", "-a", "a-", "a--b", "1abc", "a_b", "", "../x"] {
            assert!(bad.parse::<Id>().is_err(), "{bad}");
        }
        assert_eq!("@octocat".parse::<Login>().unwrap().as_str(), "octocat");
        assert!("a b".parse::<Login>().is_err());
        assert_eq!("contoso/ml".parse::<TeamRef>().unwrap().slug, "ml");
    }
}
