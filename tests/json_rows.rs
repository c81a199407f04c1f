//! Property: a JSON row read straight into a compiled record (the batch
//! path for JSON Lines) gives exactly what the full reader gives: the same
//! decisions for a row it accepts, and for a row with any problem the same
//! coded diagnostics, because such a row is handed to the full reader.
//!
//! Rows are the shipped policies' examples and tests, mutated the way real
//! data goes wrong: keys dropped or given twice, values of the wrong type,
//! Dutch numbers, too many digits, unknown enum values, nulls, escapes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use proptest::prelude::*;
use regel::batch::{Batch, Place};
use serde_json::{Value as Json, json};

const POLICIES: &[&str] = &[
    "policies/2024/geboortezorg.regel",
    "policies/2025/ggz.regel",
    "policies/2025/paramedische-zorg.regel",
    "policies/2027/mondzorg.regel",
    "policies/2027/wijkverpleging.regel",
];

/// One way a value goes wrong (or stays as it is).
#[derive(Debug, Clone)]
enum Mutation {
    Keep,
    Drop,
    Null,
    Replace(Json),
    /// The key given a second time, with this value.
    Twice(Json),
}

fn replacement() -> impl Strategy<Value = Json> {
    prop_oneof![
        Just(json!("100.000")),
        Just(json!("1.500,50")),
        Just(json!("12")),
        Just(serde_json::from_str::<Json>("149.99999999999999999999999999999").unwrap()),
        Just(json!("149.99999999999999999999999999999")),
        Just(json!("ja")),
        Just(json!(true)),
        Just(json!(-3)),
        Just(json!(2.5)),
        Just(json!([])),
        Just(json!({})),
        Just(json!({"2023": 120, "20x3": 1})),
        Just(json!("2024-02-30")),
        Just(json!("fysioterapie")),
        Just(json!("tab\tin \"quotes\"")),
        Just(json!([null, {"big_registered": "yes"}])),
    ]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        12 => Just(Mutation::Keep),
        1 => Just(Mutation::Drop),
        1 => Just(Mutation::Null),
        2 => replacement().prop_map(Mutation::Replace),
        1 => replacement().prop_map(Mutation::Twice),
    ]
}

/// The row as a line of JSON Lines, with its mutations applied (a key given
/// twice can only be written as text).
fn line(facts: &serde_json::Map<String, Json>, mutations: &[Mutation], id: usize) -> String {
    let mut parts = vec![format!("\"id\":\"R{id}\"")];
    for ((key, value), mutation) in facts.iter().zip(mutations.iter().cycle()) {
        let key_text = serde_json::to_string(key).unwrap();
        match mutation {
            Mutation::Keep => parts.push(format!("{key_text}:{value}")),
            Mutation::Drop => {}
            Mutation::Null => parts.push(format!("{key_text}:null")),
            Mutation::Replace(other) => parts.push(format!("{key_text}:{other}")),
            Mutation::Twice(other) => {
                parts.push(format!("{key_text}:{value}"));
                parts.push(format!("{key_text}:{other}"));
            }
        }
    }
    format!("{{{}}}", parts.join(","))
}

fn outcome(result: &regel::batch::RowResult<'_, '_>) -> Result<Vec<String>, Vec<String>> {
    match result {
        Ok(decided) => Ok(decided
            .decisions
            .iter()
            .map(|d| format!("{:?} {:?} {:?} {}", d.outcome, d.status, d.rule, d.missing))
            .collect()),
        Err(problems) => Err(problems
            .iter()
            .map(regel::diagnostics::render::one_line)
            .collect()),
    }
}

struct Shipped {
    policy: regel::ir::Policy,
    rows: Vec<serde_json::Map<String, Json>>,
}

/// The shipped policies, checked once for every case.
fn shipped() -> &'static [Shipped] {
    static SHIPPED: std::sync::OnceLock<Vec<Shipped>> = std::sync::OnceLock::new();
    SHIPPED.get_or_init(load_shipped)
}

fn load_shipped() -> Vec<Shipped> {
    POLICIES
        .iter()
        .map(|path| {
            let policy = common::compile_file(path).policy().clone();
            let rows = policy
                .examples
                .iter()
                .map(|e| &e.facts)
                .chain(policy.tests.iter().map(|t| &t.facts))
                .filter_map(|facts| facts.as_object().cloned())
                .collect();
            Shipped { policy, rows }
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn rows_read_straight_into_records_match_the_full_reader(
        which in 0usize..5,
        row in 0usize..64,
        strict: bool,
        mutations in prop::collection::vec(mutation(), 1..24),
    ) {
        let all = shipped();
        let shipped = &all[which];
        let facts = &shipped.rows[row % shipped.rows.len()];
        let text = line(facts, &mutations, row);
        let fast = Batch::new(&shipped.policy).strict(strict);
        prop_assert!(fast.fallback().is_none());
        let full = Batch::new(&shipped.policy).strict(strict).reference();
        let place = Place { row: 1, line: Some(1) };
        let (mut a, mut b) = (fast.worker(), full.worker());
        let (id_fast, from_fast) = fast.eval_json_line(&mut a, place, text.as_bytes(), "id");
        let (id_full, from_full) = full.eval_json_line(&mut b, place, text.as_bytes(), "id");
        prop_assert_eq!(id_fast, id_full, "{}", text);
        let (fast_outcome, full_outcome) = (outcome(&from_fast), outcome(&from_full));
        prop_assert_eq!(&fast_outcome, &full_outcome, "{}", text);
        // A row the direct reader takes is one the full reader accepts.
        if fast.reads_directly(&mut a, &text, "id") {
            prop_assert!(full_outcome.is_ok(), "{}", text);
        }
    }
}

/// Every example and test of every shipped policy, unchanged: read straight
/// into the record, decided as the full reader decides.
#[test]
fn shipped_examples_read_straight_into_records() {
    for shipped in shipped() {
        let fast = Batch::new(&shipped.policy);
        let full = Batch::new(&shipped.policy).reference();
        for (i, facts) in shipped.rows.iter().enumerate() {
            let text = line(facts, &[Mutation::Keep], i);
            let place = Place { row: 1, line: None };
            let (mut a, mut b) = (fast.worker(), full.worker());
            let (_, from_fast) = fast.eval_json_line(&mut a, place, text.as_bytes(), "id");
            let (_, from_full) = full.eval_json_line(&mut b, place, text.as_bytes(), "id");
            let (fast_outcome, full_outcome) = (outcome(&from_fast), outcome(&from_full));
            assert!(full_outcome.is_ok(), "{}: {text}", shipped.policy.id);
            assert_eq!(fast_outcome, full_outcome, "{text}");
            assert!(
                fast.reads_directly(&mut a, &text, "id"),
                "{}: a clean row should not need the full reader: {text}",
                shipped.policy.id
            );
        }
    }
}
