//! Comparisons: of two values as the reference interpreter orders them, and
//! of a number with a constant as one integer test ([`ConstCompare`]).

use rust_decimal::Decimal;

use super::{Scalar, Undefined};
use crate::ir::CmpOp;

/// The scales a `Decimal` can have.
pub(super) const SCALES: usize = 29;

/// A number compared with a constant, as a comparison of integers.
///
/// A decimal `d` is `m / 10^s` (its mantissa and scale), so `d < c` is
/// `m < c * 10^s`. For every scale `s` a threshold `T` is precomputed so
/// that the comparison is one integer test of `m`: with `F` the floor of
/// `c * 10^s`, `m < c*10^s` is `m < F` when `c * 10^s` is whole and `m < F + 1`
/// otherwise; `>=` is the negation of `<`, `<=` of `>`, which is `<` with
/// `F + 1`; and `m == c*10^s` is `m == F` when whole and never otherwise.
/// Exact, and a few integer instructions where `Decimal`'s own comparison
/// rescales both operands.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ConstCompare {
    /// `m == T` instead of `m < T`.
    pub(super) equal: bool,
    /// The result is the test's negation.
    pub(super) negate: bool,
    pub(super) threshold: [i128; SCALES],
}

impl ConstCompare {
    /// `value op constant`.
    pub(super) fn new(op: CmpOp, constant: Decimal) -> ConstCompare {
        let mantissa = constant.mantissa();
        let scale = constant.scale();
        let (equal, negate) = match op {
            CmpOp::Lt | CmpOp::Le => (false, false),
            CmpOp::Gt | CmpOp::Ge => (false, true),
            CmpOp::Eq => (true, false),
            CmpOp::Ne => (true, true),
        };
        let mut threshold = [0i128; SCALES];
        for (s, t) in threshold.iter_mut().enumerate() {
            let s = u32::try_from(s).unwrap_or(0);
            // `c * 10^s` as its floor and whether that is all of it.
            let (floor, whole) = if s >= scale {
                // Beyond i128 is beyond every mantissa (at most 96 bits), so
                // saturating keeps every comparison.
                let scaled = 10i128
                    .checked_pow(s - scale)
                    .and_then(|p| mantissa.checked_mul(p))
                    .unwrap_or(if mantissa > 0 { i128::MAX } else { i128::MIN });
                (scaled, true)
            } else {
                let p = 10i128.pow(scale - s);
                (mantissa.div_euclid(p), mantissa.rem_euclid(p) == 0)
            };
            *t = match op {
                // `m < c*10^s` and its negation `>=`.
                CmpOp::Lt | CmpOp::Ge if whole => floor,
                // `m <= c*10^s`, `m < F + 1`, and its negation `>`.
                CmpOp::Lt | CmpOp::Ge | CmpOp::Le | CmpOp::Gt => floor.saturating_add(1),
                // No mantissa is i128::MAX, so `m == T` never holds.
                CmpOp::Eq | CmpOp::Ne if !whole => i128::MAX,
                CmpOp::Eq | CmpOp::Ne => floor,
            };
        }
        ConstCompare {
            equal,
            negate,
            threshold,
        }
    }

    #[inline(always)]
    pub(super) fn holds(&self, value: Decimal) -> bool {
        let m = value.mantissa();
        let Some(&t) = self.threshold.get(value.scale() as usize) else {
            return false;
        };
        let test = if self.equal { m == t } else { m < t };
        test != self.negate
    }
}

/// `a op b` as `b op' a`.
pub(super) fn flip(op: CmpOp) -> CmpOp {
    match op {
        CmpOp::Lt => CmpOp::Gt,
        CmpOp::Le => CmpOp::Ge,
        CmpOp::Gt => CmpOp::Lt,
        CmpOp::Ge => CmpOp::Le,
        CmpOp::Eq => CmpOp::Eq,
        CmpOp::Ne => CmpOp::Ne,
    }
}

pub(super) fn compare(op: CmpOp, l: Scalar, r: Scalar) -> Result<Scalar, Undefined> {
    use std::cmp::Ordering;
    let ordering: Option<Ordering> = match (l, r) {
        (Scalar::Unknown, _) | (_, Scalar::Unknown) => return Ok(Scalar::Unknown),
        (Scalar::Decimal(a), Scalar::Decimal(b)) => Some(a.cmp(&b)),
        (Scalar::Date(a), Scalar::Date(b)) => Some(a.cmp(&b)),
        (Scalar::Month(a), Scalar::Month(b)) => Some(a.cmp(&b)),
        (Scalar::Time(a), Scalar::Time(b)) => Some(a.cmp(&b)),
        (Scalar::Bool(a), Scalar::Bool(b)) => Some(a.cmp(&b)),
        (Scalar::Enum(a), Scalar::Enum(b)) => Some(a.cmp(&b)),
        (
            Scalar::Duration {
                amount: a,
                unit: ua,
            },
            Scalar::Duration {
                amount: b,
                unit: ub,
            },
        ) if ua == ub => Some(a.cmp(&b)),
        _ => None,
    };
    let ordering = ordering.ok_or(Undefined::NotComparable)?;
    Ok(Scalar::Bool(op.holds(ordering)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use proptest::prelude::*;

    fn decimal() -> impl Strategy<Value = Decimal> {
        // Mantissas around the interesting edges, at every scale.
        let mantissa = prop_oneof![
            -2000i64..2000,
            any::<i64>(),
            Just(i64::MAX),
            Just(i64::MIN + 1),
        ];
        (mantissa, 0u32..=28, any::<bool>()).prop_map(|(m, scale, wide)| {
            let m = if wide {
                i128::from(m) * 1_000_000_000_000
            } else {
                i128::from(m)
            };
            Decimal::try_from_i128_with_scale(m, scale).unwrap_or(Decimal::ZERO)
        })
    }

    fn op() -> impl Strategy<Value = CmpOp> {
        prop_oneof![
            Just(CmpOp::Lt),
            Just(CmpOp::Le),
            Just(CmpOp::Gt),
            Just(CmpOp::Ge),
            Just(CmpOp::Eq),
            Just(CmpOp::Ne),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, failure_persistence: None, ..ProptestConfig::default() })]

        #[test]
        fn constant_comparisons_agree_with_decimal_order(op in op(), value in decimal(), constant in decimal()) {
            let expected = compare(op, Scalar::Decimal(value), Scalar::Decimal(constant)).unwrap();
            let compiled = ConstCompare::new(op, constant).holds(value);
            prop_assert_eq!(Scalar::Bool(compiled), expected, "{} {:?} {}", value, op, constant);
            // The same constant written with trailing zeros compares the same.
            if constant.scale() < 28 {
                let mut padded = constant;
                padded.rescale(constant.scale() + 1);
                prop_assert_eq!(ConstCompare::new(op, padded).holds(value), compiled);
            }
        }
    }

    #[test]
    fn constant_comparisons_at_the_edges() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        let below = ConstCompare::new(CmpOp::Lt, d("150"));
        assert!(below.holds(d("149.9")));
        assert!(below.holds(d("149.9999999999999999999999999")));
        assert!(!below.holds(d("150.0")));
        assert!(!below.holds(d("150.0000000000000000000000001")));
        let at_least = ConstCompare::new(CmpOp::Ge, d("0.35"));
        assert!(at_least.holds(d("0.350")));
        assert!(!at_least.holds(d("0.3")));
        assert!(at_least.holds(d("1")));
        let equal = ConstCompare::new(CmpOp::Eq, d("-2.50"));
        assert!(equal.holds(d("-2.5")));
        assert!(!equal.holds(d("-2")));
        assert!(!equal.holds(d("-3")));
        let huge = ConstCompare::new(CmpOp::Gt, Decimal::MAX);
        assert!(!huge.holds(Decimal::MAX));
        assert!(!huge.holds(d("0.0000000000000000000000000001")));
        let tiny = ConstCompare::new(CmpOp::Lt, Decimal::MIN);
        assert!(!tiny.holds(Decimal::MIN));
        assert!(!tiny.holds(d("-7.5")));
    }
}
