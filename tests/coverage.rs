//! `regel test --coverage`: rules fired, condition parts seen true/false, and
//! threshold boundaries tested just below, at and just above.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::compile_file;

const FIXTURE: &str = "tests/fixtures/coverage/thresholds.regel";

#[test]
fn rules_never_fired_are_named() {
    let compiled = compile_file(FIXTURE);
    let coverage = regel::coverage::measure(compiled.policy(), &compiled.sources);
    assert_eq!(coverage.rules_countable, 5);
    assert_eq!(coverage.rules_fired, 3);
    let never: Vec<&str> = coverage
        .rules
        .iter()
        .filter(|r| !r.fired)
        .map(|r| r.rule.as_str())
        .collect();
    assert_eq!(never, vec!["unregistered", "late"]);
}

#[test]
fn boundaries_report_just_below_at_and_just_above() {
    let compiled = compile_file(FIXTURE);
    let coverage = regel::coverage::measure(compiled.policy(), &compiled.sources);
    let bi_high = coverage.rules.iter().find(|r| r.rule == "bi_high").unwrap();
    let boundary = &bi_high.boundaries[0];
    assert_eq!(boundary.threshold, "150");
    assert!(boundary.just_below, "149 is one step below 150");
    assert!(boundary.at);
    assert!(!boundary.just_above, "no test has 151");
    let small = coverage.rules.iter().find(|r| r.rule == "small").unwrap();
    let patients = &small.boundaries[0];
    assert!(patients.just_below && !patients.at && !patients.just_above);
}

#[test]
fn conditions_record_true_false_and_unknown() {
    let compiled = compile_file(FIXTURE);
    let coverage = regel::coverage::measure(compiled.policy(), &compiled.sources);
    let small = coverage.rules.iter().find(|r| r.rule == "small").unwrap();
    let registered = small
        .conditions
        .iter()
        .find(|c| c.text == "registered")
        .unwrap();
    assert!(registered.seen.is_true);
    assert!(!registered.seen.is_false, "every test is registered");
}

#[test]
fn report_lists_the_gaps() {
    let compiled = compile_file(FIXTURE);
    let coverage = regel::coverage::measure(compiled.policy(), &compiled.sources);
    insta::assert_snapshot!(regel::coverage::render(&coverage, FIXTURE));
}

#[test]
fn min_coverage_fails_the_run_below_the_minimum() {
    let run = |min: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_regel"))
            .args(["test", "--coverage", "--min-coverage", min, FIXTURE])
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let failing = run("80");
    assert_eq!(failing.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&failing.stderr)
            .contains("60% of rules fired is below the minimum of 80%")
    );
    let passing = run("60");
    assert_eq!(passing.status.code(), Some(0));
}

#[test]
fn every_shipped_policy_tests_every_threshold_on_both_sides_and_at_it() {
    for path in common::regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let policy = compiled.policy();
        if policy.is_module {
            continue;
        }
        let coverage = regel::coverage::measure(policy, &compiled.sources);
        let gaps: Vec<String> = coverage
            .rules
            .iter()
            .filter(|r| !r.waits_for_tbd)
            .flat_map(|r| {
                r.boundaries
                    .iter()
                    .filter(|b| !b.complete())
                    .map(move |b| format!("{}: {}", r.rule, b.text))
            })
            .collect();
        assert!(gaps.is_empty(), "{}: {gaps:#?}", path.display());
    }
}

#[test]
fn every_shipped_policy_fires_every_rule() {
    for path in common::regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let policy = compiled.policy();
        if policy.is_module {
            continue;
        }
        let coverage = regel::coverage::measure(policy, &compiled.sources);
        assert_eq!(
            coverage.rules_fired,
            coverage.rules_countable,
            "{}:\n{}",
            path.display(),
            regel::coverage::render(&coverage, &path.display().to_string())
        );
    }
}
