//! Workbooks written by hand (the smallest xlsx calamine reads: a workbook, its relations, a
//! style sheet, one sheet and its shared strings), for what the real workbook does not show:
//! a table that does not start at A1, blank and missing rows, cells outside the table, text
//! in the shared-strings table and a built-in date format (as Excel saves them; the UCI sheet
//! keeps its text inline and formats its dates with a custom format), and errors that name
//! the sheet row.

use std::io::Write;
use std::path::Path;

use crate::support::{HEADER, features, parquet_column};

/// One cell of a hand-made sheet.
enum Value {
    Text(&'static str),
    /// Text kept in the workbook's shared-strings table, as Excel writes it.
    Shared(&'static str),
    Number(f64),
    /// An Excel serial number formatted as a date and time (built-in format 22).
    Date(f64),
    /// A formatted cell with no value, as spreadsheet programs write for blanks.
    Blank,
}

use Value::{Blank, Date, Number, Shared, Text};

/// Column letters from A.
fn column_name(column: usize) -> String {
    let mut name = String::new();
    let mut rest = column + 1;
    while rest > 0 {
        let digit = (rest - 1) % 26;
        name.insert(0, char::from(b'A' + digit as u8));
        rest = (rest - 1) / 26;
    }
    name
}

/// A workbook at `dir/name` with one sheet called `sheet`; `rows` are (1-based sheet row,
/// first column (0 = A), cells).
fn workbook(dir: &Path, name: &str, sheet: &str, rows: &[(usize, usize, Vec<Value>)]) -> String {
    let mut data = String::new();
    let mut shared: Vec<&str> = Vec::new();
    for (row, first_column, cells) in rows {
        data.push_str(&format!("<row r=\"{row}\">"));
        for (offset, value) in cells.iter().enumerate() {
            let at = format!("{}{row}", column_name(first_column + offset));
            data.push_str(&match value {
                Text(text) => format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{text}</t></is></c>"),
                Shared(text) => {
                    shared.push(text);
                    format!("<c r=\"{at}\" t=\"s\"><v>{}</v></c>", shared.len() - 1)
                }
                Number(number) => format!("<c r=\"{at}\"><v>{number}</v></c>"),
                Date(serial) => format!("<c r=\"{at}\" s=\"1\"><v>{serial}</v></c>"),
                Blank => format!("<c r=\"{at}\" s=\"0\"/>"),
            });
        }
        data.push_str("</row>");
    }
    let strings: String = shared
        .iter()
        .map(|text| format!("<si><t>{text}</t></si>"))
        .collect();
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let package = "http://schemas.openxmlformats.org/package/2006/relationships";
    let members = [
        (
            "[Content_Types].xml".to_owned(),
            "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
             <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
             <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
             <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
             <Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>\
             </Types>"
                .to_owned(),
        ),
        (
            "_rels/.rels".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"{package}\">\
                 <Relationship Id=\"rId1\" Type=\"{relations}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/workbook.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><workbook xmlns=\"{main}\" xmlns:r=\"{relations}\">\
                 <sheets><sheet name=\"{sheet}\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"{package}\">\
                 <Relationship Id=\"rId1\" Type=\"{relations}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
            ),
        ),
        (
            "xl/worksheets/sheet1.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><worksheet xmlns=\"{main}\"><sheetData>{data}</sheetData></worksheet>"
            ),
        ),
        (
            "xl/styles.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><styleSheet xmlns=\"{main}\"><cellXfs count=\"2\">\
                 <xf numFmtId=\"0\"/><xf numFmtId=\"22\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"
            ),
        ),
        (
            "xl/sharedStrings.xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><sst xmlns=\"{main}\" count=\"{count}\" uniqueCount=\"{count}\">{strings}</sst>",
                count = shared.len()
            ),
        ),
    ];
    let path = dir.join(name);
    let mut writer = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    for (member, text) in members {
        writer
            .start_file(member, zip::write::SimpleFileOptions::default())
            .unwrap();
        writer.write_all(text.as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    path.to_string_lossy().into_owned()
}

/// The header row of the CSV fixtures, each name a cell made by `cell`.
fn header(cell: fn(&'static str) -> Value) -> Vec<Value> {
    HEADER.trim_end().split(',').map(cell).collect()
}

#[test]
fn table_away_from_a1_with_blank_rows_is_read_row_by_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = workbook(
        dir.path(),
        "sales.xlsx",
        "Sales",
        &[
            (3, 1, header(Text)),
            (
                4,
                0,
                vec![
                    // left of the table: no column name, not read
                    Text("note"),
                    Number(536365.0),
                    Text("85123A"),
                    Text("WHITE MUG"),
                    Number(6.0),
                    Text("12/1/2010 8:26"),
                    Number(2.55),
                    Number(17850.0),
                    Text("United Kingdom"),
                ],
            ),
            // formatted but empty: a blank row, not a record
            (5, 1, vec![Blank, Blank, Blank]),
            // row 6 is missing altogether
            (
                7,
                1,
                vec![
                    Text("C536379"),
                    Text("D"),
                    Text("Discount"),
                    Number(-1.0),
                    // 2010-12-01 12:00 as an Excel serial
                    Number(40513.5),
                    Number(27.5),
                    Number(14527.0),
                    Text("United Kingdom"),
                ],
            ),
            (
                8,
                1,
                vec![
                    Number(536366.0),
                    Number(22633.0),
                    Text("HAND WARMER"),
                    Number(6.0),
                    Text("12/1/2010 8:28"),
                    Number(1.85),
                    Number(17850.0),
                    Text("United Kingdom"),
                    // right of the table: not read
                    Text("extra"),
                ],
            ),
        ],
    );
    let out = dir.path().join("out");
    let outcome = features(&input, &out, &dir.path().join("data")).unwrap();
    assert_eq!(outcome.report.raw_rows, 3);
    assert_eq!(outcome.report.clean_rows, 2);
    assert_eq!(
        parquet_column(
            &out.join("quarantine/rejected.parquet"),
            "rule",
            "source_row"
        ),
        vec![("non_product_stock_code".to_owned(), 2)]
    );
    assert_eq!(
        parquet_column(
            &out.join("clean/transactions.parquet"),
            "InvoiceNo",
            "Quantity"
        ),
        vec![("536365".to_owned(), 6), ("536366".to_owned(), 6)]
    );
    assert_eq!(outcome.customers, 1);
}

#[test]
fn a_bad_cell_is_named_by_record_and_sheet_row() {
    let dir = tempfile::tempdir().unwrap();
    let record = |row: usize, quantity: Value| {
        (
            row,
            0,
            vec![
                Number(536365.0),
                Text("85123A"),
                Text("WHITE MUG"),
                quantity,
                Text("12/1/2010 8:26"),
                Number(2.55),
                Number(17850.0),
                Text("United Kingdom"),
            ],
        )
    };
    let input = workbook(
        dir.path(),
        "bad.xlsx",
        "Sales",
        &[
            (2, 0, header(Text)),
            record(3, Number(6.0)),
            record(5, Text("O6")),
        ],
    );
    let error = features(&input, &dir.path().join("out"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(
            "bad.xlsx[Sales]`, row 2 (line 5), column `Quantity`: is not a whole number: `O6`"
        ),
        "{error}"
    );
}

#[test]
fn empty_and_header_only_sheets_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = workbook(dir.path(), "empty.xlsx", "Sales", &[(1, 0, vec![Blank])]);
    let error = features(&empty, &dir.path().join("out"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("empty.xlsx[Sales]`: the sheet is empty"),
        "{error}"
    );
    let header_only = workbook(dir.path(), "header.xlsx", "Sales", &[(1, 0, header(Text))]);
    let error = features(
        &header_only,
        &dir.path().join("out"),
        &dir.path().join("data"),
    )
    .unwrap_err()
    .to_string();
    assert!(
        error.contains("header.xlsx[Sales]`: the sheet has a header but no data rows"),
        "{error}"
    );
}

#[test]
fn shared_strings_and_date_cells_read_as_excel_saves_them() {
    let dir = tempfile::tempdir().unwrap();
    let input = workbook(
        dir.path(),
        "excel.xlsx",
        "Sales",
        &[
            (1, 0, header(Shared)),
            (
                2,
                0,
                vec![
                    Number(536365.0),
                    Shared("85123A"),
                    Shared("WHITE MUG"),
                    Number(6.0),
                    // 2010-12-01 08:26:00
                    Date(40513.35138888889),
                    Number(2.55),
                    Number(17850.0),
                    Shared("United Kingdom"),
                ],
            ),
        ],
    );
    let out = dir.path().join("out");
    let outcome = features(&input, &out, &dir.path().join("data")).unwrap();
    assert_eq!(outcome.report.clean_rows, 1);
    let clean = out.join("clean/transactions.parquet");
    assert_eq!(
        parquet_column(&clean, "InvoiceDate", "Quantity"),
        vec![("2010-12-01T08:26:00".to_owned(), 6)]
    );
    assert_eq!(
        parquet_column(&clean, "Description", "CustomerID"),
        vec![("WHITE MUG".to_owned(), 17850)]
    );
}
