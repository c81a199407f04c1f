//! Data generator and benchmark for batch evaluation (issue "[5] Batch
//! evaluation at scale"). Not part of `cargo test`: this crate has its own
//! workspace. See docs/performance.md for how to run it and what it found.
//!
//! ```text
//! regel-bench generate OUT.csv [ROWS]          synthetic providers (default 1,000,000 rows)
//! regel-bench bench --data FILE.csv [options]  per-record and end-to-end measurements
//! regel-bench handwritten IN.csv OUT.csv       the hand-written CSV -> CSV program (used by bench)
//! regel-bench jsonl OUT ROWS FACTS.json...     JSON Lines: the facts files repeated, each with an id
//! regel-bench varied OUT ROWS FACTS.json...    the same, each row varied (seeded, deterministic;
//!                                              --policy POLICY: its years are not scaled)
//! regel-bench policies [options]               the five shipped policies: varied rows through
//!                                              `regel eval --data`, against a JSON parse-only floor
//! ```
//!
//! `varied` rows differ so that they take different paths through a policy:
//! numbers scaled, booleans flipped, facts left out, list elements removed
//! or repeated (see [`regel_bench_harness::vary_row`]). `policies` measures
//! batch evaluation of real policies, where `bench` measures one small rule:
//! how far each run is above just parsing its JSON, what a second job gains,
//! and that the compiled evaluator writes what the reference interpreter
//! writes.
//!
//! The rule, written by hand in [`decide`] and in Regel in bench/providers.regel:
//! fraud or not KvK-registered -> reject; else BI known and < 150 -> contract;
//! else fewer than 30 patients and BI missing -> manual_review; else reject.

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use regel::eval;
use regel_bench_harness::{
    Columns, SEED, SplitMix64, decide, facts_of, field, generate, handwritten, load_policy,
    provider, screening_decision, vary_row,
};

/// Where the main repository is (this crate lives in bench/harness).
fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::canonicalize(&root).unwrap_or(root)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("generate") => generate_cmd(&args[1..]),
        Some("bench") => bench_cmd(&args[1..]),
        Some("handwritten") => handwritten_cmd(&args[1..]),
        Some("jsonl") => jsonl_cmd(&args[1..], false),
        Some("varied") => jsonl_cmd(&args[1..], true),
        Some("policies") => policies_cmd(&args[1..]),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("regel-bench: {message}");
            ExitCode::from(2)
        }
    }
}

const USAGE: &str = "usage:
  regel-bench generate OUT.csv [ROWS]
  regel-bench bench --data FILE.csv [--policy bench/providers.regel] [--regel target/release/regel]
                    [--out-dir DIR] [--reps N] [--skip-end-to-end]
  regel-bench handwritten IN.csv OUT.csv
  regel-bench jsonl OUT.jsonl ROWS FACTS.json...
  regel-bench varied OUT.jsonl ROWS FACTS.json... [--seed N] [--policy POLICY.regel]
  regel-bench policies [--rows 100000] [--regel target/release/regel] [--reps 3]
                       [--out-dir bench/data] [--seed N]";

fn generate_cmd(args: &[String]) -> Result<(), String> {
    let out = args.first().ok_or(USAGE)?;
    let rows = match args.get(1) {
        Some(n) => n
            .replace('_', "")
            .parse()
            .map_err(|_| format!("`{n}` is not a row count"))?,
        None => 1_000_000,
    };
    let start = Instant::now();
    generate(Path::new(out), rows)?;
    eprintln!("wrote {rows} rows to {out} in {:.2?}", start.elapsed());
    Ok(())
}

/// JSON Lines for a shipped policy: the given facts files (its examples)
/// over and over, round robin, each row with its own `id`, `P000000` on.
/// `vary` (`varied`): each row varied by [`vary_row`] from the seeded
/// generator, so rows take different paths through the policy, and the same
/// seed and arguments write the same bytes.
fn jsonl_cmd(args: &[String], vary: bool) -> Result<(), String> {
    let mut positional = Vec::new();
    let mut seed = SEED;
    let mut policy = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if vary && a == "--seed" {
            seed = parse_seed(it.next().ok_or("--seed needs a value")?)?;
        } else if vary && a == "--policy" {
            policy = Some(load_policy(Path::new(
                it.next().ok_or("--policy needs a value")?,
            ))?);
        } else {
            positional.push(a.as_str());
        }
    }
    let (Some(out), Some(rows)) = (positional.first(), positional.get(1)) else {
        return Err(USAGE.to_string());
    };
    let rows = parse_rows(rows)?;
    let facts: Vec<PathBuf> = positional[2..].iter().map(PathBuf::from).collect();
    let objects = read_examples(&facts)?;
    let vary = vary.then_some((seed, policy.as_ref()));
    write_rows(Path::new(out), rows, &objects, vary)?;
    eprintln!("wrote {rows} rows to {out}");
    Ok(())
}

fn parse_rows(text: &str) -> Result<usize, String> {
    text.replace('_', "")
        .parse()
        .map_err(|_| format!("`{text}` is not a row count"))
}

/// A seed in decimal or `0x` hexadecimal.
fn parse_seed(text: &str) -> Result<u64, String> {
    let digits = text.replace('_', "");
    match digits.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => digits.parse(),
    }
    .map_err(|_| format!("`{text}` is not a seed (a number, or 0x and hex digits)"))
}

/// The facts files, each a JSON object; at least one.
fn read_examples(
    paths: &[PathBuf],
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, String> {
    let mut objects = Vec::new();
    for path in paths {
        let shown = path.display();
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read `{shown}`: {e}"))?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(object)) => objects.push(object),
            _ => return Err(format!("`{shown}` is not a JSON object of facts")),
        }
    }
    if objects.is_empty() {
        return Err(format!("no facts files given\n{USAGE}"));
    }
    Ok(objects)
}

/// Writes `rows` rows of JSON Lines: `objects` round robin, each varied
/// when `vary` gives a seed (one generator for the whole file, drawn in row
/// order: the output depends on the seed and the arguments only) and
/// optionally the policy (its types: years are not scaled, see
/// [`vary_row`]).
fn write_rows(
    out: &Path,
    rows: usize,
    objects: &[serde_json::Map<String, serde_json::Value>],
    vary: Option<(u64, Option<&regel::ir::Policy>)>,
) -> Result<(), String> {
    use std::io::Write;
    let io = |e: std::io::Error| format!("cannot write `{}`: {e}", out.display());
    let file = std::fs::File::create(out).map_err(io)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let mut rng = vary.map(|(seed, _)| SplitMix64(seed));
    let policy = vary.and_then(|(_, policy)| policy);
    for (i, object) in objects.iter().cycle().take(rows).enumerate() {
        let mut row = object.clone();
        if let Some(rng) = rng.as_mut() {
            vary_row(&mut row, policy, rng);
        }
        row.insert("id".into(), format!("P{i:06}").into());
        serde_json::to_writer(&mut w, &row)
            .map_err(|e| format!("cannot write `{}`: {e}", out.display()))?;
        writeln!(w).map_err(io)?;
    }
    w.flush().map_err(io)?;
    Ok(())
}

fn handwritten_cmd(args: &[String]) -> Result<(), String> {
    let (Some(input), Some(output)) = (args.first(), args.get(1)) else {
        return Err(USAGE.to_string());
    };
    let decision = args.get(2).map_or("outcome", String::as_str);
    handwritten(Path::new(input), Path::new(output), decision)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// Measurements
// ---------------------------------------------------------------------------

fn ns_per(d: Duration, n: usize) -> f64 {
    d.as_secs_f64() * 1e9 / n as f64
}

/// Runs `f` `reps` times and returns the fastest run.
fn best_of<F: FnMut() -> u64>(reps: usize, mut f: F) -> (Duration, u64) {
    let mut best = Duration::MAX;
    let mut check = 0;
    for _ in 0..reps {
        let start = Instant::now();
        check = f();
        best = best.min(start.elapsed());
    }
    (best, check)
}

/// Peak resident memory of this process (VmHWM), in KiB.
fn own_peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Run {
    wall: Duration,
    peak_kib: Option<u64>,
    /// What the program wrote to stderr (and `/usr/bin/time -v` after it).
    stderr: String,
}

/// Runs a command, under `/usr/bin/time -v` when present (for the peak memory).
fn run_timed(program: &Path, args: &[&str]) -> Result<Run, String> {
    let time = Path::new("/usr/bin/time");
    let mut cmd = if time.exists() {
        let mut c = Command::new(time);
        c.arg("-v").arg(program);
        c
    } else {
        Command::new(program)
    };
    cmd.args(args);
    let start = Instant::now();
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", program.display()))?;
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !out.status.success() {
        return Err(format!(
            "`{} {}` failed ({}):\n{}",
            program.display(),
            args.join(" "),
            out.status,
            stderr.lines().take(20).collect::<Vec<_>>().join("\n")
        ));
    }
    let peak_kib = stderr
        .lines()
        .find_map(|l| l.trim().strip_prefix("Maximum resident set size (kbytes):"))
        .and_then(|v| v.trim().parse().ok());
    Ok(Run {
        wall,
        peak_kib,
        stderr: stderr.into_owned(),
    })
}

fn mib(kib: Option<u64>) -> String {
    kib.map_or("n/a".to_string(), |k| {
        format!("{:.1} MiB", k as f64 / 1024.0)
    })
}

/// Compares the outcome cells of regel's output with the hand-written one's,
/// row by row. Returns the number of rows compared.
fn compare_outputs(regel_out: &Path, hand_out: &Path, decision: &str) -> Result<u64, String> {
    let open = |p: &Path| {
        csv::ReaderBuilder::new()
            .buffer_capacity(1 << 20)
            .from_path(p)
            .map_err(|e| format!("cannot read `{}`: {e}", p.display()))
    };
    let (mut a, mut b) = (open(regel_out)?, open(hand_out)?);
    let col = |r: &mut csv::Reader<std::fs::File>, name: &str, p: &Path| -> Result<usize, String> {
        r.byte_headers()
            .map_err(|e| e.to_string())?
            .iter()
            .position(|h| h == name.as_bytes())
            .ok_or_else(|| format!("`{}` has no column `{name}`", p.display()))
    };
    let (a_id, a_out, a_status) = (
        col(&mut a, "id", regel_out)?,
        col(&mut a, decision, regel_out)?,
        col(&mut a, &format!("{decision}_status"), regel_out)?,
    );
    let (b_id, b_out) = (
        col(&mut b, "id", hand_out)?,
        col(&mut b, decision, hand_out)?,
    );
    let (mut ra, mut rb) = (csv::ByteRecord::new(), csv::ByteRecord::new());
    let mut rows = 0u64;
    let mut mismatches = 0u64;
    loop {
        let more_a = a.read_byte_record(&mut ra).map_err(|e| e.to_string())?;
        let more_b = b.read_byte_record(&mut rb).map_err(|e| e.to_string())?;
        match (more_a, more_b) {
            (false, false) => break,
            (true, true) => {}
            _ => return Err(format!("row counts differ after {rows} rows")),
        }
        rows += 1;
        let same = field(&ra, a_id) == field(&rb, b_id)
            && field(&ra, a_out) == field(&rb, b_out)
            && field(&ra, a_status) == b"decided";
        if !same {
            mismatches += 1;
            if mismatches <= 5 {
                eprintln!(
                    "  mismatch at row {rows}: regel {:?} vs hand-written {:?}",
                    String::from_utf8_lossy(ra.as_slice()),
                    String::from_utf8_lossy(rb.as_slice())
                );
            }
        }
    }
    if mismatches > 0 {
        return Err(format!(
            "{mismatches} of {rows} decisions differ between regel and the hand-written function"
        ));
    }
    Ok(rows)
}

struct Options {
    data: PathBuf,
    policy: PathBuf,
    regel: PathBuf,
    out_dir: PathBuf,
    reps: usize,
    end_to_end: bool,
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let root = repo_root();
    let mut o = Options {
        data: root.join("bench/data/providers-1m.csv"),
        policy: root.join("bench/providers.regel"),
        regel: root.join("target/release/regel"),
        out_dir: root.join("bench/data"),
        reps: 3,
        end_to_end: true,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--data" => o.data = value()?.into(),
            "--policy" => o.policy = value()?.into(),
            "--regel" => o.regel = value()?.into(),
            "--out-dir" => o.out_dir = value()?.into(),
            "--reps" => o.reps = value()?.parse().map_err(|_| "--reps needs a number")?,
            "--skip-end-to-end" => o.end_to_end = false,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    Ok(o)
}

/// The hand-written and compiled loops take milliseconds a pass: they are
/// timed at least this many times, alike, since on a shared machine the
/// best of more runs is closer to the undisturbed time.
const FAST_REPS: usize = 20;

fn bench_cmd(args: &[String]) -> Result<(), String> {
    let o = parse_options(args)?;
    let policy = load_policy(&o.policy)?;
    let decision = screening_decision(&policy)?;
    println!("policy   {} (decision `{decision}`)", o.policy.display());
    println!("data     {}", o.data.display());
    // Other work on the machine skews every number: say how busy it was.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!(
            "load     {} (before the run; cores: {})",
            load.trim(),
            std::thread::available_parallelism().map_or(0, |n| n.get())
        );
    }

    // ---- load the records once: typed structs and regel facts ------------
    let start = Instant::now();
    let mut reader = csv::ReaderBuilder::new()
        .from_path(&o.data)
        .map_err(|e| format!("cannot read `{}`: {e}", o.data.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let columns = Columns::from_header(&headers.as_byte_record().clone())?;
    let mut providers = Vec::new();
    let mut facts = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| e.to_string())?;
        providers.push(
            provider(record.as_byte_record(), &columns)
                .map_err(|e| format!("row {}: {e}", i + 1))?,
        );
        facts
            .push(facts_of(&policy, &headers, &record).map_err(|e| format!("row {}: {e}", i + 1))?);
    }
    let n = providers.len();
    println!(
        "loaded   {n} records in {:.2?} (harness peak so far {})",
        start.elapsed(),
        mib(own_peak_kib())
    );

    // ---- (a) per-record evaluation over pre-loaded records ---------------
    let (hand_time, hand_check) = best_of(o.reps.max(FAST_REPS), || {
        let mut acc = 0u64;
        for p in &providers {
            let (outcome, _) = decide(black_box(p));
            acc += outcome.as_str().len() as u64;
        }
        black_box(acc)
    });
    let (regel_time, regel_check) = best_of(o.reps, || {
        let mut acc = 0u64;
        for f in &facts {
            let evaluation = eval::evaluate(&policy, black_box(f));
            let d = evaluation.decisions.iter().find(|d| d.decision == decision);
            acc += d.and_then(|d| d.outcome.as_deref()).map_or(0, str::len) as u64;
        }
        black_box(acc)
    });
    #[cfg(feature = "compiled")]
    let compiled = {
        let prepared = regel_bench_harness::compiled::prepare(&policy, &facts, &decision)?;
        let mut scratch = prepared.program.scratch();
        let (time, check) = best_of(o.reps.max(FAST_REPS), || {
            let mut acc = 0u64;
            for record in prepared.records.rows() {
                let outcome = regel_bench_harness::compiled::decide(
                    &prepared,
                    &mut scratch,
                    black_box(record),
                );
                acc += outcome.map_or(0, str::len) as u64;
            }
            black_box(acc)
        });
        // Every record's outcome must equal the hand-written one.
        let differ = prepared
            .records
            .rows()
            .zip(&providers)
            .filter(|(r, p)| {
                regel_bench_harness::compiled::decide(&prepared, &mut scratch, *r)
                    != Some(decide(p).0.as_str())
            })
            .count();
        if differ > 0 {
            return Err(format!(
                "{differ} compiled-evaluator decisions differ from the hand-written function"
            ));
        }
        (time, check)
    };
    // The checksums add up the length of each record's outcome name: the
    // same cheap work on every side, and equal sums are a first check (the
    // records are also compared one by one).
    let hand_ns = ns_per(hand_time, n);
    let regel_ns = ns_per(regel_time, n);
    println!();
    println!(
        "(a) per-record evaluation, {n} pre-loaded records, best of {} runs (hand-written and compiled: of {})",
        o.reps,
        o.reps.max(FAST_REPS)
    );
    println!("    hand-written Rust      {hand_ns:>10.1} ns/record   (checksum {hand_check})");
    println!("    regel interpreter      {regel_ns:>10.1} ns/record   (checksum {regel_check})");
    println!("    ratio interpreter/hand {:>10.1}x", regel_ns / hand_ns);
    #[cfg(feature = "compiled")]
    {
        let compiled_ns = ns_per(compiled.0, n);
        println!(
            "    regel compiled         {compiled_ns:>10.1} ns/record   (checksum {})",
            compiled.1
        );
        println!(
            "    ratio compiled/hand    {:>10.1}x",
            compiled_ns / hand_ns
        );
        if compiled.1 != hand_check {
            return Err(format!(
                "outcome checksums differ: hand-written {hand_check}, compiled {}",
                compiled.1
            ));
        }
    }
    if hand_check != regel_check {
        return Err(format!(
            "outcome checksums differ: hand-written {hand_check}, regel {regel_check}"
        ));
    }
    // The in-memory outcomes must agree record by record.
    let mut differ = 0;
    for (p, f) in providers.iter().zip(&facts) {
        let evaluation = eval::evaluate(&policy, f);
        let got = evaluation
            .decisions
            .iter()
            .find(|d| d.decision == decision)
            .and_then(|d| d.outcome.clone());
        if got.as_deref() != Some(decide(p).0.as_str()) {
            differ += 1;
        }
    }
    if differ > 0 {
        return Err(format!(
            "{differ} in-memory decisions differ between regel and the hand-written function"
        ));
    }
    println!("    all {n} in-memory decisions equal");
    drop(facts);
    drop(providers);

    if !o.end_to_end {
        return Ok(());
    }

    // ---- (b) end-to-end CSV -> CSV ----------------------------------------
    println!();
    println!("(b) end-to-end CSV -> CSV, {n} rows");
    std::fs::create_dir_all(&o.out_dir).map_err(|e| e.to_string())?;
    let hand_out = o.out_dir.join("out-handwritten.csv");
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let data = o.data.display().to_string();
    let mut hand_best: Option<Run> = None;
    for _ in 0..o.reps {
        let run = run_timed(
            &me,
            &[
                "handwritten",
                &data,
                &hand_out.display().to_string(),
                &decision,
            ],
        )?;
        if hand_best.as_ref().is_none_or(|b| run.wall < b.wall) {
            hand_best = Some(run);
        }
    }
    let hand = hand_best.ok_or("no runs")?;
    let hand_rate = n as f64 / hand.wall.as_secs_f64();
    println!(
        "    hand-written (csv crate)  {:>8.2} s  {:>12.0} rows/s  peak {}",
        hand.wall.as_secs_f64(),
        hand_rate,
        mib(hand.peak_kib)
    );
    let policy_arg = o.policy.display().to_string();
    for jobs in ["1", "2"] {
        let out = o.out_dir.join(format!("out-regel-jobs{jobs}.csv"));
        let out_arg = out.display().to_string();
        let args = [
            "eval",
            &policy_arg,
            "--data",
            &data,
            "--out",
            &out_arg,
            "--jobs",
            jobs,
        ];
        let mut best: Option<Run> = None;
        for _ in 0..o.reps {
            let run = run_timed(&o.regel, &args)?;
            if best.as_ref().is_none_or(|b| run.wall < b.wall) {
                best = Some(run);
            }
        }
        let run = best.ok_or("no runs")?;
        let rate = n as f64 / run.wall.as_secs_f64();
        println!(
            "    regel --jobs {jobs}             {:>8.2} s  {:>12.0} rows/s  peak {}  = {:.0}% of hand-written",
            run.wall.as_secs_f64(),
            rate,
            mib(run.peak_kib),
            100.0 * rate / hand_rate
        );
        let rows = compare_outputs(&out, &hand_out, &decision)?;
        let identical = std::fs::read(&out).ok() == std::fs::read(&hand_out).ok();
        println!(
            "      all {rows} output decisions equal the hand-written function's{}",
            if identical {
                " (the files are byte-identical)"
            } else {
                ""
            }
        );
    }
    println!(
        "    command: {} {}",
        o.regel.display(),
        [
            "eval",
            &policy_arg,
            "--data",
            &data,
            "--out",
            "OUT",
            "--jobs",
            "N"
        ]
        .join(" ")
    );
    Ok(())
}

// ---------------------------------------------------------------------------
// The shipped policies
// ---------------------------------------------------------------------------

/// The policies `policies` measures: the name (also the folder of examples
/// under examples/ and the stem of the data file) and the policy, both from
/// the repository root.
const SHIPPED: [(&str, &str); 5] = [
    ("geboortezorg", "policies/2024/geboortezorg.regel"),
    ("ggz", "policies/2025/ggz.regel"),
    ("paramedische-zorg", "policies/2025/paramedische-zorg.regel"),
    ("mondzorg", "policies/2027/mondzorg.regel"),
    ("wijkverpleging", "policies/2027/wijkverpleging.regel"),
];

struct PolicyOptions {
    rows: usize,
    regel: PathBuf,
    reps: usize,
    out_dir: PathBuf,
    seed: u64,
}

fn parse_policy_options(args: &[String]) -> Result<PolicyOptions, String> {
    let root = repo_root();
    let mut o = PolicyOptions {
        rows: 100_000,
        regel: root.join("target/release/regel"),
        reps: 3,
        out_dir: root.join("bench/data"),
        seed: SEED,
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{a} needs a value"))
        };
        match a.as_str() {
            "--rows" => o.rows = parse_rows(&value()?)?,
            "--regel" => o.regel = value()?.into(),
            "--reps" => o.reps = value()?.parse().map_err(|_| "--reps needs a number")?,
            "--out-dir" => o.out_dir = value()?.into(),
            "--seed" => o.seed = parse_seed(&value()?)?,
            other => return Err(format!("unknown option `{other}`\n{USAGE}")),
        }
    }
    if o.rows == 0 || o.reps == 0 {
        return Err("--rows and --reps must be at least 1".to_string());
    }
    Ok(o)
}

/// What `policies` found for one policy.
struct PolicyResult {
    name: &'static str,
    rows: usize,
    bytes: usize,
    /// Parsing every row with serde_json, building nothing: the least any
    /// JSON Lines reader has to do.
    floor: Duration,
    jobs1: Run,
    jobs2: Run,
    reference: Run,
    /// The compiled evaluator's output (2 jobs) equals the reference
    /// interpreter's, byte for byte, and 1 job's equals 2 jobs'.
    identical: bool,
    /// regel's stderr summary of the 2-job run (outcome counts: shows how
    /// varied the rows' decisions are).
    summary: String,
}

/// Varied rows of every shipped policy through `regel eval --data`: per row,
/// against a parse-only floor, with 1 and 2 jobs, and checked against the
/// reference interpreter. Prints one markdown table. Problems (outputs that
/// differ, a run not decided by the compiled evaluator) are reported after
/// the table and make the command fail, so one policy's problem does not
/// hide the others' numbers.
fn policies_cmd(args: &[String]) -> Result<(), String> {
    let o = parse_policy_options(args)?;
    let root = repo_root();
    if !o.regel.exists() {
        return Err(format!(
            "no `{}`: build it with `cargo build --release` in {}",
            o.regel.display(),
            root.display()
        ));
    }
    std::fs::create_dir_all(&o.out_dir)
        .map_err(|e| format!("cannot create `{}`: {e}", o.out_dir.display()))?;
    let mut results = Vec::new();
    let mut problems = Vec::new();
    for (name, policy) in SHIPPED {
        eprintln!("{name}:");
        results.push(measure_policy(&o, &root, name, policy, &mut problems)?);
    }

    println!("machine  {} cores, {}", cores(), cpu_model());
    println!("commit   {}", git_commit(&root));
    println!("regel    {}", binary_age(&o.regel, &root));
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load     {} (after the run)", load.trim());
    }
    println!(
        "command  {} eval POLICY --data FILE --out OUT --jobs N [--evaluator reference]",
        o.regel.display()
    );
    println!(
        "         best of {} runs, wall clock (process start and policy load included); \
         reference: one run",
        o.reps
    );
    println!();
    println!(
        "| policy | rows | bytes/row | floor µs/row | 1 job µs/row (× floor) | \
         2 jobs µs/row (× floor) | speed-up 2 vs 1 | peak MiB (1 job / 2 jobs) | \
         reference µs/row (2 jobs) | identical |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|");
    for r in &results {
        let us = |d: Duration| ns_per(d, r.rows) / 1000.0;
        let floor = us(r.floor);
        let peak = |run: &Run| {
            run.peak_kib
                .map_or("n/a".to_string(), |k| format!("{:.1}", k as f64 / 1024.0))
        };
        println!(
            "| {} | {} | {:.0} | {floor:.2} | {:.2} ({:.1}×) | {:.2} ({:.1}×) | {:.2}× | {} / {} | {:.2} | {} |",
            r.name,
            r.rows,
            r.bytes as f64 / r.rows as f64,
            us(r.jobs1.wall),
            us(r.jobs1.wall) / floor,
            us(r.jobs2.wall),
            us(r.jobs2.wall) / floor,
            r.jobs1.wall.as_secs_f64() / r.jobs2.wall.as_secs_f64(),
            peak(&r.jobs1),
            peak(&r.jobs2),
            us(r.reference.wall),
            if r.identical { "yes" } else { "NO" },
        );
    }
    println!();
    for r in &results {
        println!("{}: {}", r.name, r.summary);
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} problem(s):\n  {}",
            problems.len(),
            problems.join("\n  ")
        ))
    }
}

fn measure_policy(
    o: &PolicyOptions,
    root: &Path,
    name: &'static str,
    policy: &str,
    problems: &mut Vec<String>,
) -> Result<PolicyResult, String> {
    let policy = root.join(policy);
    let data = o.out_dir.join(format!("{name}-{}.jsonl", o.rows));
    let text = varied_data(o, root, name, &policy, &data)?;
    let lines: Vec<&str> = text.lines().collect();

    // In process, single thread; the lines were read above, untimed.
    let (floor, failed) = best_of(o.reps, || {
        lines
            .iter()
            .filter(|line| serde_json::from_str::<serde::de::IgnoredAny>(black_box(line)).is_err())
            .count() as u64
    });
    if failed > 0 {
        return Err(format!(
            "{failed} rows of `{}` are not JSON",
            data.display()
        ));
    }
    eprintln!(
        "  floor     {:.2} µs/row",
        ns_per(floor, lines.len()) / 1000.0
    );

    let policy_arg = policy.display().to_string();
    let data_arg = data.display().to_string();
    let out = |suffix: &str| o.out_dir.join(format!("{name}-{}-{suffix}.csv", o.rows));
    let run = |out: &Path, jobs: &str, reference: bool, reps: usize| -> Result<Run, String> {
        let out_arg = out.display().to_string();
        let mut args = vec![
            "eval",
            &policy_arg,
            "--data",
            &data_arg,
            "--out",
            &out_arg,
            "--jobs",
            jobs,
        ];
        if reference {
            args.extend(["--evaluator", "reference"]);
        }
        let mut best: Option<Run> = None;
        for _ in 0..reps {
            let run = run_timed(&o.regel, &args)?;
            check_summary(&run.stderr, lines.len(), reference)
                .map_err(|e| format!("{name}: `{} {}`: {e}", o.regel.display(), args.join(" ")))?;
            if best.as_ref().is_none_or(|b| run.wall < b.wall) {
                best = Some(run);
            }
        }
        let best = best.ok_or("no runs")?;
        eprintln!(
            "  {}{jobs} job(s) {:.2} µs/row",
            if reference { "reference " } else { "" },
            ns_per(best.wall, lines.len()) / 1000.0
        );
        Ok(best)
    };
    let (out1, out2, out_ref) = (out("jobs1"), out("jobs2"), out("ref"));
    let jobs1 = run(&out1, "1", false, o.reps)?;
    let jobs2 = run(&out2, "2", false, o.reps)?;
    let reference = run(&out_ref, "2", true, 1)?;

    let mut identical = true;
    for (a, b) in [(&out2, &out_ref), (&out1, &out2)] {
        if let Some(difference) = first_difference(a, b)? {
            identical = false;
            problems.push(format!(
                "{name}: `{}` and `{}` differ: {difference}",
                a.display(),
                b.display()
            ));
        }
    }
    if !jobs2.stderr.contains("; decided by the compiled evaluator") {
        problems.push(format!("{name}: not decided by the compiled evaluator"));
    }
    let summary = summary_of(&jobs2.stderr).unwrap_or_default().to_string();
    Ok(PolicyResult {
        name,
        rows: lines.len(),
        bytes: text.len(),
        floor,
        jobs1,
        jobs2,
        reference,
        identical,
        summary,
    })
}

/// The policy's varied rows: the file when it already holds `o.rows` rows,
/// else written anew from examples/<name>/*.json (in file-name order, so
/// the rows do not depend on the directory's order), with the policy's
/// types (years are not scaled).
fn varied_data(
    o: &PolicyOptions,
    root: &Path,
    name: &str,
    policy: &Path,
    data: &Path,
) -> Result<String, String> {
    let read = || {
        std::fs::read_to_string(data).map_err(|e| format!("cannot read `{}`: {e}", data.display()))
    };
    if data.exists() {
        let text = read()?;
        if text.lines().count() == o.rows {
            eprintln!("  reusing   {}", data.display());
            return Ok(text);
        }
    }
    let examples = root.join("examples").join(name);
    let mut facts: Vec<PathBuf> = std::fs::read_dir(&examples)
        .map_err(|e| format!("cannot read `{}`: {e}", examples.display()))?
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.extension().is_some_and(|x| x == "json"))
        .collect();
    facts.sort();
    let objects = read_examples(&facts)?;
    let policy = load_policy(policy)?;
    // Written beside it and renamed: an interrupted run leaves no file
    // that a later run would reuse.
    let partial = data.with_extension("jsonl.partial");
    write_rows(&partial, o.rows, &objects, Some((o.seed, Some(&policy))))?;
    std::fs::rename(&partial, data)
        .map_err(|e| format!("cannot rename `{}`: {e}", partial.display()))?;
    eprintln!(
        "  wrote     {} ({} rows from {} examples)",
        data.display(),
        o.rows,
        facts.len()
    );
    read()
}

/// regel's summary line on stderr (`N rows read, ...`).
fn summary_of(stderr: &str) -> Option<&str> {
    stderr.lines().find(|l| l.contains(" rows read, "))
}

/// Every row read and written, none skipped or in error (varied rows are
/// meant to be valid facts), and decided by the evaluator asked for.
fn check_summary(stderr: &str, rows: usize, reference: bool) -> Result<(), String> {
    let summary = summary_of(stderr).ok_or("no summary line on stderr")?;
    let all = format!("{rows} rows read, {rows} written, 0 skipped;");
    let evaluator = if reference {
        "; decided by the reference interpreter"
    } else {
        "; decided by the compiled evaluator"
    };
    if summary.starts_with(&all) && summary.contains("; errors 0;") && summary.contains(evaluator) {
        Ok(())
    } else {
        Err(format!("unexpected summary: {summary}"))
    }
}

/// `None` when the files are byte-identical, else where they first differ.
fn first_difference(a: &Path, b: &Path) -> Result<Option<String>, String> {
    let read =
        |p: &Path| std::fs::read(p).map_err(|e| format!("cannot read `{}`: {e}", p.display()));
    let (a, b) = (read(a)?, read(b)?);
    if a == b {
        return Ok(None);
    }
    let shorten = |line: &[u8]| {
        let text = String::from_utf8_lossy(line);
        text.chars().take(300).collect::<String>()
    };
    let (mut la, mut lb) = (a.split(|&c| c == b'\n'), b.split(|&c| c == b'\n'));
    for number in 1.. {
        match (la.next(), lb.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (x, y) => {
                return Ok(Some(format!(
                    "line {number}: {:?} vs {:?}",
                    x.map(shorten),
                    y.map(shorten)
                )));
            }
        }
    }
    Ok(Some("they differ".to_string()))
}

/// How old the regel binary is and whether sources under src/ changed
/// after it was built: the commit printed is the checkout's, which the
/// binary matches only if it was built from it.
fn binary_age(regel: &Path, root: &Path) -> String {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(regel) else {
        return format!("{} (build time unknown)", regel.display());
    };
    let minutes = std::time::SystemTime::now()
        .duration_since(built)
        .map_or(0, |d| d.as_secs() / 60);
    let mut newest = None;
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if let Some(time) = modified(&path) {
                newest = newest.max(Some(time));
            }
        }
    }
    let stale = if newest.is_some_and(|n| n > built) {
        "; files under src/ changed after it was built"
    } else {
        ""
    };
    format!("{} (built {minutes} min ago{stale})", regel.display())
}

fn cores() -> usize {
    std::thread::available_parallelism().map_or(0, |n| n.get())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".to_string())
}

/// The commit, and whether the working tree (which the regel binary may
/// have been built from) has changes on top of it.
fn git_commit(root: &Path) -> String {
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_string())
    };
    let Some(commit) = git(&["rev-parse", "--short", "HEAD"]) else {
        return "unknown (not a git checkout?)".to_string();
    };
    match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => {
            format!("{commit} (the working tree has uncommitted changes)")
        }
        _ => commit,
    }
}
