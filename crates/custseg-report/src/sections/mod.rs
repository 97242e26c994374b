//! One file per report section: the numbers behind its charts (tested), then the charts and
//! tables drawn from them.

pub mod business;
pub mod choosing_k;
pub mod clv;
pub mod cohorts;
pub mod features;
pub mod quality;
pub mod rfm;
pub mod segments;

pub(crate) fn fmt_count(value: f64) -> String {
    crate::svg::scale::grouped(value, 0)
}

pub(crate) fn fmt_money(value: f64) -> String {
    crate::svg::scale::short(value)
}

pub(crate) fn fmt_percent(value: f64) -> String {
    format!("{value:.1} %")
}
