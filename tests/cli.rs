//! End-to-end tests of the `regel` binary: every verb, every exit code.
//!
//! The binary runs with the repository root as its current directory, relative
//! paths, `NO_COLOR=1` and no terminal, so its output is what a user reads in a
//! pipe and the snapshots hold nothing machine-specific. Fixtures live in
//! `tests/fixtures/cli/`:
//!
//! - `demo.regel` uses the module `common/general.regel`; checks cleanly, tests pass
//! - `errors/type_error.regel`: two errors (E0302, E0201)
//! - `failing/failing_test.regel`: checks cleanly, one of its two tests fails
//! - `warnings/tbd.regel`: warnings only (W0001, W0002)
//! - `facts/*.json`: provider facts for `demo.regel`

// Test code: a panic is the way to report a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value as Json;

const DEMO: &str = "tests/fixtures/cli/demo.regel";
const MODULE: &str = "tests/fixtures/cli/common/general.regel";
const TYPE_ERROR: &str = "tests/fixtures/cli/errors/type_error.regel";
const FAILING: &str = "tests/fixtures/cli/failing/failing_test.regel";
const WARNINGS: &str = "tests/fixtures/cli/warnings/tbd.regel";

fn facts(name: &str) -> String {
    format!("tests/fixtures/cli/facts/{name}.json")
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> Json {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }

    /// stdout as JSON lines.
    fn json_lines(&self) -> Vec<Json> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("line is not JSON ({e}): {line}"))
            })
            .collect()
    }
}

fn command(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_regel"));
    command
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

fn finish(output: std::process::Output) -> Run {
    let run = Run {
        code: output.status.code().expect("regel was killed by a signal"),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    };
    assert!(
        !run.stderr.contains("panicked"),
        "regel panicked:\n{}",
        run.stderr
    );
    run
}

/// Runs `regel ARGS` without stdin.
fn regel(args: &[&str]) -> Run {
    finish(command(args).stdin(Stdio::null()).output().unwrap())
}

/// Runs `regel ARGS` with `input` on stdin.
fn regel_with_stdin(args: &[&str], input: &str) -> Run {
    let mut child = command(args).stdin(Stdio::piped()).spawn().unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    finish(child.wait_with_output().unwrap())
}

/// The hash `regel eval` stamps on decisions for `demo.regel`: over the policy
/// and its module, in load order.
fn demo_sha256() -> String {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut sources = regel::source::SourceMap::new();
    for path in [DEMO, MODULE] {
        let text = std::fs::read_to_string(format!("{root}/{path}")).unwrap();
        sources.add(path, text);
    }
    regel::export::policy_sha256(&sources)
}

/// stdout of `regel eval` with the provenance values that change with every
/// edit of a fixture or release replaced (they are asserted directly).
fn redact_provenance(run: &Run) -> String {
    let json = run.json();
    let provenance = &json["provenance"];
    let sha = provenance["policy_sha256"].as_str().unwrap();
    let version = provenance["regel_version"].as_str().unwrap();
    run.stdout
        .replace(sha, "[policy_sha256]")
        .replace(&format!("\"{version}\""), "\"[regel_version]\"")
}

/// (code, key path) of each data problem printed by `regel eval`.
fn data_problems(stderr: &str) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    let mut code = None;
    for line in stderr.lines() {
        if let Some(rest) = line.strip_prefix("error[") {
            code = rest.split(']').next().map(str::to_string);
        } else if let (Some(path), Some(c)) = (line.strip_prefix("  at: "), &code) {
            problems.push((c.clone(), path.to_string()));
        }
    }
    problems
}

fn assert_provenance(json: &Json, sha256: &str) {
    let provenance = &json["provenance"];
    assert_eq!(provenance["format"], "regel-ir/1");
    assert_eq!(provenance["regel_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(provenance["policy_sha256"], sha256);
}

// ---------------------------------------------------------------- regel (no verb)

#[test]
fn version_and_help() {
    let run = regel(&["--version"]);
    assert_eq!(run.code, 0);
    assert_eq!(
        run.stdout.trim(),
        format!("regel {}", env!("CARGO_PKG_VERSION"))
    );

    let run = regel(&["--help"]);
    assert_eq!(run.code, 0);
    for verb in ["check", "eval", "export", "test"] {
        assert!(run.stdout.contains(verb), "{}", run.stdout);
    }

    let run = regel(&[]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("Usage"), "{}", run.stderr);

    let run = regel(&["frobnicate"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("frobnicate"), "{}", run.stderr);
}

#[test]
fn no_colour_without_a_terminal_even_without_no_color() {
    let output = Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(["check", TYPE_ERROR])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(!output.stdout.contains(&0x1b), "ANSI escape in stdout");
    assert!(!output.stderr.contains(&0x1b), "ANSI escape in stderr");
    // With NO_COLOR the output is the same.
    let run = regel(&["check", TYPE_ERROR]);
    assert_eq!(run.stdout.as_bytes(), output.stdout.as_slice());
}

// ---------------------------------------------------------------- check

#[test]
fn check_clean_policy() {
    let run = regel(&["check", DEMO]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("check_clean_stderr", run.stderr);
}

#[test]
fn check_module_on_its_own() {
    let run = regel(&["check", MODULE]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "checked 1 file: 0 errors, 0 warnings\n");
}

#[test]
fn check_policy_with_errors() {
    let run = regel(&["check", TYPE_ERROR]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[E0302]"));
    assert!(run.stdout.contains("error[E0201]"));
    assert!(run.stdout.contains("did you mean `patients`?"));
    insta::assert_snapshot!("check_type_error_stdout", run.stdout);
    insta::assert_snapshot!("check_type_error_stderr", run.stderr);
}

#[test]
fn check_json_one_object_per_line() {
    let run = regel(&["check", "--format", "json", TYPE_ERROR]);
    assert_eq!(run.code, 1);
    // No summary line in JSON mode: stdout is for machines, stderr stays quiet.
    assert_eq!(run.stderr, "");
    let lines = run.json_lines();
    assert_eq!(lines.len(), 2);
    for line in &lines {
        let object = line.as_object().unwrap();
        for key in [
            "code", "severity", "message", "file", "line", "column", "span",
        ] {
            assert!(object.contains_key(key), "no `{key}` in {line}");
        }
        assert_eq!(line["severity"], "error");
        assert_eq!(line["file"], TYPE_ERROR);
        let start = line["span"]["start"].as_u64().unwrap();
        let end = line["span"]["end"].as_u64().unwrap();
        assert!(start < end, "{line}");
    }
    let first = &lines[0];
    assert_eq!(first["code"], "E0302");
    assert_eq!(first["message"], "cannot compare money with a count");
    assert_eq!(first["line"], 18);
    assert_eq!(first["column"], 16);
    let second = &lines[1];
    assert_eq!(second["code"], "E0201");
    assert_eq!(second["message"], "unknown name `patiens`");
    assert_eq!(second["line"], 22);
    assert_eq!(second["column"], 8);
    assert_eq!(second["help"], "did you mean `patients`?");
    // The span is the byte range of the name in the file.
    let source =
        std::fs::read_to_string(format!("{}/{TYPE_ERROR}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let start = usize::try_from(second["span"]["start"].as_u64().unwrap()).unwrap();
    let end = usize::try_from(second["span"]["end"].as_u64().unwrap()).unwrap();
    assert_eq!(&source[start..end], "patiens");
    insta::assert_snapshot!("check_type_error_json", run.stdout);
}

#[test]
fn check_warnings_and_deny_warnings() {
    let run = regel(&["check", WARNINGS]);
    assert_eq!(run.code, 0, "warnings alone do not fail a check");
    assert!(run.stdout.contains("warning[W0001]"));
    assert!(run.stdout.contains("warning[W0002]"));
    insta::assert_snapshot!("check_warnings_stdout", run.stdout);
    assert_eq!(run.stderr, "checked 1 file: 0 errors, 2 warnings\n");

    let denied = regel(&["check", "--deny-warnings", WARNINGS]);
    assert_eq!(denied.code, 1);
    assert_eq!(denied.stdout, run.stdout);
    assert_eq!(denied.stderr, run.stderr);

    // A clean policy passes with --deny-warnings too.
    assert_eq!(regel(&["check", "--deny-warnings", DEMO]).code, 0);

    let json = regel(&["check", "--format", "json", "--deny-warnings", WARNINGS]);
    assert_eq!(json.code, 1);
    let lines = json.json_lines();
    let codes: Vec<&str> = lines.iter().map(|l| l["code"].as_str().unwrap()).collect();
    assert_eq!(codes, ["W0002", "W0001"]);
    assert!(lines.iter().all(|l| l["severity"] == "warning"));
    // The note quotes the reason given after `tbd`.
    assert!(
        lines[1]["notes"][0]
            .as_str()
            .is_some_and(|n| n.contains("not yet published")),
        "{}",
        lines[1]
    );
}

#[test]
fn check_folders() {
    // A folder is searched (recursively, sorted) for *.regel files.
    let run = regel(&["check", "--format", "json", "tests/fixtures/cli"]);
    assert_eq!(run.code, 1);
    let found: Vec<(String, String)> = run
        .json_lines()
        .iter()
        .map(|l| {
            (
                l["file"].as_str().unwrap().to_string(),
                l["code"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (TYPE_ERROR, "E0302"),
        (TYPE_ERROR, "E0201"),
        (WARNINGS, "W0002"),
        (WARNINGS, "W0001"),
    ];
    assert_eq!(found, expected.map(|(f, c)| (f.to_string(), c.to_string())));

    let run = regel(&["check", "tests/fixtures/cli"]);
    assert_eq!(run.code, 1);
    insta::assert_snapshot!("check_folder_stderr", run.stderr);

    // Folders and files mixed; the module used by demo.regel is reported once.
    let run = regel(&[
        "check",
        "tests/fixtures/cli/common",
        DEMO,
        "tests/fixtures/cli/failing",
    ]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stderr, "checked 3 files: 0 errors, 0 warnings\n");

    // A folder without policies.
    let run = regel(&["check", "tests/fixtures/cli/facts"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stderr, "checked 0 files: 0 errors, 0 warnings\n");
}

#[test]
fn check_missing_file_is_a_usage_error() {
    let run = regel(&["check", "tests/fixtures/cli/nope.regel"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("check_missing_file_stderr", run.stderr);

    // Even next to a good file.
    let run = regel(&["check", DEMO, "tests/fixtures/cli/nope.regel"]);
    assert_eq!(run.code, 2);
}

#[test]
fn check_bad_arguments_are_usage_errors() {
    let run = regel(&["check", "--bogus", DEMO]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--bogus"), "{}", run.stderr);
    assert_eq!(run.stdout, "");

    let run = regel(&["check"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("<PATHS>"), "{}", run.stderr);

    let run = regel(&["check", "--format", "xml", DEMO]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("xml"), "{}", run.stderr);
}

// ---------------------------------------------------------------- eval

#[test]
fn eval_eligible() {
    let run = regel(&["eval", DEMO, "--facts", &facts("eligible")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let json = run.json();
    assert_eq!(json["policy"], "demo_2025");
    let contract = &json["decisions"]["contract"];
    assert_eq!(contract["outcome"], "eligible");
    assert_eq!(contract["status"], "decided");
    assert_eq!(contract["rule"], "low_bi");
    assert_eq!(contract["missing"], serde_json::json!([]));
    assert_eq!(
        contract["fired"],
        serde_json::json!([{
            "rule": "low_bi",
            "label": "Low treatment index and enough patients",
            "cites": "Art. 4.1",
            "outcome": "eligible"
        }])
    );
    assert_provenance(&json, &demo_sha256());
    insta::assert_snapshot!("eval_eligible_stdout", redact_provenance(&run));
}

#[test]
fn eval_excluded_lists_every_fired_rule_strongest_first() {
    let run = regel(&["eval", DEMO, "--facts", &facts("excluded")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let json = run.json();
    let contract = &json["decisions"]["contract"];
    assert_eq!(contract["outcome"], "excluded");
    assert_eq!(contract["status"], "decided");
    assert_eq!(contract["rule"], "fraud");
    let fired: Vec<(&str, &str)> = contract["fired"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["rule"].as_str().unwrap(), f["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(
        fired,
        [
            ("fraud", "excluded"),
            ("unregistered", "not_eligible"),
            ("large_practice", "manual_review")
        ]
    );
    // A module's rules cite the section of the `use` that brought them in.
    assert_eq!(
        contract["fired"][0]["cites"],
        "Algemene voorwaarden / Art. 2.1"
    );
    assert_provenance(&json, &demo_sha256());
    insta::assert_snapshot!("eval_excluded_stdout", redact_provenance(&run));
}

#[test]
fn eval_undetermined_lists_missing_facts() {
    let run = regel(&["eval", DEMO, "--facts", &facts("undetermined")]);
    assert_eq!(
        run.code, 0,
        "an undetermined decision is a result, not an error"
    );
    assert_eq!(run.stderr, "");
    let json = run.json();
    let contract = &json["decisions"]["contract"];
    assert_eq!(contract["status"], "undetermined");
    assert_eq!(contract["outcome"], Json::Null);
    assert_eq!(contract["rule"], Json::Null);
    assert_eq!(
        contract["missing"],
        serde_json::json!(["bi over 2023", "fraud_registered", "revenue"])
    );
    assert_eq!(
        contract["possible"],
        serde_json::json!(["excluded", "not_eligible", "manual_review", "eligible"])
    );
    insta::assert_snapshot!("eval_undetermined_stdout", redact_provenance(&run));
}

#[test]
fn eval_tbd_constant_leaves_the_decision_open() {
    // Warnings do not stop a decision (and are left to `regel check`).
    let run = regel_with_stdin(&["eval", WARNINGS, "--facts", "-"], r#"{"share": "40%"}"#);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    let json = run.json();
    let contract = &json["decisions"]["contract"];
    assert_eq!(contract["status"], "undetermined");
    assert_eq!(contract["tbd"], serde_json::json!(["min_share"]));
    assert_eq!(contract["missing"], serde_json::json!([]));
    assert_eq!(json["policy"], "warnings_2025");
}

#[test]
fn eval_reads_facts_from_stdin() {
    let text = std::fs::read_to_string(format!(
        "{}/{}",
        env!("CARGO_MANIFEST_DIR"),
        facts("eligible")
    ))
    .unwrap();
    let from_stdin = regel_with_stdin(&["eval", DEMO, "--facts", "-"], &text);
    let from_file = regel(&["eval", DEMO, "--facts", &facts("eligible")]);
    assert_eq!(from_stdin.code, 0, "{}", from_stdin.stderr);
    assert_eq!(from_stdin.stdout, from_file.stdout);
}

#[test]
fn eval_hash_does_not_depend_on_the_path() {
    let plain = regel(&["eval", DEMO, "--facts", &facts("eligible")]);
    let dotted = regel(&[
        "eval",
        "./tests/fixtures/cli/../cli/demo.regel",
        "--facts",
        &facts("eligible"),
    ]);
    assert_eq!(dotted.code, 0, "{}", dotted.stderr);
    assert_eq!(plain.stdout, dotted.stdout);
}

#[test]
fn eval_facts_with_wrong_types() {
    let run = regel(&["eval", DEMO, "--facts", &facts("wrong_types")]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "", "no decision on bad facts");
    // Every problem names its key path.
    for (code, path) in [
        ("E0502", "fraud_registered"),
        ("E0504", "insolvency_events[1]"),
        ("E0505", "kind"),
        ("E0502", "bi.2023"),
        ("E0506", "bi.20x3"),
        ("E0503", "patients"),
        ("E0502", "revenue"),
        ("E0504", "registered_on"),
        ("E0502", "therapists[0].big_registered"),
    ] {
        let found = data_problems(&run.stderr)
            .iter()
            .any(|(c, p)| c == code && p == path);
        assert!(found, "no {code} at {path}:\n{}", run.stderr);
    }
    assert!(run.stderr.contains("`-3` is a count but is negative"));
    assert!(run.stderr.contains("`2023-02-30`"));
    assert!(
        run.stderr
            .contains("`fysio`, which is not one of { fysiotherapie, oefentherapie }")
    );
    insta::assert_snapshot!("eval_wrong_types_stderr", run.stderr);
}

#[test]
fn eval_invalid_json() {
    let run = regel(&["eval", DEMO, "--facts", &facts("invalid")]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    insta::assert_snapshot!("eval_invalid_json_stderr", run.stderr);

    let run = regel_with_stdin(&["eval", DEMO, "--facts", "-"], "");
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("E0501"), "{}", run.stderr);
}

#[test]
fn eval_facts_not_an_object() {
    let run = regel(&["eval", DEMO, "--facts", &facts("not_object")]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr.starts_with(
            "error[E0501]: the facts must be a JSON object keyed by input name, not a list"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn eval_strict_reports_unknown_keys() {
    // Without --strict, keys the policy does not read are ignored.
    let lenient = regel(&["eval", DEMO, "--facts", &facts("unknown_keys")]);
    assert_eq!(lenient.code, 0, "{}", lenient.stderr);
    assert_eq!(
        lenient.json()["decisions"]["contract"]["outcome"],
        "eligible"
    );

    let run = regel(&["eval", DEMO, "--facts", &facts("unknown_keys"), "--strict"]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    for path in ["patient", "provider_name", "therapists[0].hours_per_wek"] {
        assert!(
            run.stderr.contains(&format!("  at: {path}\n")),
            "{}",
            run.stderr
        );
    }
    assert_eq!(run.stderr.matches("error[E0507]").count(), 3);
    assert!(run.stderr.contains("did you mean `patients`?"));
    assert!(run.stderr.contains("did you mean `hours_per_week`?"));
    insta::assert_snapshot!("eval_strict_stderr", run.stderr);

    // Good facts pass --strict.
    let run = regel(&["eval", DEMO, "--facts", &facts("eligible"), "--strict"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
}

#[test]
fn eval_missing_files_are_usage_errors() {
    let run = regel(&[
        "eval",
        DEMO,
        "--facts",
        "tests/fixtures/cli/facts/nope.json",
    ]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: cannot read `tests/fixtures/cli/facts/nope.json`"),
        "{}",
        run.stderr
    );

    let run = regel(&[
        "eval",
        "tests/fixtures/cli/nope.regel",
        "--facts",
        &facts("eligible"),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot read `tests/fixtures/cli/nope.regel`"),
        "{}",
        run.stderr
    );

    let run = regel(&["eval", DEMO]);
    assert_eq!(run.code, 2, "--facts is required");
    assert!(run.stderr.contains("--facts"), "{}", run.stderr);
}

#[test]
fn eval_policy_with_errors() {
    let run = regel(&["eval", TYPE_ERROR, "--facts", &facts("eligible")]);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("error[E0302]"), "{}", run.stderr);
    assert!(run.stderr.contains("error[E0201]"), "{}", run.stderr);
}

// ---------------------------------------------------------------- export

#[test]
fn export_is_versioned_json_and_deterministic() {
    let first = regel(&["export", DEMO]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(first.stderr, "");
    assert!(first.stdout.ends_with("}\n"));
    let json = first.json();
    assert_eq!(json["format"], "regel-ir/1");
    assert_eq!(json["regel_version"], env!("CARGO_PKG_VERSION"));
    let names: Vec<&str> = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [DEMO, MODULE]);
    for source in json["sources"].as_array().unwrap() {
        let sha = source["sha256"].as_str().unwrap();
        assert_eq!(sha.len(), 64);
        assert!(
            sha.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        );
    }
    let policy = &json["policy"];
    assert_eq!(policy["id"], "demo_2025");
    assert_eq!(policy["title"], "Demo physiotherapy policy");
    assert_eq!(policy["insurer"], "Demo Verzekeraar");
    assert_eq!(policy["year"], 2025);
    assert_eq!(policy["modules"], serde_json::json!(["common/general"]));
    let rules: Vec<&str> = policy["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in [
        "fraud",
        "insolvency",
        "unregistered",
        "late_registration",
        "large_practice",
        "low_bi",
    ] {
        assert!(rules.contains(&id), "no rule {id} in {rules:?}");
    }
    assert_eq!(policy["tests"].as_array().unwrap().len(), 3);

    let second = regel(&["export", DEMO]);
    assert_eq!(second.code, 0);
    assert_eq!(
        first.stdout.as_bytes(),
        second.stdout.as_bytes(),
        "export is not byte-identical"
    );
}

#[test]
fn export_policy_with_warnings_only() {
    let run = regel(&["export", WARNINGS]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.json()["policy"]["id"], "warnings_2025");
}

#[test]
fn export_policy_with_errors() {
    let run = regel(&["export", TYPE_ERROR]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout, "",
        "nothing is exported from a policy with errors"
    );
    assert!(run.stderr.contains("error[E0302]"), "{}", run.stderr);
}

#[test]
fn export_usage_errors() {
    let run = regel(&["export", "tests/fixtures/cli/nope.regel"]);
    assert_eq!(run.code, 2);
    assert_eq!(run.stdout, "");
    assert!(
        run.stderr
            .starts_with("error: cannot read `tests/fixtures/cli/nope.regel`")
    );

    let run = regel(&["export"]);
    assert_eq!(run.code, 2);
}

// ---------------------------------------------------------------- test

#[test]
fn test_passing_policy() {
    let run = regel(&["test", DEMO]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.ends_with("3 passed, 0 failed\n"));
    insta::assert_snapshot!("test_demo_stdout", run.stdout);
}

#[test]
fn test_failing_policy() {
    let run = regel(&["test", FAILING]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.ends_with("1 passed, 1 failed\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains(&format!(
        "FAIL {FAILING} :: few patients is eligible (wrong on purpose)"
    )));
    // Expected and actual are both shown.
    assert!(run.stdout.contains(
        "expected contract = eligible, got contract = not_eligible (the default: no rule fired)"
    ));
    assert!(run.stdout.contains("actual: contract = not_eligible"));
    insta::assert_snapshot!("test_failing_stdout", run.stdout);
}

#[test]
fn test_several_files_and_folders() {
    let run = regel(&["test", DEMO, "tests/fixtures/cli/failing", MODULE]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout.ends_with("4 passed, 1 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn test_json_format() {
    let run = regel(&["test", "--format", "json", FAILING]);
    assert_eq!(run.code, 1);
    let lines = run.json_lines();
    assert_eq!(
        lines,
        [
            serde_json::json!({
                "file": FAILING,
                "test": "many patients is eligible",
                "passed": true,
                "failures": []
            }),
            serde_json::json!({
                "file": FAILING,
                "test": "few patients is eligible (wrong on purpose)",
                "passed": false,
                "failures": ["expected contract = eligible, got contract = not_eligible (the default: no rule fired)"]
            }),
        ]
    );
    assert!(
        !run.stdout.contains("passed,"),
        "no summary line in JSON mode"
    );

    let run = regel(&["test", "--format", "json", DEMO]);
    assert_eq!(run.code, 0);
    let lines = run.json_lines();
    assert_eq!(lines.len(), 3);
    assert!(lines.iter().all(|l| l["passed"] == true));
}

#[test]
fn test_policy_with_errors() {
    let run = regel(&["test", TYPE_ERROR]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("error[E0302]"), "{}", run.stdout);
    assert!(
        run.stdout.ends_with("0 passed, 0 failed\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn test_json_format_with_a_broken_policy_is_still_json() {
    let run = regel(&["test", "--format", "json", TYPE_ERROR, DEMO]);
    assert_eq!(run.code, 1);
    for line in run.stdout.lines() {
        assert!(
            serde_json::from_str::<Json>(line).is_ok(),
            "not JSON: {line}"
        );
    }
}

#[test]
fn test_usage_errors() {
    let run = regel(&["test", "tests/fixtures/cli/nope.regel"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("`tests/fixtures/cli/nope.regel` does not exist")
    );

    let run = regel(&["test", "--format", "yaml", DEMO]);
    assert_eq!(run.code, 2);
}
