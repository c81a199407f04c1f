//! `eval --explain`: the readable trace and its JSON form, on the two cases
//! policy authors ask about most: a small practice without a BI (decided by
//! individual assessment) and a practice whose BI is missing (undetermined).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::compile_file;
use regel::eval;
use regel::explain::{self, Explanation};

const POLICY: &str = "policies/2025/paramedische-zorg.regel";

fn explain_file(facts_file: &str) -> Explanation {
    let compiled = compile_file(POLICY);
    let policy = compiled.policy();
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(facts_file).unwrap()).unwrap();
    let (facts, problems) = eval::facts::load(&policy.inputs, &json, false);
    assert!(problems.is_empty());
    explain::explain(policy, &facts, &compiled.sources)
}

/// The part of the text explanation about one decision: from its header line
/// to the next line that starts without indentation.
fn section(text: &str, decision: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with(&format!("{decision} ")))
        .unwrap_or_else(|| panic!("no section for {decision} in:\n{text}"));
    let end = lines[start + 1..]
        .iter()
        .position(|l| !l.is_empty() && !l.starts_with(' '))
        .map_or(lines.len(), |i| start + 1 + i);
    lines[start..end].join("\n").trim_end().to_string()
}

#[test]
fn small_practice_explanation_shows_values_and_winner() {
    let explanation = explain_file("examples/paramedische-zorg/small-practice-no-bi.json");
    let contract = &explanation.decisions[0];
    assert_eq!(contract.decision, "contract");
    assert_eq!(contract.winner.as_deref(), Some("small_practice"));
    let text = explain::render(&explanation);
    insta::assert_snapshot!(section(&text, "contract"));
}

#[test]
fn missing_bi_explanation_lists_what_settles_it() {
    let explanation = explain_file("examples/paramedische-zorg/no-bi-200-patients.json");
    let contract = &explanation.decisions[0];
    assert_eq!(contract.outcome, None);
    let what_if = &contract.what_if[0];
    assert_eq!(what_if.fact, "bi over 2023");
    let cases: Vec<(String, String)> = what_if
        .cases
        .iter()
        .map(|c| (c.when.clone(), c.outcome.clone()))
        .collect();
    assert_eq!(
        cases,
        vec![
            ("bi over 2023 < 150".to_string(), "eligible".to_string()),
            (
                "bi over 2023 >= 150".to_string(),
                "not_eligible".to_string()
            ),
        ]
    );
    let text = explain::render(&explanation);
    insta::assert_snapshot!(section(&text, "contract"));
}

#[test]
fn explanation_json_is_stable() {
    let a = serde_json::to_string_pretty(&explain_file(
        "examples/paramedische-zorg/no-bi-200-patients.json",
    ))
    .unwrap();
    let b = serde_json::to_string_pretty(&explain_file(
        "examples/paramedische-zorg/no-bi-200-patients.json",
    ))
    .unwrap();
    assert_eq!(a, b);
    let json: serde_json::Value = serde_json::from_str(&a).unwrap();
    let rule = &json["decisions"][0]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == "physio_bi_below_limit")
        .unwrap()
        .clone();
    assert_eq!(rule["truth"], "unknown");
    assert_eq!(rule["condition"]["parts"][1]["value"], "unknown");
}
