//! `regel eval POLICY --data FILE`: batch evaluation through the real binary.
//! Fixtures in `tests/fixtures/batch/`; the benchmark policy is
//! `bench/providers.regel`. Reading data right (no value misread, no row
//! lost) is in `tests/batch_data.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::batch::*;

#[test]
fn csv_in_csv_out_with_the_bench_policy() {
    let run = regel(&["eval", BENCH, "--data", "examples/batch/providers.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        "id,outcome,outcome_status,outcome_rule,outcome_missing,contract,contract_status,contract_rule,contract_missing\n\
         p001,contract,decided,low_bi,,out_of_scope,decided,,\n\
         p002,reject,decided,,,out_of_scope,decided,,\n\
         p003,manual_review,decided,small_without_bi,,out_of_scope,decided,,\n\
         p004,reject,decided,,,out_of_scope,decided,,\n\
         p005,reject,decided,fraud_or_no_kvk,,out_of_scope,decided,,\n\
         p006,reject,decided,fraud_or_no_kvk,,out_of_scope,decided,,\n\
         p007,,undetermined,,kvk_registered,out_of_scope,decided,,\n\
         p008,,undetermined,,fraud_registered,out_of_scope,decided,,\n"
    );
    assert_eq!(counts(&run), (8, 8, 0));
    assert!(
        run.stderr
            .contains("outcome: reject 4, contract 1, manual_review 1; undetermined 2; errors 0"),
        "{}",
        run.stderr
    );
}

#[test]
fn jsonl_out_carries_the_same_information() {
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--format",
        "jsonl",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows: Vec<serde_json::Value> = run
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 8);
    assert_eq!(rows[0]["id"], "p001");
    assert_eq!(rows[0]["outcome"], "contract");
    assert_eq!(rows[0]["outcome_status"], "decided");
    assert_eq!(rows[0]["outcome_rule"], "low_bi");
    assert_eq!(rows[6]["outcome"], serde_json::Value::Null);
    assert_eq!(rows[6]["outcome_status"], "undetermined");
    assert_eq!(
        rows[6]["outcome_missing"],
        serde_json::json!(["kvk_registered"])
    );
}

#[test]
fn out_file_by_extension_picks_jsonl() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let out = dir.join("batch-out.jsonl");
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.is_empty());
    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 8);
    assert!(text.starts_with("{\"id\":\"p001\""), "{text}");
}

#[test]
fn jsonl_in_with_report_mode() {
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        &fixture("providers.jsonl"),
        "--on-error",
        "report",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows[0].last().unwrap(), "error");
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1][0..4], ["j1", "contract", "decided", "low_bi"]);
    assert_eq!(
        rows[2][0..4],
        ["j2", "manual_review", "decided", "small_without_bi"]
    );
    // The blank line is not a row: j3 is row 3.
    assert_eq!(rows[3][0], "j3");
    assert_eq!(rows[3][2], "error");
    assert!(
        rows[3]
            .last()
            .unwrap()
            .starts_with("error[E0502] row 3 (line 4), column `bi`:"),
        "{:?}",
        rows[3]
    );
    assert_eq!(rows[4][2], "undetermined");
    assert_eq!(rows[4][4], "kvk_registered");
    assert_eq!(counts(&run), (4, 4, 0));
}

#[test]
fn stdin_and_stdout() {
    let data = std::fs::read_to_string("examples/batch/providers.csv").unwrap();
    let run = regel_with_stdin(&["eval", BENCH, "--data", "-", "--out", "-"], Some(&data));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.lines().count(), 9);
    let jsonl = std::fs::read_to_string(fixture("providers.jsonl")).unwrap();
    let run = regel_with_stdin(
        &[
            "eval",
            BENCH,
            "--data",
            "-",
            "--input-format",
            "jsonl",
            "--on-error",
            "skip",
        ],
        Some(&jsonl),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(counts(&run), (4, 3, 1));
}

#[test]
fn a_malformed_row_in_each_error_mode() {
    let bad = fixture("bad.csv");
    // fail: report the first bad row, stop, exit 1.
    let run = regel(&["eval", BENCH, "--data", &bad]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error[E0502] row 2 (line 3), column `patients`: `abc` is not a count; help: write a whole number"),
        "{}",
        run.stderr
    );
    assert_eq!(csv_rows(&run.stdout).len(), 2);
    assert_eq!(counts(&run), (2, 1, 1));
    assert!(run.stderr.contains("stopped at row 2"));

    // skip: leave bad rows out, say so, exit 1.
    let run = regel(&["eval", BENCH, "--data", &bad, "--on-error", "skip"]);
    assert_eq!(run.code, 1);
    let ids: Vec<String> = csv_rows(&run.stdout)
        .iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids, ["b1", "b3", "b5"]);
    assert!(
        run.stderr.contains("row 2 (line 3), column `patients`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("row 4 (line 5), column `kvk_registered`: `yes` is not `true` or `false`"),
        "{}",
        run.stderr
    );
    assert_eq!(counts(&run), (5, 3, 2));

    // report: write bad rows with status `error` and the message, exit 1.
    let run = regel(&["eval", BENCH, "--data", &bad, "--on-error", "report"]);
    assert_eq!(run.code, 1);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows.len(), 6);
    assert_eq!(rows[2][0], "b2");
    assert_eq!(rows[2][2], "error");
    assert_eq!(
        rows[2].last().unwrap(),
        "error[E0502] row 2 (line 3), column `patients`: `abc` is not a count; help: write a whole number"
    );
    assert_eq!(rows[4][2], "error");
    assert_eq!(rows[1].last().unwrap(), "");
    assert_eq!(counts(&run), (5, 5, 0));
}

#[test]
fn bad_enum_values_and_dates_name_row_and_column() {
    let run = regel(&[
        "eval",
        SERIES,
        "--data",
        &fixture("enum_bad.csv"),
        "--on-error",
        "report",
    ]);
    assert_eq!(run.code, 1);
    let rows = csv_rows(&run.stdout);
    assert!(
        rows[1].last().unwrap().starts_with(
            "error[E0505] row 1 (line 2), column `kind`: `fysioterapie` is not one of"
        )
    );
    assert!(
        rows[1]
            .last()
            .unwrap()
            .contains("did you mean `fysiotherapie`?")
    );
    assert!(rows[2].last().unwrap().starts_with(
        "error[E0504] row 2 (line 3), column `applied_on`: `2024-02-30` is not a date"
    ));
}

#[test]
fn series_columns_and_empty_cells() {
    let run = regel(&["eval", SERIES, "--data", &fixture("series.csv")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(
        rows[0],
        [
            "id",
            "contract",
            "contract_status",
            "contract_rule",
            "contract_missing"
        ]
    );
    assert_eq!(rows[1], ["s1", "eligible", "decided", "low_bi", ""]);
    // An empty cell is a missing value: undetermined, waiting for it.
    assert_eq!(rows[2], ["s2", "", "undetermined", "", "bi over 2024"]);
    assert_eq!(rows[3], ["s3", "not_eligible", "decided", "", ""]);
    assert_eq!(rows[4], ["s4", "eligible", "decided", "exercise", ""]);
    assert_eq!(rows[5], ["s5", "not_eligible", "decided", "late", ""]);
}

#[test]
fn batch_agrees_with_single_provider_eval() {
    // Row s2 of series.csv as --facts: the same decision.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let facts = dir.join("batch-s2.json");
    std::fs::write(
        &facts,
        r#"{"bi": {"2023": 120}, "kind": "fysiotherapie", "applied_on": "2024-09-01", "share": 10, "revenue": 50000}"#,
    )
    .unwrap();
    let run = regel(&["eval", SERIES, "--facts", facts.to_str().unwrap()]);
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["decisions"]["contract"]["status"], "undetermined");
    assert_eq!(
        json["decisions"]["contract"]["missing"],
        serde_json::json!(["bi over 2024"])
    );
}

#[test]
fn lists_in_csv_are_json_cells() {
    // A list column holds the list as JSON; an empty cell is a missing list.
    let csv = "id,fraud_registered,therapists\n\
               c1,false,\"[{\"\"big_registered\"\": true}]\"\n\
               c2,false,\"[{\"\"big_registered\"\": false}, {}]\"\n\
               c3,false,\n\
               c4,false,[]\n\
               c5,false,\"[{\"\"big_registered\"\": \"\"yes\"\"}]\"\n\
               c6,false,[{\n";
    let run = regel_with_stdin(
        &["eval", LISTS, "--data", "-", "--on-error", "report"],
        Some(csv),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows[1][0..4], ["c1", "eligible", "decided", ""]);
    assert_eq!(
        rows[2][0..4],
        ["c2", "not_eligible", "decided", "unregistered"]
    );
    assert_eq!(rows[3][0..5], ["c3", "", "undetermined", "", "therapists"]);
    assert_eq!(rows[4][0..4], ["c4", "eligible", "decided", ""]);
    assert!(
        rows[5]
            .last()
            .unwrap()
            .starts_with("error[E0502] row 5 (line 6), column `therapists[0].big_registered`"),
        "{:?}",
        rows[5]
    );
    assert!(
        rows[6].last().unwrap().starts_with(
            "error[E0501] row 6 (line 7), column `therapists`: the cell should hold a list as JSON"
        ),
        "{:?}",
        rows[6]
    );
    assert_eq!(counts(&run), (6, 6, 0));
    // As JSON Lines the same policy is fine.
    let run = regel(&["eval", LISTS, "--data", &fixture("lists.jsonl")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(
        rows[2],
        ["l2", "not_eligible", "decided", "unregistered", ""]
    );
    assert_eq!(rows[3], ["l3", "", "undetermined", "", "fraud_registered"]);
}

#[test]
fn usage_errors() {
    let run = regel(&["eval", BENCH, "--facts", "x.json", "--data", "y.csv"]);
    assert_eq!(run.code, 2);
    let run = regel(&["eval", BENCH, "--data", "does/not/exist.csv"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot read"));
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--jobs",
        "0",
    ]);
    assert_eq!(run.code, 2);
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--format",
        "human",
    ]);
    assert_eq!(run.code, 2);
    let run = regel(&["eval", SERIES, "--data", "-"]);
    assert_eq!(run.code, 2, "an empty input has no header: {}", run.stderr);
}

#[test]
fn order_is_preserved_across_chunks_and_threads() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let data = dir.join("batch-order.csv");
    let mut text = String::from("id,bi,patients,revenue_eur,kvk_registered,fraud_registered\n");
    let rows = 40_000;
    for i in 0..rows {
        let bi = if i % 7 == 0 {
            String::new()
        } else {
            (i % 300).to_string()
        };
        let fraud = if i % 11 == 0 {
            ""
        } else if i % 13 == 0 {
            "true"
        } else {
            "false"
        };
        text.push_str(&format!("r{i},{bi},{},{},true,{fraud}\n", i % 50, i * 10));
    }
    std::fs::write(&data, &text).unwrap();
    let two = regel(&[
        "eval",
        BENCH,
        "--data",
        data.to_str().unwrap(),
        "--jobs",
        "2",
    ]);
    assert_eq!(two.code, 0, "{}", two.stderr);
    let one = regel(&[
        "eval",
        BENCH,
        "--data",
        data.to_str().unwrap(),
        "--jobs",
        "1",
    ]);
    assert_eq!(two.stdout, one.stdout);
    let ids: Vec<String> = csv_rows(&two.stdout)
        .iter()
        .skip(1)
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(ids.len(), rows);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(id, &format!("r{i}"));
    }
    assert_eq!(counts(&two), (rows as u64, rows as u64, 0));
}

/// `--explain` with `--data`: an `explanation` column (CSV) or key (JSON
/// Lines) holding the same JSON as `regel eval --facts --explain --format
/// json` gives for that provider.
#[test]
fn batch_rows_carry_their_explanation() {
    let csv = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--explain",
    ]);
    assert_eq!(csv.code, 0, "{}", csv.stderr);
    let rows = csv_rows(&csv.stdout);
    let header = &rows[0];
    let column = header.iter().position(|h| h == "explanation").unwrap();
    assert_eq!(column, header.len() - 1);
    let first: serde_json::Value = serde_json::from_str(&rows[1][column]).unwrap();
    assert_eq!(first["policy"], "bench_providers");
    let outcome = &first["decisions"][0];
    assert_eq!(outcome["decision"], "outcome");
    assert_eq!(outcome["outcome"].as_str(), Some(rows[1][1].as_str()));
    // The same explanation as for that provider alone.
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let facts = dir.join("batch-explain-first.json");
    let jsonl = regel(&[
        "eval",
        BENCH,
        "--data",
        "examples/batch/providers.csv",
        "--explain",
        "--format",
        "jsonl",
    ]);
    assert_eq!(jsonl.code, 0, "{}", jsonl.stderr);
    let line: serde_json::Value =
        serde_json::from_str(jsonl.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(line["explanation"], first);
    // The first provider as facts: JSON reads numbers from plain strings too.
    let input = csv_rows(&std::fs::read_to_string("examples/batch/providers.csv").unwrap());
    let mut object = serde_json::Map::new();
    for (name, cell) in input[0].iter().zip(&input[1]) {
        let value = match cell.as_str() {
            "" => continue,
            "true" => serde_json::Value::Bool(true),
            "false" => serde_json::Value::Bool(false),
            _ => serde_json::Value::String(cell.clone()),
        };
        object.insert(name.clone(), value);
    }
    std::fs::write(&facts, serde_json::Value::Object(object).to_string()).unwrap();
    let alone = regel(&[
        "eval",
        BENCH,
        "--facts",
        facts.to_str().unwrap(),
        "--explain",
        "--format",
        "json",
    ]);
    assert_eq!(alone.code, 0, "{}", alone.stderr);
    let alone: serde_json::Value = serde_json::from_str(&alone.stdout).unwrap();
    assert_eq!(alone, first);
}

/// Wide JSON rows: chunks end by size as well as by row count, and every
/// row still comes out, once, in order, as JSON Lines and as an array.
#[test]
fn wide_json_rows_cross_chunks_in_order() {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let rows = 3_000;
    // About 2 KB a row: some 6 MB in all, past the 4 MiB a chunk reads.
    let note = "x".repeat(2_000);
    let lines: Vec<String> = (0..rows)
        .map(|i| {
            format!(
                r#"{{"id": "w{i}", "bi": {}, "patients": {}, "kvk_registered": true, "fraud_registered": {}, "note": "{note}"}}"#,
                i % 300,
                i % 50,
                i % 13 == 0
            )
        })
        .collect();
    let jsonl = dir.join("batch-wide.jsonl");
    std::fs::write(&jsonl, lines.join("\n")).unwrap();
    let array = dir.join("batch-wide.json");
    std::fs::write(&array, format!("[{}]", lines.join(",\n"))).unwrap();
    let mut outputs = Vec::new();
    for (data, jobs) in [(&jsonl, "1"), (&jsonl, "2"), (&array, "2")] {
        let run = regel(&[
            "eval",
            BENCH,
            "--data",
            data.to_str().unwrap(),
            "--jobs",
            jobs,
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        let ids: Vec<String> = csv_rows(&run.stdout)
            .iter()
            .skip(1)
            .map(|r| r[0].clone())
            .collect();
        assert_eq!(ids, (0..rows).map(|i| format!("w{i}")).collect::<Vec<_>>());
        assert_eq!(counts(&run), (rows as u64, rows as u64, 0));
        outputs.push(run.stdout);
    }
    assert!(outputs.windows(2).all(|pair| pair[0] == pair[1]));
}

#[test]
fn a_json_array_is_read_element_by_element() {
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        &fixture("providers.json"),
        "--on-error",
        "report",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows.len(), 5);
    assert_eq!(rows[1][0..4], ["a1", "contract", "decided", "low_bi"]);
    assert_eq!(rows[3][0], "3");
    assert!(
        rows[3]
            .last()
            .unwrap()
            .starts_with("error[E0501] row 3 (line 4): the facts must be a JSON object")
    );
    assert_eq!(rows[4][4], "kvk_registered");
    assert_eq!(counts(&run), (4, 4, 0));
    let run = regel_with_stdin(
        &["eval", BENCH, "--data", "-", "--input-format", "json"],
        Some("{\"not\": \"an array\"}"),
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("should be a JSON array"),
        "{}",
        run.stderr
    );
}

#[test]
fn short_rows_decimal_commas_crlf_and_a_bom() {
    let data = "\u{feff}id,bi,patients,revenue_eur,kvk_registered,fraud_registered\r\n\
                x1,120,10,5,true,false\r\n\
                x2,120,10\r\n\
                x3,\"1,5\",1,1,true,false\r\n";
    let run = regel_with_stdin(
        &["eval", BENCH, "--data", "-", "--on-error", "report"],
        Some(data),
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows[1][0..4], ["x1", "contract", "decided", "low_bi"]);
    assert_eq!(
        rows[2].last().unwrap(),
        "error[E0512] row 2 (line 3): the row has 3 fields, the header has 6; help: give every row one field per column of the header; quote a field that holds the delimiter"
    );
    assert_eq!(
        rows[3].last().unwrap(),
        "error[E0510] row 3 (line 4), column `bi`: `1,5` uses `,` in a number: `.` is the decimal point; help: write `1.5`: `.` is the decimal point, and thousands are not separated (or with `_`)"
    );
    assert_eq!(counts(&run), (3, 3, 0));
}

#[test]
fn strict_reports_columns_and_keys_that_are_not_inputs() {
    let csv = "id,bi@2023,bi@2024,kind,colour\ns1,120,130,fysiotherapie,red\n";
    let run = regel_with_stdin(&["eval", SERIES, "--data", "-", "--strict"], Some(csv));
    assert_eq!(run.code, 1);
    assert!(
        run.stderr
            .contains("error[W0005]: a column is not an input of policy `batch_series` and is ignored: `colour`"),
        "{}",
        run.stderr
    );
    // Without --strict the column is ignored; the id column is never a problem.
    let run = regel_with_stdin(&["eval", SERIES, "--data", "-"], Some(csv));
    assert_eq!(run.code, 0, "{}", run.stderr);
    let jsonl = "{\"id\": \"s1\", \"kind\": \"fysiotherapie\", \"colour\": \"red\"}\n";
    let run = regel_with_stdin(
        &[
            "eval",
            SERIES,
            "--data",
            "-",
            "--input-format",
            "jsonl",
            "--strict",
            "--on-error",
            "report",
        ],
        Some(jsonl),
    );
    assert_eq!(run.code, 1);
    let rows = csv_rows(&run.stdout);
    assert_eq!(
        rows[1].last().unwrap(),
        "error[E0507] row 1 (line 1), column `colour`: `colour` is not an input of this policy"
    );
}
