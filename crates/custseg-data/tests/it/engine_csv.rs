//! The parse of CSV and CSV.gz inputs as query-engine statements (what a cluster's executors
//! run) against the client's own parse of the same files, and the inputs the engine leaves
//! to the client.

use std::io::Write;
use std::path::Path;

use arrow::array::{Array, AsArray};
use arrow::datatypes::{Int64Type, TimestampMicrosecondType};
use custseg_data::ingest::DateFormat;

use super::engine_parse::{assert_same_parse, ingest_on_engine, options, read_parse};

/// Line `i` of a month-first log in the aliases of Online Retail II, with the shapes real
/// exports hold: quoted descriptions with the delimiter, doubled quotes and a line break
/// inside, empty and blank cells, numbers with signs, white space, `.0` and exponents,
/// customer ids as floats, dates with and without seconds or time, and ISO dates; the
/// `a/b/yyyy` dates day-first when `day_first`.
fn line(i: usize, delimiter: char, day_first: bool) -> String {
    let invoice = if i.is_multiple_of(41) {
        format!("C{}", 536_000 + i / 3)
    } else {
        (536_000 + i / 3).to_string()
    };
    let code = match i % 97 {
        0 => String::new(),
        1 => "POST".to_owned(),
        _ => format!("{}A", 20_000 + i % 50),
    };
    let description = match i % 11 {
        0 => String::new(),
        1 => format!("\"HEART{delimiter} T-LIGHT \"\"HOLDER\"\" {}\"", i % 7),
        2 => "\"TWO\nLINES\"".to_owned(),
        _ => format!("ITEM {}", i % 40),
    };
    let quantity = match i % 13 {
        0 => " 6 ".to_owned(),
        1 => "+3".to_owned(),
        2 => "-2".to_owned(),
        3 => "12.0".to_owned(),
        4 => "   ".to_owned(),
        _ => (i % 13).to_string(),
    };
    let day = 1 + i % 28;
    let slash = |month: usize, rest: &str| {
        if day_first {
            format!("{day}/{month}/{rest}")
        } else {
            format!("{month}/{day}/{rest}")
        }
    };
    let date = match i % 9 {
        0 => slash(12, "2010 8:26"),
        1 => slash(12, &format!("2010 08:{:02}:59", i % 60)),
        2 => slash(1, "2011"),
        3 => format!("2011-01-{day:02} 10:0{}", i % 10),
        4 if i.is_multiple_of(5) => String::new(),
        _ => slash(1 + i % 12, &format!("2011 {}:{:02}", i % 24, i % 60)),
    };
    let price = match i % 7 {
        0 => "2.55".to_owned(),
        1 => " .5".to_owned(),
        2 => "1e2".to_owned(),
        3 => "3.".to_owned(),
        4 => String::new(),
        5 => "-11062.06".to_owned(),
        _ => format!("{}.{:02}", i % 30, i % 100),
    };
    let customer = match i % 4 {
        0 => String::new(),
        1 => format!("{}.0", 12_000 + i % 300),
        _ => (12_000 + i % 300).to_string(),
    };
    let country = if i.is_multiple_of(5) {
        "France"
    } else {
        "United Kingdom"
    };
    [
        invoice,
        code,
        description,
        quantity,
        date,
        price,
        customer,
        country.to_owned(),
    ]
    .join(&delimiter.to_string())
}

const HEADER: [&str; 8] = crate::support::ONLINE_RETAIL_II_HEADER;

/// A log file of lines `lines` with a header (a byte-order mark and padded names first).
fn log_text(lines: impl Iterator<Item = String>, delimiter: char) -> String {
    let mut text = format!(
        "\u{feff}{}\r\n",
        HEADER
            .map(|name| format!(" {name}"))
            .join(&delimiter.to_string())
    );
    for line in lines {
        text.push_str(&line);
        text.push_str("\r\n");
    }
    text
}

fn write_gz(path: &Path, text: &str) {
    let file = std::fs::File::create(path).unwrap();
    let mut encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
    encoder.write_all(text.as_bytes()).unwrap();
    encoder.finish().unwrap();
}

#[test]
fn a_csv_file_parsed_by_the_engine_equals_the_clients_parse_row_for_row() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log.csv");
    // A blank line (not a record, for either reader) and a record of empty fields.
    let lines = (0..3_000).map(|i| match i {
        1_000 => String::new(),
        2_000 => ",,,,,,,".to_owned(),
        _ => line(i, ',', false),
    });
    std::fs::write(&input, log_text(lines, ',')).unwrap();
    let engine = assert_same_parse(&input, &dir.path().join("data"));
    assert_eq!(engine.outcome.rows, 2_999);
    assert_eq!(engine.outcome.date_format, "mdy (detected)");
    assert_eq!(engine.outcome.delimiter, Some(','));
    // The shapes above came through: spot checks on the engine's parse.
    let parse = read_parse(&engine.parsed);
    let quantity = parse.column(4).as_primitive::<Int64Type>();
    assert_eq!(quantity.value(0), 6);
    assert_eq!(quantity.value(1), 3);
    assert_eq!(quantity.value(3), 12);
    assert!(quantity.is_null(4));
    let price = parse
        .column(6)
        .as_primitive::<arrow::datatypes::Float64Type>();
    assert_eq!(price.value(2), 100.0);
    assert_eq!(price.value(1), 0.5);
    let description = parse.column(3).as_string::<i32>();
    assert_eq!(description.value(2), "TWO\nLINES");
    assert_eq!(description.value(1), "HEART, T-LIGHT \"HOLDER\" 1");
    let dates = parse.column(5).as_primitive::<TimestampMicrosecondType>();
    // Row 2 (i = 1): 12/2/2010 08:01:59, month-first.
    assert_eq!(dates.value(1), 1_291_276_919_000_000);
}

#[test]
fn a_directory_of_csv_gz_files_settles_day_first_once_and_reads_the_rest_with_it() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("log");
    std::fs::create_dir_all(&input).unwrap();
    // Day-first: the first file's first date can only be day-first; the second file's
    // dates are all ambiguous, and are read day-first because the first file settled it.
    let first: Vec<String> = std::iter::once(
        "536365;85123A;WHITE HANGING HEART;6;13/12/2010 08:26;2.55;17850;United Kingdom".to_owned(),
    )
    .chain((0..1_500).map(|i| line(i, ';', true)))
    .collect();
    write_gz(
        &input.join("part-0.csv.gz"),
        &log_text(first.into_iter(), ';'),
    );
    let second = (0..800).map(|i| {
        format!(
            "536999;22633;HAND WARMER;2;{}/{}/2011 9:15;1.85;13047;France",
            1 + i % 12,
            1 + i % 12
        )
    });
    write_gz(&input.join("part-1.csv.gz"), &log_text(second, ';'));
    let engine = assert_same_parse(&input, &dir.path().join("data"));
    assert_eq!(engine.outcome.rows, 2_301);
    assert_eq!(engine.outcome.date_format, "dmy");
    assert_eq!(engine.outcome.delimiter, Some(';'));
    let parse = read_parse(&engine.parsed);
    let rows = parse.column(0).as_primitive::<Int64Type>();
    assert!(rows.values().iter().copied().eq(1..=2_301_i64));
}

#[test]
fn inputs_outside_the_engines_sql_are_parsed_by_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let cases: [(&str, &str); 4] = [
        ("latin1", "a description in Latin-1"),
        ("am_pm", "12/1/2010 8:26 PM"),
        ("serial", "40513.35"),
        ("exponent", "a quantity of 1e1"),
    ];
    for (name, _) in cases {
        let input = dir.path().join(format!("{name}.csv"));
        let mut bytes = log_text((0..200).map(|i| line(i, ',', false)), ',').into_bytes();
        let extra: Vec<u8> = match name {
            "latin1" => {
                b"536999,22633,CR\xc8ME BR\xdbL\xc9E,2,12/3/2010 9:15,1.85,13047,France\r\n"
                    .to_vec()
            }
            "am_pm" => {
                b"536999,22633,HAND WARMER,2,12/3/2010 9:15 PM,1.85,13047,France\r\n".to_vec()
            }
            "serial" => b"536999,22633,HAND WARMER,2,40513.35,1.85,13047,France\r\n".to_vec(),
            _ => b"536999,22633,HAND WARMER,1e1,12/3/2010 9:15,1.85,13047,France\r\n".to_vec(),
        };
        bytes.extend(extra);
        std::fs::write(&input, &bytes).unwrap();
        let mut settings = options(&data, true);
        settings.encoding = custseg_data::ingest::Encoding::Auto;
        let parsed = ingest_on_engine(&input, &settings).unwrap();
        assert!(parsed.parsed.is_file(), "{name}: the engine parsed it");
        assert_eq!(parsed.outcome.rows, 201, "{name}");
        if name == "latin1" {
            assert_eq!(
                parsed.outcome.encoding,
                "windows-1252 (detected at row 201)"
            );
        }
    }
}

#[test]
fn values_the_client_refuses_are_named_by_the_clients_reader() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "536999,22633,HAND WARMER,1.5,12/3/2010 9:15,1.85,13047,France",
            DateFormat::Auto,
            "row 201",
            "column `Quantity`: is not a whole number",
        ),
        (
            "536999,22633,HAND WARMER,2,12/3/2010 9:15,1.85,13047,France",
            DateFormat::Iso,
            "row 1",
            "cannot read the date",
        ),
        (
            "536999,22633,HAND WARMER,2,31/3/2011 9:15,1.85,13047,France",
            DateFormat::Auto,
            "row 201",
            "is day-first, but the dates up to row 1 read as month-first",
        ),
        (
            "536999,22633,HAND WARMER,2,2/30/2011 9:15,1.85,13047,France",
            DateFormat::Auto,
            "row 201",
            "cannot read the date `2/30/2011 9:15`",
        ),
    ];
    for (index, (extra, format, row, message)) in cases.into_iter().enumerate() {
        let input = dir.path().join(format!("bad-{index}.csv"));
        // Only ambiguous month-first dates before the bad line.
        let lines = (0..200).map(|i| {
            format!(
                "536365,85123A,WHITE HANGING HEART,6,{}/{}/2010 8:26,2.55,17850,United Kingdom",
                1 + i % 12,
                1 + i % 12
            )
        });
        let mut text = log_text(lines, ',');
        text.push_str(extra);
        text.push_str("\r\n");
        std::fs::write(&input, text).unwrap();
        let mut settings = options(&dir.path().join("data"), true);
        settings.date_format = format;
        let error = ingest_on_engine(&input, &settings).unwrap_err().to_string();
        assert!(
            error.contains(row) && error.contains(message),
            "case {index}: {error}"
        );
    }
}

#[test]
fn the_real_csv_gz_is_parsed_by_the_engine_like_the_client() {
    let dir = tempfile::tempdir().unwrap();
    let input = crate::support::shared_data("online_retail.csv.gz");
    let engine = assert_same_parse(&input, &dir.path().join("data"));
    assert_eq!(engine.outcome.rows, 541_909);
    assert_eq!(engine.outcome.date_format, "mdy (detected)");
}
