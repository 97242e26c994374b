//! Section 2, the business at a glance: monthly revenue and active customers, revenue by
//! country.

use crate::charts::bars::Bars;
use crate::charts::line::{CategoryChart, Mark, Series};
use crate::charts::{FULL_WIDTH, HALF_WIDTH};
use crate::inputs::{CountryRevenue, MonthActivity};
use crate::page::{Section, Table};
use crate::svg::scale::{grouped, percent};

use super::fmt_money;

/// Countries shown by name; the rest are summed into one bar.
pub const TOP_COUNTRIES: usize = 10;

/// The top countries by revenue (ties by name) and, if any remain, `Other (n countries)`
/// with their sum. Shares are of the total net revenue.
pub fn country_bars(countries: &[CountryRevenue]) -> Vec<(String, f64, f64)> {
    let mut sorted: Vec<&CountryRevenue> = countries.iter().collect();
    sorted.sort_by(|a, b| {
        b.revenue
            .total_cmp(&a.revenue)
            .then(a.country.cmp(&b.country))
    });
    let total: f64 = countries.iter().map(|c| c.revenue).sum();
    let share = |v: f64| if total != 0.0 { v / total } else { 0.0 };
    let mut bars: Vec<(String, f64, f64)> = sorted
        .iter()
        .take(TOP_COUNTRIES)
        .map(|c| (c.country.clone(), c.revenue, share(c.revenue)))
        .collect();
    let rest = &sorted[TOP_COUNTRIES.min(sorted.len())..];
    if !rest.is_empty() {
        let sum: f64 = rest.iter().map(|c| c.revenue).sum();
        bars.push((format!("Other ({} countries)", rest.len()), sum, share(sum)));
    }
    bars
}

/// A note when the log ends before the last month does: `last` is the last ISO date
/// (`2011-12-09` or `2011-12-09T12:50:00`).
pub fn partial_month_note(last: &str) -> Option<String> {
    let date = last.get(..10)?;
    let (year, month, day): (i32, u32, u32) = (
        date.get(..4)?.parse().ok()?,
        date.get(5..7)?.parse().ok()?,
        date.get(8..10)?.parse().ok()?,
    );
    let days_in_month = match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    (day < days_in_month).then(|| {
        format!(
            " The log ends on {date}, so {} is a partial month.",
            &date[..7]
        )
    })
}

/// The section. `last_date` is the last cleaned InvoiceDate (ISO).
pub fn section(
    months: &[MonthActivity],
    countries: &[CountryRevenue],
    last_date: Option<&str>,
) -> Section {
    let labels: Vec<String> = months.iter().map(|m| m.month.clone()).collect();
    let revenue = CategoryChart {
        id: "business_monthly_revenue",
        title: "Net revenue per month",
        x_label: "month",
        y_label: "net revenue (currency units)",
        categories: &labels,
        series: &[Series {
            name: "net revenue".into(),
            values: months.iter().map(|m| Some(m.revenue)).collect(),
            mark: Mark::Columns,
        }],
        marked: None,
        width: HALF_WIDTH,
        height: 320.0,
    }
    .draw();
    let active = CategoryChart {
        id: "business_active_customers",
        title: "Active customers per month",
        x_label: "month",
        y_label: "customers with a completed purchase",
        categories: &labels,
        series: &[Series {
            name: "active customers".into(),
            values: months.iter().map(|m| Some(m.customers as f64)).collect(),
            mark: Mark::Line,
        }],
        marked: None,
        width: HALF_WIDTH,
        height: 320.0,
    }
    .draw();
    let bars = country_bars(countries);
    let rows: Vec<(String, Vec<f64>)> =
        bars.iter().map(|(c, r, _)| (c.clone(), vec![*r])).collect();
    let by_country = Bars {
        id: "business_revenue_by_country",
        title: "Net revenue by country",
        x_label: "net revenue (currency units)",
        series: &["net revenue"],
        rows: &rows,
        width: FULL_WIDTH,
        label_width: 180.0,
        format: fmt_money,
    }
    .draw();
    let total: f64 = months.iter().map(|m| m.revenue).sum();
    let best = months.iter().max_by(|a, b| a.revenue.total_cmp(&b.revenue));
    let lead = match best {
        Some(best) => format!(
            "{} of net revenue over {} months; the best month was {} ({}). {} countries; the largest is {}.{}",
            grouped(total, 0),
            months.len(),
            best.month,
            grouped(best.revenue, 0),
            countries.len(),
            bars.first().map_or("–", |b| b.0.as_str()),
            last_date.and_then(partial_month_note).unwrap_or_default()
        ),
        None => "The cleaned log has no lines.".to_owned(),
    };
    Section {
        id: "business",
        title: "The business at a glance".to_owned(),
        lead,
        charts: vec![revenue, active, by_country],
        tables: vec![
            Table {
                caption: "Revenue by country".into(),
                header: ["country", "net revenue", "share"]
                    .map(String::from)
                    .to_vec(),
                rows: bars
                    .iter()
                    .map(|(c, r, s)| vec![c.clone(), grouped(*r, 0), percent(*s)])
                    .collect(),
            },
            Table {
                caption: "Months".into(),
                header: ["month", "net revenue", "active customers", "invoices"]
                    .map(String::from)
                    .to_vec(),
                rows: months
                    .iter()
                    .map(|m| {
                        vec![
                            m.month.clone(),
                            grouped(m.revenue, 0),
                            grouped(m.customers as f64, 0),
                            grouped(m.invoices as f64, 0),
                        ]
                    })
                    .collect(),
            },
        ],
        warnings: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_ending_mid_month_is_called_partial() {
        assert_eq!(
            partial_month_note("2011-12-09T12:50:00").as_deref(),
            Some(" The log ends on 2011-12-09, so 2011-12 is a partial month.")
        );
        assert_eq!(partial_month_note("2012-02-29"), None);
        assert!(partial_month_note("2011-02-28").is_none());
        assert!(partial_month_note("2012-02-28").is_some());
    }

    #[test]
    fn countries_beyond_the_top_ten_are_summed_into_other() {
        let countries: Vec<CountryRevenue> = (0..13)
            .map(|i| CountryRevenue {
                country: format!("C{i:02}"),
                revenue: f64::from(i + 1),
                customers: 1,
            })
            .collect();
        let bars = country_bars(&countries);
        assert_eq!(bars.len(), 11);
        assert_eq!(bars[0].0, "C12");
        assert_eq!(
            bars[10],
            ("Other (3 countries)".to_owned(), 6.0, 6.0 / 91.0)
        );
        let shares: f64 = bars.iter().map(|b| b.2).sum();
        assert!((shares - 1.0).abs() < 1e-12);
    }
}
