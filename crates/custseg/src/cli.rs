//! The command line, as clap derive types only. Values are resolved against
//! `custseg.toml` in `settings.rs`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// Customer analytics and segmentation: from a transaction log to customer features
/// and segments, in one binary.
#[derive(Debug, Parser)]
#[command(name = "custseg", version, about, propagate_version = true)]
pub struct Cli {
    /// Settings file (default: `custseg.toml` in the current directory, if present).
    #[arg(long, global = true, env = "CUSTSEG_CONFIG")]
    pub config: Option<PathBuf>,
    /// More log output on stderr (-v: info, -vv: debug, -vvv: trace; by default warnings and
    /// errors only, and info for `serve`, `schedule` and `cluster`). `RUST_LOG` overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Only errors on stderr, and no progress bars. Stdout, the command's result, is kept.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// How stdout speaks: `human` lines, or `json` lines for scripts (one object per event:
    /// `run`'s stages as `{"event": "stage", ...}` and its end as `{"event": "finished", ...}`,
    /// any other summary line as `{"event": "line", "text": ...}`, a failure as
    /// `{"event": "error", "message": ...}`).
    #[arg(long, global = true, value_enum, default_value_t = MessageFormat::Human)]
    pub message_format: MessageFormat,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Write a seeded synthetic transaction log in the UCI Online Retail schema.
    DemoData(DemoDataArgs),
    /// Ingest, clean and build one row of features per customer.
    Features(Box<FeaturesArgs>),
    /// Train the segmentation model on a customer feature table.
    Train(Box<TrainArgs>),
    /// The whole pipeline as cached stages: ingest, clean, features, lifetime value, train,
    /// evaluate, register, report. Re-runs only what changed (see `custseg.lock`).
    Run(Box<RunArgs>),
    /// Print the pipeline's stages and what connects them (text, `--dot` or `--json`).
    Dag(Box<DagArgs>),
    /// Run the pipeline on a cron schedule in the foreground, retraining when drift says so.
    Schedule(Box<ScheduleArgs>),
    /// A Ballista cluster: its scheduler and executors, started from this binary.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Tracked runs: list, show, compare.
    #[command(subcommand)]
    Runs(RunsCommand),
    /// The model registry: versions, aliases, promotion through the gate, rollback.
    #[command(subcommand)]
    Models(ModelsCommand),
    /// Score customers with a trained model.
    Predict(PredictArgs),
    /// Customer lifetime value: BG/NBD purchases, Gamma-Gamma spend, P(alive), discounted CLV.
    Clv(Box<ClvArgs>),
    /// The report: one self-contained HTML page of charts from a run's outputs.
    Report(ReportArgs),
    /// The prediction API over HTTP (Vertex AI request shape), with lifetime value.
    Serve(ServeArgs),
    /// Monitoring of a served model.
    #[command(subcommand)]
    Monitor(MonitorCommand),
    /// Show the effective settings.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Time custseg's algorithms on their own (used by `bench/*.py`).
    #[command(subcommand)]
    Bench(custseg_bench::BenchCommand),
}

/// `--message-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MessageFormat {
    /// Lines for people.
    Human,
    /// JSON lines for scripts.
    Json,
}

impl Command {
    /// Whether the command runs until it is stopped (a server, a scheduler, a cluster node),
    /// so that its log is what an operator reads.
    pub fn runs_until_stopped(&self) -> bool {
        matches!(
            self,
            Command::Serve(_) | Command::Schedule(_) | Command::Cluster(_)
        )
    }
}

/// `custseg demo-data`.
#[derive(Debug, Args)]
pub struct DemoDataArgs {
    /// Rows to write.
    #[arg(long)]
    pub rows: Option<u64>,
    /// Customers (default: about one per 120 rows).
    #[arg(long)]
    pub customers: Option<u64>,
    /// Random seed: the same seed writes the same file.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Output file: `.parquet`, `.csv` or `.csv.gz`; with `--partitions`, a directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Write a directory of this many files (`part-00000.parquet`, ...) instead of one file;
    /// read in name order they hold the rows of the single file.
    #[arg(long)]
    pub partitions: Option<u64>,
    /// Format of the files of `--partitions`: `parquet`, `csv` or `csv.gz`.
    #[arg(long, default_value = "parquet", requires = "partitions")]
    pub format: String,
}

/// The query engine's options, shared by every command that runs the data stages.
#[derive(Debug, Clone, Default, Args)]
pub struct EngineArgs {
    /// Memory the query engine may use before spilling, e.g. `4GiB` or `512MB`.
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// Where spilling operators write temporary files. Default: `.custseg-spill/` under `--out`.
    #[arg(long)]
    pub spill_dir: Option<PathBuf>,
    /// Run the data stages' plans on a Ballista cluster: `df://host:port` of its scheduler
    /// (also `[engine] cluster`). Default: in this process.
    #[arg(long, value_name = "df://HOST:PORT")]
    pub engine: Option<String>,
    /// Write every plan the data stages run, with the engine's metrics of each operator (what
    /// `EXPLAIN ANALYZE` shows: rows, time, spills), to a file in this directory, and one line
    /// per plan (label, seconds, rows) to its `plans.tsv` (also `[engine] explain_analyze`).
    #[arg(long, value_name = "DIR")]
    pub explain_analyze: Option<PathBuf>,
}

/// `custseg features`.
#[derive(Debug, Args)]
pub struct FeaturesArgs {
    /// Transaction log: CSV, CSV.gz, xlsx, xls, ods, Parquet, a zip holding one, or an http(s) URL.
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub input: Option<String>,
    /// Use the built-in demo dataset (generated once, seeded; no network).
    #[arg(long)]
    pub demo: bool,
    /// Output directory.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// The date recency is measured to (YYYY-MM-DD). Default: the last date in the cleaned data.
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Input-reading options.
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Query engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `custseg train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Customer feature table (Parquet, CSV or JSON), e.g. `out/features/customer_features.parquet`.
    #[arg(long)]
    pub features: PathBuf,
    /// Output directory (writes `model/` and `segments/`).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// A previous model file: matching segments keep its ids and names, and
    /// `segments/transitions.csv` counts who moved where.
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Model settings.
    #[command(flatten)]
    pub model: ModelArgs,
}

/// `custseg dag`.
#[derive(Debug, Args)]
pub struct DagArgs {
    /// Graphviz DOT instead of text.
    #[arg(long, conflicts_with = "json")]
    pub dot: bool,
    /// JSON (stages with their upstream stages, inputs and outputs).
    #[arg(long)]
    pub json: bool,
    /// The pipeline the DAG is of: the same arguments as `custseg run`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `custseg schedule`.
#[derive(Debug, Args)]
pub struct ScheduleArgs {
    /// When to run, as a five-field cron expression in UTC (`0 3 * * *`: 03:00 every day).
    #[arg(long)]
    pub cron: String,
    /// A drift report of `custseg monitor drift`. With it, a scheduled run refreshes the data
    /// stages every time and retrains only when the report says the data drifted (or the
    /// model's stages are out of date); without it, every scheduled run is a full run.
    #[arg(long)]
    pub drift_report: Option<PathBuf>,
    /// Run once now, then exit (for a test or a one-off).
    #[arg(long)]
    pub once: bool,
    /// Stop after this many scheduled runs. Default: run until stopped.
    #[arg(long)]
    pub max_runs: Option<u64>,
    /// The pipeline: the same arguments as `custseg run`.
    #[command(flatten)]
    pub run: RunArgs,
}

/// `custseg cluster`.
#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Ballista's scheduler (cluster state in memory), until stopped.
    Scheduler(SchedulerArgs),
    /// A Ballista executor joining a scheduler, until stopped.
    Executor(ExecutorArgs),
}

/// `custseg cluster scheduler`.
#[derive(Debug, Args)]
pub struct SchedulerArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub bind: std::net::SocketAddr,
    /// An executor silent for this many seconds is dead; its tasks are run again elsewhere.
    #[arg(long, default_value_t = 180)]
    pub executor_timeout: u64,
    /// How often, in seconds, to look for dead executors.
    #[arg(long, default_value_t = 15)]
    pub expire_check: u64,
}

/// `custseg cluster executor`.
#[derive(Debug, Args)]
pub struct ExecutorArgs {
    /// The scheduler, `host:port`.
    #[arg(long, default_value = "127.0.0.1:50050")]
    pub scheduler: String,
    /// Address of the executor's data (Flight) service.
    #[arg(long, default_value = "127.0.0.1:50051")]
    pub bind: std::net::SocketAddr,
    /// Port of the executor's gRPC service. Default: the data port + 1.
    #[arg(long)]
    pub grpc_port: Option<u16>,
    /// Tasks run at once.
    #[arg(long, default_value_t = 1)]
    pub concurrency: usize,
    /// Where shuffle files go. Default: a temporary directory.
    #[arg(long)]
    pub work_dir: Option<String>,
    /// Seconds to keep trying to reach the scheduler.
    #[arg(long, default_value_t = 30)]
    pub connect_timeout: u16,
    /// Seconds between heartbeats to the scheduler (keep it well under the scheduler's
    /// `--executor-timeout`).
    #[arg(long, default_value_t = 60)]
    pub heartbeat: u64,
    /// Memory this executor's tasks may use together before spilling, e.g. `2GiB` (shared
    /// evenly by its `--concurrency` task slots). Default: Ballista's, a share of the
    /// machine's memory.
    #[arg(long)]
    pub memory_limit: Option<String>,
    /// Port on the `--bind` address that answers Kubernetes probes: `/healthz` (alive) and
    /// `/readyz` (the last heartbeat reached the scheduler). Default: none.
    #[arg(long)]
    pub health_port: Option<u16>,
}

/// `custseg runs`.
#[derive(Debug, Subcommand)]
pub enum RunsCommand {
    /// The runs of an experiment, newest first.
    List(RunsListArgs),
    /// One run: parameters, metrics, tags, artifacts, status.
    Show(RunsShowArgs),
    /// Runs side by side: parameters and metrics that differ are marked.
    Compare(RunsCompareArgs),
}

/// `custseg runs list`.
#[derive(Debug, Args)]
pub struct RunsListArgs {
    /// The experiment. Default: `[tracking] experiment`.
    #[arg(long)]
    pub experiment: Option<String>,
    /// At most this many runs.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
}

/// `custseg runs show`.
#[derive(Debug, Args)]
pub struct RunsShowArgs {
    /// The run id.
    pub run: String,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `custseg runs compare`.
#[derive(Debug, Args)]
pub struct RunsCompareArgs {
    /// Two or more run ids.
    #[arg(num_args = 2.., required = true)]
    pub runs: Vec<String>,
    /// Only the rows that differ.
    #[arg(long)]
    pub only_different: bool,
}

/// `custseg models`.
#[derive(Debug, Subcommand)]
pub enum ModelsCommand {
    /// Register the model of a tracked run as a new version.
    Register(ModelsRegisterArgs),
    /// The registered models, with their latest version and aliases.
    List,
    /// One model's versions, aliases and alias history; `--at` tells which version an alias
    /// pointed to at a time.
    Show(ModelsShowArgs),
    /// Point an alias at a version (or remove it), recorded in the alias history.
    Alias(ModelsAliasArgs),
    /// Move an alias to a version through the champion/challenger gate.
    Promote(ModelsPromoteArgs),
    /// Move an alias back to the version it pointed to before its last change.
    Rollback(ModelsRollbackArgs),
}

/// `custseg models register`.
#[derive(Debug, Args)]
pub struct ModelsRegisterArgs {
    /// The model's name.
    pub name: String,
    /// The tracked run whose `model/model.json` artifact is registered.
    #[arg(long)]
    pub run: String,
}

/// `custseg models show`.
#[derive(Debug, Args)]
pub struct ModelsShowArgs {
    /// The model's name.
    pub name: String,
    /// A time (RFC 3339, or a date meaning its midnight UTC): which version each alias
    /// pointed to then.
    #[arg(long)]
    pub at: Option<String>,
}

/// `custseg models alias`.
#[derive(Debug, Args)]
pub struct ModelsAliasArgs {
    /// The model's name.
    pub name: String,
    /// The alias.
    pub alias: String,
    /// The version it points to.
    #[arg(
        id = "model_version",
        value_name = "VERSION",
        required_unless_present = "delete"
    )]
    pub version: Option<u32>,
    /// Remove the alias instead.
    #[arg(long, conflicts_with = "model_version")]
    pub delete: bool,
    /// Why, for the alias history.
    #[arg(long, default_value = "set by hand")]
    pub reason: String,
}

/// `custseg models promote`.
#[derive(Debug, Args)]
pub struct ModelsPromoteArgs {
    /// The model's name.
    pub name: String,
    /// The candidate version.
    #[arg(id = "model_version", value_name = "VERSION")]
    pub version: u32,
    /// The alias to move.
    #[arg(long, default_value = "production")]
    pub alias: String,
    /// Promote even when a score is worse than the current holder's.
    #[arg(long)]
    pub force: bool,
    /// Why, for the alias history.
    #[arg(long, default_value = "promoted by hand")]
    pub reason: String,
}

/// `custseg models rollback`.
#[derive(Debug, Args)]
pub struct ModelsRollbackArgs {
    /// The model's name.
    pub name: String,
    /// The alias to move back.
    #[arg(long, default_value = "production")]
    pub alias: String,
    /// Why, for the alias history.
    #[arg(long, default_value = "rolled back by hand")]
    pub reason: String,
}

/// `custseg run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Transaction log: CSV, CSV.gz, xlsx, xls, ods, Parquet, a zip holding one, or an http(s) URL.
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub input: Option<String>,
    /// Use the built-in demo dataset (generated once, seeded; no network).
    #[arg(long)]
    pub demo: bool,
    /// Output directory.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// The date recency is measured to (YYYY-MM-DD). Default: the last date in the cleaned data.
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Input-reading options.
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Query engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
    /// A previous model file (see `custseg train --previous`).
    #[arg(long)]
    pub previous: Option<PathBuf>,
    /// Model settings.
    #[command(flatten)]
    pub model: ModelArgs,
    /// Also write each chart of the report as PNG (`report/<chart>.png`).
    #[arg(long = "format", value_name = "FORMAT", default_value = "html")]
    pub report_format: ReportFormat,
    /// Leave out the lifetime-value stage (also `[clv] in_run = false`).
    #[arg(long)]
    pub skip_clv: bool,
    /// Leave out the report stage.
    #[arg(long, conflicts_with = "report_format")]
    pub skip_report: bool,
    /// Re-run this stage even if nothing it depends on changed (repeatable).
    #[arg(long, value_name = "STAGE")]
    pub force: Vec<String>,
    /// Run only this stage; the stages before it must be up to date (for Airflow tasks).
    #[arg(long, value_name = "STAGE", conflicts_with = "until")]
    pub only: Option<String>,
    /// Run this stage and the stages it reads from, nothing after it.
    #[arg(long, value_name = "STAGE")]
    pub until: Option<String>,
    /// Move this alias (`production`) to the new model when it passes the gate
    /// (also `[registry] promote_to`).
    #[arg(long, value_name = "ALIAS")]
    pub promote_to: Option<String>,
}

/// What `custseg report` writes besides `report/index.html`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// The HTML page only.
    Html,
    /// The HTML page and each chart as `report/<chart>.png`.
    Png,
}

/// `custseg monitor`.
#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Compare the logged inputs with the training reference in the model file, overall and
    /// window by window: per feature an effect size with its noise band and a calibrated test,
    /// the multivariate check, the segment mix, and a verdict (JSON for a retraining policy).
    Drift(DriftArgs),
}

/// `custseg monitor drift`.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// The model file being served (it holds the training reference drift is measured against).
    #[arg(long)]
    pub model: PathBuf,
    /// The prediction log directory of `custseg serve`.
    #[arg(long, default_value = "monitoring")]
    pub log_dir: PathBuf,
    /// Only predictions answered at or after this time (RFC 3339, e.g. 2026-12-01T00:00:00Z, or
    /// a date, meaning its midnight UTC).
    #[arg(long)]
    pub since: Option<String>,
    /// How the predictions are cut into windows over time: `day`, `hour` or `rows:N`.
    #[arg(long, default_value = "day")]
    pub window: String,
    /// Chance of any false alarm among one window's tests (Holm's adjustment over the features,
    /// the multivariate check and the segment mix).
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Typical relative change from which a heavy-tailed feature (compared on the log scale,
    /// such as spend) has drifted: 0.1 means values about 10 % higher or lower.
    #[arg(long, default_value_t = 0.10)]
    pub min_change: f64,
    /// Shift, in the training interquartile range, from which any other feature has drifted.
    #[arg(long, default_value_t = 0.1)]
    pub min_shift: f64,
    /// Share of predictions that changed segment from which the segment mix has drifted.
    #[arg(long, default_value_t = 0.05)]
    pub min_segment_change: f64,
    /// Windows with fewer predictions are reported as too small to decide.
    #[arg(long, default_value_t = 100)]
    pub min_rows: usize,
    /// Where the verdict is written. Default: `drift.json` in the log directory.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `custseg serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// The model file (`out/model/model.json`), or a registered model `NAME@ALIAS` /
    /// `NAME@VERSION` (`customer-segments@production`), fetched from its run's artifacts. A
    /// changed file, or an alias moved to another version, is picked up without a restart.
    #[arg(long)]
    pub model: PathBuf,
    /// Address to listen on. `AIP_HTTP_PORT` (set by Vertex AI) overrides it with `0.0.0.0:PORT`.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
    /// Lifetime-value outputs to serve (`clv/model.json` and `clv/predictions.parquet` in this
    /// directory). Default: `clv/` beside the model's `model/` directory, when it exists.
    #[arg(long)]
    pub clv: Option<PathBuf>,
    /// The model's name in answers and on the dashboard. Default: the registered name in
    /// `registered.json` beside the model file, else `[registry] model` (`customer-segments`).
    #[arg(long)]
    pub name: Option<String>,
    /// File holding a bearer token required on prediction and admin routes.
    #[arg(long)]
    pub token_file: Option<PathBuf>,
    /// Largest request body in bytes (Vertex AI's limit is 1.5 MB).
    #[arg(long, default_value_t = 1_500_000)]
    pub max_body_bytes: usize,
    /// Most instances in one request.
    #[arg(long, default_value_t = 10_000)]
    pub max_instances: usize,
    /// How often the model file is checked for a change, in milliseconds (0: never).
    #[arg(long, default_value_t = 1000)]
    pub reload_interval_ms: u64,
    /// Where the prediction log goes (`predictions-YYYY-MM-DD.jsonl`).
    #[arg(long, default_value = "monitoring")]
    pub log_dir: PathBuf,
    /// How often the prediction log is written and synced, in milliseconds: what a crash can
    /// lose at most.
    #[arg(long, default_value_t = 1000)]
    pub log_flush_ms: u64,
    /// Do not log predictions (the dashboard and `/metrics` then show no drift).
    #[arg(long)]
    pub no_log: bool,
    /// Hours of the prediction log the dashboard's and `/metrics`' drift cover (hourly
    /// windows; the verdict over all of them).
    #[arg(long, default_value_t = 24)]
    pub drift_hours: u64,
    /// How often the live drift is recomputed at most, in milliseconds (only when the
    /// dashboard or `/metrics` asks).
    #[arg(long, default_value_t = 30_000)]
    pub drift_refresh_ms: u64,
}

/// `custseg report`.
#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The output directory of an earlier `custseg run` (or `features`, `train`, `clv`);
    /// the report is written to `report/index.html` inside it.
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// `png` also writes each chart as `report/<chart>.png`, for slides.
    #[arg(long, default_value = "html")]
    pub format: ReportFormat,
}

/// `custseg clv`.
#[derive(Debug, Args)]
pub struct ClvArgs {
    /// Transaction log: CSV, CSV.gz, xlsx, xls, ods, Parquet, a zip holding one, or an http(s) URL.
    #[arg(long, required_unless_present = "demo", conflicts_with = "demo")]
    pub input: Option<String>,
    /// Use the built-in demo dataset.
    #[arg(long)]
    pub demo: bool,
    /// Output directory (writes `clv/` beside the foundation's outputs).
    #[arg(long, default_value = "out")]
    pub out: PathBuf,
    /// Observation end (YYYY-MM-DD). Default: the last date in the cleaned data.
    #[arg(long)]
    pub as_of: Option<chrono::NaiveDate>,
    /// Fit on purchases up to and including this date; the rest is the holdout.
    #[arg(long)]
    pub calibration_end: Option<chrono::NaiveDate>,
    /// Time unit of recency and T: days or weeks. Default: `[clv] unit` (days).
    #[arg(long)]
    pub unit: Option<String>,
    /// Months (30-day steps) of the CLV horizon. Default: `[clv] horizon_months` (12).
    #[arg(long)]
    pub horizon_months: Option<u32>,
    /// Discount rate per month. Default: `[clv] discount_rate` (0.01).
    #[arg(long)]
    pub discount_rate: Option<f64>,
    /// Profit margin applied to spend, in (0, 1]. Default: `[clv] margin` (1.0).
    #[arg(long)]
    pub margin: Option<f64>,
    /// L2 penalty on the model parameters (as lifetimes' penalizer_coef). Default:
    /// `[clv] penalizer` (0).
    #[arg(long)]
    pub penalizer: Option<f64>,
    /// Purchase model for CLV: auto, bg_nbd, pareto_nbd or mbg_nbd. Default: `[clv] purchase_model`
    /// (auto: the smaller holdout error with `--calibration-end`, else the larger likelihood).
    #[arg(long)]
    pub purchase_model: Option<String>,
    /// Where every customer's intervals come from: parameters (draws from the fits' estimated
    /// distribution), bootstrap (refits on customers resampled with replacement; slower) or
    /// none. Default: `[clv] intervals` (parameters).
    #[arg(long)]
    pub intervals: Option<String>,
    /// Coverage of the intervals, in (0, 1). Default: `[clv] interval_level` (0.9).
    #[arg(long)]
    pub interval_level: Option<f64>,
    /// Parameter draws, or bootstrap resamples, behind the intervals. Default:
    /// `[clv] interval_draws` (200).
    #[arg(long)]
    pub interval_draws: Option<usize>,
    /// Spend gross (purchases only) or net of returns (cancelled lines; the rules are in
    /// docs/clv.md). Default: `[clv] spend` (gross).
    #[arg(long)]
    pub spend: Option<String>,
    /// Static covariates to fit BG/NBD and Gamma-Gamma with, beside the models without them
    /// (a likelihood-ratio test of each): `country` (1 outside the most common country),
    /// `cohort` (years from the first customer's first purchase). Default: `[clv] covariates`.
    #[arg(long, value_delimiter = ',')]
    pub covariates: Option<Vec<String>>,
    /// Input-reading options.
    #[command(flatten)]
    pub ingest: IngestArgs,
    /// Query engine options.
    #[command(flatten)]
    pub engine: EngineArgs,
}

/// `custseg predict`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Model file written by `train` or `run` (`out/model/model.json`).
    #[arg(long)]
    pub model: PathBuf,
    /// Customers to score: CSV, Parquet or JSON with `CustomerID` and the model's features.
    #[arg(long)]
    pub input: PathBuf,
    /// Output file (.csv, .parquet or .json); CSV on stdout when absent.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// Model settings on the command line; each overrides `[model]` in `custseg.toml`.
#[derive(Debug, Args, Default)]
pub struct ModelArgs {
    /// Smallest k of the search grid.
    #[arg(long)]
    pub k_min: Option<usize>,
    /// Largest k of the search grid.
    #[arg(long)]
    pub k_max: Option<usize>,
    /// Initialisations tried, comma-separated: `k-means++`, `random`.
    #[arg(long, value_delimiter = ',')]
    pub inits: Option<Vec<String>>,
    /// K-Means restarts per candidate.
    #[arg(long)]
    pub n_init: Option<usize>,
    /// K-Means iterations per restart at most.
    #[arg(long)]
    pub max_iter: Option<usize>,
    /// K-Means convergence tolerance (relative to the mean feature variance).
    #[arg(long)]
    pub tol: Option<f64>,
    /// Seed of the search.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Selection rule: composite (default), silhouette, davies_bouldin, calinski_harabasz.
    #[arg(long)]
    pub selection: Option<String>,
    /// Smallest k the selection may choose.
    #[arg(long)]
    pub select_k_min: Option<usize>,
    /// Largest k the selection may choose.
    #[arg(long)]
    pub select_k_max: Option<usize>,
    /// Bootstrap refits measuring the chosen model's stability (0 to skip).
    #[arg(long)]
    pub stability_bootstraps: Option<usize>,
    /// Rows up to which silhouette is exact (sampled beyond).
    #[arg(long)]
    pub silhouette_exact_max: Option<usize>,
    /// Expected share of outliers for Isolation Forest.
    #[arg(long)]
    pub contamination: Option<f64>,
    /// Isolation Forest trees.
    #[arg(long)]
    pub n_estimators: Option<usize>,
    /// Seed of Isolation Forest.
    #[arg(long)]
    pub outlier_seed: Option<u64>,
    /// Skip outlier detection.
    #[arg(long)]
    pub no_outliers: bool,
    /// Scaling: standard or robust.
    #[arg(long)]
    pub scaling: Option<String>,
    /// Keep exactly this many PCA components.
    #[arg(long, conflicts_with = "pca_variance")]
    pub pca_components: Option<usize>,
    /// Keep the fewest PCA components explaining this share of the variance.
    #[arg(long)]
    pub pca_variance: Option<f64>,
}

/// Options for reading an input.
#[derive(Debug, Args, Default)]
pub struct IngestArgs {
    /// Worksheet to read from a workbook (default: the first). Repeat it to read several
    /// sheets as one log, in the order given; `--sheet '*'` reads every sheet
    #[arg(long)]
    pub sheet: Vec<String>,
    /// File to read from a zip archive (default: its only CSV, xlsx, xls, ods or Parquet file).
    #[arg(long)]
    pub member: Option<String>,
    /// CSV text encoding: utf-8 (default), latin-1 or auto.
    #[arg(long)]
    pub encoding: Option<String>,
    /// Timestamp format: auto (default), iso, mdy, dmy, excel, or a chrono pattern.
    #[arg(long)]
    pub date_format: Option<String>,
    /// CSV delimiter (default: detected).
    #[arg(long)]
    pub delimiter: Option<char>,
    /// Decimal separator of numbers in text: point, comma (`2,55`, `1.234,50`) or auto
    /// (default: the file's first telling number; never the comma in a comma-delimited file).
    #[arg(long)]
    pub decimal: Option<String>,
    /// Map an input column to a canonical one: `--map "Order ID=InvoiceNo"`. Repeatable.
    #[arg(long = "map", value_name = "SOURCE=TARGET")]
    pub map: Vec<String>,
    /// Expected SHA-256 of the input; a mismatch is an error.
    #[arg(long)]
    pub sha256: Option<String>,
    /// Download a URL input again even if cached.
    #[arg(long)]
    pub refresh: bool,
    /// Do not read or write the parsed-input cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Where downloads (`raw/`) and parsed inputs (`parsed/`) are kept.
    #[arg(long, env = "CUSTSEG_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
}

/// `custseg config`.
#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective settings as TOML (defaults, then `custseg.toml`, then environment).
    Show,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn command_line_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
