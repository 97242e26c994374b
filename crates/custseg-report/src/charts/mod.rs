//! The chart kinds the report uses, each a function from plain numbers to an SVG [`Chart`].

pub mod bars;
pub mod heatmap;
pub mod histogram;
pub mod line;
pub mod scatter;

/// One drawn chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    /// File stem for `--format png` (`quality_funnel`, ...), unique within a report.
    pub id: String,
    /// The chart's title (also its accessible name).
    pub title: String,
    /// The SVG document.
    pub svg: String,
}

/// Width of a full-width chart, in CSS pixels: fits a 1280 px window with the page's margins.
pub const FULL_WIDTH: f64 = 1100.0;
/// Width of a chart shown two to a row.
pub const HALF_WIDTH: f64 = 540.0;
