//! What a report is drawn from: plain numbers gathered by the caller from a run's outputs.
//! Nothing here reads files or runs queries.

use custseg_clv::covariates::CovariateAnalysis;
use custseg_clv::model_file::{NewCustomer, ParameterEstimate};
use custseg_clv::purchase_model::PurchaseModel;
use custseg_clv::scorecard::Scorecard;
use custseg_clv::uncertainty::{ClvIntervals, TotalIntervals};
use custseg_model::ModelFile;
use custseg_model::profile::SegmentProfile;
use custseg_model::table::CustomerTable;

/// Everything a report shows.
#[derive(Debug, Clone)]
pub struct ReportInputs {
    /// The input the run read, as named.
    pub source: String,
    /// The cleaning funnel.
    pub quality: Quality,
    /// Net revenue and activity per calendar month, in date order.
    pub months: Vec<MonthActivity>,
    /// Net revenue per country.
    pub countries: Vec<CountryRevenue>,
    /// Monthly acquisition cohorts, in date order.
    pub cohorts: Vec<Cohort>,
    /// The customer feature table.
    pub customers: CustomerTable,
    /// The features to draw, in order (the model's features when there is a model).
    pub features: Vec<String>,
    /// The segmentation model's outputs, when the run trained one.
    pub model: Option<ModelInputs>,
    /// The lifetime-value outputs, when the run computed them.
    pub clv: Option<ClvInputs>,
}

/// The cleaning funnel and what it dropped.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Quality {
    /// Rows read.
    pub raw_rows: u64,
    /// Rows kept.
    pub clean_rows: u64,
    /// Rows quarantined.
    pub quarantined_rows: u64,
    /// The steps, in order.
    pub steps: Vec<FunnelStep>,
    /// Per rule, its most frequent dropped values and their row counts.
    pub top_quarantined: Vec<(String, Vec<(String, u64)>)>,
    /// The first and last InvoiceDate of the cleaned lines (ISO), if any.
    pub date_range: Option<(String, String)>,
}

/// One cleaning step.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelStep {
    /// Rule name.
    pub rule: String,
    /// What it does.
    pub description: String,
    /// Rows reaching it.
    pub rows_in: u64,
    /// Rows leaving it.
    pub rows_out: u64,
    /// Rows flagged but kept (cancellations).
    pub flagged: Option<u64>,
}

/// One calendar month of the cleaned log.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthActivity {
    /// `YYYY-MM`.
    pub month: String,
    /// Net revenue (cancellations subtract).
    pub revenue: f64,
    /// Customers with a completed line.
    pub customers: u64,
    /// Distinct completed invoices.
    pub invoices: u64,
}

/// One country's net revenue.
#[derive(Debug, Clone, PartialEq)]
pub struct CountryRevenue {
    /// Country.
    pub country: String,
    /// Net revenue.
    pub revenue: f64,
    /// Customers with a line there.
    pub customers: u64,
}

/// Customers acquired in one month and how many of them bought in each later month.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    /// `YYYY-MM` of the first completed purchase.
    pub month: String,
    /// `active[m]`: cohort customers with a completed purchase `m` months after the first
    /// month (`active[0]` is the cohort's size), up to the log's last month.
    pub active: Vec<u64>,
}

/// One candidate of the K-Means search.
#[derive(Debug, Clone, PartialEq)]
pub struct KCandidate {
    /// Clusters.
    pub k: usize,
    /// Initialisation (`k-means++` or `random`).
    pub init: String,
    /// Within-cluster sum of squares.
    pub inertia: f64,
    /// Silhouette.
    pub silhouette: f64,
    /// Davies-Bouldin.
    pub davies_bouldin: f64,
    /// Calinski-Harabasz.
    pub calinski_harabasz: f64,
    /// Composite score (eligible candidates only).
    pub composite: Option<f64>,
    /// The chosen candidate.
    pub chosen: bool,
}

/// One customer's segment and RFM cell.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignment {
    /// Customer key.
    pub customer_id: i64,
    /// Segment id.
    pub cluster: usize,
    /// Segment name.
    pub segment: String,
    /// Flagged as an outlier.
    pub outlier: bool,
    /// Recency score 1-5.
    pub r: u8,
    /// Frequency score 1-5.
    pub f: u8,
    /// Monetary score 1-5.
    pub m: u8,
    /// RFM segment name.
    pub rfm_segment: String,
}

/// The segmentation model's outputs.
#[derive(Debug, Clone)]
pub struct ModelInputs {
    /// The model file.
    pub model: ModelFile,
    /// The search table.
    pub candidates: Vec<KCandidate>,
    /// One per customer.
    pub assignments: Vec<Assignment>,
    /// One per segment, in model order.
    pub profiles: Vec<SegmentProfile>,
    /// RFM segment names in their table order.
    pub rfm_segments: Vec<String>,
}

/// One customer's lifetime-value prediction.
#[derive(Debug, Clone, PartialEq)]
pub struct ClvCustomer {
    /// Customer key.
    pub customer_id: i64,
    /// Repeat purchases (x).
    pub frequency: f64,
    /// t_x.
    pub recency: f64,
    /// T.
    pub t: f64,
    /// P(alive).
    pub p_alive: f64,
    /// Expected purchases over the horizon.
    pub expected_purchases: f64,
    /// Discounted CLV over the horizon.
    pub clv: f64,
    /// Purchases in the holdout period, with a calibration end.
    pub holdout_purchases: Option<f64>,
    /// The intervals of the predictions, when the stage made them.
    pub intervals: Option<ClvIntervals>,
}

/// How sure the lifetime-value numbers are.
#[derive(Debug, Clone)]
pub struct ClvUncertainty {
    /// Coverage of the intervals.
    pub level: f64,
    /// Where the draws came from, in words (`200 parameter draws`, `100 bootstrap resamples`).
    pub source: String,
    /// The intervals of the totals over every customer.
    pub totals: TotalIntervals,
}

/// The lifetime-value outputs.
#[derive(Debug, Clone)]
pub struct ClvInputs {
    /// The purchase model CLV used.
    pub model: PurchaseModel,
    /// Every purchase model fitted (the holdout chart compares them).
    pub fitted: Vec<PurchaseModel>,
    /// Why `model` was chosen.
    pub choice: String,
    /// Days per time unit (1 or 7).
    pub unit_days: f64,
    /// CLV horizon in months.
    pub horizon_months: u32,
    /// Length of the holdout period in the time unit, with a calibration end.
    pub holdout_length: Option<f64>,
    /// One per customer.
    pub customers: Vec<ClvCustomer>,
    /// The fits' warnings.
    pub warnings: Vec<String>,
    /// Every parameter of the chosen purchase model and the spend model, with standard errors
    /// and intervals where the fits gave them.
    pub parameters: Vec<ParameterEstimate>,
    /// The intervals' level, source and totals, when the stage made intervals.
    pub uncertainty: Option<ClvUncertainty>,
    /// What a customer with no history yet is expected to bring, when the stage gave it.
    pub new_customer: Option<NewCustomer>,
    /// Every purchase model and the naive baseline on the holdout, with a calibration end.
    pub scorecard: Option<Scorecard>,
    /// The models with covariates, when asked for.
    pub covariates: Option<CovariateAnalysis>,
}
