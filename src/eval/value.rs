//! Runtime values. `Unknown` is a value like any other: a fact absent from the
//! data, a `tbd` constant, or anything computed from them.

use std::collections::BTreeMap;

use rust_decimal::Decimal;

use crate::ir::DurationUnit;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Unknown,
    Bool(bool),
    /// Counts, numbers, money, percentages (as fractions) and years: the
    /// checked type says which.
    Decimal(Decimal),
    Date(jiff::civil::Date),
    Month(crate::ir::YearMonth),
    Time(jiff::civil::Time),
    Duration {
        amount: i64,
        unit: DurationUnit,
    },
    Text(String),
    Enum(String),
    /// A yearly series; a year without a value is unknown.
    Series(BTreeMap<i32, Value>),
    List(Vec<Value>),
    /// A record; a missing field is unknown.
    Record(BTreeMap<String, Value>),
}

impl Value {
    pub fn is_unknown(&self) -> bool {
        matches!(self, Value::Unknown)
    }

    /// Three-valued truth of a boolean value.
    pub fn truth(&self) -> Truth {
        match self {
            Value::Bool(true) => Truth::True,
            Value::Bool(false) => Truth::False,
            _ => Truth::Unknown,
        }
    }
}

/// Kleene's three truth values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Truth {
    False,
    Unknown,
    True,
}

impl Truth {
    pub fn value(self) -> Value {
        match self {
            Truth::True => Value::Bool(true),
            Truth::False => Value::Bool(false),
            Truth::Unknown => Value::Unknown,
        }
    }

    pub fn negate(self) -> Truth {
        match self {
            Truth::True => Truth::False,
            Truth::False => Truth::True,
            Truth::Unknown => Truth::Unknown,
        }
    }

    /// Kleene `and`: false wins, then unknown.
    pub fn and(self, other: Truth) -> Truth {
        self.min(other)
    }

    /// Kleene `or`: true wins, then unknown.
    pub fn or(self, other: Truth) -> Truth {
        self.max(other)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Truth::True => "true",
            Truth::False => "false",
            Truth::Unknown => "unknown",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Truth::*;

    #[test]
    fn kleene_tables() {
        assert_eq!(False.and(Unknown), False);
        assert_eq!(True.and(Unknown), Unknown);
        assert_eq!(True.or(Unknown), True);
        assert_eq!(False.or(Unknown), Unknown);
        assert_eq!(Unknown.negate(), Unknown);
    }
}
