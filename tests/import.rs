//! Importing regel-ir/1: every export imports back to the same policy and
//! decides identically; malformed documents fail with the JSON path named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::{compile_file, regel_files};
use regel::eval;

fn decisions(policy: &regel::ir::Policy, facts: &serde_json::Value) -> Vec<eval::DecisionResult> {
    let (facts, _) = eval::facts::load(&policy.inputs, facts, false);
    eval::evaluate(policy, &facts).decisions
}

#[test]
fn every_export_imports_to_the_same_policy() {
    let mut files: Vec<_> = regel_files("policies");
    files.extend(regel_files("tests/fixtures/import"));
    for path in files {
        let compiled = compile_file(path.to_str().unwrap());
        let original = compiled.policy();
        let text = regel::export::to_json(original, &compiled.sources);
        let imported =
            regel::import::import(&text).unwrap_or_else(|e| panic!("{}: {:#?}", path.display(), e));
        assert!(
            imported.policy == *original,
            "{}: the imported policy differs",
            path.display()
        );
        // Spans compare equal regardless; they must also survive byte for byte.
        let again = regel::export::to_json(&imported.policy, &compiled.sources);
        assert_eq!(text, again, "{}", path.display());
    }
}

#[test]
fn imported_policies_decide_like_the_source_on_every_test_and_example() {
    for path in regel_files("policies") {
        let compiled = compile_file(path.to_str().unwrap());
        let original = compiled.policy();
        if original.is_module {
            continue;
        }
        let text = regel::export::to_json(original, &compiled.sources);
        let imported = regel::import::import(&text).unwrap().policy;
        let mut fact_sets: Vec<serde_json::Value> =
            original.tests.iter().map(|t| t.facts.clone()).collect();
        let folder = std::path::Path::new("examples").join(path.file_stem().unwrap());
        if let Ok(entries) = std::fs::read_dir(&folder) {
            for entry in entries {
                let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
                fact_sets.push(serde_json::from_str(&text).unwrap());
            }
        }
        assert!(!fact_sets.is_empty());
        for facts in &fact_sets {
            assert_eq!(
                decisions(original, facts),
                decisions(&imported, facts),
                "{}",
                path.display()
            );
        }
    }
}

#[test]
fn provenance_is_the_same_from_source_and_from_ir() {
    let compiled = compile_file("policies/2025/paramedische-zorg.regel");
    let text = regel::export::to_json(compiled.policy(), &compiled.sources);
    let imported = regel::import::import(&text).unwrap();
    let digests: Vec<String> = imported.sources.iter().map(|(_, d)| d.clone()).collect();
    assert_eq!(
        regel::export::policy_sha256_of_digests(&digests),
        regel::export::policy_sha256(&compiled.sources)
    );
}

#[derive(serde::Deserialize)]
struct Expect {
    code: String,
    path: Option<String>,
}

#[test]
fn malformed_documents_fail_naming_the_path() {
    let mut count = 0;
    let mut files: Vec<_> = std::fs::read_dir("tests/corpus/ir")
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    for file in files {
        let expect: Expect =
            serde_json::from_str(&std::fs::read_to_string(file.with_extension("expect")).unwrap())
                .unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        let problems = regel::import::import(&text)
            .err()
            .unwrap_or_else(|| panic!("{} imported without error", file.display()));
        let found = problems.iter().any(|d| {
            d.code.as_str() == expect.code
                && match (&expect.path, &d.path) {
                    (None, _) => true,
                    (Some(want), Some(got)) => got.starts_with(want.as_str()),
                    (Some(_), None) => false,
                }
        });
        assert!(
            found,
            "{}: expected {} at {:?}, got {:#?}",
            file.display(),
            expect.code,
            expect.path,
            problems
                .iter()
                .map(|d| (d.code.as_str(), d.path.clone(), d.message.clone()))
                .collect::<Vec<_>>()
        );
        // Through the CLI: exit 1 and the message names the path.
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_regel"))
            .args([
                "eval",
                file.to_str().unwrap(),
                "--facts",
                "examples/paramedische-zorg/physio-bi-120.json",
            ])
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(1), "{}", file.display());
        if let Some(path) = &expect.path {
            let stderr = String::from_utf8_lossy(&output.stderr);
            assert!(
                stderr.contains(path.as_str()),
                "{}: {stderr}",
                file.display()
            );
        }
        count += 1;
    }
    assert!(count >= 20, "only {count} malformed documents");
}
