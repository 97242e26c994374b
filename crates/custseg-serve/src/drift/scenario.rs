//! Drawn windows for the drift benchmark (`custseg bench drift`) and its seeded checks in CI:
//! samples of the reference itself (false alarms) and samples with a known change (power).

use custseg_model::ModelFile;
use ndarray::Array2;
use rand::Rng;
use rand::rngs::SmallRng;
use rand::seq::SliceRandom;

use super::{PreparedReference, Thresholds, WindowDrift, analyse};

/// A change applied to rows drawn from the reference.
#[derive(Debug, Clone, PartialEq)]
pub enum Scenario {
    /// None: the rows are the reference's own.
    Null,
    /// Feature `feature` multiplied by `factor` for a random `share` of the rows.
    Rise {
        /// Feature index.
        feature: usize,
        /// Multiplier.
        factor: f64,
        /// Share of rows changed.
        share: f64,
    },
    /// Rows drawn so that segment `segment`'s share doubles (the others shrink in proportion).
    SegmentDoubled {
        /// Segment position in the model.
        segment: usize,
    },
    /// Feature `feature`'s values shuffled across the drawn rows: its distribution and every
    /// other feature's stay the same, its relation to the others is gone.
    CorrelationBroken {
        /// Feature index.
        feature: usize,
    },
}

/// The reference rows with the segment the model gives each, drawn from repeatedly.
pub struct ScenarioSource<'a> {
    prepared: &'a PreparedReference,
    model: &'a ModelFile,
    clusters: Vec<usize>,
    positions: Vec<usize>,
}

impl<'a> ScenarioSource<'a> {
    /// Scores the reference rows once.
    pub fn new(
        prepared: &'a PreparedReference,
        model: &'a ModelFile,
    ) -> custseg_model::Result<Self> {
        let columns = &prepared.reference.columns;
        let rows = prepared.reference.rows();
        let x = Array2::from_shape_fn((rows, columns.len()), |(i, j)| columns[j][i]);
        let predictions = model.predict_matrix(x.view())?;
        Ok(Self {
            prepared,
            model,
            clusters: predictions.iter().map(|p| p.cluster).collect(),
            positions: predictions.iter().map(|p| p.index).collect(),
        })
    }

    /// Share of the reference rows in segment position `segment`.
    pub fn segment_share(&self, segment: usize) -> f64 {
        self.positions.iter().filter(|p| **p == segment).count() as f64
            / self.positions.len().max(1) as f64
    }

    /// `n` rows under `scenario`: their columns and the segments the model gives them.
    pub fn draw(
        &self,
        scenario: &Scenario,
        n: usize,
        rng: &mut SmallRng,
    ) -> custseg_model::Result<(Vec<Vec<f64>>, Vec<usize>)> {
        let columns = &self.prepared.reference.columns;
        let rows = self.positions.len();
        let picks: Vec<usize> = match scenario {
            Scenario::SegmentDoubled { segment } => {
                // Weight w on the segment's rows turns share p into 2p: w = 2(1 - p) / (1 - 2p).
                let p = self.segment_share(*segment).min(0.45);
                let w = 2.0 * (1.0 - p) / (1.0 - 2.0 * p);
                let inside: Vec<usize> = (0..rows)
                    .filter(|i| self.positions[*i] == *segment)
                    .collect();
                let outside: Vec<usize> = (0..rows)
                    .filter(|i| self.positions[*i] != *segment)
                    .collect();
                let chance_inside = w * p / (w * p + 1.0 - p);
                (0..n)
                    .map(|_| {
                        let pool = if rng.random::<f64>() < chance_inside && !inside.is_empty() {
                            &inside
                        } else {
                            &outside
                        };
                        pool[rng.random_range(0..pool.len())]
                    })
                    .collect()
            }
            _ => (0..n).map(|_| rng.random_range(0..rows)).collect(),
        };
        let mut drawn: Vec<Vec<f64>> = columns
            .iter()
            .map(|c| picks.iter().map(|&i| c[i]).collect())
            .collect();
        match scenario {
            Scenario::Null | Scenario::SegmentDoubled { .. } => {
                let clusters = picks.iter().map(|&i| self.clusters[i]).collect();
                return Ok((drawn, clusters));
            }
            Scenario::Rise {
                feature,
                factor,
                share,
            } => {
                for value in &mut drawn[*feature] {
                    if rng.random::<f64>() < *share {
                        *value *= factor;
                    }
                }
            }
            Scenario::CorrelationBroken { feature } => drawn[*feature].shuffle(rng),
        }
        let x = Array2::from_shape_fn((n, drawn.len()), |(i, j)| drawn[j][i]);
        let clusters = self
            .model
            .predict_matrix(x.view())?
            .iter()
            .map(|p| p.cluster)
            .collect();
        Ok((drawn, clusters))
    }

    /// One trial: a drawn window analysed against the reference.
    pub fn trial(
        &self,
        scenario: &Scenario,
        n: usize,
        thresholds: &Thresholds,
        rng: &mut SmallRng,
    ) -> custseg_model::Result<WindowDrift> {
        let (columns, clusters) = self.draw(scenario, n, rng)?;
        Ok(analyse(
            self.prepared,
            "trial",
            &columns,
            &clusters,
            thresholds,
        ))
    }
}
