//! Running the tests written in a policy file.
//!
//! A test gives facts and the expected outcome per decision (optionally the
//! rule expected to win, or `undetermined`). Running a test evaluates the
//! policy on its facts and compares.

use crate::diagnostics::{Code, Diagnostic};
use crate::eval::{self, Status};
use crate::ir;

/// The result of one test.
#[derive(Debug, Clone, PartialEq)]
pub struct TestResult {
    pub name: String,
    /// One diagnostic per expectation that does not hold; empty when it passed.
    pub failures: Vec<Diagnostic>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty()
    }
}

/// Runs every test of a checked policy.
pub fn run(policy: &ir::Policy) -> Vec<TestResult> {
    policy.tests.iter().map(|t| run_one(policy, t)).collect()
}

fn run_one(policy: &ir::Policy, test: &ir::Test) -> TestResult {
    let (facts, problems) = eval::facts::load(&policy.inputs, &test.facts, false);
    let mut failures: Vec<Diagnostic> = problems
        .into_iter()
        .map(|p| p.at(test.span, "in the facts of this test"))
        .collect();
    let evaluation = eval::evaluate(policy, &facts);
    for expectation in &test.expectations {
        let Some(actual) = evaluation
            .decisions
            .iter()
            .find(|d| d.decision == expectation.decision)
        else {
            continue;
        };
        if let Some(failure) = compare(expectation, actual) {
            failures.push(failure);
        }
    }
    TestResult {
        name: test.name.clone(),
        failures,
    }
}

/// What the decision actually was, in the words of an expectation.
pub fn describe_actual(actual: &eval::DecisionResult) -> String {
    match (&actual.status, &actual.outcome) {
        (Status::Decided, Some(outcome)) => match &actual.winner {
            Some(rule) => format!("{} = {outcome} by {rule}", actual.decision),
            None => format!(
                "{} = {outcome} (the default: no rule fired)",
                actual.decision
            ),
        },
        _ => {
            let missing = if actual.missing.is_empty()
                && actual.tbd.is_empty()
                && actual.undefined.is_empty()
            {
                String::new()
            } else {
                let mut waits: Vec<String> = actual.missing.clone();
                waits.extend(actual.tbd.iter().map(|t| format!("tbd {t}")));
                waits.extend(actual.undefined.iter().cloned());
                format!(", waiting for {}", waits.join(", "))
            };
            format!(
                "{} undetermined (could be {}){missing}",
                actual.decision,
                actual.possible.join(" or ")
            )
        }
    }
}

fn compare(expectation: &ir::Expectation, actual: &eval::DecisionResult) -> Option<Diagnostic> {
    let expected_text = match (&expectation.outcome, &expectation.by) {
        (None, _) => format!("{} undetermined", expectation.decision),
        (Some(o), Some(by)) => format!("{} = {o} by {by}", expectation.decision),
        (Some(o), None) => format!("{} = {o}", expectation.decision),
    };
    let holds = match &expectation.outcome {
        None => actual.status == Status::Undetermined,
        Some(outcome) => {
            actual.status == Status::Decided
                && actual.outcome.as_ref() == Some(outcome)
                && expectation
                    .by
                    .as_ref()
                    .is_none_or(|by| actual.winner.as_ref() == Some(by))
        }
    };
    if holds {
        return None;
    }
    let actual_text = describe_actual(actual);
    Some(
        Diagnostic::new(
            Code::E0701,
            format!("expected {expected_text}, got {actual_text}"),
        )
        .at(expectation.span, format!("expected {expected_text}"))
        .with_note(format!("actual: {actual_text}")),
    )
}
