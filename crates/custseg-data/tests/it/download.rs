//! URL inputs against a small HTTP server on 127.0.0.1.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::support::{HEADER, features};

/// Serves `body` at `/log.csv` and 404 elsewhere, counting requests; stops with the test process.
fn serve(body: Vec<u8>) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming().take(50) {
            let Ok(mut stream) = stream else { continue };
            let mut request_line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut request_line).unwrap_or_default();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap_or(0) <= 2 {
                    break;
                }
            }
            counter.fetch_add(1, Ordering::SeqCst);
            if request_line.starts_with("GET /log.csv ") {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes());
                let _ = stream.write_all(&body);
            } else {
                let _ = stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
            }
        }
    });
    (format!("http://{address}"), hits)
}

fn body() -> Vec<u8> {
    format!("{HEADER}536365,85123A,WHITE MUG,6,12/1/2010 8:26,2.55,17850,United Kingdom\n")
        .into_bytes()
}

#[test]
fn url_is_downloaded_once_and_reused() {
    let (base, hits) = serve(body());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{base}/log.csv");
    let first = features(&url, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    assert_eq!(first.customers, 1);
    assert_eq!(hits.load(Ordering::SeqCst), 1);
    let second = features(&url, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the second run must use the cached download"
    );
    assert!(second.report.input.parsed_from_cache);
    assert_eq!(first.report.input.sha256, second.report.input.sha256);
    let raw: Vec<_> = std::fs::read_dir(dir.path().join("data/raw"))
        .unwrap()
        .collect();
    assert_eq!(raw.len(), 2, "the download and its checksum record");
}

#[test]
fn not_found_is_a_clear_error() {
    let (base, _) = serve(body());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{base}/missing.csv");
    let error = features(&url, &dir.path().join("out"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(
        error.contains(&format!(
            "downloading `{url}`: the server answered 404 Not Found"
        )),
        "{error}"
    );
    assert!(!dir.path().join("out/features").exists());
}

#[test]
fn a_cached_download_whose_checksum_changed_is_refused() {
    let (base, _) = serve(body());
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{base}/log.csv");
    features(&url, &dir.path().join("out"), &dir.path().join("data")).unwrap();
    let cached = std::fs::read_dir(dir.path().join("data/raw"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| path.extension().is_none_or(|extension| extension != "json"))
        .unwrap();
    std::fs::write(&cached, b"tampered").unwrap();
    let error = features(&url, &dir.path().join("out2"), &dir.path().join("data"))
        .unwrap_err()
        .to_string();
    assert!(error.contains("checksum changed"), "{error}");
    assert!(error.contains("--refresh"), "{error}");
}
