//! The unit algebra: which arithmetic and comparisons are allowed, and what
//! type they produce.
//!
//! The rules follow what the amounts mean: a count of patients divided by a
//! count of patients is a share (percent); money times a percentage is money;
//! money compared with a count is a mistake.

use crate::ir::{ArithOp, Type};

/// The type of `lhs op rhs`, or `None` when the units do not combine.
pub fn arith(op: ArithOp, lhs: &Type, rhs: &Type) -> Option<Type> {
    use Type::*;
    if matches!(lhs, Invalid) || matches!(rhs, Invalid) {
        return Some(Invalid);
    }
    let plain = |t: &Type| matches!(t, Count | Number);
    Some(match op {
        ArithOp::Add | ArithOp::Sub => match (lhs, rhs) {
            (Count, Count) if op == ArithOp::Add => Count,
            (l, r) if plain(l) && plain(r) => Number,
            (Money, Money) => Money,
            (Percent, Percent) => Percent,
            (Year, Count) => Year,
            (Year, Year) if op == ArithOp::Sub => Number,
            (Date, Duration) => Date,
            _ => return None,
        },
        ArithOp::Mul => match (lhs, rhs) {
            (Count, Count) => Count,
            (l, r) if plain(l) && plain(r) => Number,
            (Money, r) if plain(r) || *r == Percent => Money,
            (l, Money) if plain(l) || *l == Percent => Money,
            (Percent, r) if plain(r) || *r == Percent => Percent,
            (l, Percent) if plain(l) => Percent,
            _ => return None,
        },
        ArithOp::Div => match (lhs, rhs) {
            (Count, Count) => Percent,
            (l, r) if plain(l) && plain(r) => Number,
            (Money, Money) => Percent,
            (Money, r) if plain(r) || *r == Percent => Money,
            (Percent, Percent) => Number,
            (Percent, r) if plain(r) => Percent,
            _ => return None,
        },
    })
}

/// Whether two values can be compared with `==` / `!=` (and `<` etc. when
/// `ordering` is set).
pub fn comparable(lhs: &Type, rhs: &Type, ordering: bool) -> bool {
    use Type::*;
    match (lhs, rhs) {
        (Invalid, _) | (_, Invalid) => true,
        (Count | Number, Count | Number) => true,
        (Year, Year) | (Year, Count) | (Count, Year) => true,
        (Money, Money) | (Percent, Percent) | (Date, Date) => true,
        (Month, Month) | (Time, Time) => true,
        (Bool, Bool) | (Text, Text) => !ordering,
        (Enum { values: a }, Enum { values: b }) => !ordering && a == b,
        _ => false,
    }
}

/// Whether the types of both sides can be ordered at all (for the message).
pub fn orderable(ty: &Type) -> bool {
    matches!(
        ty,
        Type::Count
            | Type::Number
            | Type::Money
            | Type::Percent
            | Type::Date
            | Type::Month
            | Type::Time
            | Type::Year
            | Type::Invalid
    )
}

/// The type of `-x`.
pub fn negate(ty: &Type) -> Option<Type> {
    match ty {
        Type::Count | Type::Number => Some(Type::Number),
        Type::Money | Type::Percent | Type::Invalid => Some(ty.clone()),
        _ => None,
    }
}

/// Whether a value of type `found` may stand where `expected` is declared
/// (constants, test facts): only exact matches, plus counts where numbers or
/// years are expected.
pub fn assignable(found: &Type, expected: &Type) -> bool {
    found == expected
        || matches!(found, Type::Invalid)
        || matches!(
            (found, expected),
            (Type::Count, Type::Number) | (Type::Count, Type::Year)
        )
}

/// A short phrase for messages: "money", "a count", "a yearly series".
pub fn phrase(ty: &Type) -> String {
    match ty {
        Type::Bool => "a yes/no value".into(),
        Type::Count => "a count".into(),
        Type::Number => "a number".into(),
        Type::Money => "money".into(),
        Type::Percent => "a percentage".into(),
        Type::Date => "a date".into(),
        Type::Month => "a month".into(),
        Type::Time => "a time of day".into(),
        Type::Year => "a year".into(),
        Type::Duration => "a duration".into(),
        Type::Text => "text".into(),
        Type::Enum { .. } => format!("one of `{}`", ty.describe()),
        Type::Series { of } => format!("a yearly series of {}", phrase(of)),
        Type::List { .. } => "a list".into(),
        Type::Record { .. } => "a record".into(),
        Type::Invalid => "an invalid value".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count_over_count_is_a_share() {
        assert_eq!(
            arith(ArithOp::Div, &Type::Count, &Type::Count),
            Some(Type::Percent)
        );
    }

    #[test]
    fn money_times_percent_is_money() {
        assert_eq!(
            arith(ArithOp::Mul, &Type::Money, &Type::Percent),
            Some(Type::Money)
        );
        assert_eq!(
            arith(ArithOp::Mul, &Type::Percent, &Type::Money),
            Some(Type::Money)
        );
    }

    #[test]
    fn money_and_count_do_not_mix() {
        assert_eq!(arith(ArithOp::Add, &Type::Money, &Type::Count), None);
        assert!(!comparable(&Type::Money, &Type::Count, true));
    }

    #[test]
    fn years_shift_by_counts() {
        assert_eq!(
            arith(ArithOp::Sub, &Type::Year, &Type::Count),
            Some(Type::Year)
        );
        assert!(comparable(&Type::Year, &Type::Count, true));
    }

    #[test]
    fn booleans_are_not_ordered() {
        assert!(comparable(&Type::Bool, &Type::Bool, false));
        assert!(!comparable(&Type::Bool, &Type::Bool, true));
    }
}
