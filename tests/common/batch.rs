//! Running `regel eval --data` in the batch tests: the binary with stdin,
//! the summary's counts, the output's rows.

use std::io::Write;
use std::process::{Command, Stdio};

pub const BENCH: &str = "bench/providers.regel";
pub const SERIES: &str = "tests/fixtures/batch/series.regel";
pub const LISTS: &str = "tests/fixtures/batch/lists.regel";

pub fn fixture(name: &str) -> String {
    format!("tests/fixtures/batch/{name}")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn regel_with_stdin(args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        let mut input = child.stdin.take().unwrap();
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).unwrap();
        }
    }
    let output = child.wait_with_output().unwrap();
    Run {
        code: output.status.code().unwrap(),
        stdout: String::from_utf8(output.stdout).unwrap(),
        stderr: String::from_utf8(output.stderr).unwrap(),
    }
}

pub fn regel(args: &[&str]) -> Run {
    regel_with_stdin(args, None)
}

/// Runs `regel eval BENCH --data FILE --on-error report` on `data` written
/// to a file of its own (bytes that are not UTF-8 cannot go through stdin
/// as a `&str`).
pub fn report_on_file(name: &str, data: &[u8]) -> Run {
    let dir = std::env::temp_dir().join(format!("regel-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{name}.csv"));
    std::fs::write(&path, data).unwrap();
    let run = regel(&[
        "eval",
        BENCH,
        "--data",
        path.to_str().unwrap(),
        "--on-error",
        "report",
    ]);
    std::fs::remove_dir_all(&dir).ok();
    run
}

/// (read, written, skipped) from the summary line on stderr, checking that
/// rows in = rows out + skipped.
pub fn counts(run: &Run) -> (u64, u64, u64) {
    let line = run
        .stderr
        .lines()
        .find(|l| l.contains(" rows read, "))
        .unwrap_or_else(|| panic!("no summary line in:\n{}", run.stderr));
    let numbers: Vec<u64> = line
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .take(3)
        .map(|s| s.parse().unwrap())
        .collect();
    let (read, written, skipped) = (numbers[0], numbers[1], numbers[2]);
    assert_eq!(read, written + skipped, "{line}");
    (read, written, skipped)
}

pub fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes());
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}
