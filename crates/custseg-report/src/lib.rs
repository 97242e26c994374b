//! The report of a custseg run: one self-contained HTML page of charts and the small tables
//! behind them, and optionally each chart as PNG.
//!
//! The caller gathers plain numbers into [`ReportInputs`] (from files or from a run in
//! memory); [`build`] turns them into [`page::Section`]s, each computed by a tested function
//! of its own in [`sections`] and drawn by [`charts`] as inline SVG. This crate reads no files
//! and runs no queries, and depends on neither DataFusion nor Arrow.

pub mod charts;
pub mod error;
pub mod inputs;
pub mod page;
pub mod png;
pub mod sections;
pub mod svg;

pub use error::{Error, Result};
pub use inputs::ReportInputs;

use page::Section;

/// A built report.
#[derive(Debug, Clone)]
pub struct Report {
    /// Title of the page.
    pub title: String,
    /// The line under it.
    pub subtitle: String,
    /// The sections, in order.
    pub sections: Vec<Section>,
}

impl Report {
    /// The HTML page.
    pub fn html(&self) -> String {
        page::render(&self.title, &self.subtitle, &self.sections)
    }

    /// Every chart, in page order.
    pub fn charts(&self) -> impl Iterator<Item = &charts::Chart> {
        self.sections.iter().flat_map(|s| s.charts.iter())
    }
}

/// Builds every section the inputs allow: data quality, the business, features, and with a
/// model the choice of k, the segments and RFM, then cohorts, then lifetime value when present.
pub fn build(inputs: &ReportInputs) -> Report {
    let mut sections = vec![
        sections::quality::section(&inputs.quality),
        sections::business::section(
            &inputs.months,
            &inputs.countries,
            inputs
                .quality
                .date_range
                .as_ref()
                .map(|(_, last)| last.as_str()),
        ),
        sections::features::section(&inputs.customers, &inputs.features),
    ];
    if let Some(model) = &inputs.model {
        sections.push(sections::choosing_k::section(model));
        sections.push(sections::segments::section(model, &inputs.customers));
        sections.push(sections::rfm::section(
            &model.assignments,
            &inputs.customers,
            &model.rfm_segments,
        ));
    }
    sections.push(sections::cohorts::section(&inputs.cohorts));
    if let Some(clv) = &inputs.clv {
        let assignments = inputs.model.as_ref().map(|m| m.assignments.as_slice());
        sections.push(sections::clv::section(clv, assignments));
    }
    Report {
        title: "Customer segmentation report".to_owned(),
        subtitle: format!(
            "{} · {} customers",
            inputs.source,
            svg::scale::grouped(inputs.customers.len() as f64, 0)
        ),
        sections,
    }
}
