//! Drift of served inputs against the training data, as `custseg monitor drift`, `/metrics`
//! and the dashboard all compute it (one implementation, the same reference from the model
//! file).
//!
//! For one window of logged predictions, each feature gets
//! - an effect size that a few huge customers cannot dominate: the 1-Wasserstein distance on
//!   the feature's scale (the signed `ln(1 + |x|)` for heavy-tailed features, where it reads as a typical
//!   relative change; the feature's own units otherwise), with a sampling-error band from
//!   resampling the reference at the window's size;
//! - a test whose p-value holds at every size ([`significance`]);
//! - PSI over the reference's deciles, for the record.
//!
//! The multivariate check (PCA reconstruction error) and the segment shares of the model's own
//! predictions are tested beside the features. A test drifts when Holm's adjusted p-value is
//! at most α (false alarms controlled across all of them) and its effect reaches the
//! threshold; the window drifts when any test does.

pub mod scenario;
pub mod significance;
pub mod statistics;

mod analysis;
mod prepared;
mod report;
mod window;

use serde::{Deserialize, Serialize};

pub use analysis::{FeatureDrift, SegmentDrift, WindowDrift, analyse};
pub use prepared::PreparedReference;
pub use report::{DriftReport, columns_of, report, report_with_cache};
pub use statistics::*;
pub use window::{WindowSpec, split_windows};

use custseg_model::drift_reference::Scale;

/// Resamples of the reference behind each sampling-error band.
pub const BAND_RESAMPLES: usize = 40;

/// Rows a band's resamples are drawn at most; beyond, the band is scaled by √(cap / n), the
/// rate at which the distance between a sample and its source shrinks.
pub const BAND_CAP: usize = 5000;

/// Thresholds of the verdict.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Chance of any false alarm among one window's tests (Holm). Default 0.05.
    pub alpha: f64,
    /// Typical relative change from which a feature on the log scale has drifted. Default
    /// 0.10 (values about 10 % higher or lower).
    pub min_change: f64,
    /// Shift, in the reference's interquartile ranges, from which a feature on its own scale
    /// has drifted. Default 0.1.
    pub min_shift: f64,
    /// Share of predictions that would have to change segment, from which the segment mix
    /// has drifted. Default 0.05.
    pub min_segment_change: f64,
    /// Windows with fewer rows are not decided. Default 100.
    pub min_rows: usize,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            alpha: 0.05,
            min_change: 0.10,
            min_shift: 0.1,
            min_segment_change: 0.05,
            min_rows: 100,
        }
    }
}

impl Thresholds {
    /// Checks every threshold is in its range, naming the first that is not.
    pub fn check(&self) -> Result<(), String> {
        let ranges = [
            ("alpha", self.alpha, 0.0, 1.0),
            ("min_change", self.min_change, 0.0, f64::INFINITY),
            ("min_shift", self.min_shift, 0.0, f64::INFINITY),
            ("min_segment_change", self.min_segment_change, 0.0, 1.0),
        ];
        for (name, value, low, high) in ranges {
            if !(value > low && value < high) {
                return Err(format!(
                    "`{name}` is {value}; it must lie strictly between {low} and {high}"
                ));
            }
        }
        if self.min_rows < 2 {
            return Err(format!(
                "`min_rows` is {}; a window needs at least 2 rows",
                self.min_rows
            ));
        }
        Ok(())
    }

    /// The effect threshold of a feature on `scale` with `spread`, on that scale.
    fn effect_threshold(&self, scale: Scale, spread: f64) -> f64 {
        match scale {
            Scale::Log1p | Scale::Log => self.min_change.ln_1p(),
            Scale::Linear => self.min_shift * spread,
        }
    }
}

/// What became of one test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Statistically clear and at least the threshold.
    Drift,
    /// Statistically clear but smaller than the threshold: detectable, not worth acting on.
    Small,
    /// Not statistically clear.
    Stable,
}
