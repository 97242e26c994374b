//! The report: `custseg run` writes it with the other outputs, `custseg report` redraws it,
//! PNG copies, refusal without outputs, and the page in headless Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{custseg, text};
use crate::model::shared_data;

const SECTIONS: [&str; 8] = [
    "quality",
    "business",
    "features",
    "choosing-k",
    "segments",
    "rfm",
    "cohorts",
    "clv",
];

pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What `tests/browser/check_page.mjs` saw, as JSON. Fails with what to install when the
/// browser or its driver is missing: this test never skips.
pub fn open_in_chromium(page: &Path, screenshot: &Path) -> serde_json::Value {
    run_browser_script(
        "check_page.mjs",
        &[
            format!("file://{}", page.canonicalize().unwrap().display()),
            screenshot.display().to_string(),
        ],
    )
}

/// Runs one of `tests/browser/`'s scripts with `args` (Chromium's path appended) and parses its
/// JSON output.
pub fn run_browser_script(name: &str, args: &[String]) -> serde_json::Value {
    let script = workspace().join("tests/browser").join(name);
    let driver = workspace().join("tests/browser/node_modules/playwright-core");
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    let missing: Vec<String> = [
        (!driver.exists()).then(|| {
            format!(
                "`{}` (run `npm ci --prefix tests/browser`)",
                driver.display()
            )
        }),
        (!Path::new(&chromium).exists())
            .then(|| format!("`{chromium}` (run `apt-get install chromium`)")),
    ]
    .into_iter()
    .flatten()
    .collect();
    assert!(
        missing.is_empty(),
        "the browser test needs {}; `.ci/run` installs both",
        missing.join(" and ")
    );
    let output = Command::new("node")
        .arg(&script)
        .args(args)
        .arg(&chromium)
        .output()
        .expect("`node` runs (Node.js is needed for the browser test)");
    assert!(output.status.success(), "{}", text(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn run_writes_the_report_and_it_opens_cleanly_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let input = shared_data("online_retail.parquet");
    // Not `-q`: the lifetime-value stage's warning is checked on stderr below.
    let output = custseg(
        dir.path(),
        &["run", "--input", input.to_str().unwrap(), "--out", "out"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(
        stdout.contains(&format!("report     8 sections ({})", SECTIONS.join(", "))),
        "{stdout}"
    );
    // The lifetime-value stage of run gives lifetimes' 12-month total on the real data.
    assert!(
        stdout.contains("CLV        12 months, 1.0 % per month: total 8438415"),
        "{stdout}"
    );
    // Its warning is shown once, on stderr.
    let stderr = text(&output.stderr);
    assert!(
        stderr.contains("warning: BG/NBD sees almost no dropout"),
        "{stderr}"
    );
    assert!(!stdout.contains("almost no dropout"), "{stdout}");

    let page_path = dir.path().join("out/report/index.html");
    let page = std::fs::read_to_string(&page_path).unwrap();
    for section in SECTIONS {
        assert!(
            page.contains(&format!("data-section=\"{section}\"")),
            "{section}"
        );
    }
    // The page's numbers are the run's.
    assert!(page.contains("541,909 rows read: 399,573 kept, 142,336 (26.3 %) quarantined"));
    assert!(page.contains("4,362 customers"));
    // Lifetime value with its uncertainty: the parameters' standard errors and intervals (BG/NBD's
    // a, near zero on this data, spans orders of magnitude), the total's interval, and the top
    // customers with theirs.
    assert!(page.contains("Fitted parameters"));
    assert!(
        page.contains("<td>BG/NBD</td><td>a</td>"),
        "the parameter table lists a"
    );
    assert!(
        page.contains("90 % interval "),
        "the lead gives the total's interval"
    );
    assert!(page.contains("The 10 most valuable customers, with 90 % intervals"));
    assert!(page.contains("The log ends on 2011-12-09, so 2011-12 is a partial month."));
    // Self-contained: no scripts and nothing fetched.
    assert!(!page.contains("<script"));
    assert!(!page.contains("src=") && !page.contains("href=\"http") && !page.contains("url("));

    // Segment profiles carry the lifetime value, and it adds up to the stage's total.
    let profiles: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("out/segments/profiles.json")).unwrap(),
    )
    .unwrap();
    let segments = profiles["segments"].as_array().unwrap();
    let total: f64 = segments
        .iter()
        .map(|s| s["value"]["total_clv"].as_f64().unwrap())
        .sum();
    assert!((total - 8_438_415.0).abs() < 1.0, "{total}");
    let share: f64 = segments
        .iter()
        .map(|s| s["value"]["share_of_clv"].as_f64().unwrap())
        .sum();
    assert!((share - 1.0).abs() < 1e-9);

    // In the browser: no console error, no request leaves the page, every section drawn.
    let artifacts = workspace().join("target/report-e2e");
    std::fs::create_dir_all(&artifacts).unwrap();
    let screenshot = artifacts.join("report.png");
    let seen = open_in_chromium(&page_path, &screenshot);
    assert_eq!(seen["console_errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["page_errors"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["requests"], serde_json::json!([]), "{seen}");
    let found: Vec<&str> = seen["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            assert!(s["charts"].as_u64().unwrap() > 0, "{s}");
            assert!(s["tables"].as_u64().unwrap() > 0, "{s}");
            s["id"].as_str().unwrap()
        })
        .collect();
    assert_eq!(found, SECTIONS);
    let png = std::fs::read(&screenshot).unwrap();
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 100_000,
        "{} bytes",
        png.len()
    );

    // `custseg report` redraws the same page from the files, and PNG copies on request.
    let output = custseg(
        dir.path(),
        &["-q", "report", "--out", "out", "--format", "png"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert_eq!(std::fs::read_to_string(&page_path).unwrap(), page);
    let charts = page.matches("<figure id=\"chart-").count();
    let pngs: Vec<PathBuf> = std::fs::read_dir(dir.path().join("out/report"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "png"))
        .collect();
    assert_eq!(pngs.len(), charts);
    for png in &pngs {
        let bytes = std::fs::read(png).unwrap();
        assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{}", png.display());
    }
    assert!(dir.path().join("out/report/quality_funnel.png").exists());
}

#[test]
fn report_without_outputs_is_refused_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("empty")).unwrap();
    let output = custseg(dir.path(), &["report", "--out", "empty"]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("has no `reports/quality.json`"), "{stderr}");
    assert!(stderr.contains("run `custseg run`"), "{stderr}");
    assert_eq!(
        std::fs::read_dir(dir.path().join("empty")).unwrap().count(),
        0
    );
}

#[test]
fn skip_clv_leaves_the_lifetime_value_stage_out() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("custseg.toml"),
        "[demo]\nrows = 30000\n\n[model.search]\nn_init = 2\nstability_bootstraps = 2\n",
    )
    .unwrap();
    let output = custseg(
        dir.path(),
        &["-q", "run", "--demo", "--out", "out", "--skip-clv"],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    let stdout = text(&output.stdout);
    assert!(stdout.contains("report     7 sections"), "{stdout}");
    assert!(!dir.path().join("out/clv").exists());
    let page = std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap();
    assert!(!page.contains("data-section=\"clv\""));

    // Without the report stage the earlier report stays as it was; asking for PNGs of a
    // report that is skipped is a usage error.
    let output = custseg(
        dir.path(),
        &[
            "-q",
            "run",
            "--demo",
            "--out",
            "out",
            "--skip-clv",
            "--skip-report",
        ],
    );
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(!text(&output.stdout).contains("report     "));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("out/report/index.html")).unwrap(),
        page
    );
    let output = custseg(
        dir.path(),
        &[
            "run",
            "--demo",
            "--out",
            "out",
            "--skip-report",
            "--format",
            "png",
        ],
    );
    assert_eq!(output.status.code(), Some(2));
}
