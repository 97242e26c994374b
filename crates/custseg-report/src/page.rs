//! The report page: sections of charts and tables in one self-contained HTML file.

use std::fmt::Write as _;

use crate::charts::Chart;
use crate::svg::escape;

/// A small table shown beside a chart.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    /// Caption.
    pub caption: String,
    /// Column headers.
    pub header: Vec<String>,
    /// Rows of cells, already formatted.
    pub rows: Vec<Vec<String>>,
}

/// One section of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    /// Anchor id (`quality`, `business`, ...), also the `data-section` attribute.
    pub id: &'static str,
    /// Heading.
    pub title: String,
    /// One or two sentences saying what the section shows, with its key numbers.
    pub lead: String,
    /// Charts, in order.
    pub charts: Vec<Chart>,
    /// Tables, in order.
    pub tables: Vec<Table>,
    /// Things the reader must know (failed checks, fits that did not converge).
    pub warnings: Vec<String>,
}

const STYLE: &str = "
body{font-family:'DejaVu Sans',Verdana,Arial,sans-serif;margin:0;color:#1a1a1a;background:#f6f6f4}
header{background:#0b3d5c;color:#fff;padding:18px 40px}
header h1{margin:0 0 4px;font-size:24px} header p{margin:0;opacity:.85}
nav{padding:8px 40px;background:#fff;border-bottom:1px solid #ddd;position:sticky;top:0}
nav a{margin-right:16px;color:#0b3d5c;text-decoration:none;font-size:14px}
main{max-width:1140px;margin:0 auto;padding:0 20px 40px}
section{background:#fff;margin:20px 0;padding:16px 20px;border-radius:6px;box-shadow:0 1px 3px rgba(0,0,0,.08)}
h2{margin:4px 0 6px;font-size:20px;color:#0b3d5c} .lead{margin:0 0 12px;color:#333}
.charts{display:flex;flex-wrap:wrap;gap:12px} .charts svg{max-width:100%;height:auto}
table{border-collapse:collapse;margin:12px 0;font-size:13px} caption{text-align:left;font-weight:bold;padding:4px 0}
th,td{border-bottom:1px solid #e6e6e6;padding:4px 10px;text-align:left} td.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:#f0f3f6} .warning{background:#fff4e0;border-left:4px solid #D55E00;padding:8px 12px;margin:8px 0}
details{margin-top:8px} summary{cursor:pointer;color:#0b3d5c}
";

fn is_numeric(cell: &str) -> bool {
    let trimmed = cell
        .trim_end_matches(" %")
        .replace([',', '−', '.', '-', '+'], "");
    !trimmed.is_empty() && trimmed.chars().all(|c| c.is_ascii_digit())
}

fn write_table(html: &mut String, table: &Table) {
    let _ = write!(
        html,
        "<table><caption>{}</caption><thead><tr>",
        escape(&table.caption)
    );
    for header in &table.header {
        let _ = write!(html, "<th>{}</th>", escape(header));
    }
    html.push_str("</tr></thead><tbody>");
    for row in &table.rows {
        html.push_str("<tr>");
        for cell in row {
            let class = if is_numeric(cell) { " class=\"n\"" } else { "" };
            let _ = write!(html, "<td{class}>{}</td>", escape(cell));
        }
        html.push_str("</tr>");
    }
    html.push_str("</tbody></table>");
}

/// The whole page. No scripts, no external resources: it opens the same offline.
pub fn render(title: &str, subtitle: &str, sections: &[Section]) -> String {
    let mut html = String::with_capacity(1 << 20);
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><style>{STYLE}</style></head><body><header><h1>{}</h1><p>{}</p></header><nav>",
        escape(title),
        escape(title),
        escape(subtitle)
    );
    for section in sections {
        let _ = write!(
            html,
            "<a href=\"#{}\">{}</a>",
            section.id,
            escape(&section.title)
        );
    }
    html.push_str("</nav><main>");
    for section in sections {
        let _ = write!(
            html,
            "<section id=\"{id}\" data-section=\"{id}\"><h2>{}</h2><p class=\"lead\">{}</p>",
            escape(&section.title),
            escape(&section.lead),
            id = section.id
        );
        for warning in &section.warnings {
            let _ = write!(html, "<p class=\"warning\">{}</p>", escape(warning));
        }
        html.push_str("<div class=\"charts\">");
        for chart in &section.charts {
            let _ = write!(
                html,
                "<figure id=\"chart-{}\" style=\"margin:0\">{}</figure>",
                chart.id, chart.svg
            );
        }
        html.push_str("</div>");
        for (i, table) in section.tables.iter().enumerate() {
            if i == 0 {
                write_table(&mut html, table);
            } else {
                html.push_str("<details><summary>");
                html.push_str(&escape(&table.caption));
                html.push_str("</summary>");
                write_table(&mut html, table);
                html.push_str("</details>");
            }
        }
        html.push_str("</section>");
    }
    html.push_str("</main></body></html>\n");
    html
}
