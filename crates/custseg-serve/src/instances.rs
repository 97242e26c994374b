//! Reading the Vertex AI request shape, `{"instances": [...], "parameters": {...}}`, into rows of
//! numbers, with errors that name the instance and the field.

use serde_json::Value;

use crate::error::{ApiError, ErrorCode};

/// A parsed request.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// One row per instance, in the order of the names asked for.
    pub rows: Vec<Vec<f64>>,
    /// `CustomerID` of each instance, when given.
    pub customer_ids: Vec<Option<i64>>,
    /// `parameters.explain`.
    pub explain: bool,
}

/// Parses `body`: each instance an object by field name or an array in `names` order. Object
/// keys in `ignored` (descriptive columns such as `CustomerID`) are allowed and not read, except
/// `CustomerID`, which is kept.
pub fn parse(
    body: &[u8],
    names: &[String],
    ignored: &[&str],
    max_instances: usize,
) -> Result<Request, ApiError> {
    let value: Value = serde_json::from_slice(body).map_err(|e| {
        ApiError::bad_request(
            ErrorCode::MalformedRequest,
            format!("the body is not valid JSON: {e}"),
        )
    })?;
    let Value::Object(top) = value else {
        return Err(ApiError::bad_request(
            ErrorCode::MalformedRequest,
            "the body must be an object `{\"instances\": [...]}`",
        ));
    };
    for key in top.keys() {
        if key != "instances" && key != "parameters" {
            return Err(ApiError {
                field: Some(key.clone()),
                ..ApiError::bad_request(
                    ErrorCode::MalformedRequest,
                    format!(
                        "unknown top-level key `{key}`: expected `instances` and optionally `parameters`"
                    ),
                )
            });
        }
    }
    let explain = match top.get("parameters") {
        None | Some(Value::Null) => false,
        Some(Value::Object(parameters)) => match parameters.get("explain") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(flag)) => *flag,
            Some(_) => {
                return Err(ApiError {
                    field: Some("parameters.explain".into()),
                    ..ApiError::bad_request(
                        ErrorCode::MalformedRequest,
                        "`parameters.explain` must be true or false",
                    )
                });
            }
        },
        Some(_) => {
            return Err(ApiError::bad_request(
                ErrorCode::MalformedRequest,
                "`parameters` must be an object",
            ));
        }
    };
    let Some(Value::Array(instances)) = top.get("instances") else {
        return Err(ApiError {
            field: Some("instances".into()),
            ..ApiError::bad_request(ErrorCode::MalformedRequest, "`instances` must be a list")
        });
    };
    if instances.is_empty() {
        return Err(ApiError::bad_request(
            ErrorCode::NoInstances,
            "`instances` is empty",
        ));
    }
    if instances.len() > max_instances {
        return Err(ApiError::with_status(
            413,
            ErrorCode::TooManyInstances,
            format!(
                "{} instances in one request; at most {max_instances}",
                instances.len()
            ),
        ));
    }
    let mut rows = Vec::with_capacity(instances.len());
    let mut customer_ids = Vec::with_capacity(instances.len());
    for (index, instance) in instances.iter().enumerate() {
        let (row, id) = match instance {
            Value::Object(fields) => {
                for key in fields.keys() {
                    if !names.contains(key) && !ignored.contains(&key.as_str()) {
                        return Err(ApiError::at(
                            ErrorCode::UnknownField,
                            index,
                            key,
                            format!(
                                "instance {index}: unknown field `{key}` (expected {})",
                                quoted(names)
                            ),
                        ));
                    }
                }
                let row = names
                    .iter()
                    .map(|name| match fields.get(name) {
                        Some(value) => number(value, index, name),
                        None => Err(ApiError::at(
                            ErrorCode::MissingField,
                            index,
                            name,
                            format!("instance {index}: missing field `{name}`"),
                        )),
                    })
                    .collect::<Result<Vec<f64>, ApiError>>()?;
                let id = match fields.get("CustomerID") {
                    None | Some(Value::Null) => None,
                    Some(value) => Some(customer_id(value, index)?),
                };
                (row, id)
            }
            Value::Array(values) => {
                if values.len() != names.len() {
                    return Err(ApiError {
                        instance: Some(index),
                        ..ApiError::bad_request(
                            ErrorCode::WrongLength,
                            format!(
                                "instance {index}: {} values; an array instance has one per feature, in order: {}",
                                values.len(),
                                quoted(names)
                            ),
                        )
                    });
                }
                let row = values
                    .iter()
                    .zip(names)
                    .map(|(value, name)| number(value, index, name))
                    .collect::<Result<Vec<f64>, ApiError>>()?;
                (row, None)
            }
            _ => {
                return Err(ApiError {
                    instance: Some(index),
                    ..ApiError::bad_request(
                        ErrorCode::MalformedRequest,
                        format!(
                            "instance {index}: expected an object by feature name or an array in feature order"
                        ),
                    )
                });
            }
        };
        rows.push(row);
        customer_ids.push(id);
    }
    Ok(Request {
        rows,
        customer_ids,
        explain,
    })
}

fn number(value: &Value, index: usize, name: &str) -> Result<f64, ApiError> {
    let number = match value {
        Value::Number(n) => n.as_f64(),
        _ => None,
    };
    match number {
        Some(v) if v.is_finite() => Ok(v),
        Some(v) => Err(ApiError::at(
            ErrorCode::InvalidValue,
            index,
            name,
            format!("instance {index}: field `{name}` is {v}, not a finite number"),
        )),
        None => Err(ApiError::at(
            ErrorCode::NotANumber,
            index,
            name,
            format!("instance {index}: field `{name}` is not a number: `{value}`"),
        )),
    }
}

fn customer_id(value: &Value, index: usize) -> Result<i64, ApiError> {
    match value {
        Value::Number(n) if n.as_i64().is_some() => Ok(n.as_i64().unwrap_or_default()),
        Value::Number(n)
            if n.as_f64()
                .is_some_and(|v| v.fract() == 0.0 && v.abs() < 9e15) =>
        {
            Ok(n.as_f64().unwrap_or_default() as i64)
        }
        _ => Err(ApiError::at(
            ErrorCode::NotANumber,
            index,
            "CustomerID",
            format!("instance {index}: `CustomerID` is not a whole number: `{value}`"),
        )),
    }
}

fn quoted(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["a".into(), "b".into()]
    }

    fn error(body: &str) -> ApiError {
        parse(body.as_bytes(), &names(), &["CustomerID"], 3).unwrap_err()
    }

    #[test]
    fn objects_and_arrays_give_rows_in_feature_order() {
        let request = parse(
            br#"{"instances": [{"b": 2, "a": 1.5, "CustomerID": 12}, [3, 4]], "parameters": {"explain": true}}"#,
            &names(),
            &["CustomerID"],
            3,
        )
        .unwrap();
        assert_eq!(request.rows, vec![vec![1.5, 2.0], vec![3.0, 4.0]]);
        assert_eq!(request.customer_ids, vec![Some(12), None]);
        assert!(request.explain);
    }

    #[test]
    fn every_bad_request_names_what_and_where() {
        let cases = [
            ("{", ErrorCode::MalformedRequest, None, None),
            ("[1]", ErrorCode::MalformedRequest, None, None),
            (r#"{"instances": []}"#, ErrorCode::NoInstances, None, None),
            (
                r#"{"instances": [[1,2],[1,2],[1,2],[1,2]]}"#,
                ErrorCode::TooManyInstances,
                None,
                None,
            ),
            (
                r#"{"instances": [{"a": 1}]}"#,
                ErrorCode::MissingField,
                Some(0),
                Some("b"),
            ),
            (
                r#"{"instances": [[1,2], {"a": 1, "b": 2, "c": 3}]}"#,
                ErrorCode::UnknownField,
                Some(1),
                Some("c"),
            ),
            (
                r#"{"instances": [{"a": "x", "b": 2}]}"#,
                ErrorCode::NotANumber,
                Some(0),
                Some("a"),
            ),
            (
                r#"{"instances": [{"a": null, "b": 2}]}"#,
                ErrorCode::NotANumber,
                Some(0),
                Some("a"),
            ),
            (
                r#"{"instances": [[1]]}"#,
                ErrorCode::WrongLength,
                Some(0),
                None,
            ),
            (
                r#"{"instances": [7]}"#,
                ErrorCode::MalformedRequest,
                Some(0),
                None,
            ),
            (
                r#"{"instances": [[1, 2]], "parameters": {"explain": 1}}"#,
                ErrorCode::MalformedRequest,
                None,
                Some("parameters.explain"),
            ),
            (
                r#"{"instance": []}"#,
                ErrorCode::MalformedRequest,
                None,
                Some("instance"),
            ),
            (
                r#"{"instances": [[1, 1e400]]}"#,
                ErrorCode::MalformedRequest,
                None,
                None,
            ),
        ];
        for (body, code, instance, field) in cases {
            let e = error(body);
            assert_eq!(
                (e.code, e.instance, e.field.as_deref()),
                (code, instance, field),
                "{body}: {e:?}"
            );
        }
        assert_eq!(
            error(r#"{"instances": [[1,2],[1,2],[1,2],[1,2]]}"#).status,
            413
        );
    }
}
