//! The conformance suite: vectors another implementation can run to prove its
//! reader and evaluator agree with Regel's (contract in
//! tests/conformance/README.md). This file is the reference runner, keeps the
//! committed vectors in step with their sources (`REGEL_BLESS=1` rewrites
//! them), and checks the vectors cover every node kind.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use common::compile_file;
use regel::eval::{self, Status};

const SOURCES: &str = "tests/conformance/src";
const VECTORS: &str = "tests/conformance/vectors";

fn sources() -> Vec<PathBuf> {
    common::regel_files(SOURCES)
}

fn vector_path(source: &Path) -> PathBuf {
    Path::new(VECTORS)
        .join(source.file_stem().unwrap())
        .with_extension("json")
}

/// What one decision came to, in the vector format.
fn decision_json(d: &eval::DecisionResult) -> Value {
    json!({
        "status": match d.status { Status::Decided => "decided", Status::Undetermined => "undetermined" },
        "outcome": d.outcome,
        "rule": d.winner,
        "fired": d.fired.iter().map(|f| f.rule.clone()).collect::<Vec<_>>(),
        "missing": d.missing,
    })
}

/// Builds a vector from a source policy. Every case is one of the policy's
/// own tests, whose hand-written expectations must hold first.
fn build_vector(source: &Path) -> Value {
    let compiled = compile_file(source.to_str().unwrap());
    let policy = compiled.policy();
    for result in regel::testing::run(policy) {
        assert!(
            result.passed(),
            "{}: test {:?} fails",
            source.display(),
            result.name
        );
    }
    let export: Value =
        serde_json::from_str(&regel::export::to_json(policy, &compiled.sources)).unwrap();
    let cases: Vec<Value> = policy
        .tests
        .iter()
        .map(|test| {
            let (facts, _) = eval::facts::load(&policy.inputs, &test.facts, false);
            let evaluation = eval::evaluate(policy, &facts);
            let mut expect = serde_json::Map::new();
            for d in &evaluation.decisions {
                expect.insert(d.decision.clone(), decision_json(d));
            }
            json!({ "name": test.name, "facts": test.facts, "expect": expect })
        })
        .collect();
    json!({
        "vector": "regel-conformance/1",
        "name": source.file_stem().unwrap().to_str().unwrap(),
        "policy": export,
        "cases": cases,
    })
}

#[test]
fn committed_vectors_match_their_sources() {
    let bless = std::env::var_os("REGEL_BLESS").is_some();
    for source in sources() {
        let generated = build_vector(&source);
        let path = vector_path(&source);
        if bless {
            let mut text = serde_json::to_string_pretty(&generated).unwrap();
            text.push('\n');
            std::fs::write(&path, text).unwrap();
            continue;
        }
        let committed: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap_or_else(|_| {
                panic!("{} is missing; run with REGEL_BLESS=1", path.display())
            }))
            .unwrap();
        assert!(
            committed == generated,
            "{} is out of date with {}; review the change and run with REGEL_BLESS=1",
            path.display(),
            source.display()
        );
    }
}

/// The reference runner: import each vector's policy, evaluate each case,
/// compare every decision with the expectation.
#[test]
fn every_vector_passes() {
    let mut cases = 0;
    for entry in std::fs::read_dir(VECTORS).unwrap() {
        let path = entry.unwrap().path();
        let vector: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert_eq!(vector["vector"], "regel-conformance/1");
        let policy_text = serde_json::to_string(&vector["policy"]).unwrap();
        let policy = regel::import::import(&policy_text)
            .unwrap_or_else(|e| panic!("{}: {e:#?}", path.display()))
            .policy;
        for case in vector["cases"].as_array().unwrap() {
            let (facts, problems) = eval::facts::load(&policy.inputs, &case["facts"], false);
            assert!(problems.is_empty(), "{}: {problems:?}", path.display());
            for d in eval::evaluate(&policy, &facts).decisions {
                assert_eq!(
                    decision_json(&d),
                    case["expect"][&d.decision],
                    "{} / {} / {}",
                    path.display(),
                    case["name"],
                    d.decision
                );
            }
            cases += 1;
        }
    }
    assert!(cases >= 20, "only {cases} cases");
}

/// Every node kind, literal kind, operator and aggregate of regel-ir/1
/// appears in some vector, and every case outcome of Kleene logic too.
#[test]
fn vectors_cover_every_node_kind() {
    let mut seen = BTreeSet::new();
    fn walk(v: &Value, seen: &mut BTreeSet<String>) {
        match v {
            Value::Object(map) => {
                if let Some(Value::String(node)) = map.get("node") {
                    seen.insert(format!("node:{node}"));
                    for key in ["op", "aggregate"] {
                        if let Some(Value::String(op)) = map.get(key) {
                            seen.insert(format!("{node}:{op}"));
                        }
                    }
                    if node == "literal" {
                        if let Some(Value::String(kind)) = map["value"].get("kind") {
                            seen.insert(format!("literal:{kind}"));
                        }
                    }
                    if node == "presence" {
                        seen.insert(format!("presence:{}", map["known"]));
                    }
                }
                for value in map.values() {
                    walk(value, seen);
                }
            }
            Value::Array(items) => items.iter().for_each(|i| walk(i, seen)),
            _ => {}
        }
    }
    let mut statuses = BTreeSet::new();
    for entry in std::fs::read_dir(VECTORS).unwrap() {
        let vector: Value =
            serde_json::from_str(&std::fs::read_to_string(entry.unwrap().path()).unwrap()).unwrap();
        walk(&vector["policy"]["policy"], &mut seen);
        for case in vector["cases"].as_array().unwrap() {
            for d in case["expect"].as_object().unwrap().values() {
                statuses.insert(d["status"].as_str().unwrap().to_string());
            }
        }
    }
    let required = [
        "node:literal",
        "node:input",
        "node:const",
        "node:def",
        "node:policy_year",
        "node:outcome",
        "node:var",
        "node:field",
        "node:series_at",
        "node:not",
        "node:neg",
        "node:arith",
        "node:logic",
        "node:compare",
        "node:in_set",
        "node:in_list",
        "node:presence",
        "node:aggregate",
        "arith:add",
        "arith:sub",
        "arith:mul",
        "arith:div",
        "logic:and",
        "logic:or",
        "compare:eq",
        "compare:ne",
        "compare:lt",
        "compare:le",
        "compare:gt",
        "compare:ge",
        "aggregate:count",
        "aggregate:any",
        "aggregate:all",
        "aggregate:sum",
        "literal:bool",
        "literal:decimal",
        "literal:date",
        "literal:month",
        "literal:time",
        "literal:duration",
        "literal:text",
        "literal:enum",
        "presence:true",
        "presence:false",
    ];
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !seen.contains(*r))
        .collect();
    assert!(missing.is_empty(), "no vector has {missing:?}");
    assert!(statuses.contains("decided") && statuses.contains("undetermined"));
}
