//! Workbooks written by hand (the smallest xlsx calamine reads: a workbook, its relations, a
//! style sheet, one sheet and its shared strings), for what the real workbook does not show:
//! a table that does not start at A1, blank and missing rows, cells outside the table, text
//! in the shared-strings table and a built-in date format (as Excel saves them; the UCI sheet
//! keeps its text inline and formats its dates with a custom format), and errors that name
//! the sheet row.

use std::io::Write;
use std::path::Path;

use crate::support::{
    HEADER, ONLINE_RETAIL_II_HEADER, clean_invoices, features, features_with, parquet_column,
    quarantined, reading_sheets, sheet_rows,
};

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

/// Rows of a hand-made sheet: (1-based sheet row, first column (0 = A), cells).
type Rows = [(usize, usize, Vec<Value>)];

/// A workbook at `dir/name` with one sheet called `sheet`.
fn workbook(dir: &Path, name: &str, sheet: &str, rows: &Rows) -> String {
    workbook_of_sheets(dir, name, &[(sheet, rows)])
}

/// A workbook at `dir/name` with the given sheets, in this order.
fn workbook_of_sheets(dir: &Path, name: &str, sheets: &[(&str, &Rows)]) -> String {
    let mut shared: Vec<&str> = Vec::new();
    let mut sheet_xml: Vec<String> = Vec::new();
    for (_, rows) in sheets {
        let mut data = String::new();
        for (row, first_column, cells) in rows.iter() {
            data.push_str(&format!("<row r=\"{row}\">"));
            for (offset, value) in cells.iter().enumerate() {
                let at = format!("{}{row}", column_name(first_column + offset));
                data.push_str(&match value {
                    Text(text) => {
                        format!("<c r=\"{at}\" t=\"inlineStr\"><is><t>{text}</t></is></c>")
                    }
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
        sheet_xml.push(data);
    }
    let strings: String = shared
        .iter()
        .map(|text| format!("<si><t>{text}</t></si>"))
        .collect();
    let main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
    let relations = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
    let package = "http://schemas.openxmlformats.org/package/2006/relationships";
    let numbers = 1..=sheets.len();
    let overrides: String = numbers
        .clone()
        .map(|n| {
            format!(
                "<Override PartName=\"/xl/worksheets/sheet{n}.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
            )
        })
        .collect();
    let sheet_entries: String = sheets
        .iter()
        .zip(numbers.clone())
        .map(|((name, _), n)| format!("<sheet name=\"{name}\" sheetId=\"{n}\" r:id=\"rId{n}\"/>"))
        .collect();
    let sheet_relations: String = numbers
        .clone()
        .map(|n| {
            format!(
                "<Relationship Id=\"rId{n}\" Type=\"{relations}/worksheet\" Target=\"worksheets/sheet{n}.xml\"/>"
            )
        })
        .collect();
    let mut members = vec![
        (
            "[Content_Types].xml".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
                 <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
                 <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
                 <Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>\
                 {overrides}</Types>"
            ),
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
                 <sheets>{sheet_entries}</sheets></workbook>"
            ),
        ),
        (
            "xl/_rels/workbook.xml.rels".to_owned(),
            format!(
                "<?xml version=\"1.0\"?><Relationships xmlns=\"{package}\">{sheet_relations}</Relationships>"
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
    for (data, n) in sheet_xml.iter().zip(numbers) {
        members.push((
            format!("xl/worksheets/sheet{n}.xml"),
            format!(
                "<?xml version=\"1.0\"?><worksheet xmlns=\"{main}\"><sheetData>{data}</sheetData></worksheet>"
            ),
        ));
    }
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

/// A sales line of the hand-made multi-sheet workbooks, in the UCI column order.
fn sale(
    row: usize,
    invoice: f64,
    code: &'static str,
    quantity: f64,
    date: &'static str,
) -> (usize, usize, Vec<Value>) {
    (
        row,
        0,
        vec![
            Number(invoice),
            Text(code),
            Text("WHITE MUG"),
            Number(quantity),
            Text(date),
            Number(2.55),
            Number(17850.0),
            Text("United Kingdom"),
        ],
    )
}

/// Online Retail II's layout: one sheet a year, its own column names (`Invoice`, `Price`,
/// `Customer ID`), here with the second year's columns in another order, a blank sheet
/// between them, and a line of the first year repeated in the second.
fn two_years(dir: &Path) -> String {
    let first_year: Vec<(usize, usize, Vec<Value>)> = vec![
        (
            1,
            0,
            ONLINE_RETAIL_II_HEADER.into_iter().map(Text).collect(),
        ),
        sale(2, 489434.0, "85048", 12.0, "12/1/2009 7:45"),
        sale(3, 489435.0, "22350", 4.0, "12/1/2009 7:46"),
    ];
    let second_year: Vec<(usize, usize, Vec<Value>)> = vec![
        (
            1,
            0,
            [
                "Customer ID",
                "Invoice",
                "StockCode",
                "Description",
                "Quantity",
                "InvoiceDate",
                "Price",
                "Country",
            ]
            .into_iter()
            .map(Text)
            .collect(),
        ),
        // the first year's second line again: an exact duplicate across sheets
        (
            2,
            0,
            vec![
                Number(17850.0),
                Number(489435.0),
                Text("22350"),
                Text("WHITE MUG"),
                Number(4.0),
                Text("12/1/2009 7:46"),
                Number(2.55),
                Text("United Kingdom"),
            ],
        ),
        (
            3,
            0,
            vec![
                Number(17850.0),
                Number(536365.0),
                Text("85123A"),
                Text("WHITE MUG"),
                Number(6.0),
                Text("12/1/2010 8:26"),
                Number(2.55),
                Text("United Kingdom"),
            ],
        ),
    ];
    workbook_of_sheets(
        dir,
        "online_retail_II.xlsx",
        &[
            ("Year 2009-2010", &first_year),
            ("Notes", &[(1, 0, vec![Blank])]),
            ("Year 2010-2011", &second_year),
        ],
    )
}

#[test]
fn every_sheet_is_read_as_one_log_numbered_through_and_deduplicated_across_sheets() {
    let dir = tempfile::tempdir().unwrap();
    let input = two_years(dir.path());
    let data_dir = dir.path().join("data");

    // By default only the first sheet, as before.
    let out = dir.path().join("first");
    let outcome = features(&input, &out, &data_dir).unwrap();
    assert_eq!(outcome.report.raw_rows, 2);

    // Every sheet: the parse cache of the first sheet alone is not taken for it.
    let out = dir.path().join("every");
    let outcome = features_with(&input, &out, &reading_sheets(&data_dir, &["*"])).unwrap();
    let report = &outcome.report;
    assert!(!report.input.parsed_from_cache);
    assert_eq!(report.raw_rows, 4);
    assert_eq!(report.clean_rows + report.quarantined_rows, 4);
    assert_eq!(
        sheet_rows(report),
        [
            ("Year 2009-2010".to_owned(), 2),
            ("Notes".to_owned(), 0),
            ("Year 2010-2011".to_owned(), 2)
        ]
    );
    assert_eq!(report.input.columns["CustomerID"], "Customer ID");
    // The second sheet's first line is row 3 of the log, and a duplicate of row 2.
    assert_eq!(quarantined(&out), vec![("duplicate".to_owned(), 3)]);
    assert_eq!(
        clean_invoices(&out),
        vec![
            ("489434".to_owned(), 1),
            ("489435".to_owned(), 2),
            ("536365".to_owned(), 4)
        ]
    );
    assert_eq!(outcome.customers, 1);

    // Named sheets are read in the order given, each once.
    let out = dir.path().join("named");
    let outcome = features_with(
        &input,
        &out,
        &reading_sheets(
            &data_dir,
            &["Year 2010-2011", "Year 2009-2010", "Year 2010-2011"],
        ),
    )
    .unwrap();
    assert_eq!(outcome.report.raw_rows, 4);
    assert_eq!(
        clean_invoices(&out),
        vec![
            ("489435".to_owned(), 1),
            ("536365".to_owned(), 2),
            ("489434".to_owned(), 3)
        ]
    );
    // Now the first year's line is the later copy.
    assert_eq!(quarantined(&out), vec![("duplicate".to_owned(), 4)]);
}

#[test]
fn a_day_first_date_on_one_sheet_settles_the_sheets_after_it() {
    let dir = tempfile::tempdir().unwrap();
    let header_row = || (1, 0, header(Text));
    // 13/1 can only be day first; 2/1 alone could be either.
    let input = workbook_of_sheets(
        dir.path(),
        "european.xlsx",
        &[
            (
                "2010",
                &[
                    header_row(),
                    sale(2, 536365.0, "85123A", 6.0, "13/1/2010 8:26"),
                ],
            ),
            (
                "2011",
                &[
                    header_row(),
                    sale(2, 536366.0, "22633", 4.0, "2/1/2011 9:00"),
                ],
            ),
        ],
    );
    let out = dir.path().join("out");
    features_with(
        &input,
        &out,
        &reading_sheets(&dir.path().join("data"), &["*"]),
    )
    .unwrap();
    assert_eq!(
        parquet_column(
            &out.join("clean/transactions.parquet"),
            "InvoiceDate",
            "Quantity"
        ),
        vec![
            ("2010-01-13T08:26:00".to_owned(), 6),
            ("2011-01-02T09:00:00".to_owned(), 4)
        ]
    );
}

#[test]
fn a_sheet_of_several_is_named_in_errors() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("data");
    let header_row = || (1, 0, header(Text));
    let refused = |input: &str, sheets: &[&str]| {
        features_with(
            input,
            &dir.path().join("out"),
            &reading_sheets(&data_dir, sheets),
        )
        .unwrap_err()
        .to_string()
    };
    // A bad cell on the second sheet: its record number counts through both sheets.
    let input = workbook_of_sheets(
        dir.path(),
        "bad.xlsx",
        &[
            (
                "2010",
                &[
                    header_row(),
                    sale(2, 536365.0, "85123A", 6.0, "12/1/2010 8:26"),
                ],
            ),
            (
                "2011",
                &[
                    header_row(),
                    sale(2, 536366.0, "22633", 6.0, "1/4/2011 10:00"),
                    sale(3, 536367.0, "22634", 2.0, "1/4/2011 10:00"),
                    (
                        4,
                        0,
                        vec![Number(536368.0), Text("22635"), Text("MUG"), Text("six")],
                    ),
                ],
            ),
        ],
    );
    let error = refused(&input, &["*"]);
    assert!(
        error.contains("bad.xlsx[2011]`, row 4 (line 4), column `Quantity`"),
        "{error}"
    );

    // A sheet with content but without the log's columns is not passed over in silence.
    let input = workbook_of_sheets(
        dir.path(),
        "notes.xlsx",
        &[
            (
                "Sales",
                &[
                    header_row(),
                    sale(2, 536365.0, "85123A", 6.0, "12/1/2010 8:26"),
                ],
            ),
            (
                "Notes",
                &[(1, 0, vec![Text("Exported from the shop on 2011-12-10")])],
            ),
        ],
    );
    let error = refused(&input, &["*"]);
    assert!(error.contains("notes.xlsx[Notes]`"), "{error}");
    assert!(error.contains("InvoiceNo"), "{error}");

    // A name the workbook lacks, among names it has.
    let error = refused(&input, &["Sales", "Returns"]);
    assert!(
        error.contains("no sheet named `Returns`; the workbook has `Sales`, `Notes`"),
        "{error}"
    );

    // Every sheet blank: nothing to read is an error, not an empty log, and an earlier
    // output stays as it was.
    let out = dir.path().join("out");
    std::fs::create_dir_all(out.join("reports")).unwrap();
    std::fs::write(out.join("reports/quality.json"), b"earlier run").unwrap();
    let blank = workbook_of_sheets(
        dir.path(),
        "blank.xlsx",
        &[("A", &[(1, 0, vec![Blank])]), ("B", &[header_row()])],
    );
    let error = refused(&blank, &["*"]);
    assert!(
        error.contains("blank.xlsx`: no sheet has data rows (read `A`, `B`)"),
        "{error}"
    );
    assert_eq!(
        std::fs::read(out.join("reports/quality.json")).unwrap(),
        b"earlier run"
    );
}
