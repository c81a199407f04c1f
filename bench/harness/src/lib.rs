//! Shared pieces of the batch-evaluation benchmark: the data generator, the
//! hand-written rule and reading the same records for Regel. Used by the
//! `regel-bench` binary here and by the peer-engine benchmark in bench/peers.

use std::io::Write;
use std::path::Path;
use std::str::FromStr;

use regel::eval::{self, Facts};
use serde_json::Value as Json;

// ---------------------------------------------------------------------------
// Data generation
// ---------------------------------------------------------------------------

/// splitmix64: tiny, fast, deterministic.
pub struct SplitMix64(pub u64);

impl SplitMix64 {
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (the modulo bias is negligible for these `n`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `per_mille / 1000`.
    pub fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

pub const SEED: u64 = 0x5EED_2025_0000_0005;
pub const HEADER: &str = "id,bi,patients,revenue_eur,kvk_registered,fraud_registered";

pub fn generate(out: &Path, rows: u64) -> Result<(), String> {
    let file = std::fs::File::create(out)
        .map_err(|e| format!("cannot create `{}`: {e}", out.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = SplitMix64(SEED);
    let io = |e: std::io::Error| format!("cannot write `{}`: {e}", out.display());
    writeln!(w, "{HEADER}").map_err(io)?;
    for i in 0..rows {
        // bi: 50.0..=250.0 with one decimal, missing in 5% of rows.
        let bi_missing = rng.chance(50);
        let bi_tenths = 500 + rng.below(2001);
        // patients: 0..=2000, 10% below 30.
        let patients = if rng.chance(100) {
            rng.below(30)
        } else {
            30 + rng.below(1971)
        };
        let revenue = rng.below(2_000_001);
        let kvk = !rng.chance(20);
        let fraud = rng.chance(10);
        write!(w, "P{:07},", i + 1).map_err(io)?;
        if !bi_missing {
            write!(w, "{}.{}", bi_tenths / 10, bi_tenths % 10).map_err(io)?;
        }
        writeln!(w, ",{patients},{revenue},{kvk},{fraud}").map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// The hand-written rule
// ---------------------------------------------------------------------------

#[derive(Debug, Clone)]
pub struct Provider {
    pub id: String,
    pub bi: Option<f64>,
    pub patients: u32,
    pub revenue_eur: u64,
    pub kvk_registered: bool,
    pub fraud_registered: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Reject,
    Contract,
    ManualReview,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Reject => "reject",
            Outcome::Contract => "contract",
            Outcome::ManualReview => "manual_review",
        }
    }
}

/// The rule, by hand. Returns the outcome and the deciding rule (none: default).
#[inline]
pub fn decide(p: &Provider) -> (Outcome, Option<&'static str>) {
    if p.fraud_registered {
        return (Outcome::Reject, Some("fraud_or_no_kvk"));
    }
    if !p.kvk_registered {
        return (Outcome::Reject, Some("fraud_or_no_kvk"));
    }
    match p.bi {
        Some(bi) if bi < 150.0 => (Outcome::Contract, Some("low_bi")),
        None if p.patients < 30 => (Outcome::ManualReview, Some("small_without_bi")),
        _ => (Outcome::Reject, None),
    }
}

pub fn parse_bool(field: &[u8]) -> Result<bool, String> {
    match field {
        b"true" => Ok(true),
        b"false" => Ok(false),
        other => Err(format!(
            "not a boolean: {:?}",
            String::from_utf8_lossy(other)
        )),
    }
}

pub fn parse_num<T: FromStr>(field: &[u8]) -> Result<T, String> {
    std::str::from_utf8(field)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("not a number: {:?}", String::from_utf8_lossy(field)))
}

/// Column positions, looked up by name in the header.
pub struct Columns {
    pub id: usize,
    pub bi: usize,
    pub patients: usize,
    pub revenue_eur: usize,
    pub kvk_registered: usize,
    pub fraud_registered: usize,
}

impl Columns {
    pub fn from_header(header: &csv::ByteRecord) -> Result<Self, String> {
        let find = |name: &str| {
            header
                .iter()
                .position(|h| h == name.as_bytes())
                .ok_or_else(|| format!("no column `{name}`"))
        };
        Ok(Columns {
            id: find("id")?,
            bi: find("bi")?,
            patients: find("patients")?,
            revenue_eur: find("revenue_eur")?,
            kvk_registered: find("kvk_registered")?,
            fraud_registered: find("fraud_registered")?,
        })
    }
}

pub fn field(record: &csv::ByteRecord, i: usize) -> &[u8] {
    record.get(i).unwrap_or(b"")
}

pub fn provider(record: &csv::ByteRecord, c: &Columns) -> Result<Provider, String> {
    let bi = field(record, c.bi);
    Ok(Provider {
        id: String::from_utf8_lossy(field(record, c.id)).into_owned(),
        bi: if bi.is_empty() {
            None
        } else {
            Some(parse_num(bi)?)
        },
        patients: parse_num(field(record, c.patients))?,
        revenue_eur: parse_num(field(record, c.revenue_eur))?,
        kvk_registered: parse_bool(field(record, c.kvk_registered))?,
        fraud_registered: parse_bool(field(record, c.fraud_registered))?,
    })
}

/// The hand-written end-to-end program: CSV in, one row per provider out with
/// the same columns as `regel eval --data` with bench/providers.regel
/// (`decision`, `_status`, `_rule`, `_missing`, then the same for `contract`).
pub fn handwritten(input: &Path, output: &Path, decision: &str) -> Result<u64, String> {
    let mut reader = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(input)
        .map_err(|e| format!("cannot read `{}`: {e}", input.display()))?;
    let columns = Columns::from_header(reader.byte_headers().map_err(|e| e.to_string())?)?;
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(output)
        .map_err(|e| format!("cannot create `{}`: {e}", output.display()))?;
    let err = |e: csv::Error| e.to_string();
    writer
        .write_record([
            "id".to_string(),
            decision.to_string(),
            format!("{decision}_status"),
            format!("{decision}_rule"),
            format!("{decision}_missing"),
            // bench/providers.regel also declares `contract` (every policy
            // must), always out_of_scope: written too, so both outputs carry
            // the same columns.
            "contract".to_string(),
            "contract_status".to_string(),
            "contract_rule".to_string(),
            "contract_missing".to_string(),
        ])
        .map_err(err)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0;
    while reader.read_byte_record(&mut record).map_err(err)? {
        let p = provider(&record, &columns).map_err(|e| format!("row {}: {e}", rows + 1))?;
        let (outcome, rule) = decide(&p);
        writer
            .write_record([
                p.id.as_bytes(),
                outcome.as_str().as_bytes(),
                b"decided",
                rule.unwrap_or("").as_bytes(),
                b"",
                b"out_of_scope",
                b"decided",
                b"",
                b"",
            ])
            .map_err(err)?;
        rows += 1;
    }
    writer.flush().map_err(|e| e.to_string())?;
    Ok(rows)
}

// ---------------------------------------------------------------------------
// Regel side: the policy and pre-loaded facts
// ---------------------------------------------------------------------------

/// Finds `use` modules on disk the way `regel` does: `use common/general`
/// from `policies/2025/x.regel` is `common/general.regel` in
/// `policies/2025/`, else in `policies/`, and so on up (the shipped policies
/// use policies/common/).
pub struct DiskModules;

impl regel::load::ModuleResolver for DiskModules {
    fn resolve(&mut self, from: &str, path: &str) -> Result<(String, String), String> {
        if path.split('/').any(|part| part.is_empty() || part == "..") {
            return Err(format!("`{path}` is not a module path"));
        }
        let relative = format!("{path}.regel");
        let mut dir = Path::new(from).parent();
        while let Some(current) = dir {
            let candidate = current.join(&relative);
            if candidate.is_file() {
                let text = std::fs::read_to_string(&candidate)
                    .map_err(|e| format!("cannot read `{}`: {e}", candidate.display()))?;
                return Ok((candidate.display().to_string(), text));
            }
            dir = current.parent();
        }
        Err(format!(
            "no `{relative}` beside `{from}` or in a folder above it"
        ))
    }
}

pub fn load_policy(path: &Path) -> Result<regel::ir::Policy, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let mut sources = regel::source::SourceMap::new();
    let root = sources.add(path.display().to_string(), text);
    let (program, mut diagnostics) = regel::load::load(&mut sources, root, &mut DiskModules);
    let policy = program.and_then(|program| {
        let (policy, more) = regel::check::check(&program);
        diagnostics.extend(more);
        policy
    });
    if regel::diagnostics::has_errors(&diagnostics) {
        let rendered: Vec<String> = diagnostics
            .iter()
            .filter(|d| d.is_error())
            .map(|d| regel::diagnostics::render::render(d, &sources, false))
            .collect();
        return Err(format!(
            "`{}` does not check:\n{}",
            path.display(),
            rendered.join("")
        ));
    }
    policy.ok_or_else(|| format!("`{}` does not check", path.display()))
}

/// The decision carrying reject / contract / manual_review.
pub fn screening_decision(policy: &regel::ir::Policy) -> Result<String, String> {
    policy
        .decisions
        .iter()
        .find(|d| {
            ["reject", "contract", "manual_review"]
                .iter()
                .all(|o| d.outcomes.iter().any(|x| x == o))
        })
        .map(|d| d.name.clone())
        .ok_or_else(|| {
            "the policy has no decision with outcomes reject, contract and manual_review"
                .to_string()
        })
}

/// One CSV row as the facts the interpreter reads (same reading as
/// `regel eval --facts`: empty cell = missing).
pub fn facts_of(
    policy: &regel::ir::Policy,
    headers: &csv::StringRecord,
    record: &csv::StringRecord,
) -> Result<Facts, String> {
    let mut object = serde_json::Map::new();
    for (name, cell) in headers.iter().zip(record.iter()) {
        let Some(input) = policy.input(name) else {
            continue;
        };
        if cell.is_empty() {
            continue;
        }
        let json = match input.ty {
            regel::ir::Type::Bool => Json::Bool(parse_bool(cell.as_bytes())?),
            regel::ir::Type::Text => Json::String(cell.to_string()),
            _ => Json::Number(
                serde_json::Number::from_str(cell).map_err(|e| format!("`{cell}`: {e}"))?,
            ),
        };
        object.insert(name.to_string(), json);
    }
    let (facts, problems) = eval::facts::load(&policy.inputs, &Json::Object(object), false);
    if let Some(p) = problems.first() {
        return Err(format!("{p:?}"));
    }
    Ok(facts)
}

/// Reads every provider of a CSV file into typed records.
pub fn read_providers(path: &Path) -> Result<Vec<Provider>, String> {
    let mut reader = csv::ReaderBuilder::new()
        .buffer_capacity(1 << 20)
        .from_path(path)
        .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let columns = Columns::from_header(reader.byte_headers().map_err(|e| e.to_string())?)?;
    let mut record = csv::ByteRecord::new();
    let mut providers = Vec::new();
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| e.to_string())?
    {
        providers.push(
            provider(&record, &columns).map_err(|e| format!("row {}: {e}", providers.len() + 1))?,
        );
    }
    Ok(providers)
}

/// A provider as the JSON object a rule engine reads (missing BI: no key).
pub fn provider_json(p: &Provider) -> Json {
    let mut object = serde_json::Map::new();
    object.insert("id".into(), Json::String(p.id.clone()));
    if let Some(bi) = p.bi {
        // Through the decimal text, so 123.4 stays 123.4.
        let number = serde_json::Number::from_str(&format!("{bi}"))
            .unwrap_or_else(|_| serde_json::Number::from(0));
        object.insert("bi".into(), Json::Number(number));
    }
    object.insert("patients".into(), Json::from(p.patients));
    object.insert("revenue_eur".into(), Json::from(p.revenue_eur));
    object.insert("kvk_registered".into(), Json::Bool(p.kvk_registered));
    object.insert("fraud_registered".into(), Json::Bool(p.fraud_registered));
    Json::Object(object)
}

/// Regel's compiled evaluator (`regel::eval::compiled`) over pre-loaded
/// records: each provider loaded once into the program's own [`Record`]
/// form (as the peers get their records parsed once into their own data
/// form), then per record: run, and the decision read back.
#[cfg(feature = "compiled")]
pub mod compiled {
    use regel::eval::Facts;
    use regel::eval::compiled::{Program, Row, Scratch, Table};

    pub struct Prepared {
        pub program: Program,
        /// The decision's number (declaration order).
        pub decision: usize,
        pub records: Table,
    }

    pub fn prepare(
        policy: &regel::ir::Policy,
        facts: &[Facts],
        decision: &str,
    ) -> Result<Prepared, String> {
        let program =
            Program::compile(policy).map_err(|e| format!("the policy does not compile: {e}"))?;
        let decision = program
            .decision_names()
            .iter()
            .position(|d| d == decision)
            .ok_or_else(|| format!("no decision `{decision}`"))?;
        let mut records = program.table();
        let mut record = program.record();
        for f in facts {
            program.load_facts(&mut record, f);
            records.push(&record);
        }
        Ok(Prepared {
            program,
            decision,
            records,
        })
    }

    /// Decides one pre-loaded record; the outcome (`None`: undetermined).
    #[inline]
    pub fn decide<'p>(p: &'p Prepared, scratch: &mut Scratch, record: Row<'_>) -> Option<&'p str> {
        p.program.run(record, scratch);
        p.program.outcome(scratch, p.decision)
    }
}

// ---------------------------------------------------------------------------
// Varied rows from example facts
// ---------------------------------------------------------------------------

/// Chances of each variation, per mille. Small enough that most rows stay
/// close to their example (and so decided the way the example is), large
/// enough that every run has rows taking the other branches.
pub mod variation {
    /// A boolean anywhere in the row is flipped.
    pub const FLIP_BOOL: u64 = 50;
    /// A top-level fact is left out: decisions reading it become
    /// undetermined, which exercises the missing-facts (reasons) path.
    pub const DROP_KEY: u64 = 30;
    /// One element of a list is removed.
    pub const DROP_ELEMENT: u64 = 30;
    /// One element of a list is written twice.
    pub const DUPLICATE_ELEMENT: u64 = 30;
    /// Numbers are scaled by a factor in `SCALE_MIN..=SCALE_MAX` per mille.
    pub const SCALE_MIN: u64 = 700;
    pub const SCALE_MAX: u64 = 1300;
}

/// Varies one row made from an example's facts, in place, drawing from
/// `rng` in a fixed order (the object's key order, which serde_json keeps),
/// so the same seed gives the same rows.
///
/// Only numbers, booleans, list lengths and the presence of top-level facts
/// change; strings never do, so enums, dates, months and times stay valid.
///
/// With the `policy`, numbers of type `year` (a fact, a list element, a
/// record field) are not scaled: a year is a point in time, not an amount,
/// and 2025 scaled to 2383 makes every rule comparing it with the policy's
/// years take the same branch (in wijkverpleging `satisfaction_survey_years`
/// then never falls in 2023..2026, and nearly no row is eligible). The
/// factor is drawn all the same, so every other value of the row is the same
/// with or without the policy.
pub fn vary_row(
    object: &mut serde_json::Map<String, Json>,
    policy: Option<&regel::ir::Policy>,
    rng: &mut SplitMix64,
) {
    // `retain` keeps the order of the remaining keys (`remove` would not
    // with serde_json's preserve_order).
    object.retain(|_, _| !rng.chance(variation::DROP_KEY));
    for (name, value) in object.iter_mut() {
        let ty = policy.and_then(|p| p.input(name)).map(|input| &input.ty);
        vary_value(value, ty, rng);
    }
}

/// Varies a value anywhere in a row: inside lists, records and yearly
/// series (`{"2023": 120}`: the keys are years and stay as they are).
/// `ty`: the value's type in the policy, when known.
fn vary_value(value: &mut Json, ty: Option<&regel::ir::Type>, rng: &mut SplitMix64) {
    use regel::ir::Type;
    match value {
        Json::Bool(b) => {
            if rng.chance(variation::FLIP_BOOL) {
                *b = !*b;
            }
        }
        Json::Number(n) => {
            let per_mille =
                variation::SCALE_MIN + rng.below(variation::SCALE_MAX - variation::SCALE_MIN + 1);
            if matches!(ty, Some(Type::Year)) {
                return;
            }
            if let Some(scaled) = scale_number(&n.to_string(), per_mille)
                && let Ok(scaled) = scaled.parse()
            {
                *n = scaled;
            }
        }
        Json::Array(items) => {
            if !items.is_empty() && rng.chance(variation::DROP_ELEMENT) {
                let i = rng.below(items.len() as u64) as usize;
                items.remove(i);
            }
            if !items.is_empty() && rng.chance(variation::DUPLICATE_ELEMENT) {
                let i = rng.below(items.len() as u64) as usize;
                items.insert(i + 1, items[i].clone());
            }
            let of = match ty {
                Some(Type::List { of }) => Some(&**of),
                _ => None,
            };
            for item in items {
                vary_value(item, of, rng);
            }
        }
        Json::Object(fields) => {
            for (key, field) in fields.iter_mut() {
                let ty = match ty {
                    Some(Type::Series { of }) => Some(&**of),
                    Some(Type::Record { fields }) => {
                        fields.iter().find(|f| f.name == *key).map(|f| &f.ty)
                    }
                    _ => None,
                };
                vary_value(field, ty, rng);
            }
        }
        Json::Null | Json::String(_) => {}
    }
}

/// A JSON number's text scaled by `per_mille / 1000`, rounded half away
/// from zero, in exact integer arithmetic (no float rounding differences).
///
/// The result stays valid for the type the number had: a whole number stays
/// whole (so counts and years stay whole; `141.0` stays `N.0`), the sign is
/// kept (so non-negative stays non-negative, `-0` is never written), and a
/// fraction keeps its decimals, at most 2 (money stays in cents). Numbers
/// with an exponent or too many digits for `u128` give `None`: left as they
/// are.
pub fn scale_number(text: &str, per_mille: u64) -> Option<String> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(body) => (true, body),
        None => (false, text),
    };
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    // The value is `mantissa / 10^fraction.len()`; the result is written
    // with `kept` decimals (none when the fraction is all zeros).
    let mantissa: u128 = format!("{whole}{fraction}").parse().ok()?;
    let kept = if fraction.bytes().all(|b| b == b'0') {
        0
    } else {
        fraction.len().min(2)
    };
    let divisor = 10u128
        .checked_pow(u32::try_from(fraction.len() - kept).ok()?)?
        .checked_mul(1000)?;
    let scaled = mantissa
        .checked_mul(u128::from(per_mille))?
        .checked_add(divisor / 2)?
        / divisor;
    let sign = if negative && scaled != 0 { "-" } else { "" };
    if kept == 0 {
        // Keep a zero fraction as it was written (`141.0` -> `152.0`).
        let zeros = if fraction.is_empty() {
            String::new()
        } else {
            format!(".{fraction}")
        };
        return Some(format!("{sign}{scaled}{zeros}"));
    }
    let unit = 10u128.pow(kept as u32);
    Some(format!(
        "{sign}{}.{:0kept$}",
        scaled / unit,
        scaled % unit,
        kept = kept
    ))
}
