//! `Located<T>`: a value together with the line and column it was written at, so that
//! checks made after parsing (an unknown team, an expired time box) still point at the line.

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::ops::Deref;

#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    /// 1-based; 0 when unknown (a value built in code rather than read from a file).
    pub line: u32,
    pub column: u32,
}

impl<T> Located<T> {
    /// A value with no place in a file.
    pub fn unplaced(value: T) -> Self {
        Located {
            value,
            line: 0,
            column: 0,
        }
    }
}

impl<T> Deref for Located<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

/// The name under which a `Located` asks its deserializer for a position. adoptbot's YAML
/// reader (`load::tree::De`) answers with the line, the column and the value; any other
/// deserializer (JSON, for example) gives the value alone, unplaced.
pub const LOCATED: &str = "$adoptbot::Located";

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Located<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Located<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a value")
            }
            fn visit_newtype_struct<D2: serde::Deserializer<'de>>(
                self,
                d: D2,
            ) -> Result<Located<T>, D2::Error> {
                T::deserialize(d).map(Located::unplaced)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<Located<T>, A::Error> {
                let line = s.next_element::<u32>()?.unwrap_or(0);
                let column = s.next_element::<u32>()?.unwrap_or(0);
                let value = s
                    .next_element::<T>()?
                    .ok_or_else(|| serde::de::Error::custom("a placed value without its value"))?;
                Ok(Located {
                    value,
                    line,
                    column,
                })
            }
        }
        d.deserialize_newtype_struct(LOCATED, V(std::marker::PhantomData))
    }
}

impl<T: Serialize> Serialize for Located<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(s)
    }
}

impl<T: JsonSchema> JsonSchema for Located<T> {
    fn inline_schema() -> bool {
        T::inline_schema()
    }
    fn schema_name() -> Cow<'static, str> {
        T::schema_name()
    }
    fn schema_id() -> Cow<'static, str> {
        T::schema_id()
    }
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        T::json_schema(generator)
    }
}
