//! Data generator and benchmark for batch evaluation (issue "[5] Batch
//! evaluation at scale"). Not part of `cargo test`: this crate has its own
//! workspace. See docs/performance.md for how to run it and what it found.
//!
//! ```text
//! regel-bench generate OUT.csv [ROWS]          synthetic providers (default 1,000,000 rows)
//! regel-bench bench --data FILE.csv [options]  per-record and end-to-end measurements
//! regel-bench handwritten IN.csv OUT.csv       the hand-written CSV -> CSV program (used by bench)
//! ```
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
    Columns, decide, facts_of, field, generate, handwritten, load_policy, provider,
    screening_decision,
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
        Some("jsonl") => jsonl_cmd(&args[1..]),
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
  regel-bench jsonl OUT.jsonl ROWS FACTS.json...";

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
/// over and over, each row with its own `id`, `P000000` on.
fn jsonl_cmd(args: &[String]) -> Result<(), String> {
    use std::io::Write;
    let (Some(out), Some(rows), facts) = (args.first(), args.get(1), args.get(2..)) else {
        return Err(USAGE.to_string());
    };
    let rows: usize = rows
        .replace('_', "")
        .parse()
        .map_err(|_| format!("`{rows}` is not a row count"))?;
    let mut objects = Vec::new();
    for path in facts.unwrap_or(&[]) {
        let text =
            std::fs::read_to_string(path).map_err(|e| format!("cannot read `{path}`: {e}"))?;
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(object)) => objects.push(object),
            _ => return Err(format!("`{path}` is not a JSON object of facts")),
        }
    }
    if objects.is_empty() {
        return Err(USAGE.to_string());
    }
    let io = |e: std::io::Error| format!("cannot write `{out}`: {e}");
    let mut w = std::io::BufWriter::new(std::fs::File::create(out).map_err(io)?);
    for (i, object) in objects.iter().cycle().take(rows).enumerate() {
        let mut row = object.clone();
        row.insert("id".into(), format!("P{i:06}").into());
        serde_json::to_writer(&mut w, &row).map_err(|e| format!("cannot write `{out}`: {e}"))?;
        writeln!(w).map_err(io)?;
    }
    w.flush().map_err(io)?;
    eprintln!("wrote {rows} rows to {out}");
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
    Ok(Run { wall, peak_kib })
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
