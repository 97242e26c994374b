//! Object-store inputs (`s3://bucket/prefix/`, `gs://bucket/prefix/`, and `file:///path`
//! for the same code path on a local directory), read through the `object_store` crate that
//! DataFusion uses.
//!
//! The objects are copied into `<data_dir>/objects/<key>/`, keeping their paths below the
//! prefix, and then read like a local file or directory: the parse runs in this process
//! (see `docs/cluster.md`), so it needs the bytes here anyway, and the copy lets a re-run
//! skip every object whose size and ETag (or modification time) have not changed.
//!
//! Credentials and settings come from the environment as each store's own tools read them
//! (`AWS_ACCESS_KEY_ID`, `AWS_REGION`, `AWS_ENDPOINT`, `GOOGLE_SERVICE_ACCOUNT`, ...) and
//! from `[ingest.object_store]` in `custseg.toml`, whose keys are the `object_store`
//! configuration keys (`aws_region = "eu-west-1"`, `aws_endpoint = "http://minio:9000"`,
//! `google_service_account = "/path/key.json"`); the file's values win.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures::TryStreamExt;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::gcp::{GoogleCloudStorageBuilder, GoogleConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig};
use serde::{Deserialize, Serialize};

use super::directory::is_skipped;
use super::options::IngestOptions;
use crate::Progress;
use crate::error::{Error, Result};

/// URL schemes read through `object_store`.
const SCHEMES: [&str; 4] = ["s3://", "gs://", "gcs://", "file://"];

/// Whether `input` names an object-store location.
pub(crate) fn is_object_store_url(input: &str) -> bool {
    let lower = input.to_ascii_lowercase();
    SCHEMES.iter().any(|scheme| lower.starts_with(scheme))
}

/// How long one request may take before it counts as failed, and how long all retries of
/// it may take: a store that does not answer is an error within a minute, not a hang.
const REQUEST_TIMEOUT: &str = "30s";
const CONNECT_TIMEOUT: &str = "5s";
const RETRY_TIMEOUT: Duration = Duration::from_secs(20);

/// What was copied, recorded beside the copy.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    /// Object path below the prefix -> its version (size and ETag or modification time).
    objects: BTreeMap<String, String>,
}

/// Copies the object or the objects under the prefix `url` into the data directory and
/// returns the local file or directory holding them.
pub(crate) fn fetch(
    url: &str,
    options: &IngestOptions,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    let (store, prefix) = open(url, &options.object_store)?;
    let key = custseg_io::ContentHasher::new()
        .part("object-store-url", url.trim_end_matches('/').as_bytes())
        .finish();
    let local = options.data_dir.join("objects").join(&key[..24]);
    // The copy runs on a runtime of its own, so that this works from synchronous code
    // called inside the commands' runtime as well as outside one.
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|source| Error::io(&local, source))?
                    .block_on(copy_objects(
                        url,
                        store.as_ref(),
                        &prefix,
                        &local,
                        options.refresh,
                        progress,
                    ))
            })
            .join()
            .map_err(|_| Error::Invariant(format!("copying `{url}` panicked")))?
    })
}

/// The store and the path inside it that `url` names.
fn open(
    url: &str,
    settings: &BTreeMap<String, String>,
) -> Result<(Box<dyn ObjectStore>, ObjectPath)> {
    let bad = |message: String| Error::in_file(url, message);
    let parsed = url::Url::parse(url).map_err(|error| bad(format!("not a valid URL: {error}")))?;
    // Timeouts first, so that the file's settings can change them.
    let mut all: Vec<(&str, &str)> = vec![
        ("timeout", REQUEST_TIMEOUT),
        ("connect_timeout", CONNECT_TIMEOUT),
    ];
    all.extend(
        settings
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str())),
    );
    let retry = RetryConfig {
        max_retries: 3,
        retry_timeout: RETRY_TIMEOUT,
        ..RetryConfig::default()
    };
    let unknown = |name: &str, store: &str| {
        bad(format!(
            "`[ingest.object_store]` has the unknown {store} setting `{name}`"
        ))
    };
    let cannot = |error: object_store::Error| bad(format!("cannot open the object store: {error}"));
    let store: Box<dyn ObjectStore> = match parsed.scheme() {
        "s3" => {
            let mut builder = AmazonS3Builder::from_env().with_url(url).with_retry(retry);
            for (name, value) in all {
                let key: AmazonS3ConfigKey = name.parse().map_err(|_| unknown(name, "S3"))?;
                builder = builder.with_config(key, value);
            }
            Box::new(builder.build().map_err(cannot)?)
        }
        "gs" | "gcs" => {
            let mut builder = GoogleCloudStorageBuilder::from_env()
                .with_url(url)
                .with_retry(retry);
            for (name, value) in all {
                let key: GoogleConfigKey = name
                    .parse()
                    .map_err(|_| unknown(name, "Google Cloud Storage"))?;
                builder = builder.with_config(key, value);
            }
            Box::new(builder.build().map_err(cannot)?)
        }
        "file" => Box::new(LocalFileSystem::new()),
        other => {
            return Err(bad(format!(
                "the URL scheme `{other}` is not an object store"
            )));
        }
    };
    let path = match parsed.scheme() {
        "file" => {
            let local = parsed
                .to_file_path()
                .map_err(|_| bad("not a local file URL".to_owned()))?;
            ObjectPath::from_absolute_path(&local)
                .map_err(|error| bad(format!("not a usable path: {error}")))?
        }
        _ => ObjectPath::from_url_path(parsed.path())
            .map_err(|error| bad(format!("not a usable object path: {error}")))?,
    };
    Ok((store, path))
}

/// The version of an object a copy is checked against.
fn version(meta: &ObjectMeta) -> String {
    format!(
        "{} bytes, {}",
        meta.size,
        meta.e_tag
            .clone()
            .unwrap_or_else(|| meta.last_modified.to_rfc3339())
    )
}

async fn copy_objects(
    url: &str,
    store: &dyn ObjectStore,
    prefix: &ObjectPath,
    local: &Path,
    refresh: bool,
    progress: &dyn Progress,
) -> Result<PathBuf> {
    let failed =
        |what: &str, error: object_store::Error| Error::in_file(url, format!("{what}: {error}"));
    // An object of exactly this name is a single-file input; otherwise, a prefix.
    let single = match store.head(prefix).await {
        Ok(meta) => Some(meta),
        Err(object_store::Error::NotFound { .. }) => None,
        // A local directory answers `head` with an error of its own kind.
        Err(_) if url.to_ascii_lowercase().starts_with("file://") => None,
        Err(error) => return Err(failed("cannot reach the object", error)),
    };
    let is_single = single.is_some();
    // Each object with its path below the prefix, which is its path in the copy.
    let objects: Vec<(ObjectMeta, String)> = match single {
        Some(meta) => {
            let name = meta.location.filename().unwrap_or("object").to_owned();
            vec![(meta, name)]
        }
        None => {
            let listed: Vec<ObjectMeta> = store
                .list(Some(prefix))
                .try_collect()
                .await
                .map_err(|error| failed("cannot list the objects", error))?;
            let prefix_parts = prefix.parts().count();
            let mut objects: Vec<(ObjectMeta, String)> = listed
                .into_iter()
                .map(|meta| {
                    let below: Vec<String> = meta
                        .location
                        .parts()
                        .skip(prefix_parts)
                        .map(|part| part.as_ref().to_owned())
                        .collect();
                    (meta, below)
                })
                .filter(|(_, below)| !below.iter().any(|part| is_skipped(part)))
                .map(|(meta, below)| (meta, below.join("/")))
                .collect();
            objects.sort_by(|a, b| a.1.cmp(&b.1));
            objects
        }
    };
    if objects.is_empty() {
        return Err(Error::in_file(url, "no objects under this prefix"));
    }
    std::fs::create_dir_all(local).map_err(|source| Error::io(local, source))?;
    let manifest_path = local.join(".manifest.json");
    let mut manifest: Manifest = std::fs::read(&manifest_path)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .unwrap_or_default();
    progress.begin("objects", Some(objects.len() as u64));
    let mut wanted = BTreeMap::new();
    for (index, (meta, relative)) in objects.iter().enumerate() {
        let target = local.join(relative);
        let current = version(meta);
        let fresh =
            !refresh && target.is_file() && manifest.objects.get(relative) == Some(&current);
        if !fresh {
            let bytes = store
                .get(&meta.location)
                .await
                .map_err(|error| failed(&format!("cannot read `{}`", meta.location), error))?
                .bytes()
                .await
                .map_err(|error| failed(&format!("cannot read `{}`", meta.location), error))?;
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).map_err(|source| Error::io(parent, source))?;
            }
            custseg_io::write_atomic(&target, &bytes)?;
            tracing::info!(object = %meta.location, bytes = bytes.len(), "copied object");
        }
        wanted.insert(relative.clone(), current);
        progress.advance_to(index as u64 + 1);
    }
    progress.end();
    // Copies of objects that are gone would be read as part of the input: remove them.
    for stale in manifest
        .objects
        .keys()
        .filter(|name| !wanted.contains_key(*name))
    {
        let _ = std::fs::remove_file(local.join(stale));
    }
    manifest.objects = wanted;
    let json = serde_json::to_vec_pretty(&manifest)
        .map_err(|error| Error::Invariant(error.to_string()))?;
    custseg_io::write_atomic(&manifest_path, &json)?;
    Ok(if is_single {
        local.join(&objects[0].1)
    } else {
        local.to_path_buf()
    })
}
