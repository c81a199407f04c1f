//! The diagnostics corpus: one small policy (or fact file) per diagnostic code.
//!
//! Layout of `tests/corpus/`:
//!
//! | folder           | what it holds                                                        |
//! |------------------|----------------------------------------------------------------------|
//! | `invalid/`       | policies that must produce exactly the diagnostics in their comments |
//! | `valid/`         | policies that must check with no errors and no warnings              |
//! | `modules/`       | modules served to `use common/<name>` by an in-memory resolver       |
//! | `facts/`         | `*.json` fact files read against `facts/policy.regel`, with `.expect` |
//! | `failing_tests/` | policies that check cleanly but whose `test` blocks fail (E0701)     |
//!
//! An invalid (or failing-tests) file starts with one comment per expected
//! diagnostic: `// expect: E0302 at 18:15` (line:column of the primary label,
//! 1-based, column in characters), or `// expect: E0211 at cycle_b.regel:5:5`
//! when the diagnostic points into a module. The list must match exactly:
//! follow-up errors are expected too. A `.expect` file next to a fact file has
//! one line per expected problem, `E0502 at therapists[1].hours_per_week`
//! (`E0501` alone when there is no key path), and `strict` to read the facts
//! as `regel eval --strict` does.
//!
//! Rendered diagnostics are snapshotted (`tests/snapshots/corpus__*.snap`).
//! Every registered code must be produced by some corpus file and have a
//! `## CODE: summary` section in docs/diagnostics.md whose example is an
//! excerpt of a corpus file that produces it.

// Test code: a panic is the way to report a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use regel::diagnostics::render::render;
use regel::diagnostics::{Code, Diagnostic, Label};
use regel::ir;
use regel::load::{self, ModuleResolver};
use regel::source::{FileId, SourceMap};

/// Codes in the registry that no stage produces yet, so no corpus file can
/// show them. Each still needs a docs section. Remove a code from this list
/// (and add a corpus file) as soon as something emits it; the
/// `every_code_is_produced_and_documented` test fails until then.
const NOT_PRODUCED_YET: &[Code] = &[
    // Over-deep facts JSON is rejected while parsing, before the facts
    // loader runs (tested in tests/robustness.rs and eval::json).
    Code::E0508,
];

// ------------------------------------------------------------------ helpers

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// The `.regel` (or other) files of one corpus folder, sorted.
fn files_in(folder: &str, extension: &str) -> Vec<PathBuf> {
    let dir = corpus_dir().join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == extension))
        .collect();
    files.sort();
    files
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

/// The name a corpus file is shown under in diagnostics: stable whatever the
/// checkout directory.
fn display_name(path: &Path) -> String {
    let folder = path
        .parent()
        .unwrap()
        .file_name()
        .unwrap()
        .to_string_lossy();
    format!("tests/corpus/{folder}/{}", file_name(path))
}

fn read(path: &Path) -> String {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    // Data files may hold bytes that are not UTF-8 on purpose (E0513).
    String::from_utf8_lossy(&bytes).into_owned()
}

fn code_named(name: &str) -> Option<Code> {
    Code::ALL.iter().copied().find(|c| c.as_str() == name)
}

/// Serves `use common/<name>` from `tests/corpus/modules/<name>.regel`, read
/// into memory up front.
struct CorpusModules {
    modules: BTreeMap<String, (String, String)>,
}

impl CorpusModules {
    fn new() -> Self {
        let modules = files_in("modules", "regel")
            .into_iter()
            .map(|path| {
                let stem = path.file_stem().unwrap().to_string_lossy().into_owned();
                (format!("common/{stem}"), (display_name(&path), read(&path)))
            })
            .collect();
        CorpusModules { modules }
    }
}

impl ModuleResolver for CorpusModules {
    fn resolve(&mut self, _from: &str, path: &str) -> Result<(String, String), String> {
        self.modules
            .get(path)
            .cloned()
            .ok_or_else(|| format!("the corpus has no module `{path}` in tests/corpus/modules/"))
    }
}

/// A policy loaded with its modules and checked, as `regel check` does it.
struct Compiled {
    sources: SourceMap,
    root: FileId,
    parsed: bool,
    policy: Option<ir::Policy>,
    diagnostics: Vec<Diagnostic>,
}

fn compile(name: &str, text: &str) -> Compiled {
    let mut sources = SourceMap::new();
    let root = sources.add(name, text);
    let mut resolver = CorpusModules::new();
    let (program, mut diagnostics) = load::load(&mut sources, root, &mut resolver);
    let parsed = program.is_some();
    let mut policy = None;
    if let Some(program) = program {
        let (checked, more) = regel::check::check(&program);
        diagnostics.extend(more);
        if !regel::diagnostics::has_errors(&diagnostics) {
            policy = checked;
        }
    }
    regel::diagnostics::sort(&mut diagnostics);
    Compiled {
        sources,
        root,
        parsed,
        policy,
        diagnostics,
    }
}

fn compile_file(path: &Path) -> Compiled {
    compile(&display_name(path), &read(path))
}

/// `E0302 at 18:16`, or `E0211 at cycle_b.regel:6:5` for a place in another
/// file, or `E0501` for a diagnostic without a place.
fn located(diagnostic: &Diagnostic, sources: &SourceMap, root: FileId) -> String {
    let code = diagnostic.code.as_str();
    let Some(label) = &diagnostic.primary else {
        return code.to_string();
    };
    let Some(file) = sources.get(label.span.file) else {
        return format!("{code} at <unknown file {}>", label.span.file.0);
    };
    let (line, column) = file.line_col(label.span.start as usize);
    if label.span.file == root {
        format!("{code} at {line}:{column}")
    } else {
        let short = file.name.rsplit('/').next().unwrap_or(&file.name);
        format!("{code} at {short}:{line}:{column}")
    }
}

/// The `// expect: ...` comments at the top of a corpus file.
fn expected_in(text: &str) -> Vec<String> {
    text.lines()
        .take_while(|line| line.starts_with("//"))
        .filter_map(|line| line.strip_prefix("// expect:"))
        .map(|rest| rest.trim().to_string())
        .collect()
}

fn sorted(mut list: Vec<String>) -> Vec<String> {
    list.sort();
    list
}

fn render_all(diagnostics: &[Diagnostic], sources: &SourceMap) -> String {
    diagnostics
        .iter()
        .map(|d| render(d, sources, false))
        .collect::<Vec<_>>()
        .join("\n")
}

fn snapshot_text(source: &str, diagnostics: &str) -> String {
    format!("----- SOURCE -----\n{source}\n----- DIAGNOSTICS -----\n{diagnostics}")
}

/// The code a corpus file is named after: `e0302_money_vs_count.regel` -> E0302.
fn code_of_file_name(path: &Path) -> Option<Code> {
    let name = file_name(path);
    let prefix = name.split('_').next()?;
    code_named(&prefix.to_ascii_uppercase())
}

/// Everything about a diagnostic that must not change between two runs,
/// spans included (spans compare equal to every span, so `==` on
/// diagnostics would not notice a moved label).
fn fingerprint(diagnostics: &[Diagnostic]) -> String {
    let label = |l: &Label| {
        format!(
            "{}:{}..{} {:?}",
            l.span.file.0, l.span.start, l.span.end, l.message
        )
    };
    let mut out = String::new();
    for d in diagnostics {
        writeln!(
            out,
            "{} {:?} {:?} primary={:?} secondary={:?} help={:?} notes={:?} path={:?}",
            d.code,
            d.severity,
            d.message,
            d.primary.as_ref().map(label),
            d.secondary.iter().map(label).collect::<Vec<_>>(),
            d.help,
            d.notes,
            d.path
        )
        .unwrap();
    }
    out
}

// ------------------------------------------------------------------ invalid policies

#[test]
fn invalid() {
    let mut problems = Vec::new();
    insta::glob!("corpus/invalid/*.regel", |path| {
        let name = file_name(path);
        let text = read(path);
        let compiled = compile_file(path);
        let expected = sorted(expected_in(&text));
        let actual = sorted(
            compiled
                .diagnostics
                .iter()
                .map(|d| located(d, &compiled.sources, compiled.root))
                .collect(),
        );
        if expected.is_empty() {
            problems.push(format!("{name}: no `// expect:` comment"));
        }
        if expected != actual {
            problems.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        match code_of_file_name(path) {
            Some(code) => {
                if !compiled.diagnostics.iter().any(|d| d.code == code) {
                    problems.push(format!(
                        "{name}: is named after {code} but does not produce it"
                    ));
                }
            }
            None => problems.push(format!("{name}: does not start with a registered code")),
        }
        if compiled.policy.is_some() && compiled.diagnostics.iter().any(Diagnostic::is_error) {
            problems.push(format!("{name}: a policy was returned despite errors"));
        }
        insta::assert_snapshot!(snapshot_text(
            &text,
            &render_all(&compiled.diagnostics, &compiled.sources)
        ));
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------------ valid policies

#[test]
fn valid() {
    let files = files_in("valid", "regel");
    assert!(files.len() >= 3, "the valid corpus is too small");
    let mut problems = Vec::new();
    for path in files {
        let name = file_name(&path);
        let compiled = compile_file(&path);
        if !compiled.diagnostics.is_empty() {
            problems.push(format!(
                "{name} should check cleanly but has:\n{}",
                render_all(&compiled.diagnostics, &compiled.sources)
            ));
            continue;
        }
        let Some(policy) = &compiled.policy else {
            problems.push(format!("{name}: no diagnostics but no policy either"));
            continue;
        };
        for result in regel::testing::run(policy) {
            if !result.passed() {
                problems.push(format!(
                    "{name}: test {:?} fails:\n{}",
                    result.name,
                    render_all(&result.failures, &compiled.sources)
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------------ facts

/// What a `.expect` file says about its fact file.
struct FactsExpectation {
    strict: bool,
    problems: Vec<String>,
}

fn facts_expectation(path: &Path) -> FactsExpectation {
    let expect_path = path.with_extension("expect");
    let text = read(&expect_path);
    let mut strict = false;
    let mut problems = Vec::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if line == "strict" {
            strict = true;
        } else {
            problems.push(line.to_string());
        }
    }
    FactsExpectation { strict, problems }
}

/// The policy every fact file is read against.
fn facts_policy() -> (Compiled, ir::Policy) {
    let compiled = compile_file(&corpus_dir().join("facts/policy.regel"));
    assert!(
        compiled.diagnostics.is_empty(),
        "facts/policy.regel must check cleanly:\n{}",
        render_all(&compiled.diagnostics, &compiled.sources)
    );
    let policy = compiled.policy.clone().unwrap();
    (compiled, policy)
}

fn data_location(diagnostic: &Diagnostic) -> String {
    match &diagnostic.path {
        Some(path) => format!("{} at {path}", diagnostic.code),
        None => diagnostic.code.to_string(),
    }
}

/// Reads a fact file as `regel eval --facts` does: strict JSON, then the facts.
fn read_facts(
    policy: &ir::Policy,
    text: &str,
    strict: bool,
) -> (regel::eval::Facts, Vec<Diagnostic>) {
    match regel::eval::json::parse(text) {
        Ok(json) => regel::eval::facts::load(&policy.inputs, &json, strict),
        Err(problem) => (regel::eval::Facts::new(), vec![problem]),
    }
}

/// The policy the CSV files in `data/` are read against.
fn data_policy() -> ir::Policy {
    let compiled = compile_file(&corpus_dir().join("data/policy.regel"));
    assert!(
        compiled.diagnostics.is_empty(),
        "data/policy.regel must check cleanly"
    );
    compiled.policy.unwrap()
}

/// Reads a CSV data file as `regel eval --data` does (one row a line, the
/// header first), with every problem of the file and its rows.
fn read_csv(policy: &ir::Policy, bytes: &[u8]) -> Vec<Diagnostic> {
    use regel::batch::{Batch, CsvLine, IdHash, Ids, Place};
    let batch = Batch::new(policy);
    let mut worker = batch.worker();
    let mut splitter = CsvLine::new(b',');
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut lines = text
        .split(|b| *b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .enumerate()
        .filter(|(_, l)| !l.is_empty());
    let Some((_, header)) = lines.next() else {
        return Vec::new();
    };
    splitter.split(header).unwrap();
    let names: Vec<String> = splitter
        .fields()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let columns = match batch.csv_header(&names, "id", b',') {
        Ok(header) => header,
        Err(problems) => return problems,
    };
    let mut problems = columns.warnings.clone();
    let mut ids = Ids::new();
    for (row, (index, line)) in lines.enumerate() {
        let place = Place {
            row: row as u64 + 1,
            line: Some(index as u64 + 1),
        };
        if let Err(problem) = splitter.split(line) {
            problems.extend(place.all(vec![problem.diagnostic(Some(&columns.columns))]));
            continue;
        }
        if let Some(id) = columns.columns.id().and_then(|i| splitter.fields().nth(i)) {
            ids.add(IdHash::of(&String::from_utf8_lossy(id)), place.row);
        }
        if let Err(row_problems) =
            batch.eval_csv(&mut worker, &columns.columns, place, splitter.text_fields())
        {
            problems.extend(row_problems);
        }
    }
    problems.extend(ids.finish());
    problems
}

fn data_place(d: &Diagnostic) -> String {
    let mut out = d.code.to_string();
    if let Some(row) = d.row {
        out.push_str(&format!(" at row {}", row.row));
    }
    if let Some(path) = &d.path {
        out.push_str(&format!(" column {path}"));
    }
    out
}

/// CSV data files: each `.csv` in `data/` is read against `data/policy.regel`
/// and must produce exactly the problems its `.expect` file lists
/// (`E0512 at row 2 column bi`, one a line).
#[test]
fn data_files() {
    let policy = data_policy();
    let mut problems = Vec::new();
    insta::glob!("corpus/data/*.csv", |path| {
        let name = file_name(path);
        let diagnostics = read_csv(&policy, &std::fs::read(path).unwrap());
        let expected = sorted(
            read(&path.with_extension("expect"))
                .lines()
                .filter(|l| !l.trim().is_empty())
                .map(str::to_string)
                .collect(),
        );
        let actual = sorted(diagnostics.iter().map(data_place).collect());
        if expected != actual {
            problems.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        let empty = SourceMap::new();
        let shown: String = diagnostics
            .iter()
            .map(|d| render(d, &empty, false))
            .collect();
        insta::assert_snapshot!(format!(
            "----- DATA -----\n{}\n----- DIAGNOSTICS -----\n{shown}",
            read(path)
        ));
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn facts() {
    let (compiled, policy) = facts_policy();
    let mut problems = Vec::new();
    insta::glob!("corpus/facts/*.json", |path| {
        let name = file_name(path);
        let text = read(path);
        let expectation = facts_expectation(path);
        let (facts, diagnostics) = read_facts(&policy, &text, expectation.strict);
        let expected = sorted(expectation.problems.clone());
        let actual = sorted(diagnostics.iter().map(data_location).collect());
        if expected != actual {
            problems.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        if let Some(code) = code_of_file_name(path) {
            if !diagnostics.iter().any(|d| d.code == code) {
                problems.push(format!(
                    "{name}: is named after {code} but does not produce it"
                ));
            }
        }
        let shown = if diagnostics.is_empty() {
            // Clean facts: show what the policy decides.
            let evaluation = regel::eval::evaluate(&policy, &facts);
            let decided: String = evaluation
                .decisions
                .iter()
                .map(|d| format!("{}\n", regel::testing::describe_actual(d)))
                .collect();
            format!("----- DECISIONS -----\n{decided}")
        } else {
            format!(
                "----- DIAGNOSTICS -----\n{}",
                render_all(&diagnostics, &compiled.sources)
            )
        };
        let mode = if expectation.strict { " (strict)" } else { "" };
        insta::assert_snapshot!(format!("----- FACTS{mode} -----\n{text}\n{shown}"));
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------------ failing policy tests

#[test]
fn failing_tests() {
    let mut problems = Vec::new();
    insta::glob!("corpus/failing_tests/*.regel", |path| {
        let name = file_name(path);
        let text = read(path);
        let compiled = compile_file(path);
        if !compiled.diagnostics.is_empty() {
            problems.push(format!(
                "{name} should check cleanly but has:\n{}",
                render_all(&compiled.diagnostics, &compiled.sources)
            ));
            return;
        }
        let policy = compiled.policy.as_ref().unwrap();
        let results = regel::testing::run(policy);
        let failures: Vec<Diagnostic> = results
            .iter()
            .flat_map(|r| r.failures.iter().cloned())
            .collect();
        let expected = sorted(expected_in(&text));
        let actual = sorted(
            failures
                .iter()
                .map(|d| located(d, &compiled.sources, compiled.root))
                .collect(),
        );
        if expected != actual {
            problems.push(format!(
                "{name}:\n  expected {expected:?}\n  actual   {actual:?}"
            ));
        }
        let mut shown = String::new();
        for result in &results {
            let mark = if result.passed() { "ok  " } else { "FAIL" };
            writeln!(shown, "{mark} {}", result.name).unwrap();
        }
        shown.push('\n');
        shown.push_str(&render_all(&failures, &compiled.sources));
        insta::assert_snapshot!(snapshot_text(&text, &shown));
    });
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------------ registry and docs

/// Every code the corpus produces, with the files that produce it.
fn produced_codes() -> BTreeMap<Code, Vec<String>> {
    let mut produced: BTreeMap<Code, Vec<String>> = BTreeMap::new();
    let mut note = |code: Code, file: String| produced.entry(code).or_default().push(file);
    for path in files_in("invalid", "regel") {
        for d in compile_file(&path).diagnostics {
            note(d.code, display_name(&path));
        }
    }
    let (_, policy) = facts_policy();
    for path in files_in("facts", "json") {
        let strict = facts_expectation(&path).strict;
        for d in read_facts(&policy, &read(&path), strict).1 {
            note(d.code, display_name(&path));
        }
    }
    let data_policy = data_policy();
    for path in files_in("data", "csv") {
        for d in read_csv(&data_policy, &std::fs::read(&path).unwrap()) {
            note(d.code, display_name(&path));
        }
    }
    for path in files_in("ir", "json") {
        if let Err(problems) = regel::import::import(&read(&path)) {
            for d in problems {
                note(d.code, display_name(&path));
            }
        }
    }
    for path in files_in("failing_tests", "regel") {
        let compiled = compile_file(&path);
        for d in &compiled.diagnostics {
            note(d.code, display_name(&path));
        }
        if let Some(policy) = &compiled.policy {
            for result in regel::testing::run(policy) {
                for d in result.failures {
                    note(d.code, display_name(&path));
                }
            }
        }
    }
    produced
}

/// `## E0302: incompatible units in comparison` -> ("E0302", "incompatible units in comparison").
fn documented_codes() -> BTreeMap<String, String> {
    let docs = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md"));
    docs.lines()
        .filter_map(|line| line.strip_prefix("## "))
        .filter_map(|heading| heading.split_once(": "))
        .map(|(code, title)| (code.trim().to_string(), title.trim().to_string()))
        .collect()
}

#[test]
fn every_code_is_produced_and_documented() {
    let produced = produced_codes();
    let documented = documented_codes();
    let mut problems = Vec::new();
    for &code in Code::ALL {
        let waived = NOT_PRODUCED_YET.contains(&code);
        match (produced.contains_key(&code), waived) {
            (false, false) => problems.push(format!("{code}: no corpus file produces it")),
            (true, true) => problems.push(format!(
                "{code}: is produced by {:?}; remove it from NOT_PRODUCED_YET",
                produced.get(&code)
            )),
            _ => {}
        }
        match documented.get(code.as_str()) {
            None => problems.push(format!(
                "{code}: docs/diagnostics.md has no `## {code}: {}` section",
                code.summary()
            )),
            Some(title) if title != code.summary() => problems.push(format!(
                "{code}: the docs title {title:?} differs from the registry summary {:?}",
                code.summary()
            )),
            Some(_) => {}
        }
    }
    for code in documented.keys() {
        if code_named(code).is_none() {
            problems.push(format!(
                "docs/diagnostics.md documents {code}, which is not in the registry"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One `## CODE: title` section of docs/diagnostics.md.
struct DocSection {
    code: String,
    /// The corpus files the section names (`tests/corpus/...` in backticks).
    files: Vec<String>,
    /// The fenced code blocks of the section, in order.
    blocks: Vec<Vec<String>>,
}

fn doc_sections() -> Vec<DocSection> {
    let docs = read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/diagnostics.md"));
    let mut sections: Vec<DocSection> = Vec::new();
    let mut lines = docs.lines();
    while let Some(line) = lines.next() {
        if let Some(heading) = line.strip_prefix("## ") {
            let code = heading.split(':').next().unwrap_or("").trim().to_string();
            sections.push(DocSection {
                code,
                files: Vec::new(),
                blocks: Vec::new(),
            });
            continue;
        }
        let Some(section) = sections.last_mut() else {
            continue;
        };
        if line.starts_with("```") {
            let block: Vec<String> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .map(str::to_string)
                .collect();
            section.blocks.push(block);
            continue;
        }
        for piece in line.split('`').skip(1).step_by(2) {
            if piece.starts_with("tests/corpus/") {
                section.files.push(piece.to_string());
            }
        }
    }
    sections
}

/// Whether `excerpt` is a run of consecutive whole lines of `text`.
fn is_excerpt(excerpt: &[String], text: &str) -> bool {
    let lines: Vec<&str> = text.lines().collect();
    !excerpt.is_empty()
        && lines
            .windows(excerpt.len())
            .any(|window| window.iter().zip(excerpt).all(|(a, b)| *a == b))
}

/// Each section's example is an excerpt of a corpus file it names, and one of
/// the files it names produces the section's code: the documentation shows
/// real, current behaviour.
#[test]
fn documentation_examples_come_from_the_corpus() {
    let produced = produced_codes();
    let mut problems = Vec::new();
    for section in doc_sections() {
        let Some(code) = code_named(&section.code) else {
            continue;
        };
        if NOT_PRODUCED_YET.contains(&code) {
            continue;
        }
        if section.files.is_empty() {
            problems.push(format!("## {code}: names no `tests/corpus/...` file"));
            continue;
        }
        for file in &section.files {
            if !Path::new(env!("CARGO_MANIFEST_DIR")).join(file).is_file() {
                problems.push(format!("## {code}: names {file}, which does not exist"));
            }
        }
        let Some(example) = section.blocks.first() else {
            problems.push(format!("## {code}: has no example block"));
            continue;
        };
        let quoted = section.files.iter().any(|file| {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            path.is_file() && is_excerpt(example, &read(&path))
        });
        if !quoted {
            problems.push(format!(
                "## {code}: the example is not an excerpt of {:?}",
                section.files
            ));
        }
        let producers = produced.get(&code).cloned().unwrap_or_default();
        if !section.files.iter().any(|f| producers.contains(f)) {
            problems.push(format!(
                "## {code}: none of {:?} produces {code} (produced by {producers:?})",
                section.files
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_code_named_in_the_corpus_is_registered() {
    let mut problems = Vec::new();
    let mut check = |file: &str, code: &str| {
        if code_named(code).is_none() {
            problems.push(format!("{file}: `{code}` is not in Code::ALL"));
        }
    };
    for folder in ["invalid", "failing_tests"] {
        for path in files_in(folder, "regel") {
            let expected = expected_in(&read(&path));
            for line in &expected {
                check(&display_name(&path), line.split(' ').next().unwrap_or(""));
            }
            let prefix = file_name(&path)
                .split('_')
                .next()
                .unwrap()
                .to_ascii_uppercase();
            check(&display_name(&path), &prefix);
        }
    }
    for path in files_in("facts", "json") {
        for line in facts_expectation(&path).problems {
            check(&display_name(&path), line.split(' ').next().unwrap_or(""));
        }
        let stem = file_name(&path);
        if !stem.starts_with("ok_") {
            let prefix = stem.split('_').next().unwrap().to_ascii_uppercase();
            check(&display_name(&path), &prefix);
        }
    }
    // Codes produced anywhere are registry values by construction; check
    // they are also listed in `Code::ALL` (the registry macro's list).
    for code in produced_codes().keys() {
        if !Code::ALL.contains(code) {
            problems.push(format!("{code} is produced but missing from Code::ALL"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

// ------------------------------------------------------------------ invariants

/// Every `.regel` file in the corpus.
fn all_policy_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for folder in ["invalid", "valid", "modules", "facts", "failing_tests"] {
        files.extend(files_in(folder, "regel"));
    }
    files
}

#[test]
fn checking_is_deterministic() {
    let mut problems = Vec::new();
    for path in all_policy_files() {
        let first = compile_file(&path);
        let second = compile_file(&path);
        let (a, b) = (
            fingerprint(&first.diagnostics),
            fingerprint(&second.diagnostics),
        );
        if a != b {
            problems.push(format!(
                "{}: two runs differ:\n{a}\n---\n{b}",
                file_name(&path)
            ));
        }
        let (ra, rb) = (
            render_all(&first.diagnostics, &first.sources),
            render_all(&second.diagnostics, &second.sources),
        );
        if ra != rb {
            problems.push(format!("{}: two renderings differ", file_name(&path)));
        }
        if first.policy != second.policy {
            problems.push(format!(
                "{}: two runs give different policies",
                file_name(&path)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_span_lies_inside_its_file() {
    let mut problems = Vec::new();
    let mut parsed = 0;
    for path in all_policy_files() {
        let compiled = compile_file(&path);
        if compiled.parsed {
            parsed += 1;
        }
        for d in &compiled.diagnostics {
            let Some(primary) = &d.primary else {
                problems.push(format!(
                    "{}: {} has no primary label: {}",
                    file_name(&path),
                    d.code,
                    d.message
                ));
                continue;
            };
            for label in std::iter::once(primary).chain(&d.secondary) {
                let span = label.span;
                let inside = compiled.sources.get(span.file).is_some_and(|file| {
                    span.start <= span.end
                        && file.text.is_char_boundary(span.start as usize)
                        && file.text.is_char_boundary(span.end as usize)
                });
                if !inside {
                    problems.push(format!(
                        "{}: {} label {:?} has span {}..{} in file {}, outside the text",
                        file_name(&path),
                        d.code,
                        label.message,
                        span.start,
                        span.end,
                        span.file.0
                    ));
                }
            }
        }
    }
    assert!(parsed > 0);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn policy_tests_run_deterministically() {
    let mut problems = Vec::new();
    for path in all_policy_files() {
        let compiled = compile_file(&path);
        let Some(policy) = &compiled.policy else {
            continue;
        };
        let first = regel::testing::run(policy);
        let second = regel::testing::run(policy);
        let show = |results: &[regel::testing::TestResult]| {
            results
                .iter()
                .map(|r| format!("{} {}", r.name, fingerprint(&r.failures)))
                .collect::<Vec<_>>()
        };
        if show(&first) != show(&second) {
            problems.push(format!(
                "{}: test results differ between runs",
                file_name(&path)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Sanity check of the harness itself: `located` and the expect parser agree
/// on the format.
#[test]
fn expect_comments_are_well_formed() {
    let mut seen = BTreeSet::new();
    for folder in ["invalid", "failing_tests"] {
        for path in files_in(folder, "regel") {
            for line in expected_in(&read(&path)) {
                let mut parts = line.splitn(3, ' ');
                let (code, at, place) = (parts.next(), parts.next(), parts.next());
                let place_ok = place.is_some_and(|p| {
                    let numbers: Vec<&str> = p.rsplitn(3, ':').take(2).collect();
                    numbers.len() == 2 && numbers.iter().all(|n| n.parse::<usize>().is_ok())
                });
                assert!(
                    code.is_some() && at == Some("at") && place_ok,
                    "{}: malformed `// expect: {line}`",
                    file_name(&path)
                );
                seen.insert(file_name(&path));
            }
        }
    }
    assert!(!seen.is_empty());
}
