//! Logs written with a decimal comma (semicolon-separated, as European spreadsheets export
//! them) read to the same numbers as the same log written with decimal points.

use custseg_data::ingest::{DecimalSeparator, IngestOptions};
use custseg_data::pipeline::FeaturesRequest;

use crate::support::{HEADER, feature_rows, features, features_with, write};

/// One line of a small log: customer, invoice, quantity, price, day; each number given in
/// both notations (`point`, `comma`).
struct Line {
    invoice: u32,
    code: &'static str,
    quantity: (&'static str, &'static str),
    price: (&'static str, &'static str),
    day: u32,
    customer: u32,
}

fn lines() -> Vec<Line> {
    let mut lines = Vec::new();
    let quantities = [
        ("6", "6"),
        ("1200", "1.200"),
        ("-2", "-2"),
        ("12", "12"),
        ("2500", "2.500"),
    ];
    let prices = [
        ("2.55", "2,55"),
        ("0.85", "0,85"),
        ("1234.5", "1.234,5"),
        ("12.75", "12,75"),
        ("0.001", "0,001"),
    ];
    for i in 0..60u32 {
        lines.push(Line {
            invoice: 536_365 + i / 3,
            code: ["85123A", "22633", "84029E", "71053"][i as usize % 4],
            quantity: quantities[i as usize % quantities.len()],
            price: prices[(i as usize / 2) % prices.len()],
            day: 1 + i % 27,
            customer: 17_850 + i % 7,
        });
    }
    lines
}

/// The log with decimal points and commas between fields, or (`comma`) as a German
/// spreadsheet exports it: semicolons, decimal commas, thousands points in the quantities
/// (the very first number of the file is `6`, the first price `2,55`).
fn log(comma: bool) -> String {
    let delimiter = if comma { ";" } else { "," };
    let mut text = HEADER.replace(',', delimiter);
    for line in lines() {
        let (quantity, price) = if comma {
            (line.quantity.1, line.price.1)
        } else {
            (line.quantity.0, line.price.0)
        };
        let invoice = if quantity.starts_with('-') {
            format!("C{}", line.invoice)
        } else {
            line.invoice.to_string()
        };
        let fields = [
            invoice,
            line.code.to_owned(),
            "WHITE MUG".to_owned(),
            quantity.to_owned(),
            format!("2011-03-{:02} 10:15", line.day),
            price.to_owned(),
            line.customer.to_string(),
            "Germany".to_owned(),
        ];
        text.push_str(&fields.join(delimiter));
        text.push('\n');
    }
    text
}

#[test]
fn a_decimal_comma_log_gives_the_features_of_the_same_log_with_points() {
    let dir = tempfile::tempdir().unwrap();
    let point = write(dir.path(), "points.csv", log(false).as_bytes());
    let comma = write(dir.path(), "kommas.csv", log(true).as_bytes());
    let data = dir.path().join("data");
    let with_points = features(&point, &dir.path().join("a"), &data).unwrap();
    let with_commas = features(&comma, &dir.path().join("b"), &data).unwrap();

    assert_eq!(with_commas.report.raw_rows, 60);
    assert_eq!(with_commas.report.clean_rows, with_points.report.clean_rows);
    let (a, b) = (
        feature_rows(&dir.path().join("a")),
        feature_rows(&dir.path().join("b")),
    );
    assert_eq!(a.len(), 7);
    assert_eq!(a, b);
    // The thousands and fractions came through: customer 17850 bought lines 0, 7, 14, ...
    let spend: f64 = lines()
        .iter()
        .filter(|line| line.customer == 17_850)
        .map(|line| line.quantity.0.parse::<f64>().unwrap() * line.price.0.parse::<f64>().unwrap())
        .sum();
    let reported: f64 = b["17850"]["Total_Spend"].parse().unwrap();
    assert!((reported - spend).abs() < 1e-6, "{reported} vs {spend}");
    assert_eq!(
        with_points.report.input.decimal_separator.as_deref(),
        Some("auto: point")
    );
    assert_eq!(
        with_commas.report.input.decimal_separator.as_deref(),
        Some("auto: comma")
    );
    assert_eq!(with_commas.report.input.delimiter, Some(';'));
}

/// A semicolon log whose first price, `1.250`, reads either way: auto-detection reads it
/// with a point, so the decimal comma two rows later is an error naming both rows; told
/// `--decimal comma`, the same file reads `1.250` as 1,250.
#[test]
fn an_ambiguous_first_price_is_read_with_a_point_until_a_comma_contradicts_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}{}{}{}",
        HEADER.replace(',', ";"),
        "536365;85123A;WHITE MUG;6;2011-03-01 10:15;1.250;17850;Germany\n",
        "536365;22633;HAND WARMER;2;2011-03-01 10:15;3.000;17850;Germany\n",
        "536366;22633;HAND WARMER;4;2011-03-02 11:00;2,55;17851;Germany\n",
    );
    let input = write(dir.path(), "ambiguous.csv", text.as_bytes());
    let error = features(&input, &dir.path().join("out"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "ambiguous.csv`, row 3 (line 4), column `UnitPrice`: `2,55` is written with a decimal comma or thousands points, but row 1 read `1.250` with a decimal point"
        ),
        "{error}"
    );
    assert!(error.contains("--decimal comma"), "{error}");

    let request = FeaturesRequest {
        ingest: IngestOptions {
            data_dir: dir.path().join("data"),
            decimal: DecimalSeparator::Comma,
            ..IngestOptions::default()
        },
        ..FeaturesRequest::default()
    };
    let read = features_with(&input, &dir.path().join("out"), &request).unwrap();
    assert_eq!(
        read.report.input.decimal_separator.as_deref(),
        Some("comma")
    );
    let rows = feature_rows(&dir.path().join("out"));
    let spend: f64 = rows["17850"]["Total_Spend"].parse().unwrap();
    assert_eq!(spend, 6.0 * 1250.0 + 2.0 * 3000.0);
    let spend: f64 = rows["17851"]["Total_Spend"].parse().unwrap();
    assert!((spend - 4.0 * 2.55).abs() < 1e-9, "{spend}");
}

/// In a comma-separated file a quoted `"2,55"` is not taken for a decimal comma unasked:
/// the error names the row and column and points at `--decimal comma`, which reads it.
#[test]
fn a_comma_delimited_file_needs_to_be_told_about_a_decimal_comma() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}536365,85123A,WHITE MUG,6,2011-03-01 10:15,\"2,55\",17850,Germany\n\
         536366,85123A,WHITE MUG,\"1.200\",2011-03-01 10:15,\"1,5\",17850,Germany\n"
    );
    let input = write(dir.path(), "quoted.csv", text.as_bytes());
    let error = features(&input, &dir.path().join("out"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "quoted.csv`, row 1 (line 2), column `UnitPrice`: is not a number: `2,55` (a decimal comma? pass `--decimal comma`)"
        ),
        "{error}"
    );

    let request = FeaturesRequest {
        ingest: IngestOptions {
            data_dir: dir.path().join("data"),
            decimal: DecimalSeparator::Comma,
            ..IngestOptions::default()
        },
        ..FeaturesRequest::default()
    };
    features_with(&input, &dir.path().join("out"), &request).unwrap();
    let rows = feature_rows(&dir.path().join("out"));
    let spend: f64 = rows["17850"]["Total_Spend"].parse().unwrap();
    assert!(
        (spend - (6.0 * 2.55 + 1200.0 * 1.5)).abs() < 1e-9,
        "{spend}"
    );
}
