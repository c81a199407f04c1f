//! JSON Schemas: the committed regel-ir/1 schema matches the Rust types and
//! validates every export; each policy's facts schema accepts its examples and
//! rejects malformed facts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{compile_file, regel_files};

const COMMITTED: &str = "docs/schema/regel-ir-1.schema.json";

fn committed_schema() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(COMMITTED).unwrap()).unwrap()
}

#[test]
fn committed_ir_schema_matches_the_types() {
    let generated = regel::schema::ir();
    assert!(
        committed_schema() == generated,
        "{COMMITTED} is out of date; regenerate it with `cargo run -- schema --ir > {COMMITTED}`"
    );
}

#[test]
fn every_export_validates_against_the_committed_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).unwrap();
    for path in regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let text = regel::export::to_json(compiled.policy(), &compiled.sources);
        let export: serde_json::Value = serde_json::from_str(&text).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&export)
            .take(5)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", path.display());
    }
}

#[test]
fn a_malformed_export_fails_the_schema() {
    let validator = jsonschema::validator_for(&committed_schema()).unwrap();
    let compiled = compile_file("policies/2025/paramedische-zorg.regel");
    let text = regel::export::to_json(compiled.policy(), &compiled.sources);
    let mut export: serde_json::Value = serde_json::from_str(&text).unwrap();
    export["policy"]["rules"][0]["condition"]["node"] = serde_json::json!("goto");
    assert!(!validator.is_valid(&export));
}

/// The policy each examples folder belongs to.
fn policy_of_examples(folder: &str) -> Option<String> {
    regel_files("policies")
        .into_iter()
        .find(|p| p.file_stem().and_then(|s| s.to_str()) == Some(folder))
        .map(|p| p.display().to_string())
}

#[test]
fn every_example_matches_its_policy_facts_schema() {
    let mut checked = 0;
    for entry in std::fs::read_dir("examples").unwrap() {
        let folder = entry.unwrap().path();
        let name = folder.file_name().unwrap().to_str().unwrap().to_string();
        let Some(policy_path) = policy_of_examples(&name) else {
            continue;
        };
        let compiled = compile_file(&policy_path);
        let schema = regel::schema::facts(compiled.policy());
        let validator = jsonschema::validator_for(&schema).unwrap();
        for file in std::fs::read_dir(&folder).unwrap() {
            let file = file.unwrap().path();
            let facts: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&facts)
                .take(5)
                .map(|e| format!("{} at {}", e, e.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
            checked += 1;
        }
    }
    assert!(checked >= 10, "only {checked} example files checked");
}

#[test]
fn facts_schema_rejects_wrong_types() {
    let compiled = compile_file("policies/2025/paramedische-zorg.regel");
    let schema = regel::schema::facts(compiled.policy());
    let validator = jsonschema::validator_for(&schema).unwrap();
    for bad in [
        serde_json::json!({ "kvk_registered": "yes" }),
        serde_json::json!({ "patients": { "2023": -3 } }),
        serde_json::json!({ "kind": "fysio" }),
        serde_json::json!({ "bi": { "twenty": 120 } }),
        serde_json::json!({ "applied_on": "01-10-2024" }),
    ] {
        assert!(!validator.is_valid(&bad), "accepted {bad}");
    }
    // Unknown facts are fine: other policies read them.
    assert!(validator.is_valid(&serde_json::json!({ "agb_code": "01-234", "bi": null })));
}

fn regel(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

#[test]
fn schema_verb_prints_schemas_and_uses_the_exit_codes() {
    let facts = regel(&["schema", "policies/2025/ggz.regel"]);
    assert_eq!(facts.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&facts.stdout).unwrap();
    assert_eq!(
        json["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert!(json["properties"]["asr_revenue"].is_object());

    let ir = regel(&["schema", "--ir"]);
    assert_eq!(ir.status.code(), Some(0));
    let printed: serde_json::Value = serde_json::from_slice(&ir.stdout).unwrap();
    assert!(printed == committed_schema());

    assert_eq!(
        regel(&["schema"]).status.code(),
        Some(2),
        "no policy and no --ir"
    );
    assert_eq!(
        regel(&["schema", "no/such/policy.regel"]).status.code(),
        Some(2)
    );
    assert_eq!(
        regel(&["schema", "tests/fixtures/cli/errors/type_error.regel"])
            .status
            .code(),
        Some(1)
    );
}
