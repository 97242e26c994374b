//! `segments/profiles.json`, typed once: the train stage writes it and the report stage reads
//! it back.

use std::path::Path;

use anyhow::{Context, Result};
use custseg_model::matching::Transitions;
use custseg_model::model_file::{ModelMetrics, SelectionInfo, TrainingInfo};
use custseg_model::profile::SegmentProfile;
use serde::{Deserialize, Serialize};

/// The segment profiles beside what training found. Fields in name order, as the file's keys
/// always were.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfilesFile {
    /// The chosen model's scores.
    pub metrics: ModelMetrics,
    /// The projection.
    pub pca: PcaSummary,
    /// The classic RFM segments, in the settings' order (absent in files of older releases).
    #[serde(default)]
    pub rfm_segments: Vec<RfmSegmentRecord>,
    /// One profile per segment.
    pub segments: Vec<SegmentProfile>,
    /// How the number of segments was chosen.
    pub selection: SelectionInfo,
    /// Wall time of each training step.
    pub timings: Vec<StepSeconds>,
    /// What the model was trained on.
    pub training: TrainingInfo,
    /// Who moved between segments since the previous model, when one was given.
    pub transitions: Option<Transitions>,
}

/// The principal components kept, and the variance each explains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PcaSummary {
    /// Share of variance of every component, kept or not.
    pub all_explained_variance_ratio: Vec<f64>,
    /// Share of variance of each kept component.
    pub explained_variance_ratio: Vec<f64>,
    /// Components kept.
    pub n_components: usize,
}

/// One classic RFM segment's size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RfmSegmentRecord {
    /// Customers in it.
    pub customers: usize,
    /// The rule, for people.
    pub description: String,
    /// Its name.
    pub name: String,
    /// Its share of total spend.
    pub share_of_revenue: f64,
}

/// Wall time of one training step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StepSeconds {
    /// Seconds.
    pub seconds: f64,
    /// The step.
    pub step: String,
}

impl ProfilesFile {
    /// The file's bytes: pretty JSON with every object's keys in name order.
    pub fn to_json_bytes(&self) -> serde_json::Result<Vec<u8>> {
        crate::tables::sorted_json_bytes(self)
    }

    /// Reads the file at `path`.
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = fs_err::read(path)?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not a segment profiles file", path.display()))
    }
}
