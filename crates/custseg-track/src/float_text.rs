//! Metric values that are not finite, kept as such. JSON has no NaN or infinity, so they are
//! written as the strings of protobuf's JSON mapping, which MLflow's REST API takes and gives
//! back for its double fields: `"NaN"`, `"Infinity"`, `"-Infinity"`. A finite value stays a
//! JSON number. Reading takes either.

use serde::{Deserialize, Deserializer, Serializer};
use serde_json::Value;

/// The JSON form of `value`.
pub fn to_json(value: f64) -> Value {
    if value.is_nan() {
        Value::from("NaN")
    } else if value == f64::INFINITY {
        Value::from("Infinity")
    } else if value == f64::NEG_INFINITY {
        Value::from("-Infinity")
    } else {
        Value::from(value)
    }
}

/// The number a JSON value holds, in either form; `None` for anything else.
pub fn from_json(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => match s.as_str() {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            other => other.parse().ok(),
        },
        _ => None,
    }
}

/// Serde `serialize_with` for an `f64` field.
pub fn serialize<S: Serializer>(value: &f64, serializer: S) -> Result<S::Ok, S::Error> {
    match to_json(*value) {
        Value::String(text) => serializer.serialize_str(&text),
        _ => serializer.serialize_f64(*value),
    }
}

/// Serde `deserialize_with` for an `f64` field. `null`, which earlier versions of the local
/// store wrote for a value that was not finite, reads as NaN, so those runs read back too.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<f64, D::Error> {
    let value = Value::deserialize(deserializer)?;
    if value.is_null() {
        return Ok(f64::NAN);
    }
    from_json(&value).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "expected a number, \"NaN\", \"Infinity\" or \"-Infinity\", got {value}"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_round_trips_through_json() {
        for value in [1.5, -0.0, 1e300, f64::INFINITY, f64::NEG_INFINITY] {
            assert_eq!(from_json(&to_json(value)), Some(value));
        }
        assert!(from_json(&to_json(f64::NAN)).unwrap().is_nan());
        assert_eq!(from_json(&Value::from("2.5")), Some(2.5));
        assert_eq!(from_json(&Value::from("many")), None);
        assert_eq!(from_json(&Value::Null), None);
    }

    #[test]
    fn a_null_written_by_an_earlier_version_reads_as_nan() {
        #[derive(serde::Deserialize)]
        struct Point {
            #[serde(with = "super")]
            value: f64,
        }
        let point: Point = serde_json::from_str(r#"{"value": null}"#).unwrap();
        assert!(point.value.is_nan());
        let bad = serde_json::from_str::<Point>(r#"{"value": "lots"}"#);
        assert!(bad.is_err());
    }
}
