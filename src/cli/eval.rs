//! `regel eval POLICY --facts FACTS.json`, and batch evaluation
//! `regel eval POLICY --data ROWS.csv` (see `batch.rs`).

use std::path::PathBuf;

use serde::Serialize;

use regel::diagnostics::render;
use regel::eval::{self, DecisionResult, FiredRule, Status};

use super::batch::{self, DataFormat, OnError, OutFormat};
use super::{Exit, compile, eprint_errors, out, out_line, stderr_color, usage_error};

#[derive(clap::Args)]
pub struct Args {
    /// The policy: a .regel file, or a regel-ir/1 .json file from `regel export`
    policy: PathBuf,
    /// One provider's facts: a JSON object keyed by input name (`-` for stdin)
    #[arg(long, required_unless_present = "data", conflicts_with = "data")]
    facts: Option<PathBuf>,
    /// Many providers, one per row: CSV with a header, JSON Lines, or a JSON
    /// array (`-` for stdin); writes one decision row per input row
    #[arg(long)]
    data: Option<PathBuf>,
    /// With --data: where to write the rows (default stdout; `-` for stdout)
    #[arg(long, requires = "data")]
    out: Option<PathBuf>,
    /// With --data: the input format (default: from the extension; csv)
    #[arg(long, value_enum, requires = "data")]
    input_format: Option<DataFormat>,
    /// With --data: the column (or JSON key) holding the row's id
    #[arg(long, default_value = "id", requires = "data")]
    id_column: String,
    /// With --data: worker threads (default: all cores)
    #[arg(long, requires = "data")]
    jobs: Option<usize>,
    /// With --data: what a bad row does
    #[arg(long, value_enum, default_value_t, requires = "data")]
    on_error: OnError,
    /// With --data: the CSV field delimiter (`;`, `tab`, ...)
    #[arg(long, default_value = ",", requires = "data", value_parser = parse_delimiter)]
    delimiter: u8,
    /// With --data: which evaluator decides: `compiled` (default) or
    /// `reference`, the tree-walking interpreter the compiled one is tested
    /// against (slower; the output is the same)
    #[arg(long, value_enum, default_value_t = Evaluator::Compiled, requires = "data")]
    evaluator: Evaluator,
    /// Report facts the policy does not read (they are ignored otherwise);
    /// with --data: CSV columns or JSON keys that are not inputs
    #[arg(long)]
    strict: bool,
    /// Explain each decision: every rule, the value of each part of its
    /// condition, the facts read, and for an undetermined decision which
    /// answer to each missing fact leads to which outcome. With --data: an
    /// `explanation` column holding each row's explanation as JSON
    #[arg(long)]
    explain: bool,
    /// With --explain: human (default) or json. With --data: csv (default)
    /// or jsonl
    #[arg(long, value_enum)]
    format: Option<EvalFormat>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum Evaluator {
    /// The compiled evaluator
    Compiled,
    /// The reference interpreter
    Reference,
}

/// A delimiter: one ASCII character, or `tab`.
fn parse_delimiter(text: &str) -> Result<u8, String> {
    match text {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        _ => match text.as_bytes() {
            [b] if b.is_ascii() && !b.is_ascii_alphanumeric() && *b != b'"' && *b != b'\n' => {
                Ok(*b)
            }
            _ => Err(format!(
                "`{text}` is not a delimiter: give one character such as `;` or `|`, or `tab`"
            )),
        },
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum EvalFormat {
    /// Readable text (--explain)
    Human,
    /// JSON (--explain)
    Json,
    /// CSV, one row per input row (--data)
    Csv,
    /// JSON Lines, one object per input row (--data)
    Jsonl,
}

/// The JSON printed by `regel eval`.
#[derive(Serialize)]
struct Output<'a> {
    policy: &'a str,
    decisions: Decisions<'a>,
    provenance: Provenance,
}

/// Decisions as an object keyed by name, in declaration order.
struct Decisions<'a>(&'a [DecisionResult]);

impl Serialize for Decisions<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for d in self.0 {
            map.serialize_entry(&d.decision, &DecisionOutput::from(d))?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct DecisionOutput<'a> {
    outcome: Option<&'a str>,
    status: Status,
    rule: Option<&'a str>,
    fired: Vec<FiredOutput<'a>>,
    missing: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    possible: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tbd: &'a [String],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    undefined: &'a [String],
}

#[derive(Serialize)]
struct FiredOutput<'a> {
    rule: &'a str,
    label: &'a str,
    cites: &'a str,
    outcome: &'a str,
}

impl<'a> From<&'a FiredRule> for FiredOutput<'a> {
    fn from(f: &'a FiredRule) -> Self {
        FiredOutput {
            rule: &f.rule,
            label: &f.label,
            cites: &f.cites,
            outcome: &f.outcome,
        }
    }
}

impl<'a> From<&'a DecisionResult> for DecisionOutput<'a> {
    fn from(d: &'a DecisionResult) -> Self {
        DecisionOutput {
            outcome: d.outcome.as_deref(),
            status: d.status,
            rule: d.winner.as_deref(),
            fired: d.fired.iter().map(FiredOutput::from).collect(),
            missing: &d.missing,
            possible: &d.possible,
            tbd: &d.tbd,
            undefined: &d.undefined,
        }
    }
}

#[derive(Serialize)]
struct Provenance {
    policy_sha256: String,
    regel_version: &'static str,
    format: &'static str,
}

/// The policy to evaluate: checked from source, or imported from an
/// exported `regel-ir/1` document (a `.json` file).
struct Loaded {
    sources: regel::source::SourceMap,
    policy: regel::ir::Policy,
    policy_sha256: String,
}

fn load_policy(path: &std::path::Path) -> Result<Loaded, Exit> {
    if path.extension().is_some_and(|e| e == "json") {
        let text = std::fs::read_to_string(path)
            .map_err(|e| usage_error(&format!("cannot read `{}`: {e}", path.display())))?;
        return match regel::import::import(&text) {
            Ok(imported) => {
                let digests: Vec<String> =
                    imported.sources.iter().map(|(_, d)| d.clone()).collect();
                Ok(Loaded {
                    sources: regel::source::SourceMap::new(),
                    policy: imported.policy,
                    policy_sha256: regel::export::policy_sha256_of_digests(&digests),
                })
            }
            Err(problems) => {
                let color = stderr_color();
                let empty = regel::source::SourceMap::new();
                for problem in &problems {
                    eprint!("{}", render::render(problem, &empty, color));
                }
                Err(Exit::Errors)
            }
        };
    }
    let compiled = compile(path).map_err(|message| usage_error(&message))?;
    eprint_errors(&compiled.diagnostics, &compiled.sources);
    let policy_sha256 = regel::export::policy_sha256(&compiled.sources);
    match compiled.policy {
        Some(policy) => Ok(Loaded {
            sources: compiled.sources,
            policy,
            policy_sha256,
        }),
        None => Err(Exit::Errors),
    }
}

pub fn run(args: &Args) -> Exit {
    let loaded = match load_policy(&args.policy) {
        Ok(loaded) => loaded,
        Err(exit) => return exit,
    };
    let policy = &loaded.policy;
    let facts_path = match (&args.facts, &args.data) {
        (Some(facts), _) => facts,
        (None, Some(data)) => {
            let format = match args.format {
                None => None,
                Some(EvalFormat::Csv) => Some(OutFormat::Csv),
                Some(EvalFormat::Jsonl) => Some(OutFormat::Jsonl),
                Some(other) => {
                    return usage_error(&format!(
                        "--format {} is for --explain; with --data use csv or jsonl",
                        if other == EvalFormat::Human {
                            "human"
                        } else {
                            "json"
                        }
                    ));
                }
            };
            return batch::run(
                policy,
                &batch::Options {
                    data,
                    out: args.out.as_ref(),
                    format,
                    input_format: args.input_format,
                    id_column: &args.id_column,
                    jobs: args.jobs,
                    on_error: args.on_error,
                    strict: args.strict,
                    delimiter: args.delimiter,
                    reference: args.evaluator == Evaluator::Reference,
                    explain: args.explain.then_some(&loaded.sources),
                },
            );
        }
        (None, None) => return usage_error("give --facts FILE or --data FILE"),
    };
    let facts_text = if facts_path.as_os_str() == "-" {
        let mut text = String::new();
        if let Err(e) = std::io::Read::read_to_string(&mut std::io::stdin(), &mut text) {
            return usage_error(&format!("cannot read the facts from stdin: {e}"));
        }
        text
    } else {
        match std::fs::read_to_string(facts_path) {
            Ok(text) => text,
            Err(e) => return usage_error(&format!("cannot read `{}`: {e}", facts_path.display())),
        }
    };
    let json = match eval::json::parse(&facts_text) {
        Ok(json) => json,
        Err(problem) => {
            let file = facts_path.display();
            let message = match problem.message.strip_prefix("not valid JSON") {
                Some(rest) => format!("`{file}` is not valid JSON{rest}"),
                None => format!("`{file}`: {}", problem.message),
            };
            let problem = regel::diagnostics::Diagnostic { message, ..problem };
            eprint!(
                "{}",
                render::render(&problem, &loaded.sources, stderr_color())
            );
            return Exit::Errors;
        }
    };
    let (facts, problems) = eval::facts::load(&policy.inputs, &json, args.strict);
    if !problems.is_empty() {
        let color = stderr_color();
        for problem in &problems {
            eprint!("{}", render::render(problem, &loaded.sources, color));
        }
        eprintln!(
            "{}: {} problem{} in the facts; no decision made",
            facts_path.display(),
            problems.len(),
            if problems.len() == 1 { "" } else { "s" }
        );
        return Exit::Errors;
    }
    if args.explain {
        let explanation = regel::explain::explain(policy, &facts, &loaded.sources);
        return match args.format.unwrap_or(EvalFormat::Human) {
            EvalFormat::Csv | EvalFormat::Jsonl => {
                usage_error("--format csv and jsonl are for --data; --explain writes human or json")
            }
            EvalFormat::Human => {
                out(&regel::explain::render(&explanation));
                Exit::Ok
            }
            EvalFormat::Json => match serde_json::to_string_pretty(&explanation) {
                Ok(text) => {
                    out_line(&text);
                    Exit::Ok
                }
                Err(e) => usage_error(&format!("cannot write the explanation: {e}")),
            },
        };
    }
    let evaluation = eval::evaluate(policy, &facts);
    let output = Output {
        policy: &evaluation.policy,
        decisions: Decisions(&evaluation.decisions),
        provenance: Provenance {
            policy_sha256: loaded.policy_sha256.clone(),
            regel_version: regel::export::REGEL_VERSION,
            format: regel::ir::FORMAT,
        },
    };
    match serde_json::to_string_pretty(&output) {
        Ok(text) => {
            out_line(&text);
            Exit::Ok
        }
        Err(e) => usage_error(&format!("cannot write the result: {e}")),
    }
}
