//! `model/registered.json`, typed once: what the register stage did with the model it was
//! given. The register stage writes it; `custseg serve` reads the registered name from it.

use std::path::Path;

use custseg_track::AliasEvent;
use custseg_track::gate::Verdict;
use serde::{Deserialize, Serialize};

/// Where the register stage writes the record, relative to the output directory.
pub const REGISTERED: &str = "model/registered.json";

/// The register stage's record. Its fields are written in name order, as a JSON object's
/// keys always were here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RegisteredFile {
    /// The model became a version of a registered model.
    Registered {
        /// The registered model's name.
        model: String,
        /// The promotion asked for with `[registry] promote_to`, if any.
        promotion: Option<Box<PromotionRecord>>,
        /// Always true here.
        registered: bool,
        /// The run the version is linked to.
        run_id: String,
        /// The version's source, inside the run's artifacts.
        source: String,
        /// The version number.
        version: u32,
    },
    /// Registration was off.
    NotRegistered {
        /// Always false here.
        registered: bool,
        /// Which setting turned it off.
        why: String,
    },
}

/// How a promotion through the gate went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromotionRecord {
    /// The alias asked for.
    pub alias: String,
    /// The alias change, when there was one.
    pub event: Option<AliasEvent>,
    /// The gate's comparison with the version that held the alias.
    pub gate: Verdict,
    /// Whether the alias moved to the new version.
    pub promoted: bool,
}

impl RegisteredFile {
    /// The file's bytes: pretty JSON with the keys of every object in name order.
    pub fn to_json_bytes(&self) -> serde_json::Result<Vec<u8>> {
        crate::tables::sorted_json_bytes(self)
    }

    /// The registered model's name, when the model was registered.
    pub fn registered_model(&self) -> Option<&str> {
        match self {
            Self::Registered {
                model, registered, ..
            } if *registered && !model.is_empty() => Some(model),
            _ => None,
        }
    }

    /// The registered name of the model file at `model` (`.../model/model.json`), from the
    /// record the register stage wrote beside it; none when there is no readable record or
    /// the model was not registered.
    pub fn name_beside(model: &Path) -> Option<String> {
        let bytes = std::fs::read(model.parent()?.join("registered.json")).ok()?;
        let record: Self = serde_json::from_slice(&bytes).ok()?;
        record.registered_model().map(str::to_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registered_name_is_read_back_from_the_record_beside_the_model() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("o/model/model.json");
        std::fs::create_dir_all(model.parent().unwrap()).unwrap();
        assert_eq!(RegisteredFile::name_beside(&model), None);
        let record = model.with_file_name("registered.json");
        let off = RegisteredFile::NotRegistered {
            registered: false,
            why: "`[registry] register = false`".into(),
        };
        std::fs::write(&record, off.to_json_bytes().unwrap()).unwrap();
        assert_eq!(RegisteredFile::name_beside(&model), None);
        let on = RegisteredFile::Registered {
            model: "churn-segments".into(),
            promotion: None,
            registered: true,
            run_id: "abc".into(),
            source: "runs:/abc/model".into(),
            version: 3,
        };
        let bytes = on.to_json_bytes().unwrap();
        assert_eq!(
            String::from_utf8(bytes.clone()).unwrap(),
            "{\n  \"model\": \"churn-segments\",\n  \"promotion\": null,\n  \"registered\": true,\n  \"run_id\": \"abc\",\n  \"source\": \"runs:/abc/model\",\n  \"version\": 3\n}\n"
        );
        std::fs::write(&record, &bytes).unwrap();
        assert_eq!(
            RegisteredFile::name_beside(&model).as_deref(),
            Some("churn-segments")
        );
        assert_eq!(
            serde_json::from_slice::<RegisteredFile>(&bytes).unwrap(),
            on
        );
    }
}
