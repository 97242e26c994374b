//! Telling an input's format from its first bytes (never from its name alone).

use std::io::Read;
use std::path::Path;

use crate::error::{Error, Result};

/// A file format custseg reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv,
    /// Gzip-compressed delimited text.
    CsvGz,
    /// Excel workbook (Office Open XML).
    Xlsx,
    /// Legacy Excel workbook (BIFF8 in an OLE compound file, Excel 97-2003).
    Xls,
    /// OpenDocument spreadsheet (LibreOffice, OpenOffice).
    Ods,
    /// Apache Parquet.
    Parquet,
    /// A zip archive holding one of the others.
    Zip,
}

impl Format {
    /// The name shown in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::CsvGz => "csv.gz",
            Format::Xlsx => "xlsx",
            Format::Xls => "xls",
            Format::Ods => "ods",
            Format::Parquet => "parquet",
            Format::Zip => "zip",
        }
    }
}

/// The first bytes of an OLE compound file, the container of a legacy `.xls` workbook.
const OLE_SIGNATURE: [u8; 8] = [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1];

/// Detects the format of `bytes`, the start of a file; `name` settles what the bytes
/// cannot (an xlsx is itself a zip archive).
pub fn detect(bytes: &[u8], name: &str) -> Option<Format> {
    let lower = name.to_ascii_lowercase();
    if bytes.starts_with(b"PAR1") {
        Some(Format::Parquet)
    } else if bytes.starts_with(&[0x1f, 0x8b]) {
        Some(Format::CsvGz)
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        if lower.ends_with(".xlsx") || lower.ends_with(".xlsm") {
            Some(Format::Xlsx)
        } else if lower.ends_with(".ods") {
            Some(Format::Ods)
        } else {
            Some(Format::Zip)
        }
    } else if bytes.starts_with(&OLE_SIGNATURE) {
        Some(Format::Xls)
    } else if lower.ends_with(".xlsx")
        || lower.ends_with(".xls")
        || lower.ends_with(".ods")
        || lower.ends_with(".zip")
        || lower.ends_with(".parquet")
        || lower.ends_with(".gz")
    {
        None // named like a binary format but not one: corrupt or mislabelled
    } else {
        Some(Format::Csv)
    }
}

/// Detects the format of the file at `path`.
pub fn detect_file(path: &Path, shown: &str) -> Result<Format> {
    let mut head = [0u8; 8];
    let mut file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let read = file
        .read(&mut head)
        .map_err(|source| Error::io(path, source))?;
    if read == 0 {
        return Err(Error::in_file(shown, "the file is empty"));
    }
    detect(&head[..read], shown).ok_or_else(|| {
        Error::in_file(
            shown,
            "not a readable CSV, gzip, xlsx, xls, ods, Parquet or zip file (the first bytes match none \
             of them; is it truncated?)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(detect(b"PAR1....", "x.csv"), Some(Format::Parquet));
        assert_eq!(detect(&[0x1f, 0x8b, 8, 0], "x.csv"), Some(Format::CsvGz));
        assert_eq!(detect(b"PK\x03\x04", "a.zip"), Some(Format::Zip));
        assert_eq!(
            detect(b"PK\x03\x04", "Online Retail.xlsx"),
            Some(Format::Xlsx)
        );
        assert_eq!(detect(b"InvoiceNo,", "x.txt"), Some(Format::Csv));
        assert_eq!(detect(b"garbage", "x.zip"), None);
        assert_eq!(
            detect(&OLE_SIGNATURE, "Online Retail.xls"),
            Some(Format::Xls)
        );
        assert_eq!(detect(b"garbage", "x.xls"), None);
        assert_eq!(detect(b"PK\x03\x04", "sales.ods"), Some(Format::Ods));
    }
}
