//! OpenDocument spreadsheets (.ods, as LibreOffice saves them), written by hand: a zip of a
//! `mimetype`, a manifest and `content.xml`, with typed cells (`float`, `string`, `date`),
//! repeated empty cells and several sheets.

use std::io::Write;
use std::path::Path;

use crate::support::{
    HEADER, clean_invoices, features_with, parquet_column, reading_sheets, sheet_rows,
};

/// One cell of a hand-made sheet.
enum Value {
    Text(&'static str),
    Number(f64),
    /// An ISO date-time, as ods stores a date cell's value.
    Date(&'static str),
    /// Empty cells, written as one cell repeated.
    Empty(usize),
}

use Value::{Date, Empty, Number, Text};

/// A spreadsheet at `dir/name` with the given sheets (name, rows).
fn spreadsheet(dir: &Path, name: &str, sheets: &[(&str, Vec<Vec<Value>>)]) -> String {
    let mut tables = String::new();
    for (sheet, rows) in sheets {
        tables.push_str(&format!("<table:table table:name=\"{sheet}\">"));
        for row in rows {
            tables.push_str("<table:table-row>");
            for value in row {
                tables.push_str(&match value {
                    Text(text) => format!(
                        "<table:table-cell office:value-type=\"string\"><text:p>{text}</text:p></table:table-cell>"
                    ),
                    Number(number) => format!(
                        "<table:table-cell office:value-type=\"float\" office:value=\"{number}\"><text:p>{number}</text:p></table:table-cell>"
                    ),
                    Date(moment) => format!(
                        "<table:table-cell office:value-type=\"date\" office:date-value=\"{moment}\"><text:p>{moment}</text:p></table:table-cell>"
                    ),
                    Empty(count) => format!(
                        "<table:table-cell table:number-columns-repeated=\"{count}\"/>"
                    ),
                });
            }
            tables.push_str("</table:table-row>");
        }
        tables.push_str("</table:table>");
    }
    let mimetype = "application/vnd.oasis.opendocument.spreadsheet";
    let members = [
        ("mimetype", mimetype.to_owned()),
        (
            "META-INF/manifest.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\" manifest:version=\"1.2\">\
                 <manifest:file-entry manifest:full-path=\"/\" manifest:media-type=\"{mimetype}\"/>\
                 <manifest:file-entry manifest:full-path=\"content.xml\" manifest:media-type=\"text/xml\"/>\
                 </manifest:manifest>"
            ),
        ),
        (
            "content.xml",
            format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\
                 <office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
                 xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
                 xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" office:version=\"1.2\">\
                 <office:body><office:spreadsheet>{tables}</office:spreadsheet></office:body></office:document-content>"
            ),
        ),
    ];
    let path = dir.join(name);
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (member, text) in members {
        // The mimetype comes first and uncompressed, as the format asks.
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        writer.start_file(member, options).unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    path.to_string_lossy().into_owned()
}

/// The UCI Online Retail header row.
fn header() -> Vec<Value> {
    HEADER.trim_end().split(',').map(Text).collect()
}

fn sale(invoice: f64, code: Value, quantity: f64, date: &'static str) -> Vec<Value> {
    vec![
        Number(invoice),
        code,
        Text("WHITE MUG"),
        Number(quantity),
        Date(date),
        Number(2.55),
        Number(17850.0),
        Text("United Kingdom"),
    ]
}

#[test]
fn an_ods_spreadsheet_reads_like_a_workbook() {
    let dir = tempfile::tempdir().unwrap();
    let input = spreadsheet(
        dir.path(),
        "sales.ods",
        &[
            (
                "2010",
                vec![
                    header(),
                    sale(536365.0, Text("85123A"), 6.0, "2010-12-01T08:26:00"),
                    // a blank row between records: not a record
                    vec![Empty(8)],
                    sale(536366.0, Number(22633.0), 2.0, "2010-12-01T08:28:00"),
                ],
            ),
            (
                "2011",
                vec![
                    header(),
                    sale(536367.0, Text("POST"), 1.0, "2011-01-04T10:00:00"),
                ],
            ),
        ],
    );
    let out = dir.path().join("out");
    let outcome = features_with(
        &input,
        &out,
        &reading_sheets(&dir.path().join("data"), &["*"]),
    )
    .unwrap();
    let report = &outcome.report;
    assert_eq!(report.input.format, "ods");
    assert_eq!(
        sheet_rows(report),
        [("2010".to_owned(), 2), ("2011".to_owned(), 1)]
    );
    assert_eq!(report.raw_rows, 3);
    assert_eq!(
        clean_invoices(&out),
        vec![("536365".to_owned(), 1), ("536366".to_owned(), 2)]
    );
    assert_eq!(
        parquet_column(
            &out.join("clean/transactions.parquet"),
            "StockCode",
            "Quantity"
        ),
        vec![("85123A".to_owned(), 6), ("22633".to_owned(), 2)]
    );
    assert_eq!(
        parquet_column(
            &out.join("clean/transactions.parquet"),
            "InvoiceDate",
            "CustomerID"
        ),
        vec![
            ("2010-12-01T08:26:00".to_owned(), 17850),
            ("2010-12-01T08:28:00".to_owned(), 17850)
        ]
    );

    // A bad cell is named by sheet, record and row.
    let bad = spreadsheet(
        dir.path(),
        "bad.ods",
        &[(
            "Sales",
            vec![header(), {
                let mut row = sale(536365.0, Text("85123A"), 6.0, "2010-12-01T08:26:00");
                row[3] = Text("six");
                row
            }],
        )],
    );
    let error = features_with(&bad, &out, &reading_sheets(&dir.path().join("data"), &[]))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("bad.ods[Sales]`, row 1 (line 2), column `Quantity`"),
        "{error}"
    );
}
