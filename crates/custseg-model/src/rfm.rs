//! RFM scoring: recency, frequency and monetary scores 1-5 by quintile, and named segments
//! from a complete table over the 125 (R, F, M) cells.
//!
//! The widely copied rule table (regular expressions over "RF" strings) overlaps and leaves
//! segments unreachable; ours lists cells explicitly and [`RfmTable::check`] refuses any table
//! in which a cell has no segment or two, or a segment has no cell.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The built-in table, as shipped in `rfm_segments.toml`.
pub const DEFAULT_TABLE: &str = include_str!("rfm_segments.toml");

/// An inclusive range of scores, written `"4-5"` or `"5"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ScoreRange {
    /// Lowest score included.
    pub low: u8,
    /// Highest score included.
    pub high: u8,
}

impl TryFrom<String> for ScoreRange {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        let parse = |s: &str| -> Result<u8, String> {
            match s.trim().parse::<u8>() {
                Ok(v @ 1..=5) => Ok(v),
                _ => Err(format!(
                    "`{text}` is not a score range like `4-5` (scores 1 to 5)"
                )),
            }
        };
        let (low, high) = match text.split_once('-') {
            Some((a, b)) => (parse(a)?, parse(b)?),
            None => (parse(&text)?, parse(&text)?),
        };
        if low > high {
            return Err(format!("score range `{text}` is empty"));
        }
        Ok(Self { low, high })
    }
}

impl From<ScoreRange> for String {
    fn from(range: ScoreRange) -> Self {
        if range.low == range.high {
            range.low.to_string()
        } else {
            format!("{}-{}", range.low, range.high)
        }
    }
}

impl ScoreRange {
    fn contains(self, score: u8) -> bool {
        (self.low..=self.high).contains(&score)
    }
}

/// A box of cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CellRange {
    /// Recency scores.
    pub r: ScoreRange,
    /// Frequency scores.
    pub f: ScoreRange,
    /// Monetary scores.
    pub m: ScoreRange,
}

/// One named segment and the cells it owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmSegmentRule {
    /// Segment name.
    pub name: String,
    /// What it means and what to do about it.
    #[serde(default)]
    pub description: String,
    /// Cells owned.
    pub cells: Vec<CellRange>,
}

/// A complete RFM segment table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RfmTable {
    /// Segments, in display order.
    pub segments: Vec<RfmSegmentRule>,
}

impl Default for RfmTable {
    fn default() -> Self {
        toml::from_str(DEFAULT_TABLE).expect("the built-in RFM table parses (tested)")
    }
}

/// Index of a cell in `0..125`.
fn cell_index(r: u8, f: u8, m: u8) -> usize {
    (usize::from(r) - 1) * 25 + (usize::from(f) - 1) * 5 + (usize::from(m) - 1)
}

impl RfmTable {
    /// Which segment owns each of the 125 cells; an error names the first cell claimed twice
    /// or by nobody, or a segment that owns nothing.
    pub fn lookup(&self) -> Result<Vec<usize>> {
        let mut owner: Vec<Option<usize>> = vec![None; 125];
        for (index, segment) in self.segments.iter().enumerate() {
            if segment.cells.is_empty() {
                return Err(Error::Config(format!(
                    "RFM segment `{}` lists no cells, so no customer can reach it",
                    segment.name
                )));
            }
            if self.segments[..index]
                .iter()
                .any(|s| s.name == segment.name)
            {
                return Err(Error::Config(format!(
                    "RFM segment `{}` is listed twice",
                    segment.name
                )));
            }
            for cells in &segment.cells {
                for (r, f, m) in all_cells() {
                    if cells.r.contains(r) && cells.f.contains(f) && cells.m.contains(m) {
                        let slot = &mut owner[cell_index(r, f, m)];
                        if let Some(other) = *slot
                            && other != index
                        {
                            return Err(Error::Config(format!(
                                "RFM cell R={r} F={f} M={m} belongs to both `{}` and `{}`",
                                self.segments[other].name, segment.name
                            )));
                        }
                        *slot = Some(index);
                    }
                }
            }
        }
        all_cells()
            .map(|(r, f, m)| {
                owner[cell_index(r, f, m)].ok_or_else(|| {
                    Error::Config(format!("RFM cell R={r} F={f} M={m} belongs to no segment"))
                })
            })
            .collect()
    }

    /// Checks that the table is complete and unambiguous.
    pub fn check(&self) -> Result<()> {
        self.lookup().map(|_| ())
    }

    /// Segment name of a cell (the table must have passed [`RfmTable::check`]).
    pub fn segment_of(&self, lookup: &[usize], score: RfmScore) -> &str {
        &self.segments[lookup[cell_index(score.r, score.f, score.m)]].name
    }
}

fn all_cells() -> impl Iterator<Item = (u8, u8, u8)> {
    (1..=5u8).flat_map(|r| (1..=5u8).flat_map(move |f| (1..=5u8).map(move |m| (r, f, m))))
}

/// A customer's scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RfmScore {
    /// Recency score (5 = most recent).
    pub r: u8,
    /// Frequency score (5 = most frequent).
    pub f: u8,
    /// Monetary score (5 = highest spend).
    pub m: u8,
}

impl RfmScore {
    /// The cell as the usual three-digit code, e.g. `"545"`.
    pub fn code(self) -> String {
        format!("{}{}{}", self.r, self.f, self.m)
    }
}

/// Scores 1-5 where a higher value is better: a customer's score is 1 plus the number of whole
/// fifths of all customers that are strictly worse. Customers with equal values always get
/// equal scores (a tie is never split by an arbitrary order), so with many ties some scores
/// stay empty: when 35 % of customers bought once, all of them score F = 1 and F = 2 is empty.
pub fn quintile_scores(values: &[f64], higher_is_better: bool) -> Vec<u8> {
    let n = values.len();
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    values
        .iter()
        .map(|&v| {
            let worse = if higher_is_better {
                sorted.partition_point(|x| *x < v)
            } else {
                n - sorted.partition_point(|x| *x <= v)
            };
            (1 + (5 * worse) / n).min(5) as u8
        })
        .collect()
}

/// RFM scores of every customer from recency in days (lower is better), number of purchases
/// and total spend.
pub fn score(recency_days: &[f64], frequency: &[f64], monetary: &[f64]) -> Vec<RfmScore> {
    let r = quintile_scores(recency_days, false);
    let f = quintile_scores(frequency, true);
    let m = quintile_scores(monetary, true);
    r.into_iter()
        .zip(f)
        .zip(m)
        .map(|((r, f), m)| RfmScore { r, f, m })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_table_covers_every_cell_once_and_reaches_every_segment() {
        let table = RfmTable::default();
        let lookup = table.lookup().unwrap();
        assert_eq!(table.segments.len(), 11);
        for index in 0..table.segments.len() {
            assert!(
                lookup.contains(&index),
                "{} unreachable",
                table.segments[index].name
            );
        }
        let champion = RfmScore { r: 5, f: 5, m: 5 };
        assert_eq!(table.segment_of(&lookup, champion), "Champions");
        let lost = RfmScore { r: 1, f: 1, m: 1 };
        assert_eq!(table.segment_of(&lookup, lost), "Lost");
        let big_spender_gone = RfmScore { r: 1, f: 4, m: 5 };
        assert_eq!(
            table.segment_of(&lookup, big_spender_gone),
            "Can't Lose Them"
        );
    }

    #[test]
    fn overlapping_cells_are_refused_with_both_names() {
        let mut table = RfmTable::default();
        table.segments[1].cells.push(CellRange {
            r: "5".to_owned().try_into().unwrap(),
            f: "5".to_owned().try_into().unwrap(),
            m: "5".to_owned().try_into().unwrap(),
        });
        let error = table.check().unwrap_err().to_string();
        assert!(
            error.contains("R=5 F=5 M=5") && error.contains("Champions"),
            "{error}"
        );
    }

    #[test]
    fn a_missing_cell_is_refused() {
        let mut table = RfmTable::default();
        table.segments.retain(|s| s.name != "Lost");
        let error = table.check().unwrap_err().to_string();
        assert!(
            error.contains("R=1 F=1 M=1") && error.contains("no segment"),
            "{error}"
        );
    }

    #[test]
    fn bad_ranges_are_refused_when_parsed() {
        assert!(ScoreRange::try_from("0-3".to_owned()).is_err());
        assert!(ScoreRange::try_from("4-2".to_owned()).is_err());
        assert_eq!(
            ScoreRange::try_from("2-4".to_owned()).unwrap(),
            ScoreRange { low: 2, high: 4 }
        );
    }

    #[test]
    fn quintiles_of_distinct_values_and_ties() {
        let values: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(
            quintile_scores(&values, true),
            vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
        );
        assert_eq!(
            quintile_scores(&values, false),
            vec![5, 5, 4, 4, 3, 3, 2, 2, 1, 1]
        );
        let tied = [1.0, 1.0, 1.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0];
        let scores = quintile_scores(&tied, true);
        assert!(scores[..4].iter().all(|s| *s == 1));
        assert_eq!(&scores[4..], &[3, 3, 4, 4, 5, 5]);
    }
}
