//! `regel fmt`: the canonical layout keeps meaning and comments, and is stable.
//!
//! - every policy file in the repository that parses (shipped policies, the
//!   corpus, fixtures, conformance sources): formatting succeeds, formatting
//!   twice changes nothing, the checked policy (IR) and the diagnostic codes
//!   are the same before and after, and no comment is lost or duplicated;
//! - a property test that writes random policies (every input type, constants,
//!   definitions, rules with nested conditions using every operator, examples,
//!   tests; random line breaks and comments between tokens) and checks the same;
//! - snapshots of the formatted form of two small files;
//! - the `regel fmt` command: `--check`, rewriting in place, `-` for stdin, and
//!   files that do not parse.

// Test code: a panic is the way to report a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use proptest::prelude::*;

use regel::diagnostics::Diagnostic;
use regel::ir;
use regel::load::{self, ModuleResolver};
use regel::source::{FileId, SourceMap};

// ------------------------------------------------------------------ helpers

fn fmt(text: &str) -> Result<String, Vec<Diagnostic>> {
    regel::fmt::format(FileId(0), text)
}

/// The `//` comments of a text, found independently of the formatter: per
/// line, the first `//` outside a string literal, to the end of the line.
fn comments(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for line in text.lines() {
        let mut in_string = false;
        let mut escaped = false;
        let mut previous = '\0';
        for (i, c) in line.char_indices() {
            if in_string {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '"' {
                    in_string = false;
                }
                previous = '\0';
                continue;
            }
            if c == '"' {
                in_string = true;
            } else if c == '/' && previous == '/' {
                found.push(line[i - 1..].trim_end().to_string());
                break;
            }
            previous = c;
        }
    }
    found.sort();
    found
}

/// Finds modules next to the file and in the folders above it; for files of
/// the diagnostics corpus, `common/<name>` is `tests/corpus/modules/<name>`.
struct Modules;

impl ModuleResolver for Modules {
    fn resolve(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        if from.contains("tests/corpus/") {
            if let Some(name) = path.strip_prefix("common/") {
                let file = format!("tests/corpus/modules/{name}.regel");
                if let Ok(text) = std::fs::read_to_string(&file) {
                    return Ok((file, text));
                }
            }
        }
        common::DiskModules.resolve(from, path)
    }
}

/// Loads and checks `text` as the file `name`: the policy (if it checks) and
/// the sorted codes of every diagnostic.
fn check(
    name: &str,
    text: &str,
    resolver: &mut dyn ModuleResolver,
) -> (Option<ir::Policy>, Vec<&'static str>) {
    let mut sources = SourceMap::new();
    let root = sources.add(name, text);
    let (program, mut diagnostics) = load::load(&mut sources, root, resolver);
    let mut policy = None;
    if let Some(program) = program {
        let (checked, more) = regel::check::check(&program);
        diagnostics.extend(more);
        policy = checked;
    }
    let mut codes: Vec<&'static str> = diagnostics.iter().map(|d| d.code.as_str()).collect();
    codes.sort_unstable();
    (policy, codes)
}

/// Every `.regel` file of the repository's policies and tests.
fn all_policy_files() -> Vec<PathBuf> {
    let mut files = common::regel_files("policies");
    files.extend(common::regel_files("tests"));
    files
}

/// The checks every formatted text must pass. `name` is where modules are
/// looked up from.
fn assert_formats_well(name: &str, text: &str, resolver: &mut dyn ModuleResolver) -> String {
    let once = fmt(text).unwrap_or_else(|d| panic!("{name} does not format: {d:?}"));
    let twice = fmt(&once)
        .unwrap_or_else(|d| panic!("{name}: formatted text does not format: {d:?}\n{once}"));
    assert_eq!(once, twice, "{name}: formatting is not idempotent");
    assert_eq!(
        comments(text),
        comments(&once),
        "{name}: comments differ after formatting"
    );
    let (before, before_codes) = check(name, text, resolver);
    let (after, after_codes) = check(name, &once, resolver);
    assert_eq!(
        before_codes, after_codes,
        "{name}: diagnostics differ after formatting"
    );
    assert_eq!(
        before.is_some(),
        after.is_some(),
        "{name}: checks differently after formatting"
    );
    assert!(
        before == after,
        "{name}: the checked policy differs after formatting"
    );
    for line in once.lines() {
        assert_eq!(
            line,
            line.trim_end(),
            "{name}: trailing whitespace in {line:?}"
        );
    }
    assert!(
        once.ends_with('\n') && !once.ends_with("\n\n"),
        "{name}: must end with one newline"
    );
    assert!(!once.contains("\n\n\n"), "{name}: more than one blank line");
    once
}

// ------------------------------------------------------------------ every file in the repository

#[test]
fn every_policy_file_formats_keeping_meaning_and_comments() {
    let mut formatted = 0;
    for path in all_policy_files() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap();
        let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
        if tree.is_none() || regel::diagnostics::has_errors(&diagnostics) {
            // Files that do not parse are refused, with their diagnostics.
            let refused = fmt(&text).expect_err(&name);
            assert!(!refused.is_empty());
            continue;
        }
        assert_formats_well(&name, &text, &mut Modules);
        formatted += 1;
    }
    assert!(formatted > 80, "only {formatted} files were formatted");
}

#[test]
fn shipped_policies_are_formatted() {
    for path in common::regel_files("policies") {
        let text = std::fs::read_to_string(&path).unwrap();
        // A policy another change is still writing may not parse yet; the
        // test above covers what does.
        if let Ok(formatted) = fmt(&text) {
            assert!(
                formatted == text,
                "{} is not formatted: run `regel fmt {}`",
                path.display(),
                path.display()
            );
        }
    }
}

#[test]
fn a_file_that_does_not_parse_is_refused() {
    let diagnostics =
        fmt("policy x { title \"X\" year 2025 }\nrule r \"R\" when a then contract = eligible\n")
            .unwrap_err();
    assert!(diagnostics.iter().any(|d| d.code.as_str() == "E0101"));
    let diagnostics = fmt("policy x { title \"X\" year 2025 }\nconst c = €150.000\n").unwrap_err();
    assert!(diagnostics.iter().any(|d| d.code.as_str() == "E0102"));
}

#[test]
fn literals_are_printed_in_canonical_form() {
    let text = "policy p { title \"P\" year 2025 }\n\
        const a = €150000\nconst b = €12.5\nconst c = €1_500.00\nconst d = 35.0%\nconst e = 2.50%\n\
        const f = 1_000_000\nconst g = 2023\nconst h = 1 years\nconst i = 30 day\nconst j = 1.50\n";
    let formatted = fmt(text).unwrap();
    let consts: Vec<&str> = formatted
        .lines()
        .filter(|l| l.starts_with("const"))
        .collect();
    assert_eq!(
        consts,
        [
            "const a = €150_000",
            "const b = €12.50",
            "const c = €1_500.00",
            "const d = 35%",
            "const e = 2.5%",
            "const f = 1_000_000",
            "const g = 2023",
            "const h = 1 year",
            "const i = 30 days",
            "const j = 1.50",
        ]
    );
}

#[test]
fn parentheses_follow_precedence_and_keep_the_authors() {
    let text = "policy p { title \"P\" year 2025 }\n\
        input { a: bool \"A\" b: bool \"B\" c: bool \"C\" n: number by year \"N\" }\n\
        def x = a and (b and c)\n\
        def y = (a and b) or c\n\
        def z = not (n over 2023 > 1)\n\
        def w = ((n over year - 1)) - (1 - n over 2024)\n\
        def v = (n over year) - 2 > 0\n\
        def u = 1 < n over 2023 <= 3 and (n over 2022 < 1 and 1 < 2)\n";
    let formatted = fmt(text).unwrap();
    for expected in [
        "def x = a and (b and c)",
        "def y = (a and b) or c",
        "def z = not (n over 2023 > 1)",
        "def w = (n over year - 1) - (1 - n over 2024)",
        "def v = (n over year) - 2 > 0",
        "def u = 1 < n over 2023 <= 3 and (n over 2022 < 1 and 1 < 2)",
    ] {
        assert!(
            formatted.contains(expected),
            "missing {expected:?} in\n{formatted}"
        );
    }
}

#[test]
fn comments_stay_next_to_their_code() {
    let text = "// top\npolicy p { title \"P\" year 2025 } // header\n\
        input {\n  // first\n  a: bool \"A\" // after a\n\n  b: bool \"B\"\n  // last\n}\n\
        rule r \"R\" cites \"S\"\n  when a // why a\n    and b\n  then contract = eligible\n\
        decision contract { outcomes eligible default eligible } // end\n// bottom\n";
    let formatted = assert_formats_well("inline.regel", text, &mut common::DiskModules);
    assert_eq!(
        formatted,
        "// top\n\
         policy p {\n  title \"P\"\n  year  2025\n}  // header\n\n\
         input {\n  // first\n  a: bool \"A\"  // after a\n\n  b: bool \"B\"\n  // last\n}\n\n\
         rule r \"R\"\n  cites \"S\"\n  when a  // why a\n    and b\n  then contract = eligible\n\n\
         decision contract {\n  outcomes eligible\n  default eligible\n}  // end\n// bottom\n"
    );
}

#[test]
fn a_comment_that_cannot_stay_inside_an_expression_moves_above_its_line() {
    let text = "policy p { title \"P\" year 2025 }\ninput { n: number \"N\" }\n\
        def x = n + // inside\n  1 > 2\n";
    let formatted = assert_formats_well("moved.regel", text, &mut common::DiskModules);
    assert!(
        formatted.contains("// inside\ndef x = n + 1 > 2\n"),
        "{formatted}"
    );
}

// ------------------------------------------------------------------ snapshots

#[test]
fn snapshot_messy_fixture() {
    let text = std::fs::read_to_string("tests/fixtures/fmt/messy.regel").unwrap();
    insta::assert_snapshot!("messy", fmt(&text).unwrap());
}

#[test]
fn snapshot_oefentherapie() {
    let text = std::fs::read_to_string("tests/corpus/valid/oefentherapie_2025.regel").unwrap();
    insta::assert_snapshot!("oefentherapie", fmt(&text).unwrap());
}

// ------------------------------------------------------------------ generated policies

/// A piece of policy text: tokens, to be joined with random whitespace and
/// comments.
type Toks = Vec<String>;

/// Splits at spaces outside string literals; `~` stands for a space inside a
/// token (`5~years`).
fn toks(text: &str) -> Toks {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_string = false;
    let mut escaped = false;
    for c in text.chars() {
        if in_string {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
        } else if c == ' ' {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
        } else {
            in_string = c == '"';
            current.push(if c == '~' { ' ' } else { c });
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn join(parts: Vec<Toks>) -> Toks {
    parts.into_iter().flatten().collect()
}

fn wrap(open: &str, inner: Toks, close: &str) -> Toks {
    join(vec![toks(open), inner, toks(close)])
}

/// A number (count or plain number) expression.
fn num_expr() -> impl Strategy<Value = Toks> {
    let leaf = prop_oneof![
        Just(toks("n over 2023")),
        Just(toks("n over 2022 / 1.5")),
        Just(toks("n over year - 1")),
        Just(toks("n over ( year - 2 )")),
        Just(toks("c")),
        Just(toks("c_limit")),
        Just(toks("3")),
        Just(toks("1.5")),
        Just(toks("1_000_000")),
        Just(toks("- 2")),
        Just(toks("count ( ts )")),
        Just(toks("sum ( t in ts : t.h )")),
        Just(toks("count ( t in ts : t.ok and t.h > 2 )")),
        Just(toks("d_num")),
    ];
    leaf.prop_recursive(3, 16, 2, |inner| {
        prop_oneof![
            (
                inner.clone(),
                prop::sample::select(vec!["+", "-", "*"]),
                inner.clone()
            )
                .prop_map(|(a, op, b)| join(vec![a, vec![op.to_string()], b])),
            inner.clone().prop_map(|a| wrap("(", a, ")")),
            inner.prop_map(|a| wrap("- (", a, ")")),
        ]
    })
}

fn money_expr() -> impl Strategy<Value = Toks> {
    prop_oneof![
        Just(toks("m")),
        Just(toks("€1_500.50")),
        Just(toks("€150000")),
        Just(toks("m * 10%")),
        Just(toks("m - €5")),
        Just(toks("- m")),
        Just(toks("m_floor")),
        Just(toks("sum ( t in ts : t.pay )")),
    ]
}

fn cmp_op() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["==", "!=", "<", "<=", ">", ">="]).prop_map(String::from)
}

fn order_op() -> impl Strategy<Value = String> {
    prop::sample::select(vec!["<", "<=", ">", ">="]).prop_map(String::from)
}

/// A condition (bool expression) using every operator.
fn bool_expr() -> impl Strategy<Value = Toks> {
    let leaf = prop_oneof![
        Just(toks("f1")),
        Just(toks("f2")),
        Just(toks("d_bool")),
        (num_expr(), cmp_op(), num_expr()).prop_map(|(a, op, b)| join(vec![a, vec![op], b])),
        (num_expr(), order_op(), num_expr(), order_op(), num_expr())
            .prop_map(|(a, o1, b, o2, c)| join(vec![a, vec![o1], b, vec![o2], c])),
        (money_expr(), cmp_op(), money_expr()).prop_map(|(a, op, b)| join(vec![a, vec![op], b])),
        Just(toks("p >= 35%")),
        Just(toks("p + 2.5% < p_share")),
        Just(toks("kind == fysio")),
        Just(toks("fysio != kind")),
        Just(toks("kind in { fysio , oefen }")),
        Just(toks("kind not in { oefen , }")),
        Just(toks("c in { 1 , 2 , 3 }")),
        Just(toks("applied in dates")),
        Just(toks("applied > 2024-10-01 - 5~years")),
        Just(toks("applied <= deadline + 30~days")),
        Just(toks("first_month >= 2025-01")),
        Just(toks("opens < 08:30")),
        Just(toks("founded < year - 2")),
        Just(toks("name == \"a // not a comment\"")),
        Just(toks("known n over 2023")),
        Just(toks("missing m")),
        Just(toks("known ( m - €5 )")),
        Just(toks("missing address.city")),
        Just(toks("any ( t in ts : t.ok )")),
        Just(toks("all ( t in ts : not t.ok or t.h >= 1 )")),
        Just(toks("any ( t in ts : all ( u in ts : u.h <= t.h ) )")),
        Just(toks("p_tbd > 5%")),
        Just(toks("grade in { first_long_value , fifth_long_value }")),
        Just(toks(
            "any ( s in staff : s.registered and s.level == senior and s.home.city != \"Delft\" )"
        )),
        Just(toks("s_flag")),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| {
                let mut out = Vec::new();
                for (i, part) in v.into_iter().enumerate() {
                    if i > 0 {
                        out.push("and".to_string());
                    }
                    out.extend(part);
                }
                out
            }),
            prop::collection::vec(inner.clone(), 2..4).prop_map(|v| {
                let mut out = Vec::new();
                for (i, part) in v.into_iter().enumerate() {
                    if i > 0 {
                        out.push("or".to_string());
                    }
                    out.extend(part);
                }
                out
            }),
            inner.clone().prop_map(|a| wrap("not (", a, ")")),
            inner.clone().prop_map(|a| wrap("(", a, ")")),
            inner.prop_map(|a| wrap("( (", a, ") )")),
        ]
    })
}

/// One fact for an example or test, as `key : value` tokens.
fn fact() -> impl Strategy<Value = (String, Toks)> {
    prop_oneof![
        prop_oneof![Just("true"), Just("false"), Just("missing")]
            .prop_map(|v| ("f1".to_string(), toks(v))),
        any::<bool>().prop_map(|v| ("\"f2\"".to_string(), toks(&v.to_string()))),
        (0u32..5000).prop_map(|v| ("c".to_string(), toks(&v.to_string()))),
        (prop::collection::btree_map(2020u32..2026, -50i32..500, 0..3)).prop_map(|years| {
            let mut t = toks("{");
            for (i, (y, v)) in years.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.extend(toks(&format!("{y} : {v}")));
            }
            t.push("}".into());
            ("n".to_string(), t)
        }),
        prop_oneof![Just("€180_000"), Just("€12.5"), Just("€250000.00")]
            .prop_map(|v| ("m".to_string(), toks(v))),
        prop_oneof![Just("35%"), Just("2.5%"), Just("40.0%")]
            .prop_map(|v| ("p".to_string(), toks(v))),
        prop_oneof![Just("2024-09-15"), Just("2024-10-01")]
            .prop_map(|v| ("applied".to_string(), toks(v))),
        Just(("first_month".to_string(), toks("2025-02"))),
        Just(("opens".to_string(), toks("07:45"))),
        Just(("grade".to_string(), toks("third_long_value"))),
        any::<bool>().prop_map(|v| ("s_flag".to_string(), toks(&v.to_string()))),
        Just((
            "staff".to_string(),
            toks(
                "[ { registered : true , level : senior , home : { city : \"Delft\" } } , { registered : false } ]"
            )
        )),
        Just(("founded".to_string(), toks("2019"))),
        Just(("name".to_string(), toks("\"Praktijk \\\"De Brug\\\"\""))),
        prop_oneof![Just("fysio"), Just("oefen")].prop_map(|v| ("kind".to_string(), toks(v))),
        Just(("dates".to_string(), toks("[ 2024-01-01 , 2023-06-30 , ]"))),
        Just((
            "address".to_string(),
            toks("{ city : \"Utrecht\" , postcode : missing }")
        )),
        prop::collection::vec((any::<bool>(), 0u32..40), 0..4).prop_map(|ts| {
            let mut t = toks("[");
            for (i, (ok, h)) in ts.iter().enumerate() {
                if i > 0 {
                    t.push(",".into());
                }
                t.extend(toks(&format!("{{ ok : {ok} , h : {h} , pay : €1_000 }}")));
            }
            t.push("]".into());
            ("ts".to_string(), t)
        }),
    ]
}

fn facts() -> impl Strategy<Value = Toks> {
    prop::collection::vec(fact(), 0..8).prop_map(|facts| {
        // Each input at most once.
        let unique: BTreeMap<String, Toks> = facts.into_iter().collect();
        let mut t = toks("{");
        for (i, (key, value)) in unique.into_iter().enumerate() {
            if i > 0 {
                t.push(",".into());
            }
            t.push(key);
            t.push(":".into());
            t.extend(value);
        }
        t.push("}".into());
        t
    })
}

const HEADER: &str = "policy generated_2025 { title \"Generated\" insurer \"Example\" year 2025 }";

const INPUTS: &str = "input { \
    f1 : bool \"Flag one\" \
    f2 : bool \
    c : count \"A count\" \
    n : number by year \"A yearly number\" \
    m : money \"Money\" \
    p : percent \"A share\" \
    applied : date \"Applied on\" \
    first_month : month \"First month\" \
    opens : time \"Opening time\" \
    founded : year \"Founded in\" \
    name : text \"Name\" \
    kind : enum { fysio , oefen , } \"Kind\" \
    dates : list of date \"Dates\" \
    address : { city : text \"City\" postcode : text } \"Address\" \
    ts : list of { ok : bool \"OK\" , h : number \"Hours\" , pay : money } \"Things\" \
    grade : enum { first_long_value , second_long_value , third_long_value , fourth_long_value , fifth_long_value } \"A long enumeration\" \
    staff : list of { registered : bool \"Registered in the register of the profession, which takes a long description\" \
      level : enum { junior , senior } \"Level\" , home : { city : text \"City\" } } \"Staff\" \
    }";

/// Served as `common/shared` to the generated policies.
const SHARED_MODULE: &str = "module shared { title \"Shared\" }\n\
    input { s_flag : bool \"Shared flag\" }\n\
    rule s_one \"Shared one\" cites \"M1\" when s_flag then contract = excluded\n\
    rule s_two \"Shared two\" cites \"M2\" when not s_flag then contract = eligible\n";

const USES: &str = "use common/shared only s_one cites \"Module section\" \
    use common/shared except s_one cites \"A much longer section name that will not fit on one line with the rest of the use\"";

struct SharedModule;

impl ModuleResolver for SharedModule {
    fn resolve(&mut self, _from: &str, path: &str) -> Result<(String, String), String> {
        if path == "common/shared" {
            Ok(("shared.regel".to_string(), SHARED_MODULE.to_string()))
        } else {
            Err(format!("no module `{path}`"))
        }
    }
}

const DECLS: &str = "const c_limit = 150 \
    const m_floor = €1_500.5 \
    const p_share = 35% \
    const deadline = 2024-10-01 \
    const first_year : year = 2022 \
    const label = \"// still text\" \
    const p_tbd : percent = tbd \"open\" \
    const age = 5~years \
    decision contract \"Contract\" { outcomes excluded > not_eligible > manual_review > eligible default not_eligible } \
    decision extra { outcomes gold > none default none }";

/// A whole policy as tokens.
fn policy() -> impl Strategy<Value = Toks> {
    let outcomes = prop_oneof![
        Just("excluded"),
        Just("not_eligible"),
        Just("manual_review"),
        Just("eligible")
    ];
    let rules = prop::collection::vec((bool_expr(), outcomes), 1..5);
    let defs = (bool_expr(), num_expr());
    let examples = prop::collection::vec(facts(), 1..3);
    let tests = prop::collection::vec((0usize..3, facts(), 0usize..4), 0..4);
    (defs, rules, examples, tests).prop_map(|((def_bool, def_num), rules, examples, tests)| {
        let mut t = join(vec![toks(HEADER), toks(USES), toks(INPUTS), toks(DECLS)]);
        // A definition may not use itself.
        let rename = |body: Toks, own: &str, other: &str| {
            body.into_iter()
                .map(|t| if t == own { other.to_string() } else { t })
                .collect::<Toks>()
        };
        t.extend(toks("def d_bool \"A condition\" ="));
        t.extend(rename(def_bool, "d_bool", "f1"));
        t.extend(toks("def d_num ="));
        t.extend(rename(def_num, "d_num", "c"));
        for (i, (condition, outcome)) in rules.iter().enumerate() {
            t.extend(toks(&format!(
                "rule r{i} \"Rule {i}\" cites \"Art. {i}\" when"
            )));
            t.extend(condition.iter().cloned());
            t.extend(toks(&format!("then contract = {outcome}")));
        }
        t.extend(toks(
            "rule gold \"Gold\" cites \"X\" when contract == eligible and f1 then extra = gold",
        ));
        for (i, example) in examples.iter().enumerate() {
            t.extend(toks(&format!("example e{i}")));
            t.extend(example.iter().cloned());
        }
        for (i, (base, data, expect)) in tests.into_iter().enumerate() {
            t.extend(toks(&format!("test \"test {i}\" {{ given")));
            match base % 3 {
                0 if !examples.is_empty() => t.extend(toks("e0")),
                1 if !examples.is_empty() => {
                    t.extend(toks("e0 with"));
                    t.extend(data);
                }
                _ => t.extend(data),
            }
            t.extend(toks(match expect {
                0 => "expect contract = eligible",
                1 => "expect contract undetermined",
                2 => "expect contract = eligible by r0 expect extra = none",
                _ => "expect extra undetermined",
            }));
            t.push("}".into());
        }
        t
    })
}

/// Joins tokens with random whitespace, line breaks and comments.
fn layout(tokens: Toks) -> impl Strategy<Value = String> {
    let n = tokens.len();
    prop::collection::vec(0u8..16, n).prop_map(move |separators| {
        let mut text = String::from("// generated\n");
        for (i, (token, sep)) in tokens.iter().zip(&separators).enumerate() {
            text.push_str(token);
            match sep {
                0..=8 => text.push(' '),
                9 | 10 => text.push('\n'),
                11 => text.push_str("\n\n   "),
                12 => text.push_str("   \t"),
                13 => text.push_str("\n      "),
                14 => text.push_str(&format!(" // c{i}\n")),
                _ => text.push_str(&format!("\n// own line {i} \"quoted // still comment\"\n")),
            }
        }
        text
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn generated_policies_format_keeping_meaning(text in policy().prop_flat_map(layout)) {
        let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
        prop_assert!(
            tree.is_some() && !regel::diagnostics::has_errors(&diagnostics),
            "the generator wrote a policy that does not parse: {diagnostics:?}\n{text}"
        );
        let formatted = assert_formats_well("generated.regel", &text, &mut SharedModule);
        // The generated policies are meant to check: then the IR comparison
        // above is meaningful.
        let (policy, codes) = check("generated.regel", &formatted, &mut SharedModule);
        prop_assert!(policy.is_some(), "generated policy does not check: {codes:?}\n{text}");
    }
}

// ------------------------------------------------------------------ the command

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn regel(dir: &Path, args: &[&str], stdin: Option<&str>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    let run = Run {
        code: output.status.code().unwrap(),
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

/// A fresh, empty directory under the target directory.
fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fmt-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn messy() -> String {
    std::fs::read_to_string("tests/fixtures/fmt/messy.regel").unwrap()
}

const BROKEN: &str =
    "policy broken { title \"Broken\" year 2025 }\nrule r \"R\" when a then contract = eligible\n";

#[test]
fn check_lists_unformatted_files_and_rewrites_nothing() {
    let dir = temp_dir("check");
    std::fs::create_dir_all(dir.join("policies/sub")).unwrap();
    let formatted = fmt(&messy()).unwrap();
    std::fs::write(dir.join("policies/sub/messy.regel"), messy()).unwrap();
    std::fs::write(dir.join("policies/tidy.regel"), &formatted).unwrap();
    std::fs::write(dir.join("policies/notes.txt"), "not a policy").unwrap();

    // Default path: policies/.
    let run = regel(&dir, &["fmt", "--check"], None);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("{}\n", Path::new("policies/sub/messy.regel").display())
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("policies/sub/messy.regel")).unwrap(),
        messy()
    );

    let run = regel(&dir, &["fmt", "--check", "policies/tidy.regel"], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "");
}

#[test]
fn rewrites_files_in_place() {
    let dir = temp_dir("write");
    std::fs::write(dir.join("messy.regel"), messy()).unwrap();
    let formatted = fmt(&messy()).unwrap();
    std::fs::write(dir.join("tidy.regel"), &formatted).unwrap();
    let before = std::fs::metadata(dir.join("tidy.regel"))
        .unwrap()
        .modified()
        .unwrap();

    let run = regel(&dir, &["fmt", "."], None);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.regel")).unwrap(),
        formatted
    );
    // An already formatted file is not written.
    assert_eq!(
        std::fs::metadata(dir.join("tidy.regel"))
            .unwrap()
            .modified()
            .unwrap(),
        before
    );

    let run = regel(&dir, &["fmt", "--check", "."], None);
    assert_eq!(run.code, 0, "{}", run.stdout);
}

#[test]
fn stdin_to_stdout() {
    let dir = temp_dir("stdin");
    let run = regel(&dir, &["fmt", "-"], Some(&messy()));
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, fmt(&messy()).unwrap());

    let run = regel(&dir, &["fmt", "--check", "-"], Some(&messy()));
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "-\n");
    let run = regel(
        &dir,
        &["fmt", "--check", "-"],
        Some(&fmt(&messy()).unwrap()),
    );
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");

    let run = regel(&dir, &["fmt", "-"], Some(BROKEN));
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
    assert!(run.stderr.contains("E0101"), "{}", run.stderr);
}

#[test]
fn a_file_with_a_syntax_error_is_reported_and_not_rewritten() {
    let dir = temp_dir("broken");
    std::fs::write(dir.join("broken.regel"), BROKEN).unwrap();
    std::fs::write(dir.join("messy.regel"), messy()).unwrap();
    let run = regel(&dir, &["fmt", "."], None);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("error[E0101]"), "{}", run.stderr);
    assert!(run.stderr.contains("broken.regel"), "{}", run.stderr);
    assert_eq!(
        std::fs::read_to_string(dir.join("broken.regel")).unwrap(),
        BROKEN
    );
    // The other file is still formatted.
    assert_eq!(
        std::fs::read_to_string(dir.join("messy.regel")).unwrap(),
        fmt(&messy()).unwrap()
    );

    let run = regel(&dir, &["fmt", "--check", "broken.regel"], None);
    assert_eq!(run.code, 1);
    assert_eq!(run.stdout, "");
}

#[test]
fn usage_errors_exit_2() {
    let dir = temp_dir("usage");
    let run = regel(&dir, &["fmt", "no-such-file.regel"], None);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = regel(&dir, &["fmt", "-", "other.regel"], Some(""));
    assert_eq!(run.code, 2, "{}", run.stderr);
}

// ------------------------------------------------------------------ the documentation

#[test]
fn the_documented_example_is_what_fmt_does() {
    let docs = std::fs::read_to_string("docs/language.md").unwrap();
    let section = docs
        .split("\n## Formatting: `regel fmt`\n")
        .nth(1)
        .expect("docs/language.md has a section on regel fmt");
    let blocks: Vec<&str> = section
        .split("```regel\n")
        .skip(1)
        .map(|block| block.split("```").next().unwrap())
        .collect();
    assert_eq!(
        blocks.len(),
        2,
        "the section shows a policy before and after"
    );
    assert_ne!(blocks[0], blocks[1]);
    assert_eq!(fmt(blocks[0]).unwrap(), blocks[1]);
    assert_eq!(fmt(blocks[1]).unwrap(), blocks[1]);
}
