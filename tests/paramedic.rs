//! Acceptance tests for the paramedical 2025 policy: it checks clean, the
//! decisions the source document prescribes come out, broken copies give the
//! right coded diagnostic, and the export is stable.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{compile_file, compile_text};
use regel::eval::{self, Status};

const POLICY: &str = "policies/2025/paramedische-zorg.regel";

fn decide(facts_file: &str, decision: &str) -> eval::DecisionResult {
    let compiled = compile_file(POLICY);
    let policy = compiled.policy();
    let text = std::fs::read_to_string(facts_file).unwrap();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    let (facts, problems) = eval::facts::load(&policy.inputs, &json, false);
    assert!(problems.is_empty(), "{problems:?}");
    let evaluation = eval::evaluate(policy, &facts);
    evaluation
        .decisions
        .into_iter()
        .find(|d| d.decision == decision)
        .unwrap()
}

#[test]
fn policy_checks_with_only_the_tbd_warnings() {
    let compiled = compile_file(POLICY);
    // The two thresholds of the draft Passende zorg module are still open.
    assert_eq!(
        compiled.codes(),
        vec!["W0001", "W0001"],
        "{}",
        compiled.rendered()
    );
}

#[test]
fn bi_120_is_eligible() {
    let d = decide("examples/paramedische-zorg/physio-bi-120.json", "contract");
    assert_eq!(d.status, Status::Decided);
    assert_eq!(d.outcome.as_deref(), Some("eligible"));
    assert_eq!(d.winner.as_deref(), Some("physio_bi_below_limit"));
}

#[test]
fn bi_exactly_150_is_not_eligible() {
    let d = decide("examples/paramedische-zorg/physio-bi-150.json", "contract");
    assert_eq!(d.outcome.as_deref(), Some("not_eligible"));
    assert_eq!(d.winner.as_deref(), Some("bi_too_high"));
}

#[test]
fn small_practice_without_bi_goes_to_manual_review() {
    let d = decide(
        "examples/paramedische-zorg/small-practice-no-bi.json",
        "contract",
    );
    assert_eq!(d.status, Status::Decided);
    assert_eq!(d.outcome.as_deref(), Some("manual_review"));
    assert_eq!(d.winner.as_deref(), Some("small_practice"));
}

#[test]
fn missing_bi_with_200_patients_is_undetermined_on_the_2023_bi() {
    let d = decide(
        "examples/paramedische-zorg/no-bi-200-patients.json",
        "contract",
    );
    assert_eq!(d.status, Status::Undetermined);
    assert_eq!(d.outcome, None);
    assert_eq!(d.missing, vec!["bi over 2023".to_string()]);
    assert_eq!(d.possible, vec!["not_eligible", "eligible"]);
}

#[test]
fn fraud_registration_excludes_whatever_else_holds() {
    let d = decide(
        "examples/paramedische-zorg/fraud-registered.json",
        "contract",
    );
    assert_eq!(d.outcome.as_deref(), Some("excluded"));
    assert_eq!(d.winner.as_deref(), Some("fraud_listed"));
    // The BI of 175 fires too, but is overridden.
    assert!(d.fired.iter().any(|f| f.rule == "bi_too_high"));
    assert_eq!(
        d.fired.first().map(|f| f.rule.as_str()),
        Some("fraud_listed")
    );
}

/// The policy text with one replacement, checked as if it were the policy file.
fn broken(from: &str, to: &str) -> common::Compiled {
    let text = std::fs::read_to_string(POLICY).unwrap();
    assert!(
        text.contains(from),
        "the policy no longer contains {from:?}"
    );
    compile_text(POLICY, &text.replacen(from, to, 1))
}

#[test]
fn dutch_thousands_separator_in_money_is_e0102() {
    let compiled = broken(
        "const bi_limit = 150",
        "const revenue_floor = €150.000\nconst bi_limit = 150",
    );
    assert_eq!(compiled.error_codes(), vec!["E0102"]);
    insta::assert_snapshot!(compiled.rendered_errors());
}

#[test]
fn money_compared_with_a_count_is_e0302() {
    let compiled = broken(
        "and patients over 2023 < small_practice_patients",
        "and patients over 2023 < €30_000",
    );
    assert_eq!(compiled.error_codes(), vec!["E0302"]);
    insta::assert_snapshot!(compiled.rendered_errors());
}

#[test]
fn misspelt_input_is_e0201_with_a_suggestion() {
    let compiled = broken("and not has_benchmark", "and not has_benchmrak");
    assert_eq!(compiled.error_codes(), vec!["E0201"]);
    assert_eq!(
        compiled.diagnostics[0].help.as_deref(),
        Some("did you mean `has_benchmark`?")
    );
    insta::assert_snapshot!(compiled.rendered_errors());
}

#[test]
fn definition_cycle_is_e0203() {
    let compiled = broken(
        "const bi_limit = 150",
        "const bi_limit = 150\ndef physio_ok = kind == fysiotherapie and not review_needed\ndef review_needed = patients over 2023 < 30 and not physio_ok",
    );
    assert_eq!(compiled.error_codes(), vec!["E0203"]);
    insta::assert_snapshot!(compiled.rendered_errors());
}

#[test]
fn export_is_versioned_and_byte_identical() {
    let first = compile_file(POLICY);
    let second = compile_file(POLICY);
    let a = regel::export::to_json(first.policy(), &first.sources);
    let b = regel::export::to_json(second.policy(), &second.sources);
    assert_eq!(a, b);
    let json: serde_json::Value = serde_json::from_str(&a).unwrap();
    assert_eq!(json["format"], "regel-ir/1");
    assert_eq!(json["policy"]["id"], "paramedische_zorg_2025");
    assert_eq!(json["policy"]["year"], 2025);
}

#[test]
fn every_shipped_policy_passes_its_own_tests() {
    for path in common::regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let policy = compiled.policy();
        for result in regel::testing::run(policy) {
            assert!(
                result.passed(),
                "{}: test {:?} failed:\n{}",
                path.display(),
                result.name,
                result
                    .failures
                    .iter()
                    .map(|f| regel::diagnostics::render::render(f, &compiled.sources, false))
                    .collect::<String>()
            );
        }
    }
}

#[test]
fn a_wrong_expectation_fails_with_expected_and_actual() {
    let compiled = broken(
        "expect contract = not_eligible by bi_too_high\n  expect fall_prevention = not_eligible",
        "expect contract = eligible\n  expect fall_prevention = not_eligible",
    );
    let results = regel::testing::run(compiled.policy());
    let failed: Vec<_> = results.iter().filter(|r| !r.passed()).collect();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        failed[0].failures[0].message,
        "expected contract = eligible, got contract = not_eligible by bi_too_high"
    );
}

#[test]
fn every_rule_of_every_policy_fires_in_some_test() {
    for path in common::regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let policy = compiled.policy();
        if policy.tests.is_empty() {
            continue;
        }
        let mut fired = std::collections::BTreeSet::new();
        for test in &policy.tests {
            let (facts, _) = eval::facts::load(&policy.inputs, &test.facts, false);
            for decision in eval::evaluate(policy, &facts).decisions {
                fired.extend(decision.fired.into_iter().map(|f| f.rule));
            }
        }
        // A rule that reads a `tbd` constant cannot fire until the value is set.
        let reads_tbd = |rule: &regel::ir::Rule| {
            let mut found = false;
            rule.condition.walk(&mut |e| {
                if let regel::ir::ExprKind::Const { name } = &e.kind {
                    found |= policy
                        .constants
                        .iter()
                        .any(|c| &c.name == name && c.value.is_none());
                }
            });
            found
        };
        let never: Vec<&str> = policy
            .rules
            .iter()
            .filter(|r| !reads_tbd(r))
            .map(|r| r.id.as_str())
            .filter(|id| !fired.contains(*id))
            .collect();
        assert!(
            never.is_empty(),
            "{}: rules no test fires: {never:?}",
            path.display()
        );
    }
}
