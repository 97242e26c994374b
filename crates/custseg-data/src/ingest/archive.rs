//! Zip archives holding one CSV, CSV.gz, xlsx, xls, ods or Parquet file.

use std::io::{Cursor, Read};
use std::path::Path;

use super::csv_reader::{read_csv, read_csv_gz};
use super::options::IngestOptions;
use super::parquet_reader::{ParquetInput, read_parquet};
use super::range_reader::{read_ods, read_xls};
use super::read_ahead::read_ahead;
use super::xlsx_reader::read_xlsx;
use super::{ReadOutcome, Sink};
use crate::error::{Error, Result, quoted};

/// A member's kind, from its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MemberKind {
    Csv,
    CsvGz,
    Xlsx,
    Xls,
    Ods,
    Parquet,
}

fn member_kind(name: &str) -> Option<MemberKind> {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit('/').next().unwrap_or(&lower);
    if base.starts_with('.') || lower.starts_with("__macosx/") || lower.ends_with('/') {
        return None;
    }
    if base.ends_with(".csv") || base.ends_with(".tsv") || base.ends_with(".txt") {
        Some(MemberKind::Csv)
    } else if base.ends_with(".csv.gz") || base.ends_with(".tsv.gz") {
        Some(MemberKind::CsvGz)
    } else if base.ends_with(".xlsx") || base.ends_with(".xlsm") {
        Some(MemberKind::Xlsx)
    } else if base.ends_with(".xls") {
        Some(MemberKind::Xls)
    } else if base.ends_with(".ods") {
        Some(MemberKind::Ods)
    } else if base.ends_with(".parquet") {
        Some(MemberKind::Parquet)
    } else {
        None
    }
}

/// Reads the usable member of the zip archive at `path`.
pub(crate) fn read_zip(
    path: &Path,
    shown: &str,
    options: &IngestOptions,
    sink: &mut Sink<'_>,
) -> Result<(ReadOutcome, String)> {
    let file = std::fs::File::open(path).map_err(|source| Error::io(path, source))?;
    let mut archive = zip::ZipArchive::new(file)
        .map_err(|error| Error::in_file(shown, format!("not a readable zip archive: {error}")))?;
    let names: Vec<String> = archive
        .file_names()
        .map(|name| name.map(|name| name.into_owned()))
        .collect::<Result<_, _>>()
        .map_err(|error| Error::in_file(shown, format!("not a readable zip archive: {error}")))?;
    let usable: Vec<&String> = names
        .iter()
        .filter(|name| member_kind(name).is_some())
        .collect();
    let listing = || {
        if names.is_empty() {
            "it is empty".to_owned()
        } else {
            format!("it holds {}", quoted(&names))
        }
    };
    let member = match &options.member {
        Some(wanted) => names
            .iter()
            .find(|name| *name == wanted || name.rsplit('/').next() == Some(wanted.as_str()))
            .cloned()
            .ok_or_else(|| {
                Error::in_file(
                    shown,
                    format!("no member `{wanted}` in the archive; {}", listing()),
                )
            })?,
        None => match usable.as_slice() {
            [only] => (*only).clone(),
            [] => {
                return Err(Error::in_file(
                    shown,
                    format!(
                        "the archive holds no CSV, xlsx, xls, ods or Parquet file; {}",
                        listing()
                    ),
                ));
            }
            several => {
                return Err(Error::in_file(
                    shown,
                    format!(
                        "the archive holds several usable files ({}); choose one with `--member`",
                        quoted(several)
                    ),
                ));
            }
        },
    };
    let kind = member_kind(&member).ok_or_else(|| {
        Error::in_file(
            shown,
            format!("the member `{member}` is not a CSV, xlsx, xls, ods or Parquet file"),
        )
    })?;
    let member_shown = format!("{shown}:{member}");
    if !options.sheet.is_empty()
        && matches!(
            kind,
            MemberKind::Csv | MemberKind::CsvGz | MemberKind::Parquet
        )
    {
        tracing::warn!(
            input = %member_shown,
            "`sheet` is set but the archive's member is not a workbook; it has no sheets to choose"
        );
    }
    let mut entry = archive.by_name(&member).map_err(|error| {
        Error::in_file(
            &member_shown,
            format!("cannot open the archive member: {error}"),
        )
    })?;
    let read_all = |entry: &mut zip::read::ZipFile<'_, std::fs::File>| -> Result<Vec<u8>> {
        let mut bytes = Vec::with_capacity(usize::try_from(entry.size()).unwrap_or(0));
        entry.read_to_end(&mut bytes).map_err(|error| {
            Error::in_file(
                &member_shown,
                format!("cannot decompress the archive member: {error}"),
            )
        })?;
        Ok(bytes)
    };
    let outcome = match kind {
        // The member is inflated on a thread of its own, ahead of the parser.
        MemberKind::Csv => read_ahead(&mut entry, |text| {
            read_csv(text, &member_shown, false, options, sink)
        })?,
        MemberKind::CsvGz => read_csv_gz(&mut entry, &member_shown, options, sink)?,
        MemberKind::Xlsx => {
            let bytes = read_all(&mut entry)?;
            read_xlsx(Cursor::new(bytes), &member_shown, options, sink)?
        }
        MemberKind::Xls => {
            let bytes = read_all(&mut entry)?;
            read_xls(Cursor::new(bytes), &member_shown, options, sink)?
        }
        MemberKind::Ods => {
            let bytes = read_all(&mut entry)?;
            read_ods(Cursor::new(bytes), &member_shown, options, sink)?
        }
        MemberKind::Parquet => {
            let bytes = read_all(&mut entry)?;
            read_parquet(
                ParquetInput::Bytes(bytes.into()),
                &member_shown,
                options,
                sink,
            )?
        }
    };
    Ok((outcome, member))
}
