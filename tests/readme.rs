//! The README's claims about the shipped examples hold: every row of its
//! examples table decides as stated, through the real binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

#[test]
fn readme_examples_table_matches_the_binary() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    let mut rows = 0;
    for line in readme.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `policy` | `example` | result |
        let [_, policy, example, expected, _] = cells.as_slice() else {
            continue;
        };
        if !example.starts_with("`examples/") {
            continue;
        }
        let policy = policy.trim_matches('`');
        let example = example.trim_matches('`');
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_regel"))
            .args(["eval", policy, "--facts", example])
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(0), "{example}");
        let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let contract = &json["decisions"]["contract"];
        let actual = if contract["status"] == "decided" {
            let mut text = format!("`{}`", contract["outcome"].as_str().unwrap());
            if let Some(rule) = contract["rule"].as_str() {
                text.push_str(&format!(" by `{rule}`"));
            }
            text
        } else {
            let mut waits: Vec<String> = contract["missing"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| format!("`{}`", m.as_str().unwrap()))
                .collect();
            if let Some(tbd) = contract.get("tbd").and_then(|t| t.as_array()) {
                waits.extend(
                    tbd.iter()
                        .map(|t| format!("`{}` (tbd)", t.as_str().unwrap())),
                );
            }
            format!("undetermined, waiting for {}", waits.join(", "))
        };
        assert_eq!(&actual, expected, "{example}");
        rows += 1;
    }
    assert!(rows >= 10, "only {rows} example rows in the README");
}
