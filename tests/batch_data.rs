//! `regel eval POLICY --data FILE` reads data right: no value is misread
//! (Dutch amounts, too many digits, keys given twice, bad UTF-8), no row is
//! lost or merged (an open quote is its own row's error), the header is
//! checked before any row, ids given twice are named, and both evaluators
//! write the same bytes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use common::batch::*;

/// A stray quote in 1% of 100,000 rows: every data line is read, each bad
/// row is reported at its own row and line, and every good row is decided.
#[test]
fn stray_quotes_never_swallow_the_rows_after_them() {
    let rows = 100_000;
    let mut data = String::from("id,bi,patients,revenue_eur,kvk_registered,fraud_registered\n");
    let mut bad = Vec::new();
    for i in 1..=rows {
        if i % 100 == 37 {
            data.push_str(&format!("q{i},\"120,40,1000,true,false\n"));
            bad.push(i);
        } else {
            data.push_str(&format!("q{i},{},40,1000,true,false\n", 100 + i % 100));
        }
    }
    let run = report_on_file("stray", data.as_bytes());
    assert_eq!(run.code, 1);
    assert_eq!(counts(&run), (rows, rows, 0));
    let out = csv_rows(&run.stdout);
    assert_eq!(out.len() as u64, rows + 1);
    let errors: Vec<(String, String)> = out
        .iter()
        .skip(1)
        .filter(|r| r[2] == "error")
        .map(|r| (r[0].clone(), r.last().unwrap().clone()))
        .collect();
    assert_eq!(errors.len(), bad.len());
    for ((id, message), row) in errors.iter().zip(&bad) {
        assert_eq!(id, &format!("q{row}"));
        assert_eq!(
            message,
            &format!(
                "error[E0512] row {row} (line {}), column `bi`: a quoted field is not closed on its line; help: close the quote (`\"120\"`), or double a quote inside the field (`\"\"`); a field cannot run over more lines",
                row + 1
            )
        );
    }
    // Good rows keep their own ids and are decided.
    assert!(
        out.iter()
            .skip(1)
            .all(|r| r[2] == "error" || r[2] == "decided")
    );
}

#[test]
fn header_problems_come_once_before_any_row() {
    let csv = "id,bi,patinets,revenue_eur,kvk_registered,fraud_registered\n\
               h1,120,40,1000,true,false\nh2,130,40,1000,true,false\n";
    let run = regel_with_stdin(&["eval", BENCH, "--data", "-"], Some(csv));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr.matches("warning[W0004]").count(), 1);
    assert_eq!(run.stderr.matches("warning[W0005]").count(), 1);
    assert!(
        run.stderr.contains("did you mean `patients`?"),
        "{}",
        run.stderr
    );
    // Under --strict they stop the run before any row.
    let run = regel_with_stdin(&["eval", BENCH, "--data", "-", "--strict"], Some(csv));
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(run.stderr.contains("no row read"), "{}", run.stderr);
    // A `;`-separated file: one error for the header, and the fix.
    let semicolons = csv.replace(',', ";");
    let run = regel_with_stdin(&["eval", BENCH, "--data", "-"], Some(&semicolons));
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.matches("error[E0514]").count(),
        1,
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--delimiter ';'"), "{}", run.stderr);
    let fixed = semicolons.replace("patinets", "patients");
    let run = regel_with_stdin(
        &["eval", BENCH, "--data", "-", "--delimiter", ";"],
        Some(&fixed),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(counts(&run), (2, 2, 0));
}

#[test]
fn duplicate_ids_are_a_warning_with_both_rows() {
    let csv = "id,bi,patients,revenue_eur,kvk_registered,fraud_registered\n\
               d1,120,40,1000,true,false\nd2,130,40,1000,true,false\nd1,120,40,1000,true,false\n";
    let run = regel_with_stdin(&["eval", BENCH, "--data", "-"], Some(csv));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("warning[W0006]: row 1 and row 3 have the same id"),
        "{}",
        run.stderr
    );
    let jsonl = "{\"id\": \"j\", \"bi\": 1}\n{\"id\": \"k\"}\n{\"id\": \"j\"}\n";
    let run = regel_with_stdin(
        &["eval", BENCH, "--data", "-", "--input-format", "jsonl"],
        Some(jsonl),
    );
    assert!(
        run.stderr.contains("row 1 and row 3 have the same id"),
        "{}",
        run.stderr
    );
}

#[test]
fn misread_values_are_errors_on_every_path() {
    // Dutch money, too many digits, a key given twice, a BOM, bad UTF-8.
    let csv = "\u{feff}id,bi,patients,revenue_eur,kvk_registered,fraud_registered\n\
               m1,120,40,100.000,true,false\n\
               m2,149.99999999999999999999999999999,40,1000,true,false\n\
               m3,120,40,1000,true,false\n";
    let run = regel_with_stdin(
        &["eval", BENCH, "--data", "-", "--on-error", "report"],
        Some(csv),
    );
    let rows = csv_rows(&run.stdout);
    assert!(
        rows[1]
            .last()
            .unwrap()
            .starts_with("error[E0510] row 1 (line 2), column `revenue_eur`")
    );
    assert!(
        rows[2]
            .last()
            .unwrap()
            .starts_with("error[E0509] row 2 (line 3), column `bi`")
    );
    assert_eq!(rows[3][0..4], ["m3", "contract", "decided", "low_bi"]);
    let jsonl = "\u{feff}{\"id\": \"a\", \"bi\": 120, \"patients\": 40, \"kvk_registered\": true, \"fraud_registered\": false}\n\
                 {\"id\": \"b\", \"bi\": 120, \"bi\": 170}\n\
                 {\"id\": \"c\", \"revenue_eur\": \"100.000\"}\n\
                 {\"id\": \"d\", \"bi\": 149.99999999999999999999999999999}\n";
    let run = regel_with_stdin(
        &[
            "eval",
            BENCH,
            "--data",
            "-",
            "--input-format",
            "jsonl",
            "--on-error",
            "report",
        ],
        Some(jsonl),
    );
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows[1][0..4], ["a", "contract", "decided", "low_bi"]);
    assert!(
        rows[2]
            .last()
            .unwrap()
            .starts_with("error[E0511] row 2 (line 2), column `bi`"),
        "{:?}",
        rows[2]
    );
    assert!(
        rows[3]
            .last()
            .unwrap()
            .starts_with("error[E0510] row 3 (line 3), column `revenue_eur`"),
        "{:?}",
        rows[3]
    );
    assert!(
        rows[4]
            .last()
            .unwrap()
            .starts_with("error[E0509] row 4 (line 4), column `bi`"),
        "{:?}",
        rows[4]
    );
    assert_eq!(counts(&run), (4, 4, 0));
    // The same facts through --facts.
    let run = regel_with_stdin(
        &["eval", BENCH, "--facts", "-"],
        Some("\u{feff}{\"bi\": 120, \"bi\": 170}"),
    );
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[E0511]"), "{}", run.stderr);
}

#[test]
fn invalid_utf8_names_its_column() {
    let mut data = b"id,bi,patients,revenue_eur,kvk_registered,fraud_registered\nu1,120,40,10\xe400,true,false\n".to_vec();
    data.extend_from_slice(b"u2,120,40,1000,true,false\n");
    let run = report_on_file("latin1", &data);
    let rows = csv_rows(&run.stdout);
    assert!(
        rows[1]
            .last()
            .unwrap()
            .starts_with("error[E0513] row 1 (line 2), column `revenue_eur`"),
        "{:?}",
        rows[1]
    );
    assert_eq!(rows[2][0..4], ["u2", "contract", "decided", "low_bi"]);
}

#[test]
fn an_error_inside_a_json_array_is_placed_in_the_file() {
    let json = "[\n  {\"id\": \"a\", \"bi\": 120},\n  {\"id\": \"b\",\n   \"bi\": 12x}\n,{\"id\": \"c\"}]\n";
    let run = regel_with_stdin(
        &[
            "eval",
            BENCH,
            "--data",
            "-",
            "--input-format",
            "json",
            "--on-error",
            "report",
        ],
        Some(json),
    );
    assert_eq!(run.code, 1);
    let rows = csv_rows(&run.stdout);
    assert_eq!(rows.len(), 3, "{:?}", rows);
    let message = rows[2].last().unwrap();
    assert!(
        message.starts_with(
            "error[E0501] row 2 (line 3): row 2 is not valid JSON at line 4, column 12"
        ),
        "{message}"
    );
    assert!(
        message.contains("the rest of the array cannot be read"),
        "{message}"
    );
    assert_eq!(counts(&run), (2, 2, 0));
}

#[test]
fn text_cells_are_read_on_the_compiled_path() {
    let csv =
        "id,agb_code,patients\nt1,04-123456,40\nt2,04-999999,40\nt3,,40\nt4,\"04-123456\",40\n";
    let run = regel_with_stdin(
        &["eval", "tests/fixtures/batch/text.regel", "--data", "-"],
        Some(csv),
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let rows = csv_rows(&run.stdout);
    assert_eq!(
        rows[1][0..4],
        ["t1", "eligible", "decided", "known_practice"]
    );
    assert_eq!(rows[2][0..4], ["t2", "not_eligible", "decided", ""]);
    assert_eq!(rows[3][0..4], ["t3", "manual_review", "decided", "no_code"]);
    assert_eq!(
        rows[4][0..4],
        ["t4", "eligible", "decided", "known_practice"]
    );
}

/// The compiled evaluator (with JSON rows read straight into its records)
/// and the reference interpreter give byte-identical output, bad rows
/// included, for CSV and JSON Lines alike.
#[test]
fn both_evaluators_write_the_same_bytes() {
    let jsonl = "\u{feff}{\"id\": \"a\", \"bi\": 120, \"patients\": 40, \"kvk_registered\": true, \"fraud_registered\": false}\n\
                 {\"id\": \"b\", \"bi\": 120, \"bi\": 170}\n\
                 {\"id\": \"c\", \"revenue_eur\": \"100.000\"}\n\
                 {\"id\": \"d\", \"bi\": 149.99999999999999999999999999999}\n\
                 {\"id\": \"e\", \"patients\": 12, \"kvk_registered\": true, \"fraud_registered\": false}\n\
                 not json\n";
    let csv = "id,bi,patients,revenue_eur,kvk_registered,fraud_registered\n\
               m1,120,40,100.000,true,false\n\
               m2,\"120,40,1000,true,false\n\
               m3,,12,1000,true,false\n";
    for (data, format) in [(jsonl, "jsonl"), (csv, "csv")] {
        let run = |evaluator: &str| {
            regel_with_stdin(
                &[
                    "eval",
                    BENCH,
                    "--data",
                    "-",
                    "--input-format",
                    format,
                    "--on-error",
                    "report",
                    "--evaluator",
                    evaluator,
                ],
                Some(data),
            )
        };
        let (compiled, reference) = (run("compiled"), run("reference"));
        assert_eq!(compiled.code, 1);
        assert_eq!(compiled.stdout, reference.stdout, "{format}");
        assert!(
            compiled
                .stderr
                .contains("decided by the compiled evaluator")
        );
        assert!(
            reference
                .stderr
                .contains("decided by the reference interpreter")
        );
        assert_eq!(counts(&compiled), counts(&reference));
    }
    // Every shipped policy's examples, as JSON Lines.
    for (policy, examples) in [
        ("policies/2024/geboortezorg.regel", "examples/geboortezorg"),
        ("policies/2025/ggz.regel", "examples/ggz"),
        (
            "policies/2025/paramedische-zorg.regel",
            "examples/paramedische-zorg",
        ),
        ("policies/2027/mondzorg.regel", "examples/mondzorg"),
        (
            "policies/2027/wijkverpleging.regel",
            "examples/wijkverpleging",
        ),
    ] {
        let mut lines = String::new();
        let mut files: Vec<_> = std::fs::read_dir(examples)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let json: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            lines.push_str(&json.to_string());
            lines.push('\n');
        }
        let run = |evaluator: &str| {
            regel_with_stdin(
                &[
                    "eval",
                    policy,
                    "--data",
                    "-",
                    "--input-format",
                    "jsonl",
                    "--evaluator",
                    evaluator,
                ],
                Some(&lines),
            )
        };
        let (compiled, reference) = (run("compiled"), run("reference"));
        assert_eq!(compiled.code, 0, "{policy}: {}", compiled.stderr);
        assert_eq!(compiled.stdout, reference.stdout, "{policy}");
    }
}

/// An id column that is also an input: its text is the row's id, and its
/// value the input's fact, on both evaluators.
#[test]
fn an_id_that_is_an_input_is_both() {
    let jsonl = "{\"agb_code\":\"04-123456\",\"patients\":40}\n{\"agb_code\":\"x\",\"patients\":40}\n{\"patients\":3}\n";
    let run = |evaluator: &str| {
        regel_with_stdin(
            &[
                "eval",
                "tests/fixtures/batch/text.regel",
                "--data",
                "-",
                "--input-format",
                "jsonl",
                "--id-column",
                "agb_code",
                "--evaluator",
                evaluator,
            ],
            Some(jsonl),
        )
    };
    let (compiled, reference) = (run("compiled"), run("reference"));
    assert_eq!(compiled.code, 0, "{}", compiled.stderr);
    assert_eq!(compiled.stdout, reference.stdout);
    let rows = csv_rows(&compiled.stdout);
    assert_eq!(
        rows[1][0..4],
        ["04-123456", "eligible", "decided", "known_practice"]
    );
    assert_eq!(rows[3][0..4], ["3", "manual_review", "decided", "no_code"]);
}
