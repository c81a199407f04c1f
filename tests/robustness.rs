//! No panics, by construction and checked: arbitrary text through the parser,
//! loader and checker; arbitrary JSON through the facts reader and the
//! interpreter; very deep nesting; very large files.
//!
//! Inputs that could crash the process (a stack overflow aborts the whole test
//! harness) go through the `regel` binary, so a crash shows up as a failed
//! test with the exit status instead.

// Test code: a panic is the way to report a failure.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::{Map, Value as Json};

use regel::diagnostics::{Code, Diagnostic, has_errors};
use regel::ir;
use regel::load::{self, NoModules};
use regel::source::{FileId, SourceMap};

// ---------------------------------------------------------------- helpers

/// Everything a policy text goes through, without I/O: parse, load, check, and
/// when it checks, evaluation on no facts, the policy's own tests and export.
/// Returns the diagnostics of parsing (which must not panic) and of loading and
/// checking.
fn run_pipeline(text: &str) -> (bool, Vec<Diagnostic>) {
    let (tree, mut diagnostics) = regel::syntax::parse(FileId(0), text);
    if tree.is_none() {
        assert!(
            has_errors(&diagnostics),
            "a text that does not parse must give an error"
        );
        return (false, diagnostics);
    }
    let mut sources = SourceMap::new();
    let root = sources.add("fuzz.regel", text);
    let (program, load_diagnostics) = load::load(&mut sources, root, &mut NoModules);
    diagnostics = load_diagnostics;
    let Some(program) = program else {
        return (false, diagnostics);
    };
    let (policy, check_diagnostics) = regel::check::check(&program);
    diagnostics.extend(check_diagnostics);
    // Rendering touches every span: it must cope with whatever the checker made.
    for d in &diagnostics {
        let _ = regel::diagnostics::render::render(d, &sources, false);
        let _ = regel::diagnostics::render::to_json(d, &sources);
    }
    let Some(policy) = policy else {
        return (false, diagnostics);
    };
    let (facts, _) = regel::eval::facts::load(&policy.inputs, &Json::Object(Map::new()), false);
    let _ = regel::eval::evaluate(&policy, &facts);
    let _ = regel::testing::run(&policy);
    let _ = regel::export::to_json(&policy, &sources);
    (true, diagnostics)
}

fn checks_cleanly(text: &str) -> ir::Policy {
    let mut sources = SourceMap::new();
    let root = sources.add("test.regel", text);
    let (program, mut diagnostics) = load::load(&mut sources, root, &mut NoModules);
    let program = program.unwrap_or_else(|| panic!("does not parse: {diagnostics:#?}"));
    let (policy, check_diagnostics) = regel::check::check(&program);
    diagnostics.extend(check_diagnostics);
    assert!(!has_errors(&diagnostics), "errors: {diagnostics:#?}");
    policy.expect("a policy without errors")
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<Code> {
    diagnostics.iter().map(|d| d.code).collect()
}

/// A scratch file for the tests that go through the binary.
fn scratch(name: &str, contents: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("robustness-{}-{name}", std::process::id()));
    std::fs::write(&path, contents).unwrap();
    path
}

fn regel(args: &[&std::ffi::OsStr]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(args)
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// The process ended by itself with one of regel's exit codes (not a signal,
/// not a panic's 101).
fn assert_clean_exit(output: &Output, allowed: &[i32]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let tail: String = stderr
        .chars()
        .rev()
        .take(2000)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    assert!(
        output.status.code().is_some_and(|c| allowed.contains(&c)),
        "exit status {:?}, expected one of {allowed:?}; end of stderr:\n{tail}",
        output.status
    );
    assert!(!stderr.contains("panicked"), "panic: {tail}");
    assert!(!stderr.contains("overflow"), "overflow: {tail}");
}

/// `cases` per property; `PROPTEST_CASES` overrides it for a longer hunt.
fn config(cases: u32) -> Config {
    Config {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(cases),
        // Never write proptest-regressions files into the repository.
        failure_persistence: None,
        ..Config::default()
    }
}

const POLICY_HEAD: &str = r#"policy nesting {
  title "Nesting"
  year  2025
}

input {
  n: count "A count"
}

decision contract {
  outcomes excluded > not_eligible > manual_review > eligible
  default not_eligible
}
"#;

fn policy_with_condition(condition: &str) -> String {
    format!(
        "{POLICY_HEAD}\nrule r \"r\" cites \"c\"\n  when {condition}\n  then contract = eligible\n"
    )
}

// ---------------------------------------------------------------- the valid seed policy

/// A valid policy with every construct, used as the seed for mutations.
const SEED: &str = r#"// Seed policy
policy seed_2025 {
  title   "Seed policy"
  insurer "a.s.r."
  year    2025
}

input {
  fraud_registered: bool "Fraud"
  kind: enum { fysiotherapie, oefentherapie } "Kind"
  bi: number by year "BI"
  revenue: money "Revenue"
  share: percent "Share"
  applied_on: date "Applied"
  therapists: list of { big_registered: bool "BIG", hours_per_week: number "Hours" } "Therapists"
}

const bi_limit = 150
const deadline = 2024-10-01
const cap = €150_000
const floor: percent = tbd "later"

def insolvent "Insolvent" = count(t in therapists: not t.big_registered) > 0

decision contract "Contract" {
  outcomes excluded > not_eligible > manual_review > eligible
  default not_eligible
}

rule fraud "Fraud" cites "Art. 1"
  when fraud_registered or insolvent
  then contract = excluded

rule low_bi "Low BI" cites "Art. 2"
  when kind in { fysiotherapie, oefentherapie } and bi over year - 2 <= bi_limit
   and revenue * share < cap and applied_on + 6 months > deadline
   and sum(t in therapists: t.hours_per_week) >= 20
  then contract = eligible

rule floor_ok "Share at least the floor" cites "Art. 3"
  when share >= floor or missing share
  then contract = eligible

example base { fraud_registered: false, kind: fysiotherapie, bi: { 2023: 120 }, revenue: €12.50, share: 35%, applied_on: 2024-06-01, therapists: [{ big_registered: true, hours_per_week: 36 }] }

test "BI of 120 gets a contract" {
  given base with { bi: { 2023: 120 } }
  expect contract = eligible by low_bi
}
test "fraud" {
  given base with { fraud_registered: true }
  expect contract = excluded
}
test "unknown" {
  given { kind: oefentherapie }
  expect contract undetermined
}
"#;

#[test]
fn seed_policy_is_valid() {
    let (ok, diagnostics) = run_pipeline(SEED);
    assert!(ok, "{diagnostics:#?}");
    let policy = checks_cleanly(SEED);
    assert!(regel::testing::run(&policy).iter().all(|t| t.passed()));
}

/// Tokens of the language, so that generated texts get past the lexer often.
const TOKENS: &[&str] = &[
    "policy",
    "module",
    "p",
    "{",
    "}",
    "title",
    "\"t\"",
    "year",
    "2025",
    "insurer",
    "input",
    "x",
    ":",
    "bool",
    "count",
    "number",
    "money",
    "percent",
    "date",
    "text",
    "by",
    "enum",
    "list",
    "of",
    ",",
    "const",
    "=",
    "tbd",
    "def",
    "decision",
    "contract",
    "outcomes",
    ">",
    "eligible",
    "excluded",
    "default",
    "rule",
    "r",
    "cites",
    "when",
    "then",
    "example",
    "test",
    "given",
    "with",
    "expect",
    "undetermined",
    "use",
    "common/general",
    "and",
    "or",
    "not",
    "in",
    "known",
    "missing",
    "over",
    "(",
    ")",
    "[",
    "]",
    "+",
    "-",
    "*",
    "/",
    "<",
    "<=",
    "==",
    "!=",
    ">=",
    ".",
    "150",
    "1.5",
    "€150_000",
    "€150.000",
    "35%",
    "2024-10-01",
    "2024-02-30",
    "5 years",
    "6 months",
    "30 days",
    "true",
    "false",
    "any",
    "all",
    "sum",
    "t",
    "\n",
    "//",
    "99999999999999999999999999999999",
    "\"",
    "\\",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..120).prop_map(|tokens| tokens.join(" "))
}

/// A random edit of the seed: delete a byte range or insert a few bytes.
#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, bytes: Vec<u8> },
}

fn edits() -> impl Strategy<Value = Vec<Edit>> {
    let interesting: Vec<u8> = b"(){}[]\".,:<>=+-*/%_09az \n\\\xe2\x82\xac\xff".to_vec();
    let edit = prop_oneof![
        (any::<usize>(), 1usize..12).prop_map(|(at, len)| Edit::Delete { at, len }),
        (
            any::<usize>(),
            prop::collection::vec(
                prop_oneof![prop::sample::select(interesting), any::<u8>()],
                1..6
            )
        )
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
    ];
    prop::collection::vec(edit, 1..6)
}

fn apply(seed: &str, edits: &[Edit]) -> String {
    let mut bytes = seed.as_bytes().to_vec();
    for edit in edits {
        match edit {
            Edit::Delete { at, len } => {
                let at = at % (bytes.len() + 1);
                let end = (at + len).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Insert { at, bytes: new } => {
                let at = at % (bytes.len() + 1);
                bytes.splice(at..at, new.iter().copied());
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_text_does_not_panic(text in any::<String>()) {
        run_pipeline(&text);
    }

    #[test]
    fn arbitrary_long_text_does_not_panic(text in ".{0,600}") {
        run_pipeline(&text);
    }

    #[test]
    fn token_soup_does_not_panic(text in token_soup()) {
        run_pipeline(&text);
    }

    #[test]
    fn token_soup_after_a_header_does_not_panic(text in token_soup()) {
        run_pipeline(&format!("{POLICY_HEAD}\n{text}"));
    }

    #[test]
    fn mutated_policy_does_not_panic(edits in edits()) {
        run_pipeline(&apply(SEED, &edits));
    }
}

// ---------------------------------------------------------------- facts

const ALL_TYPES: &str = r#"policy all_types {
  title   "Every input type"
  insurer "Test"
  year    2025
}

input {
  flag:    bool                         "A flag"
  n:       count                        "A count"
  x:       number                       "A number"
  amount:  money                        "An amount"
  share:   percent                      "A share"
  day:     date                         "A date"
  y:       year                         "A year"
  name:    text                         "A name"
  kind:    enum { alpha, beta, gamma }  "A kind"
  series:  number by year               "A yearly number"
  counts:  count by year                "A yearly count"
  shares:  percent by year              "A yearly share"
  days:    list of date                 "Dates"
  names:   list of text                 "Names"
  staff:   list of { ok: bool "ok", hours: number "hours", since: date "since", role: enum { lead, member } "role" }  "Staff"
  address: { city: text "city", zip: count "zip" }  "An address"
  nested:  list of list of count        "Nested lists"
}

const limit = €1_000
const share_floor: percent = tbd "not yet known"

def ratio "A ratio" = n / (n + n)
def hours = sum(s in staff: s.hours)

decision contract {
  outcomes excluded > not_eligible > manual_review > eligible
  default not_eligible
}

decision extra "A second decision" {
  outcomes high > low
  default low
}

rule r_flag "flag" cites "1" when flag then contract = excluded
rule r_count "count" cites "2" when n >= 10 and ratio > 50% then contract = not_eligible
rule r_number "number" cites "3" when x * 2 > 3.5 or -x < 0 or x / x == 1 then contract = manual_review
rule r_money "money" cites "4" when amount * share > limit and amount / amount >= 100% then contract = eligible
rule r_date "date" cites "5" when day + 6 months > 2024-01-01 and day - 30 days < 2030-01-01 and day + 9999 years != day then contract = eligible
rule r_year "year" cites "6" when y >= year - 2 and y + 5000 <= year + 1 then contract = manual_review
rule r_text "text" cites "7" when name == "abc" or name in names then contract = eligible
rule r_enum "enum" cites "8" when kind in { alpha, beta } and kind != gamma then contract = eligible
rule r_series "series" cites "9" when series over 2023 > series over (y) and counts over year - 1 >= 1 and shares over (y + 1) > 10% then contract = eligible
rule r_lists "lists" cites "10" when count(d in days: d > 2020-01-01) > 0 and count(days) < 5 and known names then contract = eligible
rule r_staff "staff" cites "11" when all(s in staff: s.ok and s.role == lead) and hours > 40 and any(s in staff: s.since < 2020-01-01) then contract = eligible
rule r_address "address" cites "12" when address.city == "Utrecht" and address.zip > 1000 then contract = eligible
rule r_nested "nested" cites "13" when count(l in nested: sum(l) > 2) > 0 and any(l in nested: count(l) > 1) then extra = high
rule r_tbd "tbd" cites "14" when share >= share_floor or missing share then extra = high
"#;

const KEYS: &[&str] = &[
    "flag", "n", "x", "amount", "share", "day", "y", "name", "kind", "series", "counts", "shares",
    "days", "names", "staff", "address", "nested", "ok", "hours", "since", "role", "city", "zip",
    "2023", "2024", "0", "-1", "99999", "", "flg",
];

fn json_number() -> impl Strategy<Value = Json> {
    prop_oneof![
        any::<i64>().prop_map(Json::from),
        any::<u64>().prop_map(Json::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)),
        // Exact number texts of any size (serde_json keeps them: arbitrary_precision).
        "-?[0-9]{1,40}(\\.[0-9]{1,40})?([eE][+-]?[0-9]{1,5})?"
            .prop_map(|text| serde_json::from_str::<Json>(&text).unwrap_or(Json::Null)),
    ]
}

fn json_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        prop::sample::select(vec![
            "alpha",
            "beta",
            "gamma",
            "lead",
            "member",
            "2024-02-29",
            "2023-02-29",
            "2024-13-01",
            "0000-01-01",
            "9999-12-31",
            "35%",
            "-35%",
            "1e400%",
            "%",
            "12",
            "-0",
            ".",
            "1.2.3",
            "99999999999999999999999999999999",
            "abc",
            "Utrecht",
            "",
        ])
        .prop_map(str::to_string),
        "-?[0-9]{0,30}(\\.[0-9]{0,30})?%?",
        "[0-9]{4}-[0-9]{2}-[0-9]{2}",
    ]
}

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        json_number(),
        json_text().prop_map(Json::String),
    ];
    leaf.prop_recursive(5, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Json::Array),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..8).prop_map(|entries| {
                Json::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect(),
                )
            }),
        ]
    })
}

/// Facts documents: mostly objects keyed by the policy's inputs, sometimes
/// anything at all.
fn facts_document() -> impl Strategy<Value = Json> {
    prop_oneof![
        4 => prop::collection::vec(
            (prop_oneof![prop::sample::select(KEYS).prop_map(str::to_string), "[a-z_]{1,6}"], json_value()),
            0..20
        )
        .prop_map(|entries| Json::Object(entries.into_iter().collect())),
        1 => json_value(),
    ]
}

/// A number as JSON from its text (exact: serde_json keeps the digits).
fn number_from(text: String) -> Json {
    serde_json::from_str(&text).unwrap_or(Json::Null)
}

/// Decimals from tiny to the edge of what fits (28-29 digits), either sign.
fn decimal_json() -> impl Strategy<Value = Json> {
    prop_oneof![
        (-1000i64..1000).prop_map(Json::from),
        "-?[0-9]{1,29}(\\.[0-9]{1,28})?".prop_map(number_from),
        "-?[0-9]{1,12}(\\.[0-9]{1,6})?".prop_map(Json::String),
        Just(number_from("79228162514264337593543950335".to_string())),
        Just(number_from("-79228162514264337593543950335".to_string())),
    ]
}

fn date_json() -> impl Strategy<Value = Json> {
    prop_oneof![
        "[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])".prop_map(Json::String),
        prop::sample::select(vec![
            "0001-01-01",
            "9999-12-31",
            "2024-02-29",
            "-0001-01-01"
        ])
        .prop_map(Json::from),
    ]
}

fn year_json() -> impl Strategy<Value = Json> {
    prop_oneof![
        (1i64..=9999).prop_map(Json::from),
        Just(Json::from(2023)),
        decimal_json()
    ]
}

fn series_json(value: BoxedStrategy<Json>) -> impl Strategy<Value = Json> {
    prop::collection::vec((prop_oneof!["(19|20)[0-9]{2}", "[0-9]{4}"], value), 0..4)
        .prop_map(|entries| Json::Object(entries.into_iter().collect()))
}

/// Facts that mostly have the declared types, with values at the edges
/// (dates near year 1 and 9999, decimals near the maximum), so evaluation
/// does arithmetic on them; now and then any JSON at all.
fn typed_facts() -> impl Strategy<Value = Json> {
    let or_any = |typed: BoxedStrategy<Json>| -> BoxedStrategy<Json> {
        prop_oneof![8 => typed, 1 => Just(Json::Null), 1 => json_value()].boxed()
    };
    let percent = prop_oneof![
        decimal_json(),
        "-?[0-9]{1,30}(\\.[0-9]{1,5})?%".prop_map(Json::String)
    ]
    .boxed();
    let role = prop::sample::select(vec!["lead", "member", "boss"]);
    let staff_member = (any::<bool>(), decimal_json(), date_json(), role).prop_map(
        |(ok, hours, since, role)| {
            serde_json::json!({"ok": ok, "hours": hours, "since": since, "role": role})
        },
    );
    let fields: Vec<(&str, BoxedStrategy<Json>)> = vec![
        ("flag", or_any(any::<bool>().prop_map(Json::Bool).boxed())),
        ("n", or_any(decimal_json().boxed())),
        ("x", or_any(decimal_json().boxed())),
        ("amount", or_any(decimal_json().boxed())),
        ("share", or_any(percent.clone())),
        ("day", or_any(date_json().boxed())),
        ("y", or_any(year_json().boxed())),
        (
            "name",
            or_any(
                prop::sample::select(vec!["abc", "Utrecht", ""])
                    .prop_map(Json::from)
                    .boxed(),
            ),
        ),
        (
            "kind",
            or_any(
                prop::sample::select(vec!["alpha", "beta", "gamma", "delta"])
                    .prop_map(Json::from)
                    .boxed(),
            ),
        ),
        (
            "series",
            or_any(series_json(decimal_json().boxed()).boxed()),
        ),
        (
            "counts",
            or_any(series_json(decimal_json().boxed()).boxed()),
        ),
        ("shares", or_any(series_json(percent).boxed())),
        (
            "days",
            or_any(
                prop::collection::vec(date_json(), 0..4)
                    .prop_map(Json::Array)
                    .boxed(),
            ),
        ),
        (
            "names",
            or_any(
                prop::collection::vec(
                    prop::sample::select(vec!["abc", "x"]).prop_map(Json::from),
                    0..3,
                )
                .prop_map(Json::Array)
                .boxed(),
            ),
        ),
        (
            "staff",
            or_any(
                prop::collection::vec(staff_member, 0..4)
                    .prop_map(Json::Array)
                    .boxed(),
            ),
        ),
        (
            "address",
            or_any(
                (
                    prop::sample::select(vec!["Utrecht", "Zwolle"]),
                    decimal_json(),
                )
                    .prop_map(|(city, zip)| serde_json::json!({"city": city, "zip": zip}))
                    .boxed(),
            ),
        ),
        (
            "nested",
            or_any(
                prop::collection::vec(
                    prop::collection::vec(decimal_json(), 0..4).prop_map(Json::Array),
                    0..4,
                )
                .prop_map(Json::Array)
                .boxed(),
            ),
        ),
    ];
    let strategies: Vec<BoxedStrategy<(String, Option<Json>)>> = fields
        .into_iter()
        .map(|(key, value)| {
            prop::option::weighted(0.85, value)
                .prop_map(move |v| (key.to_string(), v))
                .boxed()
        })
        .collect();
    strategies.prop_map(|entries| {
        Json::Object(
            entries
                .into_iter()
                .filter_map(|(k, v)| v.map(|v| (k, v)))
                .collect(),
        )
    })
}

fn all_types_policy() -> &'static ir::Policy {
    static POLICY: std::sync::OnceLock<ir::Policy> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| checks_cleanly(ALL_TYPES))
}

#[test]
fn all_types_policy_decides_on_good_facts() {
    let policy = all_types_policy();
    let json: Json = serde_json::from_str(
        r#"{"flag": false, "n": 0, "x": 1, "amount": 5000, "share": "50%", "day": "2024-05-01",
            "y": 2024, "name": "abc", "kind": "alpha", "series": {"2023": 5, "2024": 3},
            "counts": {"2024": 2}, "shares": {"2025": 20}, "days": ["2021-01-01"], "names": ["abc"],
            "staff": [{"ok": true, "hours": 41, "since": "2019-01-01", "role": "lead"}],
            "address": {"city": "Utrecht", "zip": 3500}, "nested": [[1, 2], [3]]}"#,
    )
    .unwrap();
    let (facts, problems) = regel::eval::facts::load(&policy.inputs, &json, true);
    assert!(problems.is_empty(), "{problems:#?}");
    let evaluation = regel::eval::evaluate(policy, &facts);
    let outcomes: Vec<_> = evaluation
        .decisions
        .iter()
        .map(|d| (d.decision.as_str(), d.outcome.as_deref()))
        .collect();
    assert_eq!(
        outcomes,
        [("contract", Some("manual_review")), ("extra", Some("high"))]
    );
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn arbitrary_facts_do_not_panic(
        json in prop_oneof![facts_document(), typed_facts()],
        strict in any::<bool>(),
    ) {
        let policy = all_types_policy();
        let (facts, problems) = regel::eval::facts::load(&policy.inputs, &json, strict);
        // Every problem names where it is (a key path), except a document
        // that is not an object at all.
        for problem in &problems {
            prop_assert!(problem.is_error());
            prop_assert!(
                problem.path.is_some() || problem.code == Code::E0501,
                "no key path: {problem:?}"
            );
        }
        // Every declared input has a value (possibly unknown).
        if json.is_object() {
            prop_assert_eq!(facts.len(), policy.inputs.len());
        }
        let evaluation = regel::eval::evaluate(policy, &facts);
        prop_assert_eq!(evaluation.decisions.len(), 2);
        for decision in &evaluation.decisions {
            // Decided with an outcome, or undetermined without one.
            prop_assert_eq!(
                decision.outcome.is_some(),
                decision.status == regel::eval::Status::Decided
            );
        }
    }
}

// ---------------------------------------------------------------- deep nesting

#[test]
fn hundred_thousand_parentheses_give_e0104() {
    let depth = 100_000;
    let condition = format!("{}n > 0{}", "(".repeat(depth), ")".repeat(depth));
    let text = policy_with_condition(&condition);
    let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
    assert!(tree.is_none());
    assert_eq!(codes(&diagnostics), [Code::E0104]);
    // The diagnostic points at the first bracket that is too deep.
    let primary = diagnostics[0].primary.as_ref().unwrap();
    let offset = text.find('(').unwrap() + regel::syntax::MAX_NESTING;
    assert_eq!(primary.span.start as usize, offset);
    // The loader and the binary report the same.
    let mut sources = SourceMap::new();
    let root = sources.add("deep.regel", text.as_str());
    let (program, diagnostics) = load::load(&mut sources, root, &mut NoModules);
    assert!(program.is_none());
    assert_eq!(codes(&diagnostics), [Code::E0104]);
}

#[test]
fn deep_brackets_of_every_kind_give_e0104() {
    let depth = 100_000;
    let set = format!("n in {}1{}", "{".repeat(depth), "}".repeat(depth));
    let example = format!(
        "{POLICY_HEAD}\nexample e {{ n: {}1{} }}\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    let unbalanced = format!("{POLICY_HEAD}\n{}", "(".repeat(depth));
    for text in [policy_with_condition(&set), example, unbalanced] {
        let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
        assert!(tree.is_none());
        assert_eq!(codes(&diagnostics), [Code::E0104]);
    }
    // Closing brackets alone do not nest.
    let closing = format!("{POLICY_HEAD}\n{}", ")".repeat(depth));
    let (tree, diagnostics) = regel::syntax::parse(FileId(0), &closing);
    assert!(tree.is_none());
    assert_eq!(codes(&diagnostics), [Code::E0101]);
}

#[test]
fn brackets_inside_strings_and_comments_do_not_count() {
    let deep = "(".repeat(1000);
    let text = format!(
        "{POLICY_HEAD}\n// {deep}\nrule r \"{deep}\" cites \"c\"\n  when n > 0\n  then contract = eligible\n"
    );
    checks_cleanly(&text);
}

/// Parenthesised `n > 0` nested `depth` levels.
fn nested_condition(depth: usize) -> String {
    format!("{}n > 0{}", "(".repeat(depth), ")".repeat(depth))
}

/// `(1 + (1 + (... + n)))` with `depth` levels, compared with 0.
fn nested_sum(depth: usize) -> String {
    format!("{}n{} > 0", "(1 + ".repeat(depth), ")".repeat(depth))
}

#[test]
fn thirty_one_levels_check_and_evaluate() {
    for condition in [nested_condition(31), nested_sum(31)] {
        let text = policy_with_condition(&condition);
        let policy = checks_cleanly(&text);
        for facts in [r#"{"n": 3}"#, "{}"] {
            let json: Json = serde_json::from_str(facts).unwrap();
            let (facts, problems) = regel::eval::facts::load(&policy.inputs, &json, true);
            assert!(problems.is_empty());
            let evaluation = regel::eval::evaluate(&policy, &facts);
            assert_eq!(evaluation.decisions.len(), 1);
        }
        let mut sources = SourceMap::new();
        sources.add("nested.regel", text.as_str());
        let exported: Json =
            serde_json::from_str(&regel::export::to_json(&policy, &sources)).unwrap();
        assert_eq!(exported["format"], "regel-ir/1");
    }
}

#[test]
fn nesting_limit_boundary() {
    let limit = regel::syntax::MAX_NESTING;
    checks_cleanly(&policy_with_condition(&nested_condition(limit)));
    let (tree, diagnostics) = regel::syntax::parse(
        FileId(0),
        &policy_with_condition(&nested_condition(limit + 1)),
    );
    assert!(tree.is_none());
    assert_eq!(codes(&diagnostics), [Code::E0104]);
}

#[test]
fn thirty_one_levels_through_the_binary() {
    let path = scratch("nested31.regel", &policy_with_condition(&nested_sum(31)));
    let facts = scratch("nested31.json", r#"{"n": 3}"#);
    let output = regel(&["check".as_ref(), path.as_os_str()]);
    assert_clean_exit(&output, &[0]);
    let output = regel(&[
        "eval".as_ref(),
        path.as_os_str(),
        "--facts".as_ref(),
        facts.as_os_str(),
    ]);
    assert_clean_exit(&output, &[0]);
    let json: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["decisions"]["contract"]["outcome"], "eligible");
}

#[test]
fn deep_facts_json_is_an_error_not_a_crash() {
    let depth = 10_000;
    let deep_list = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let deep_object = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    let under_a_key = format!("{{\"n\": {deep_list}}}");
    for text in [&deep_list, &deep_object, &under_a_key] {
        // serde_json refuses it (its recursion limit) instead of overflowing.
        let error = serde_json::from_str::<Json>(text).unwrap_err();
        assert!(error.to_string().contains("recursion limit"), "{error}");
    }
    let policy = scratch("deep-facts.regel", &policy_with_condition("n > 0"));
    for (name, text) in [
        ("list", &deep_list),
        ("object", &deep_object),
        ("key", &under_a_key),
    ] {
        let facts = scratch(&format!("deep-facts-{name}.json"), text);
        let output = regel(&[
            "eval".as_ref(),
            policy.as_os_str(),
            "--facts".as_ref(),
            facts.as_os_str(),
        ]);
        assert_clean_exit(&output, &[1]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("E0508") && stderr.contains("128 levels deep"),
            "{stderr}"
        );
        assert!(output.stdout.is_empty());
    }
}

// ---------------------------------------------------------------- huge files

/// A valid policy on one line of a few megabytes (most of it a title).
fn huge_one_line_policy() -> String {
    let title = "T".repeat(3_000_000);
    let conditions = vec!["n > 0"; 2_000].join(" or ");
    format!(
        "policy huge {{ title \"{title}\" year 2025 }} input {{ n: count \"n\" }} \
         decision contract {{ outcomes excluded > not_eligible > manual_review > eligible default not_eligible }} \
         rule r \"r\" cites \"c\" when {conditions} then contract = eligible"
    )
}

#[test]
fn huge_single_line_policy_does_not_crash() {
    let text = huge_one_line_policy();
    assert!(!text.contains('\n') && text.len() > 3_000_000);
    let policy = checks_cleanly(&text);
    assert_eq!(policy.title.len(), 3_000_000);

    let path = scratch("huge.regel", &text);
    let output = regel(&["check".as_ref(), path.as_os_str()]);
    assert_clean_exit(&output, &[0]);
    let facts = scratch("huge.json", r#"{"n": 1}"#);
    let output = regel(&[
        "eval".as_ref(),
        path.as_os_str(),
        "--facts".as_ref(),
        facts.as_os_str(),
    ]);
    assert_clean_exit(&output, &[0]);
    let json: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["decisions"]["contract"]["outcome"], "eligible");
}

#[test]
fn huge_single_line_garbage_is_a_syntax_error() {
    let text = "x".repeat(2_000_000);
    let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
    assert!(tree.is_none());
    assert_eq!(codes(&diagnostics), [Code::E0101]);

    let path = scratch("garbage.regel", &text);
    let output = regel(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        path.as_os_str(),
    ]);
    assert_clean_exit(&output, &[1]);
    let line: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["code"], "E0101");
    assert_eq!(line["line"], 1);
}

#[test]
fn huge_single_line_with_an_error_late_in_the_line() {
    // The error is 3 MB into the line: rendering it must not crash.
    let text = huge_one_line_policy().replace("when n > 0 or", "when n > €0 or");
    let path = scratch("huge-error.regel", &text);
    let output = regel(&[
        "check".as_ref(),
        "--format".as_ref(),
        "json".as_ref(),
        path.as_os_str(),
    ]);
    assert_clean_exit(&output, &[1]);
    let line: Json = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(line["code"], "E0302");
    assert_eq!(line["line"], 1);
    assert!(line["column"].as_u64().unwrap() > 3_000_000);
}

/// Operator chains: `n + n + ...`, `n * n * ...`, `not not ...`, `- - ...`.
fn chains(operators: usize) -> [(&'static str, String); 4] {
    [
        (
            "sum",
            format!("{} > 0", vec!["n"; operators + 1].join(" + ")),
        ),
        (
            "product",
            format!("{} > 0", vec!["n"; operators + 1].join(" * ")),
        ),
        ("not", format!("{}n > 0", "not ".repeat(operators))),
        ("negation", format!("{}n > 0", "- ".repeat(operators))),
    ]
}

/// Operator chains are not brackets, so the bracket limit does not see them;
/// they have a limit of their own (E0104 too).
#[test]
fn long_operator_chains_give_e0104_not_a_crash() {
    for (name, condition) in chains(10_000) {
        // Through the binary: a regression would overflow the stack, and that
        // must fail this test, not abort the test harness.
        let path = scratch(
            &format!("chain-{name}.regel"),
            &policy_with_condition(&condition),
        );
        let output = regel(&[
            "check".as_ref(),
            "--format".as_ref(),
            "json".as_ref(),
            path.as_os_str(),
        ]);
        assert_clean_exit(&output, &[1]);
        let line: Json = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(line["code"], "E0104", "{name}: {line}");
    }
}

/// The longest chain the parser accepts checks, evaluates and exports on a
/// test thread's stack (2 MiB by default); one operator more is E0104.
#[test]
fn longest_allowed_operator_chain_checks_and_evaluates() {
    let limit = regel::syntax::MAX_EXPR_DEPTH;
    for index in 0..4 {
        let accepted = |operators: usize| {
            let text = policy_with_condition(&chains(operators)[index].1);
            let (tree, diagnostics) = regel::syntax::parse(FileId(0), &text);
            tree.is_some() && diagnostics.is_empty()
        };
        let longest = (1..=limit).rev().find(|&k| accepted(k)).unwrap();
        let (name, condition) = &chains(longest)[index];
        assert!(
            longest + 8 >= limit,
            "{name}: only {longest} operators accepted"
        );
        let policy = checks_cleanly(&policy_with_condition(condition));
        // n = 1 keeps the product in range (2^255 would be unknown: overflow).
        let json: Json = serde_json::from_str(r#"{"n": 1}"#).unwrap();
        let (facts, problems) = regel::eval::facts::load(&policy.inputs, &json, false);
        assert!(problems.is_empty());
        let evaluation = regel::eval::evaluate(&policy, &facts);
        assert_eq!(
            evaluation.decisions[0].status,
            regel::eval::Status::Decided,
            "{name}"
        );
        let mut sources = SourceMap::new();
        sources.add("chain.regel", policy_with_condition(condition));
        let _ = regel::export::to_json(&policy, &sources);

        let (name, condition) = &chains(longest + 1)[index];
        let (_, diagnostics) = regel::syntax::parse(FileId(0), &policy_with_condition(condition));
        assert_eq!(codes(&diagnostics), [Code::E0104], "{name}");
    }
}

// ---------------------------------------------------------------- known bugs

/// `regel export POLICY | head -c 10`: the reader goes away early.
#[test]
fn closed_stdout_does_not_panic() {
    let path = scratch("pipe.regel", &huge_one_line_policy());
    let mut child = Command::new(env!("CARGO_BIN_EXE_regel"))
        .args(["export".as_ref(), path.as_os_str()])
        .env("NO_COLOR", "1")
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Close the read end at once: the megabytes the export writes cannot fit
    // in the pipe buffer, so its writes fail with EPIPE.
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_clean_exit(&output, &[0, 1, 2]);
}
