//! http(s) inputs: downloaded once into `<data_dir>/raw/`, checksummed, reused.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use custseg_io::ContentHasher;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::options::IngestOptions;
use crate::Progress;
use crate::error::{Error, Result};

/// What is recorded beside a downloaded file.
#[derive(Debug, Serialize, Deserialize)]
struct DownloadRecord {
    url: String,
    sha256: String,
    bytes: u64,
    downloaded_at: String,
}

/// Whether `input` names a URL rather than a path.
pub(crate) fn is_url(input: &str) -> bool {
    let lower = input.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

/// The cached copy of `url` (downloading it if needed), verified against its record
/// and against `options.sha256` when set.
pub(crate) fn fetch(
    url: &str,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    let raw = options.data_dir.join("raw");
    std::fs::create_dir_all(&raw).map_err(|source| Error::io(&raw, source))?;
    let key = ContentHasher::new().part("url", url.as_bytes()).finish();
    let name = url
        .split(['?', '#'])
        .next()
        .and_then(|path| path.rsplit('/').next())
        .filter(|name| !name.is_empty())
        .unwrap_or("download");
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '+') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let path = raw.join(format!("{}-{safe}", &key[..16]));
    let record_path = raw.join(format!("{}-{safe}.json", &key[..16]));

    if path.exists() && record_path.exists() && !options.refresh {
        let record: DownloadRecord = std::fs::read(&record_path)
            .map_err(|source| Error::io(&record_path, source))
            .and_then(|bytes| {
                serde_json::from_slice(&bytes).map_err(|error| {
                    Error::in_file(
                        &record_path.display().to_string(),
                        format!("unreadable download record: {error}"),
                    )
                })
            })?;
        let actual = custseg_io::sha256_file(&path)?;
        if actual != record.sha256 {
            return Err(Error::Checksum {
                path,
                expected: record.sha256,
                actual,
                hint: format!(
                    " (the cached download of `{url}` changed on disk since it was fetched; pass `--refresh` to download it again)"
                ),
            });
        }
        check_pin(&path, &actual, options)?;
        tracing::info!(url, path = %path.display(), "using cached download");
        return Ok(path);
    }

    let (sha256, bytes) = download_with_retries(url, &path, progress)?;
    check_pin(&path, &sha256, options).inspect_err(|_| {
        let _ = std::fs::remove_file(&path);
    })?;
    let record = DownloadRecord {
        url: url.to_owned(),
        sha256,
        bytes,
        downloaded_at: chrono::Utc::now().to_rfc3339(),
    };
    let json =
        serde_json::to_vec_pretty(&record).map_err(|error| Error::Invariant(error.to_string()))?;
    custseg_io::write_atomic(&record_path, &json)?;
    Ok(path)
}

/// Fails when `options.sha256` pins a checksum other than `actual`.
pub(crate) fn check_pin(path: &Path, actual: &str, options: &IngestOptions) -> Result<()> {
    match &options.sha256 {
        Some(expected) if !expected.eq_ignore_ascii_case(actual) => Err(Error::Checksum {
            path: path.to_path_buf(),
            expected: expected.to_ascii_lowercase(),
            actual: actual.to_owned(),
            hint: " (pinned by `--sha256` / `ingest.sha256`)".to_owned(),
        }),
        _ => Ok(()),
    }
}

const ATTEMPTS: u32 = 3;

fn download_with_retries(url: &str, path: &Path, progress: &dyn Progress) -> Result<(String, u64)> {
    let mut delay = Duration::from_millis(500);
    for attempt in 1..=ATTEMPTS {
        match download_once(url, path, progress) {
            Ok(done) => return Ok(done),
            Err(Transient(message)) if attempt < ATTEMPTS => {
                tracing::warn!(url, attempt, %message, "download failed; retrying");
                std::thread::sleep(delay);
                delay *= 4;
            }
            Err(Transient(message)) => {
                return Err(Error::Download {
                    url: url.to_owned(),
                    message: format!("{message} (gave up after {ATTEMPTS} attempts)"),
                });
            }
            Err(Final(error)) => return Err(error),
        }
    }
    unreachable!("the loop returns on its last attempt")
}

enum Failure {
    Transient(String),
    Final(Error),
}
use Failure::{Final, Transient};

fn download_once(
    url: &str,
    path: &Path,
    progress: &dyn Progress,
) -> Result<(String, u64), Failure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        .timeout_recv_response(Some(Duration::from_secs(60)))
        .timeout_per_read(Some(Duration::from_secs(60)))
        .build()
        .into();
    let response = agent.get(url).call().map_err(|error| match error {
        ureq::Error::StatusCode(code) if code >= 500 || code == 429 => {
            Transient(format!("the server answered {code}"))
        }
        ureq::Error::StatusCode(code) => Final(Error::Download {
            url: url.to_owned(),
            message: format!(
                "the server answered {code}{}",
                if code == 404 { " Not Found" } else { "" }
            ),
        }),
        ureq::Error::Io(io) => Transient(io.to_string()),
        ureq::Error::ConnectionFailed | ureq::Error::Timeout(_) | ureq::Error::HostNotFound => {
            Transient(error.to_string())
        }
        other => Final(Error::Download {
            url: url.to_owned(),
            message: other.to_string(),
        }),
    })?;
    let total = response
        .headers()
        .get("content-length")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    progress.begin("download", total);
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    let result = (|| {
        let mut file =
            std::fs::File::create(&partial).map_err(|source| Final(Error::io(&partial, source)))?;
        let mut reader = response.into_body().into_reader();
        let mut hasher = Sha256::new();
        let mut buffer = vec![0u8; 1 << 16];
        let mut written: u64 = 0;
        loop {
            let read = reader
                .read(&mut buffer)
                .map_err(|error| Transient(error.to_string()))?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            file.write_all(&buffer[..read])
                .map_err(|source| Final(Error::io(&partial, source)))?;
            written += read as u64;
            progress.advance_to(written);
        }
        if let Some(total) = total.filter(|total| *total != written) {
            return Err(Transient(format!(
                "the transfer stopped after {written} of {total} bytes"
            )));
        }
        file.sync_all()
            .map_err(|source| Final(Error::io(&partial, source)))?;
        std::fs::rename(&partial, path).map_err(|source| Final(Error::io(path, source)))?;
        Ok((hex::encode(hasher.finalize()), written))
    })();
    progress.end();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}
