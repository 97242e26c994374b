//! Scoring customers with a model file.

use custseg_ml::kmeans::squared_distance;
use ndarray::ArrayView2;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model_file::ModelFile;
use crate::table::{CUSTOMER_ID, CustomerTable};

/// Columns of a customer feature table that are not model inputs and may be present.
pub const DESCRIPTIVE_COLUMNS: [&str; 5] = [
    CUSTOMER_ID,
    "Country",
    "First_Purchase_Date",
    "Last_Purchase_Date",
    "Tenure_Days",
];

/// The model's answer for one customer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Prediction {
    /// Segment position in the model (index into its centroids).
    pub index: usize,
    /// Stable segment id.
    pub cluster: usize,
    /// Segment name.
    pub segment: String,
    /// Euclidean distance to the segment's centroid in PCA space.
    pub distance: f64,
    /// Whether the outlier detector flags the customer.
    pub outlier: bool,
    /// Isolation Forest score (lower is more anomalous); absent without a detector.
    pub anomaly_score: Option<f64>,
}

impl ModelFile {
    /// Checks the columns of an input table: every model feature present, nothing unknown (a
    /// misspelt feature is an error, not silently ignored).
    pub fn check_columns(&self, columns: &[String]) -> Result<()> {
        let missing: Vec<&str> = self
            .features
            .iter()
            .filter(|f| !columns.contains(f))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(Error::Table(format!(
                "missing feature column{} {}; the model needs {}",
                if missing.len() > 1 { "s" } else { "" },
                quoted(&missing),
                quoted(&self.features.iter().map(String::as_str).collect::<Vec<_>>())
            )));
        }
        let unknown: Vec<&str> = columns
            .iter()
            .filter(|c| !self.features.contains(c) && !DESCRIPTIVE_COLUMNS.contains(&c.as_str()))
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            return Err(Error::Table(format!(
                "unknown column{} {}: not a feature of this model (features: {})",
                if unknown.len() > 1 { "s" } else { "" },
                quoted(&unknown),
                quoted(&self.features.iter().map(String::as_str).collect::<Vec<_>>())
            )));
        }
        Ok(())
    }

    /// Scores every customer of `table`.
    pub fn predict(&self, table: &CustomerTable) -> Result<Vec<Prediction>> {
        let x = table.matrix(&self.features)?;
        self.predict_matrix(x.view())
    }

    /// Scores the rows of a matrix whose columns are the model's features in order.
    pub fn predict_matrix(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Prediction>> {
        let scores = match &self.outliers {
            Some(forest) => Some(forest.score_samples(x)?),
            None => None,
        };
        let reduced = self.pca.transform(self.scaler.transform(x)?.view())?;
        Ok(reduced
            .outer_iter()
            .enumerate()
            .map(|(row, point)| {
                let point = point.to_vec();
                let (index, squared) = self
                    .centroids
                    .iter()
                    .map(|c| squared_distance(&point, c))
                    .enumerate()
                    .fold(
                        (0, f64::INFINITY),
                        |best, (i, d)| if d < best.1 { (i, d) } else { best },
                    );
                let score = scores.as_ref().map(|s| s[row]);
                Prediction {
                    index,
                    cluster: self.segments[index].id,
                    segment: self.segments[index].name.clone(),
                    distance: squared.sqrt(),
                    outlier: match (&self.outliers, score) {
                        (Some(forest), Some(score)) => score < forest.offset,
                        _ => false,
                    },
                    anomaly_score: score,
                }
            })
            .collect())
    }

    /// Distance from a point in feature units to every segment's centroid, in PCA space.
    pub fn distances(&self, x: ArrayView2<'_, f64>) -> Result<Vec<Vec<f64>>> {
        let reduced = self.pca.transform(self.scaler.transform(x)?.view())?;
        Ok(reduced
            .outer_iter()
            .map(|point| {
                let point = point.to_vec();
                self.centroids
                    .iter()
                    .map(|c| squared_distance(&point, c).sqrt())
                    .collect()
            })
            .collect())
    }
}

fn quoted(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
