//! Property: for generated policies and facts, evaluating from source and
//! evaluating the exported-then-imported policy give the same decisions.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use proptest::prelude::*;
use regel::eval;

const HEADER: &str = r#"policy generated {
  title "Generated"
  year  2025
}

input {
  a: bool "a"
  b: bool "b"
  n: count "n"
  m: count "m"
  x: number "x"
  r: money "r"
  p: percent "p"
  s: number by year "s"
  k: enum { red, green, blue } "k"
  d: date "d"
  l: list of { f: bool "f", v: number "v" } "l"
}

const limit = 150
const floor = €1_000

def big "n over ten" = n > 10

decision contract {
  outcomes excluded > not_eligible > manual_review > eligible
  default not_eligible
}
"#;

fn atom() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("a".to_string()),
        Just("b".to_string()),
        Just("big".to_string()),
        (0u32..20).prop_map(|v| format!("n < {v}")),
        (0u32..20).prop_map(|v| format!("n + m >= {v}")),
        (0u32..300).prop_map(|v| format!("x >= {v}")),
        (0u32..300).prop_map(|v| format!("x * 2 - 1 < {v}.5")),
        Just("x < limit".to_string()),
        (0u32..5000).prop_map(|v| format!("r > €{v}")),
        Just("r - r * 10% >= floor".to_string()),
        (0u32..100).prop_map(|v| format!("p <= {v}%")),
        (0u32..300).prop_map(|v| format!("s over 2023 < {v}")),
        Just("s over year - 1 >= limit".to_string()),
        Just("k == red".to_string()),
        Just("k in { green, blue }".to_string()),
        Just("known x".to_string()),
        Just("missing n".to_string()),
        Just("d < 2024-05-01".to_string()),
        Just("d + 1 years > 2025-01-01".to_string()),
        Just("any(t in l: t.f)".to_string()),
        Just("all(t in l: t.v > 1)".to_string()),
        (0u32..4).prop_map(|v| format!("count(t in l: t.v > 2) >= {v}")),
        (0u32..10).prop_map(|v| format!("sum(t in l: t.v) > {v}")),
        Just("count(l) / 2 > 0%".to_string()),
    ]
}

fn condition() -> impl Strategy<Value = String> {
    atom().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} and {r})")),
            (inner.clone(), inner.clone()).prop_map(|(l, r)| format!("({l} or {r})")),
            inner.prop_map(|e| format!("not ({e})")),
        ]
    })
}

fn policy() -> impl Strategy<Value = String> {
    let outcomes = prop_oneof![
        Just("excluded"),
        Just("not_eligible"),
        Just("manual_review"),
        Just("eligible"),
    ];
    prop::collection::vec((condition(), outcomes), 1..5).prop_map(|rules| {
        let mut text = HEADER.to_string();
        for (i, (condition, outcome)) in rules.iter().enumerate() {
            text.push_str(&format!(
                "\nrule r{i} \"rule {i}\" cites \"generated\"\n  when {condition}\n  then contract = {outcome}\n"
            ));
        }
        text
    })
}

fn maybe(
    value: impl Strategy<Value = serde_json::Value>,
) -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![1 => Just(serde_json::Value::Null), 4 => value]
}

fn facts() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::json;
    (
        (maybe(any::<bool>().prop_map(|b| json!(b))), maybe(any::<bool>().prop_map(|b| json!(b)))),
        (maybe((0u32..25).prop_map(|v| json!(v))), maybe((0u32..25).prop_map(|v| json!(v)))),
        maybe((0i32..40000).prop_map(|v| json!(format!("{}.{}", v / 100, v % 100)))),
        maybe((0u32..6000).prop_map(|v| json!(v))),
        maybe((0u32..100).prop_map(|v| json!(v))),
        maybe((0u32..300).prop_map(|v| json!({ "2023": v, "2024": v + 3 }))),
        maybe(prop_oneof![Just(json!("red")), Just(json!("green")), Just(json!("blue"))]),
        maybe((1u32..28).prop_map(|day| json!(format!("2024-0{}-{day:02}", day % 9 + 1)))),
        maybe(prop::collection::vec(
            (maybe(any::<bool>().prop_map(|b| json!(b))), maybe((0u32..6).prop_map(|v| json!(v)))),
            0..4,
        )
        .prop_map(|items| {
            json!(items.into_iter().map(|(f, v)| json!({ "f": f, "v": v })).collect::<Vec<_>>())
        })),
    )
        .prop_map(|((a, b), (n, m), x, r, p, s, k, d, l)| {
            json!({ "a": a, "b": b, "n": n, "m": m, "x": x, "r": r, "p": p, "s": s, "k": k, "d": d, "l": l })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn source_and_imported_export_decide_alike(text in policy(), facts in facts()) {
        let compiled = common::compile_text("generated.regel", &text);
        let policy = compiled.policy();
        let export = regel::export::to_json(policy, &compiled.sources);
        let imported = regel::import::import(&export).unwrap().policy;
        prop_assert!(imported == *policy);
        let (loaded, problems) = eval::facts::load(&policy.inputs, &facts, false);
        prop_assert!(problems.is_empty(), "{:?}", problems);
        let from_source = eval::evaluate(policy, &loaded);
        let from_import = eval::evaluate(&imported, &loaded);
        prop_assert_eq!(from_source, from_import);
    }
}
