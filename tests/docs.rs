//! Keeps the Regel examples in `docs/*.md` honest.
//!
//! Every fenced block whose info string starts with `regel` is extracted and
//! run through the library exactly as `regel check` and `regel test` would
//! (load with its modules, check, then run its `test` blocks):
//!
//! - ```` ```regel ```` — a complete file. It must check without errors
//!   (warnings are fine) and every `test` in it must pass.
//! - ```` ```regel,fragment ```` — a piece of a file. It is appended to
//!   [`PRELUDE`] (a policy header, a few inputs and the `contract` decision,
//!   shown in docs/language.md) and the result must check, with passing tests.
//! - ```` ```regel,fails ```` (or `regel,fragment,fails`) — must fail. Its first
//!   line is a comment naming the error codes it produces, `// error: E0302`
//!   or `// error: E0302, E0303`; the errors found must be exactly those codes
//!   (a failing `test` counts as error E0701). The rendered diagnostics are
//!   snapshotted with insta as `<doc>_<block>_<codes>`, where `<block>` is the
//!   1-based position of the block among the `regel` blocks of its file.
//!
//! A block that says `use common/NAME` gets the text of the documentation
//! block that starts with `module NAME`, from any file in docs/.

// Test code: a panic is the way to report a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use regel::diagnostics::{self, Diagnostic, render};
use regel::ir;
use regel::load::{self, ModuleResolver};
use regel::source::SourceMap;

/// What a `regel,fragment` block is appended to. docs/language.md shows this
/// text in a `regel` block of its own (checked by `prelude_is_shown_in_the_docs`).
const PRELUDE: &str = r#"policy fragments_2025 {
  title "The prelude of the documentation fragments"
  insurer "Example Insurer"
  year 2025
}

input {
  fraud_registered: bool                   "Listed in the fraud registers"
  kind:          enum { fysiotherapie, oefentherapie }  "Kind of care"
  bi:            number by year            "Landelijke Behandel Index, per year"
  patients:      count by year             "Patients treated, per year"
  insured_patients: count by year          "Patients insured with us, per year"
  revenue:       money                     "Revenue last year"
  costs:         money                     "Costs last year"
  applied_on:    date                      "Date of the application"
  therapists:    list of {
    big_registered: bool   "Registered in the BIG register"
    hours_per_week: number "Contracted hours per week"
  }                                        "The practice's therapists"
}

decision contract "Contract for 2025" {
  outcomes excluded > not_eligible > manual_review > eligible
  default not_eligible
}
"#;

/// One fenced `regel` block.
struct Block {
    /// The file stem of the document: `language`.
    doc: String,
    /// 1-based position among the `regel` blocks of the document.
    index: usize,
    /// 1-based line of the opening fence.
    line: usize,
    fragment: bool,
    fails: bool,
    text: String,
}

impl Block {
    fn place(&self) -> String {
        format!(
            "docs/{}.md block {} (line {})",
            self.doc, self.index, self.line
        )
    }

    /// The text that is checked: the block, or the prelude plus the block.
    fn source(&self) -> String {
        if self.fragment {
            format!("{PRELUDE}\n{}", self.text)
        } else {
            self.text.clone()
        }
    }

    /// The codes in the first line, `// error: E0302, E0303`.
    fn expected_codes(&self) -> Result<BTreeSet<String>, String> {
        let first = self.text.lines().next().unwrap_or("").trim();
        let codes = first
            .strip_prefix("//")
            .map(str::trim)
            .and_then(|rest| rest.strip_prefix("error:"))
            .ok_or_else(|| {
                format!(
                    "{}: a `fails` block must start with `// error: CODE`, found `{first}`",
                    self.place()
                )
            })?;
        let codes: BTreeSet<String> = codes
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if codes.is_empty() {
            return Err(format!("{}: no error code after `// error:`", self.place()));
        }
        Ok(codes)
    }
}

fn docs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs")
}

/// The Markdown files in docs/, sorted.
fn doc_files() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(docs_dir())
        .expect("docs/ exists")
        .map(|entry| entry.expect("docs/ is readable").path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    files.sort();
    files
}

/// Extracts the `regel` blocks of one Markdown document.
fn extract(doc: &str, markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(info) = line.trim_start().strip_prefix("```") else {
            continue;
        };
        let mut body = Vec::new();
        for (_, inner) in lines.by_ref() {
            if inner.trim() == "```" {
                break;
            }
            body.push(inner);
        }
        let mut tags = info.trim().split(',').map(str::trim);
        if tags.next() != Some("regel") {
            continue;
        }
        let (mut fragment, mut fails) = (false, false);
        for tag in tags {
            match tag {
                "fragment" => fragment = true,
                "fails" => fails = true,
                other => panic!(
                    "docs/{doc}.md line {}: unknown tag `{other}` on a regel block \
                     (use `regel`, `regel,fragment`, `regel,fails` or `regel,fragment,fails`)",
                    number + 1
                ),
            }
        }
        let mut text = body.join("\n");
        text.push('\n');
        blocks.push(Block {
            doc: doc.to_string(),
            index: blocks.len() + 1,
            line: number + 1,
            fragment,
            fails,
            text,
        });
    }
    blocks
}

/// Every `regel` block of every document in docs/.
fn all_blocks() -> Vec<Block> {
    let mut blocks = Vec::new();
    for path in doc_files() {
        let doc = path
            .file_stem()
            .and_then(|s| s.to_str())
            .expect("a UTF-8 file name")
            .to_string();
        let markdown = std::fs::read_to_string(&path).expect("a readable document");
        blocks.extend(extract(&doc, &markdown));
    }
    blocks
}

/// `module general { ... }` -> `general`.
fn module_name(text: &str) -> Option<String> {
    let first = text
        .lines()
        .map(|l| l.split("//").next().unwrap_or("").trim())
        .find(|l| !l.is_empty())?;
    let rest = first.strip_prefix("module")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let name: String = rest
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    (!name.is_empty()).then_some(name)
}

/// Resolves `use common/NAME` to the documentation's `module NAME` block.
struct DocModules<'a> {
    modules: &'a BTreeMap<String, String>,
}

impl ModuleResolver for DocModules<'_> {
    fn resolve(&mut self, _from: &str, path: &str) -> Result<(String, String), String> {
        match self.modules.get(path) {
            Some(text) => Ok((format!("{path}.regel"), text.clone())),
            None => Err(format!(
                "the documentation has no block starting `module {}`",
                path.rsplit('/').next().unwrap_or(path)
            )),
        }
    }
}

/// A block loaded, checked and (when it checks) tested.
struct Outcome {
    sources: SourceMap,
    diagnostics: Vec<Diagnostic>,
}

/// The same steps as the CLI's `compile`, then the file's own tests.
fn run(block: &Block, modules: &BTreeMap<String, String>) -> Outcome {
    let mut sources = SourceMap::new();
    let name = if block.fragment {
        "fragment.regel"
    } else {
        "example.regel"
    };
    let root = sources.add(name, block.source());
    let mut resolver = DocModules { modules };
    let (program, mut found) = load::load(&mut sources, root, &mut resolver);
    let mut policy: Option<ir::Policy> = None;
    if let Some(program) = program {
        let (checked, check_diagnostics) = regel::check::check(&program);
        found.extend(check_diagnostics);
        if !diagnostics::has_errors(&found) {
            policy = checked;
        }
    }
    diagnostics::sort(&mut found);
    if let Some(policy) = &policy {
        for result in regel::testing::run(policy) {
            found.extend(result.failures);
        }
    }
    Outcome {
        sources,
        diagnostics: found,
    }
}

fn rendered(outcome: &Outcome, only_errors: bool) -> String {
    outcome
        .diagnostics
        .iter()
        .filter(|d| !only_errors || d.is_error())
        .map(|d| render::render(d, &outcome.sources, false))
        .collect()
}

fn module_texts(blocks: &[Block]) -> BTreeMap<String, String> {
    blocks
        .iter()
        .filter(|b| !b.fragment && !b.fails)
        .filter_map(|b| module_name(&b.text).map(|name| (format!("common/{name}"), b.text.clone())))
        .collect()
}

#[test]
fn doc_examples_check() {
    let blocks = all_blocks();
    assert!(
        blocks.iter().filter(|b| b.doc == "language").count() >= 20,
        "docs/language.md should hold the language's examples; found only {} regel blocks",
        blocks.iter().filter(|b| b.doc == "language").count()
    );
    let modules = module_texts(&blocks);
    let mut problems = Vec::new();
    let mut snapshots = Vec::new();
    for block in &blocks {
        let outcome = run(block, &modules);
        let errors: BTreeSet<String> = outcome
            .diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| d.code.as_str().to_string())
            .collect();
        if !block.fails {
            if !errors.is_empty() {
                problems.push(format!(
                    "{} should check and pass its tests, but:\n{}",
                    block.place(),
                    rendered(&outcome, true)
                ));
            }
            continue;
        }
        let expected = match block.expected_codes() {
            Ok(codes) => codes,
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        if errors != expected {
            problems.push(format!(
                "{} should fail with {:?} but produced {:?}:\n{}",
                block.place(),
                expected,
                errors,
                rendered(&outcome, false)
            ));
            continue;
        }
        let codes: Vec<&str> = expected.iter().map(String::as_str).collect();
        let name = format!("{}_{:02}_{}", block.doc, block.index, codes.join("_"));
        snapshots.push((name, rendered(&outcome, false)));
    }
    assert!(
        problems.is_empty(),
        "{} documentation example(s) are wrong:\n\n{}",
        problems.len(),
        problems.join("\n")
    );
    for (name, text) in snapshots {
        insta::assert_snapshot!(name, text);
    }
}

#[test]
fn prelude_is_shown_in_the_docs() {
    let markdown =
        std::fs::read_to_string(docs_dir().join("language.md")).expect("docs/language.md exists");
    let shown = extract("language", &markdown)
        .into_iter()
        .any(|b| !b.fragment && !b.fails && b.text == PRELUDE);
    assert!(
        shown,
        "docs/language.md must show the fragment prelude, exactly as in tests/docs.rs, in a ```regel block"
    );
}

/// The numbers and names the reference states that come from the library.
#[test]
fn stated_limits_match_the_library() {
    let markdown =
        std::fs::read_to_string(docs_dir().join("language.md")).expect("docs/language.md exists");
    let nesting = format!("at most {} levels deep", regel::syntax::MAX_NESTING);
    let modules = format!(
        "at most {} `use` levels deep",
        regel::load::MAX_MODULE_DEPTH
    );
    let expressions = format!(
        "expressions nest at most {} levels deep",
        regel::syntax::MAX_EXPR_DEPTH
    );
    for stated in [nesting, modules, expressions] {
        assert!(
            markdown.contains(&stated),
            "docs/language.md should say `{stated}`"
        );
    }
    for outcome in ir::CONTRACT_OUTCOMES {
        assert!(
            markdown.contains(&format!("`{outcome}`")),
            "docs/language.md should list the contract outcome `{outcome}`"
        );
    }
    for code in diagnostics::Code::ALL {
        assert!(
            markdown.contains(&format!("\n| {code} | ")),
            "the table of diagnostic codes in docs/language.md has no row for {code}"
        );
    }
}

#[test]
fn extraction_reads_tags_and_bodies() {
    let markdown = "text\n```regel\npolicy a {}\n```\n```json\n{}\n```\n```regel,fragment,fails\n// error: E0201\ndef x = y\n```\n";
    let blocks = extract("t", markdown);
    assert_eq!(blocks.len(), 2);
    assert_eq!(blocks[0].text, "policy a {}\n");
    assert!(!blocks[0].fragment && !blocks[0].fails);
    assert_eq!((blocks[1].index, blocks[1].line), (2, 8));
    assert!(blocks[1].fragment && blocks[1].fails);
    assert_eq!(
        blocks[1].expected_codes().unwrap(),
        BTreeSet::from(["E0201".to_string()])
    );
    assert_eq!(
        module_name("// shared\nmodule general {\n"),
        Some("general".to_string())
    );
    assert_eq!(module_name("policy p {"), None);
}
